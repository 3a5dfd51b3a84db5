"""Summarises a schemathesis run from its CLI log and decides whether the fuzz step passes.

Usage: summary.py REPORT_DIR MAX_REJECTED ST_EXIT_STATUS
Reads REPORT_DIR/st.log (the `st run` output), prints each distinct failure as
`check | operation | status code detail` and fails (exit 1) on any failure other than
"Schema-valid request rejected" (ST202), on an ST202 answer that matches none of the rules in
documented-rejections.txt, on more than MAX_REJECTED distinct documented rules, or when
schemathesis itself errored without reporting failures.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

SECTION = re.compile(r"^_{3,} (.+?) _{3,}$")
CHECK = re.compile(r"^- (.+)$")
STATUS = re.compile(r"^\[(\d{3})\] ")
BODY = re.compile(r"^\s+`(\{.*\})`$")
REJECTED = "ST202 Schema-valid request rejected"


def failures(log: str) -> list[dict]:
    found, operation, current = [], None, None
    for line in log.splitlines():
        if m := SECTION.match(line):
            operation = m.group(1)
            continue
        if operation is None or operation == "Stateful tests" and not line.startswith("- "):
            pass
        if m := CHECK.match(line):
            if line.startswith("- ST") or not line.startswith("- http"):
                current = {"operation": operation, "check": m.group(1), "status": "", "why": ""}
                found.append(current)
            continue
        if current is None:
            continue
        if m := STATUS.match(line):
            current["status"] = m.group(1)
        elif (m := BODY.match(line)) and not current["why"]:
            try:
                body = json.loads(m.group(1))
                errors = [f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or []]
                current["why"] = f"{body.get('code', '')}: {' | '.join(errors) or body.get('detail', '')}"
            except ValueError:
                current["why"] = m.group(1)[:120]
    return [f for f in found if f["operation"] and not f["check"].startswith("Test Case ID")]


def documented_rules() -> list[re.Pattern[str]]:
    text = (Path(__file__).parent / "documented-rejections.txt").read_text()
    return [re.compile(line) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def reason(why: str) -> str:
    """`code: field: message` as `field: message` (validation), else `code: detail`."""
    code, _, detail = why.partition(": ")
    return detail if code in ("validation_failed", "invalid_query") else why


def main() -> int:
    report, max_rejected, st_status = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    log = (report / "st.log").read_text(errors="replace")
    if "FAILURES" in log:
        log_failures = log.split("FAILURES", 1)[1].split("=== SUMMARY", 1)[0]
    else:
        log_failures = ""
    distinct = {(f["check"], f["operation"], f["status"], f["why"]) for f in failures(log_failures)}
    by_check = Counter(check for check, *_ in distinct)
    print(f"==> fuzz summary ({report.name}): {len(distinct)} distinct failures")
    for check, count in sorted(by_check.items()):
        print(f"    {count:3} {check}")
    for check, operation, status, why in sorted(distinct):
        print(f"    - {check} | {operation} | {status} {why}")
    others = sum(n for check, n in by_check.items() if check != REJECTED)
    rejected = by_check.get(REJECTED, 0)
    rules = documented_rules()
    undocumented, hit = [], set()
    for check, operation, status, why in distinct:
        if check != REJECTED:
            continue
        parts = reason(why).split(" | ")
        matched = [r for r in rules if any(r.search(part) for part in parts)]
        if all(any(r.search(part) for r in rules) for part in parts):
            hit.update(r.pattern for r in matched)
        else:
            undocumented.append(f"{operation}: {why}")
    print(f"    {rejected} schema-valid rejections over {len(hit)} documented rules")
    if others:
        print(f"FAIL: {others} failures besides schema-valid rejections (server errors or conformance)")
        return 1
    if undocumented:
        print("FAIL: rejections the contract does not document:")
        for line in undocumented:
            print(f"    {line}")
        return 1
    if len(hit) > max_rejected:
        print(f"FAIL: {len(hit)} documented rules rejected schema-valid requests, at most {max_rejected} allowed")
        return 1
    if st_status != 0 and not distinct:
        print(f"FAIL: schemathesis exited with {st_status} without reporting failures (see st.log)")
        return 1
    print(f"OK: no server errors or conformance failures; {rejected} schema-valid rejections by {len(hit)} documented rules (at most {max_rejected})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
