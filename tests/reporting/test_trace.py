"""A prediction traced back through a real registry (conftest.registry) and a real log."""

import mlflow
import pytest

from mlcycle.reporting.trace import TraceError, render, trace
from mlcycle.serving.prediction_log import Prediction, PredictionLog


def test_a_prediction_leads_to_its_version_and_run(registry, tmp_path):
    _, uri, _ = registry
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    log = PredictionLog(tmp_path / "predictions.db")
    log.record([Prediction("req-1", "u1", "challenger", "customer_churn", "2", {"age": 41}, 1,
                           0.83, "exp-7", "randomised", "champion=90,challenger=10")])  # fmt: skip
    log.record_feedback("req-1", 0)
    log.close()
    text = render(trace(client, tmp_path / "predictions.db", "req-1", tmp_path / "reports"))
    for expected in ('{"age": 41}', "0.8300", "challenger", "randomised", "exp-7",
                     "champion=90,challenger=10", "customer_churn version 2", "training run",
                     "report hub"):  # fmt: skip
        assert expected in text, expected
    assert "outcome" in text and "not known yet" not in text
    with pytest.raises(TraceError, match="no prediction with request_id 'nope'"):
        trace(client, tmp_path / "predictions.db", "nope")
    with pytest.raises(TraceError, match="no prediction log at"):
        trace(client, tmp_path / "missing.db", "req-1")
