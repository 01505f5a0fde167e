import pytest

from mlcycle.training.gate import QualityGateFailed, enforce_gate, evaluate_gate


def test_gate_passes_at_or_above_the_threshold():
    result = evaluate_gate({"accuracy": 0.85}, "accuracy", 0.85)
    assert result.passed
    enforce_gate(result)
    assert "passed" in result.describe()


def test_gate_failure_names_metric_value_and_threshold():
    result = evaluate_gate({"accuracy": 0.8123}, "accuracy", 0.85)
    assert not result.passed
    with pytest.raises(QualityGateFailed) as err:
        enforce_gate(result)
    assert str(err.value) == (
        "Quality gate failed: accuracy = 0.8123 on the test set is below the threshold 0.85. "
        "The model was not registered."
    )


def test_lower_is_better_metrics_and_nan():
    assert evaluate_gate({"log_loss": 0.3}, "log_loss", 0.4).passed
    failed = evaluate_gate({"log_loss": 0.5}, "log_loss", 0.4)
    with pytest.raises(QualityGateFailed, match="log_loss = 0.5000 on the test set is above"):
        enforce_gate(failed)
    assert not evaluate_gate({"roc_auc": float("nan")}, "roc_auc", 0.5).passed


def test_unknown_gate_metric_is_named():
    with pytest.raises(KeyError, match="gate metric 'auc'"):
        evaluate_gate({"accuracy": 1.0}, "auc", 0.5)
