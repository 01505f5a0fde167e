from mlcycle.features.table import build_model_table
from mlcycle.optimize.latency import compare_runtimes
from mlcycle.optimize.onnx_export import to_onnx
from mlcycle.training.train import features_and_target, fit


def test_both_runtimes_are_measured_on_the_same_rows(churn_config, tiny_data):
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    model = fit(table, churn_config, "random_forest", {"n_estimators": 10, "n_jobs": 2})
    X = features_and_target(table, churn_config).X
    result = compare_runtimes(
        model, to_onnx(model, churn_config), X, churn_config, batch_rows=50,
        single_repeats=5, batch_repeats=2,
    )  # fmt: skip
    assert list(result.index) == ["scikit-learn", "ONNX Runtime"]
    assert list(result.columns) == [
        "model_bytes", "single_row_ms", "batch_50_ms", "batch_rows_per_s",
    ]  # fmt: skip
    assert (result > 0).all().all()
    assert model.steps[-1][1].n_jobs == 2  # measured on a copy set to one thread
