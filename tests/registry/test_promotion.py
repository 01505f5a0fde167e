import pytest

from mlcycle.registry.promotion import decide_promotion


def test_first_model_becomes_champion():
    d = decide_promotion("roc_auc", 0.7, None, gate_passed=True)
    assert d.promote and "first model" in d.reason


def test_gate_failure_blocks_promotion_even_without_champion():
    assert not decide_promotion("roc_auc", 0.99, None, gate_passed=False).promote


@pytest.mark.parametrize(
    "metric, challenger, champion, margin, promote",
    [
        ("roc_auc", 0.91, 0.90, 0.0, True),
        ("roc_auc", 0.90, 0.90, 0.0, False),  # a tie keeps the champion
        ("roc_auc", 0.89, 0.90, 0.0, False),
        ("roc_auc", 0.905, 0.90, 0.01, False),  # not by the required margin
        ("roc_auc", 0.92, 0.90, 0.01, True),
        ("log_loss", 0.30, 0.35, 0.0, True),  # lower is better
        ("log_loss", 0.34, 0.35, 0.02, False),
        ("log_loss", 0.40, 0.35, 0.0, False),
    ],
)
def test_challenger_must_beat_the_champion(metric, challenger, champion, margin, promote):
    d = decide_promotion(metric, challenger, champion, gate_passed=True, min_improvement=margin)
    assert d.promote is promote
    assert f"{challenger:.4f}" in d.reason and f"{champion:.4f}" in d.reason


def test_an_error_metric_promotes_the_lower_never_the_higher():
    """A regressor with a higher error is never promoted, whatever the margin's sign."""
    worse = decide_promotion("rmse", 12.0, 10.0, gate_passed=True)
    assert not worse.promote and "does not beat" in worse.reason
    better = decide_promotion("rmse", 9.0, 10.0, gate_passed=True)
    assert better.promote
    assert not decide_promotion("rmse", 9.5, 10.0, gate_passed=True, min_improvement=1.0).promote
    assert decide_promotion("mae", 8.9, 10.0, gate_passed=True, min_improvement=1.0).promote
    assert not decide_promotion("r2", 0.6, 0.7, gate_passed=True).promote  # higher is better
