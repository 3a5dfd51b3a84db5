"""The HTTP contract: shapes, sums, learning's bookkeeping, and 422 for bad input."""

import json
import math
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import model
from app.schemas import Candidate, Context
from conftest import USER_KEY, candidates, score_request


def learn_request(chosen=1, probability=0.25, reward=1.0, **overrides):
    body = score_request(decisionId=str(uuid.uuid4()), chosen=chosen, probability=probability, reward=reward)
    body.update(overrides)
    return body


def test_score_answers_one_probability_per_candidate_summing_to_one(client):
    reply = client.post("/score", json=score_request())
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["policy"] == "vw-cb-explore-adf"
    assert body["modelVersion"] == 0
    probabilities = body["probabilities"]
    assert len(probabilities) == 3
    assert all(p > 0 and math.isfinite(p) for p in probabilities)
    assert abs(math.fsum(probabilities) - 1) < 1e-9


def test_one_candidate_gets_all_the_probability(client):
    reply = client.post("/score", json=score_request(candidates=candidates()[:1]))
    assert reply.json()["probabilities"] == [1.0]


def test_user_key_and_decision_id_are_optional(client):
    body = score_request(decisionId=str(uuid.uuid4()))
    del body["userKey"]
    assert client.post("/score", json=body).status_code == 200


def test_learn_answers_204_and_counts(client):
    assert client.post("/learn", json=learn_request()).status_code == 204
    assert client.post("/score", json=score_request()).status_code == 200
    stats = client.get("/model").json()
    assert stats["learned"] == 1
    assert stats["scored"] == 1
    assert stats["modelVersion"] == 1
    assert client.post("/score", json=score_request()).json()["modelVersion"] == 1
    health = client.get("/health").json()
    assert health == {"status": "ok", "policy": "vw-cb-explore-adf", "modelVersion": 1}


def test_unknown_fields_are_ignored(client):
    assert client.post("/score", json=score_request(newField=1)).status_code == 200


BAD_SCORES = [
    {"context": None},
    {"context": {"hour": 24, "weekday": 0, "minutesLeft": 10}},
    {"context": {"hour": 9, "weekday": 7, "minutesLeft": 10}},
    {"context": {"hour": 9, "weekday": 1, "minutesLeft": -1}},
    {"context": {"hour": 9, "weekday": 1, "minutesLeft": 10, "energy": 6}},
    {"context": {"hour": "nine", "weekday": 1, "minutesLeft": 10}},
    {"candidates": []},
    {"candidates": [{"kind": "todo", "features": {}}] * 65},
    {"candidates": [{"kind": "reminder", "features": {}}]},
    {"candidates": [{"kind": "todo", "features": {"Bad Name": 1}}]},
    {"candidates": [{"kind": "todo", "features": {"priority": "high"}}]},
    {"candidates": [{"kind": "todo", "features": {f"f{i}": 1 for i in range(65)}}]},
    {"userKey": "ada@example.com"},
    {"userKey": "0" * 63},
    {"decisionId": "not-a-uuid"},
]


@pytest.mark.parametrize("override", BAD_SCORES)
def test_bad_score_input_is_422(client, override):
    assert client.post("/score", json=score_request(**override)).status_code == 422


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_features_are_422(client, value):
    text = json.dumps(score_request()).replace('"priority": 0.9', f'"priority": {value}')
    assert value in text
    reply = client.post("/score", content=text, headers={"content-type": "application/json"})
    assert reply.status_code == 422


def test_not_json_is_422(client):
    reply = client.post("/score", content="not json", headers={"content-type": "application/json"})
    assert reply.status_code == 422


BAD_LEARNS = [
    {"chosen": 3},
    {"chosen": -1},
    {"probability": 0},
    {"probability": 1.5},
    {"reward": 2},
    {"decisionId": None},
]


@pytest.mark.parametrize("override", BAD_LEARNS)
def test_bad_learn_input_is_422_and_learns_nothing(client, override):
    assert client.post("/learn", json=learn_request(**override)).status_code == 422
    assert client.get("/model").json()["learned"] == 0


def test_features_go_to_their_namespaces():
    parsed = [Candidate(**c) for c in candidates()]
    context = Context(hour=9, weekday=5, minutesLeft=900, energy=4)
    shared, todo, advice, _ = model.example(context, parsed, USER_KEY)
    assert shared.startswith("shared |s hour:0.391304 weekday_5 minutes_left:0.625 weekend energy:0.8")
    assert "focus_day:1" in shared
    assert f"|u user_{USER_KEY}" in shared
    # The moment is shared; a candidate keeps what it is (k) and how pressing it is (a).
    assert todo == "|k kind_todo habit:1 is_todo:1 |a due_today:1 priority:0.9 streak:0.4"
    assert advice == "|k kind_advice is_advice:1 |a advice_weight:1 priority:0.5"


def test_the_workspace_is_safe_under_concurrent_calls(bandit):
    parsed = [Candidate(**c) for c in candidates()]
    context = Context(hour=9, weekday=3, minutesLeft=900)

    def work(i):
        bandit.learn(context, parsed, USER_KEY, i % 3, 1 / 3, float(i % 2))
        probabilities, _ = bandit.score(context, parsed, USER_KEY)
        assert abs(math.fsum(probabilities) - 1) < 1e-9

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(400)))
    stats = bandit.stats()
    assert stats["learned"] == 400
    assert stats["scored"] == 400
    assert stats["modelVersion"] == 400
