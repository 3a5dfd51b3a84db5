import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.main import create_app  # noqa: E402
from app.model import Bandit  # noqa: E402

USER_KEY = "12b9377cbe7e5c94e8a70d9d23929523d14afa954793130f8a3959c7b849aca8"


def candidates():
    """A todo habit due today, and two pieces of advice, with the plan's feature names."""
    moment = {"hour": 9 / 23, "minutes_left": 900 / 1440, "energy": 0.8, "focus_day": 1.0}
    return [
        {"kind": "todo", "features": {**moment, "priority": 0.9, "is_todo": 1, "habit": 1, "due_today": 1, "streak": 0.4}},
        {"kind": "advice", "features": {**moment, "priority": 0.5, "is_advice": 1, "advice_weight": 1}},
        {"kind": "advice", "features": {**moment, "priority": 0.2, "is_advice": 1, "nutrition_gap": 0.6}},
    ]


def score_request(**overrides):
    body = {
        "userKey": USER_KEY,
        "context": {"hour": 9, "weekday": 3, "minutesLeft": 900, "energy": 4},
        "candidates": candidates(),
    }
    body.update(overrides)
    return body


@pytest.fixture
def bandit():
    return Bandit()


@pytest.fixture
def client(bandit):
    return TestClient(create_app(bandit))
