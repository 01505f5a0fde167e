"""Requests by customer id: features from the Feast online store of a real build."""

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from mlcycle.serving.app import Settings, create_app
from mlcycle.settings import load_settings

pytestmark = pytest.mark.dag


def test_predict_by_customer_id_reads_the_online_store(built_project):
    out = built_project / "products"
    settings = replace(
        Settings.of(load_settings(built_project, environ={})),  # the built project's paths
        reload_seconds=0,
        arms="champion=100",
    )
    import pandas as pd

    test = pd.read_parquet(out / "data" / "training" / "test.parquet")
    who = test["customer_id"].iloc[0]
    with TestClient(create_app(settings)) as client:
        by_id = client.post("/predict", json={"customer_id": who}).json()
        features = test.iloc[0][
            test.columns.intersection(client.app.state.service.config.feature_names)
        ]
        by_features = client.post("/predict", json={"features": features.to_dict()}).json()
        assert by_id["probability"] == pytest.approx(by_features["probability"])  # same row
        # a mixed batch answers in request order
        other = test.iloc[1][features.index].to_dict()
        batch = client.post(
            "/predict/batch",
            json={"items": [{"features": other}, {"customer_id": who}, {"features": other}]},
        ).json()
        assert batch[1]["probability"] == pytest.approx(by_id["probability"])
        assert batch[0]["probability"] == batch[2]["probability"] != batch[1]["probability"]
        missing = client.post("/predict", json={"customer_id": "C9999999"})
        assert missing.status_code == 404 and "C9999999" in missing.json()["detail"]
