"""Online learning: rewards for one candidate move the PMF toward it."""

import random
import uuid

from conftest import score_request


def test_rewarding_one_candidate_shifts_probability_toward_it(client):
    rng = random.Random(17)
    before = client.post("/score", json=score_request()).json()["probabilities"]
    rewarded = 2  # the lowest-priority advice: the rules would not favour it
    for _ in range(300):
        probabilities = client.post("/score", json=score_request()).json()["probabilities"]
        chosen = rng.choices(range(3), weights=probabilities)[0]
        body = score_request(
            decisionId=str(uuid.uuid4()),
            chosen=chosen,
            probability=probabilities[chosen],
            reward=1.0 if chosen == rewarded else 0.0,
        )
        assert client.post("/learn", json=body).status_code == 204
    after = client.post("/score", json=score_request()).json()["probabilities"]
    assert after[rewarded] > before[rewarded] + 0.3, (before, after)
    assert after[rewarded] == max(after), after
    # Exploration stays: every candidate keeps a probability the log can use.
    assert min(after) > 0.01, after
