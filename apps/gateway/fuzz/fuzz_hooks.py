"""Schemathesis hooks (SCHEMATHESIS_HOOKS=fuzz_hooks): make the fuzzer act like a client where
the contract asks for something it cannot derive from a schema.

- Idempotency-Key: a client sends a fresh key per logical request. The fuzzer draws short keys
  ("0", "A") over and over, and the same key with another body is, as documented, a 422
  `idempotency_key_reused`. Each positive call gets a unique suffix; the drawn part keeps
  exercising the allowed character set (visible ASCII, at most 255 in all). Negative headers
  stay as drawn: an invalid key must still be refused.
- cursor: only a `nextCursor` the server issued is a valid cursor; no schema can generate one.
  Positive cases send the empty cursor, which the API reads as "the first page"; negative
  cases keep whatever was drawn, so a forged cursor must still get a 4xx.
"""

import itertools

import schemathesis
from schemathesis.core.parameters import ParameterLocation

_calls = itertools.count()


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers if not _negative(case, ParameterLocation.HEADER) else {}
    for name in list(headers or {}):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str):
            suffix = f"-{next(_calls)}"
            headers[name] = headers[name][: 255 - len(suffix)] + suffix
    query = case.query
    if isinstance(query, dict) and "cursor" in query and not _negative(case, ParameterLocation.QUERY):
        query["cursor"] = ""


def _negative(case, location):
    meta = case.meta
    return meta is not None and meta.is_negative_at(location)
