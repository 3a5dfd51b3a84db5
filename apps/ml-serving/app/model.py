"""The bandit: one Vowpal Wabbit `cb_explore_adf` workspace, its text format, and a lock.

VW's workspace is not thread-safe and FastAPI runs plain `def` routes on a thread pool,
so every predict and learn holds `Bandit.lock`. Each call is tens of microseconds, so one
process serves far more than one gateway asks; see the README for when to scale out.
"""

import math
import os
import threading
from dataclasses import dataclass, field

from vowpalwabbit import pyvw

from .schemas import Candidate, Context

POLICY = "vw-cb-explore-adf"

# epsilon-greedy keeps every candidate's probability >= epsilon / n, so a shown tip always
# has a propensity the off-policy log can use; -q crosses the moment (s) and the person (u)
# with what a candidate is (k) and how pressing it is (a).
DEFAULT_ARGS = "--cb_explore_adf --epsilon 0.1 -q sa -q sk -q uk --quiet"

# Where the recommender's feature names go (missing = 0, so they are simply left out).
# Features that are the same for every candidate of a decision describe the moment: they
# belong to the shared example, where they only matter through the interactions.
SHARED = {"hour", "minutes_left", "energy", "mood", "free_day", "focus_day", "buffer_day"}
KIND = {"is_todo", "is_advice", "habit", "task"}
# Everything else (`priority`, `due_today`, `overdue_days`, `streak`, `strength`,
# `recent_delay`, `timer_hours`, `service_days`, `nutrition_gap`, `advice_weight`, and
# names this version does not know yet) is namespace `a`.


def _feature(name: str, value: float) -> str:
    return f"{name}:{value:.6g}"


def _namespace(tag: str, features: list[str]) -> str:
    return f"|{tag} " + " ".join(features) if features else f"|{tag}"


def shared_line(context: Context, candidates: list[Candidate], user_key: str | None) -> str:
    moment = [
        _feature("hour", context.hour / 23),
        f"weekday_{context.weekday}",
        _feature("minutes_left", context.minutes_left / 1440),
    ]
    if context.weekday >= 5:
        moment.append("weekend")
    if context.energy is not None:
        moment.append(_feature("energy", context.energy / 5))
    if context.mood is not None:
        moment.append(_feature("mood", context.mood / 5))
    # Day kinds come with the candidates; the context already gave the time and the levels.
    day = candidates[0].features
    moment += [_feature(n, day[n]) for n in ("free_day", "focus_day", "buffer_day") if day.get(n)]
    line = "shared " + _namespace("s", moment)
    if user_key:
        line += " " + _namespace("u", [f"user_{user_key}"])
    return line


def action_line(candidate: Candidate) -> str:
    kind = [f"kind_{candidate.kind}"]
    pressing = []
    for name, value in sorted(candidate.features.items()):
        if value == 0 or name in SHARED:
            continue
        (kind if name in KIND else pressing).append(_feature(name, value))
    return _namespace("k", kind) + " " + _namespace("a", pressing)


def example(context: Context, candidates: list[Candidate], user_key: str | None) -> list[str]:
    return [shared_line(context, candidates, user_key)] + [action_line(c) for c in candidates]


def cost(reward: float) -> float:
    """VW minimises cost: a reward of 1 (done) is cost -1, no reward is 0."""
    return -reward


def normalised(pmf: list[float]) -> list[float]:
    # VW's PMF is float32: re-summed in float64 it may miss 1 by ~1e-7.
    total = math.fsum(pmf)
    if not total > 0 or not math.isfinite(total):
        return [1 / len(pmf)] * len(pmf)
    return [p / total for p in pmf]


@dataclass
class Bandit:
    args: str = field(default_factory=lambda: os.environ.get("ML_VW_ARGS", DEFAULT_ARGS))
    model_version: int = 0
    scored: int = 0
    learned: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.workspace = pyvw.Workspace(self.args)

    def score(self, context: Context, candidates: list[Candidate], user_key: str | None):
        lines = example(context, candidates, user_key)
        with self.lock:
            pmf = self.workspace.predict(lines)
            self.scored += 1
            version = self.model_version
        return normalised(list(pmf)), version

    def learn(
        self,
        context: Context,
        candidates: list[Candidate],
        user_key: str | None,
        chosen: int,
        probability: float,
        reward: float,
    ) -> int:
        lines = example(context, candidates, user_key)
        # ADF label on the shown action's line: `index:cost:probability` (index unused).
        lines[chosen + 1] = f"0:{cost(reward):.6g}:{probability:.6g} " + lines[chosen + 1]
        with self.lock:
            self.workspace.learn(lines)
            self.learned += 1
            self.model_version += 1
            return self.model_version

    def stats(self) -> dict:
        with self.lock:
            return {
                "policy": POLICY,
                "modelVersion": self.model_version,
                "scored": self.scored,
                "learned": self.learned,
                "vwArgs": self.args,
            }
