"""Dynamic int8 quantization with ONNX Runtime, and what it costs in size and accuracy.

ONNX Runtime's quantization rewrites matrix multiplications (and convolutions) to int8. A
neural network is made of those; a tree ensemble is not (TreeEnsemble nodes stay float), so
this applies to the MLP family, not to forests.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig


def quantize_dynamic_int8(onnx_bytes: bytes) -> bytes:
    """Weights to int8, activations quantized on the fly: no calibration data needed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it advises a pre-processing pass at WARNING on every call
    try:
        with tempfile.TemporaryDirectory() as tmp:
            source, target = Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
            source.write_bytes(onnx_bytes)
            quantize_dynamic(source, target, weight_type=QuantType.QInt8)
            return target.read_bytes()
    finally:
        root.setLevel(level)


@dataclass(frozen=True)
class QuantizationStudy:
    float_onnx: bytes
    int8_onnx: bytes
    table: pd.DataFrame  # per variant: size (skops / ONNX bytes), accuracy, ROC AUC, max |Δp|

    @property
    def size_ratio(self) -> float:
        return len(self.int8_onnx) / len(self.float_onnx)


def quantization_study(
    train: pd.DataFrame,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    config: DatasetConfig,
    params: dict | None = None,
) -> QuantizationStudy:
    """Train the small MLP, export it, quantize it; compare the three on the test set."""
    import skops.io

    from mlcycle.optimize.onnx_export import onnx_positive_proba, session, to_onnx
    from mlcycle.training.metrics import classification_metrics
    from mlcycle.training.train import fit

    model = fit(train, config, "mlp", params)
    float_onnx = to_onnx(model, config)
    int8_onnx = quantize_dynamic_int8(float_onnx)
    reference = model.predict_proba(X_test)[:, 1]
    variants = {
        "scikit-learn MLP": (reference, skops.io.dumps(model)),
        "ONNX float32": (onnx_positive_proba(session(float_onnx), X_test, config), float_onnx),
        "ONNX int8 (dynamic)": (onnx_positive_proba(session(int8_onnx), X_test, config), int8_onnx),
    }
    rows = []
    for name, (proba, blob) in variants.items():
        metrics = classification_metrics(y_test, proba)
        rows.append(
            {
                "variant": name,
                "model_bytes": len(blob),
                "accuracy": metrics["accuracy"],
                "roc_auc": metrics["roc_auc"],
                "max_abs_diff_vs_sklearn": float(np.abs(proba - reference).max()),
            }
        )
    return QuantizationStudy(float_onnx, int8_onnx, pd.DataFrame(rows).set_index("variant"))


def log_study(study: QuantizationStudy, experiment_id: str, model_name: str, version: str) -> str:
    """The study as its own MLflow run (metrics, both ONNX files); returns the run id."""
    import mlflow

    with mlflow.start_run(experiment_id=experiment_id, run_name="mlp-int8-quantization") as run:
        mlflow.set_tags(
            {"purpose": "quantization study", "compared_with": f"{model_name} v{version}"}
        )
        keys = dict(zip(study.table.index, ("sklearn", "float32", "int8"), strict=True))
        for variant, row in study.table.iterrows():
            for metric in ("accuracy", "roc_auc"):
                mlflow.log_metric(f"{keys[variant]}_{metric}", float(row[metric]))
        mlflow.log_metrics(
            {
                "float32_bytes": len(study.float_onnx),
                "int8_bytes": len(study.int8_onnx),
                "int8_size_ratio": study.size_ratio,
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            for label, blob in (("mlp_float32", study.float_onnx), ("mlp_int8", study.int8_onnx)):
                path = Path(tmp) / f"{label}.onnx"
                path.write_bytes(blob)
                mlflow.log_artifact(str(path), artifact_path="onnx")
    return run.info.run_id
