import pytest

from mlcycle.training.selection import SelectionError, rank_candidates


def run(**metrics):
    return {"run_id": "r", "valid_metrics": metrics}


def test_the_best_on_validation_first_nan_last_ties_in_grid_order():
    grid = {"candidate-0": run(roc_auc=0.80), "candidate-1": run(roc_auc=float("nan")),
            "candidate-2": run(roc_auc=0.90), "candidate-3": run(roc_auc=0.90)}  # fmt: skip
    ranked = [name for name, _ in rank_candidates(grid, "roc_auc")]
    assert ranked == ["candidate-2", "candidate-3", "candidate-0", "candidate-1"]


def test_lower_is_better_metrics_rank_the_other_way():
    grid = {"candidate-0": run(log_loss=0.4), "candidate-1": run(log_loss=0.3)}
    assert rank_candidates(grid, "log_loss")[0][0] == "candidate-1"


def test_a_missing_metric_or_an_empty_grid_is_named():
    with pytest.raises(SelectionError, match=r"candidate 'candidate-0' has no validation 'mcc'"):
        rank_candidates({"candidate-0": run(roc_auc=0.8)}, "mcc")
    with pytest.raises(SelectionError, match="trained no candidate"):
        rank_candidates({}, "roc_auc")
