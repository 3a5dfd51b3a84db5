"""The wire contract with the gateway's remote policy (crates/recommender/src/policy/remote.rs).

Unknown fields are ignored so a newer gateway can add some; known ones are checked strictly
and a bad one answers 422 (the gateway then falls back to its own rules).
"""

from typing import Annotated, Literal, Optional
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Feature names as the recommender's candidates name them (`priority`, `due_today`...).
FeatureName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Finite = Annotated[float, Field(allow_inf_nan=False)]

MAX_CANDIDATES = 64
MAX_FEATURES = 64


class Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Context(Wire):
    hour: int = Field(ge=0, le=23)
    # 0 = Monday .. 6 = Sunday
    weekday: int = Field(ge=0, le=6)
    minutes_left: int = Field(alias="minutesLeft", ge=0, le=2880)
    energy: Optional[int] = Field(default=None, ge=1, le=5)
    mood: Optional[int] = Field(default=None, ge=1, le=5)


class Candidate(Wire):
    kind: Literal["advice", "todo"]
    features: dict[FeatureName, Finite] = Field(default_factory=dict, max_length=MAX_FEATURES)


class ScoreRequest(Wire):
    decision_id: Optional[UUID] = Field(default=None, alias="decisionId")
    # sha256 hex of the user id: a pseudonym, so nothing else (an email, a raw id) is accepted.
    user_key: Optional[str] = Field(default=None, alias="userKey", pattern=r"^[0-9a-f]{64}$")
    context: Context
    candidates: list[Candidate] = Field(min_length=1, max_length=MAX_CANDIDATES)


class ScoreReply(BaseModel):
    probabilities: list[float]
    policy: str
    model_version: int = Field(serialization_alias="modelVersion")


class LearnRequest(ScoreRequest):
    decision_id: UUID = Field(alias="decisionId")
    chosen: int = Field(ge=0)
    # The logging policy's probability of the shown candidate (its propensity).
    probability: Finite = Field(gt=0.0, le=1.0)
    reward: Finite = Field(ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def chosen_is_a_candidate(self) -> "LearnRequest":
        if self.chosen >= len(self.candidates):
            raise ValueError(f"chosen {self.chosen} is not one of {len(self.candidates)} candidates")
        return self
