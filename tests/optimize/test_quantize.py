import onnx
import pytest

from mlcycle.features.table import build_model_table
from mlcycle.optimize.quantize import log_study, quantization_study, quantize_dynamic_int8
from mlcycle.training.train import features_and_target


@pytest.fixture(scope="module")
def study(churn_config, tiny_data):
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    test = features_and_target(table.iloc[300:], churn_config)
    return quantization_study(table.iloc[:300], test.X, test.y, churn_config)


def test_the_int8_model_is_smaller_and_close_to_the_float_one(study):
    assert len(study.int8_onnx) < len(study.float_onnx) and study.size_ratio < 1
    table = study.table
    assert list(table.index) == ["scikit-learn MLP", "ONNX float32", "ONNX int8 (dynamic)"]
    assert table.loc["ONNX float32", "max_abs_diff_vs_sklearn"] < 1e-4
    # int8 changes the numbers a little, not the model
    assert 0 < table.loc["ONNX int8 (dynamic)", "max_abs_diff_vs_sklearn"] < 0.15
    assert (
        abs(table.loc["ONNX int8 (dynamic)", "accuracy"] - table.loc["ONNX float32", "accuracy"])
        < 0.05
    )


def test_quantization_rewrites_matrix_multiplications_to_int8(study):
    ops = {node.op_type for node in onnx.load_from_string(study.int8_onnx).graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeLinear" in ops
    float_ops = {node.op_type for node in onnx.load_from_string(study.float_onnx).graph.node}
    assert "MatMulInteger" not in float_ops


def test_a_forest_has_nothing_to_quantize(churn_config, tiny_data):
    """What the report says plainly: tree ensembles keep float TreeEnsemble nodes."""
    from mlcycle.optimize.onnx_export import to_onnx
    from mlcycle.training.train import fit

    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    forest = to_onnx(fit(table, churn_config, "random_forest", {"n_estimators": 5}), churn_config)
    ops = {node.op_type for node in onnx.load_from_string(quantize_dynamic_int8(forest)).graph.node}
    assert "MatMulInteger" not in ops and any(op.startswith("TreeEnsemble") for op in ops)


def test_the_study_is_logged_as_its_own_run(study, mlflow_store, tmp_path):
    import mlflow

    experiment = mlflow.create_experiment("q", (tmp_path / "q").as_uri())  # not ./mlruns
    run_id = log_study(study, experiment, "customer_churn", "3")
    run = mlflow.MlflowClient().get_run(run_id)
    assert run.data.metrics["int8_bytes"] == len(study.int8_onnx)
    assert run.data.metrics["int8_accuracy"] == pytest.approx(study.table["accuracy"].iloc[2])
    assert run.data.tags["compared_with"] == "customer_churn v3"
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "onnx")}
    assert artifacts == {"onnx/mlp_float32.onnx", "onnx/mlp_int8.onnx"}
