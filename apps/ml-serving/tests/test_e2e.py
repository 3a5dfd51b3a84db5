"""End to end: the sidecar behind a real `lifeos serve`, the remote policy as incumbent.

Runs when LIFEOS_BIN names a built `lifeos` binary (ci.sh passes it through); skipped
otherwise, so the sidecar's own tests run anywhere.
"""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

LIFEOS_BIN = os.environ.get("LIFEOS_BIN")
HERE = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.skipif(not LIFEOS_BIN, reason="LIFEOS_BIN is not set")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args[0]} exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@contextmanager
def running(args, env, log: Path):
    with open(log, "wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def poll(check, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_the_gateway_scores_with_the_sidecar_and_feeds_it_back(tmp_path):
    sidecar_port, gateway_port = free_port(), free_port()
    sidecar = f"http://127.0.0.1:{sidecar_port}"
    gateway = f"http://127.0.0.1:{gateway_port}"
    sidecar_args = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(sidecar_port)]
    sidecar_env = {**os.environ, "PYTHONPATH": str(HERE)}
    (tmp_path / "mail").mkdir()
    gateway_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite://{tmp_path}/lifeos.db",
        "LIFEOS_BIND": f"127.0.0.1:{gateway_port}",
        "LIFEOS_ML_SERVING_URL": sidecar,
        # Generous: this test is about the contract, not the latency budget.
        "LIFEOS_ML_SERVING_TIMEOUT_MS": "3000",
        "LIFEOS_RECOMMENDER_INCUMBENT": "remote",
        "LIFEOS_MAIL_DIR": str(tmp_path / "mail"),
        "LIFEOS_JWT_SECRET": "e2e-secret-that-is-at-least-32-bytes-long",
        "LIFEOS_VAULT_KEYS": "e2e:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
        "LIFEOS_METRICS_BIND": "off",
        "RUST_LOG": "info",
    }
    with running(sidecar_args, sidecar_env, tmp_path / "sidecar.log") as sidecar_process, running(
        [LIFEOS_BIN, "serve"], gateway_env, tmp_path / "gateway.log"
    ) as gateway_process:
        wait_until_up(f"{sidecar}/health", sidecar_process)
        wait_until_up(f"{gateway}/health", gateway_process)
        try:
            run_scenario(gateway, sidecar)
            # The sidecar's answer chose the tip: the fallback to rules-v0 never ran.
            assert "policy fell back" not in (tmp_path / "gateway.log").read_text(errors="replace")
        except Exception:
            for log in ("gateway.log", "sidecar.log"):
                print(f"--- {log}\n" + (tmp_path / log).read_text(errors="replace")[-4000:])
            raise


def run_scenario(gateway: str, sidecar: str) -> None:
    api = httpx.Client(base_url=f"{gateway}/api/v1", timeout=10)
    registered = api.post("/auth/register", json={"email": "ada@example.com", "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    api.headers["authorization"] = f"Bearer {registered.json()['accessToken']}"

    refused = api.post("/recommend", json={})
    assert refused.status_code == 403, refused.text
    consent = api.put("/me/consents/recommendations", json={"granted": True})
    assert consent.status_code == 200, consent.text

    track = api.post("/tracks", json={"title": "Health"})
    assert track.status_code == 201, track.text
    habit = api.post(f"/tracks/{track.json()['id']}/nodes", json={"type": "habit", "title": "Stretch"})
    assert habit.status_code == 201, habit.text

    before = httpx.get(f"{sidecar}/model").json()
    decision = api.post("/recommend", json={"context": {"energy": 4, "mood": 3}})
    assert decision.status_code == 200, decision.text
    body = decision.json()
    assert body["policyId"] == "remote", body
    assert body["tip"] is not None, body
    assert 0 < body["propensity"] <= 1, body
    scored = httpx.get(f"{sidecar}/model").json()["scored"]
    assert scored == before["scored"] + 1, "the gateway did not ask the sidecar"

    feedback = api.post(f"/tips/{body['tip']['id']}/feedback", json={"kind": "not_now"})
    assert feedback.status_code == 200, feedback.text
    learned = poll(lambda: httpx.get(f"{sidecar}/model").json()["learned"] > before["learned"])
    assert learned, "the sidecar never heard of the feedback"
    assert httpx.get(f"{sidecar}/model").json()["modelVersion"] == before["modelVersion"] + 1
