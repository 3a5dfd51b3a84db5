"""HTTP face of the bandit: `/score`, `/learn`, `/health`, `/model` (see README.md)."""

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .model import POLICY, Bandit
from .schemas import LearnRequest, ScoreReply, ScoreRequest


def create_app(bandit: Bandit | None = None) -> FastAPI:
    bandit = bandit or Bandit()
    app = FastAPI(title="lifeos ml-serving", version="1")
    app.state.bandit = bandit

    # FastAPI's default 422 echoes the input, which cannot be JSON when it was NaN (a 500
    # instead) and would copy features into logs: the location and message are enough.
    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in error.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})

    # Plain `def` routes: VW's calls block, so they run on the thread pool, under the lock.
    @app.post("/score", response_model=ScoreReply, response_model_by_alias=True)
    def score(request: ScoreRequest) -> ScoreReply:
        probabilities, version = bandit.score(request.context, request.candidates, request.user_key)
        return ScoreReply(probabilities=probabilities, policy=POLICY, model_version=version)

    @app.post("/learn", status_code=204)
    def learn(request: LearnRequest) -> Response:
        bandit.learn(
            request.context,
            request.candidates,
            request.user_key,
            request.chosen,
            request.probability,
            request.reward,
        )
        return Response(status_code=204)

    @app.get("/health")
    def health() -> dict:
        stats = bandit.stats()
        return {"status": "ok", "policy": stats["policy"], "modelVersion": stats["modelVersion"]}

    @app.get("/model")
    def model() -> dict:
        return bandit.stats()

    return app


app = create_app()
