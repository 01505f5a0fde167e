"""The framework's floor for the serving benchmark: the same request validation on the same
uvicorn, and no work at all (no model, no log, no metrics). What the service adds on top of
this is what the project costs per request.

    MLCYCLE_DATASET=config/datasets/churn.yaml .venv/bin/python benchmarks/serving_floor.py
"""

import os
import uuid

from fastapi import FastAPI

from mlcycle.config import load_dataset_config
from mlcycle.serving.contract import PredictionOut, request_models


def create_floor_app(dataset: str) -> FastAPI:
    PredictRequest = request_models(load_dataset_config(dataset), max_batch=1000).predict
    app = FastAPI(title="validated no-op")

    @app.get("/ready")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/predict", response_model=PredictionOut)
    def predict(request: PredictRequest) -> PredictionOut:  # type: ignore[valid-type]
        return PredictionOut(
            prediction=0, probability=0.5, model_name="floor", model_version="0",
            arm="champion", request_id=uuid.uuid4().hex,
        )  # fmt: skip

    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(
        create_floor_app(os.environ["MLCYCLE_DATASET"]),
        host="127.0.0.1",
        port=int(os.environ.get("PORT", "8001")),
        log_level="warning",
    )
