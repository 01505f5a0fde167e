"""Export the scikit-learn pipeline to ONNX and prove it predicts the same.

ONNX Runtime answers a single row several times faster than scikit-learn, but it computes in
float32: tree probabilities can move by a few hundredths. So every export is parity-checked
on held-out rows and only a version that passes is served through ONNX Runtime; anything else
falls back to scikit-learn. Parity by task: a classifier's largest |Δp| over every class's
probability and the share of identical labels; a regressor's largest |Δ| relative to the
spread (standard deviation) of its predictions, and the share of rows within that bound.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, REGRESSION, Task

MISSING = ""  # how a missing category travels in ONNX (strings cannot be NaN)


@dataclass(frozen=True)
class Parity:
    rows: int
    max_abs_diff: float
    label_agreement: float
    max_allowed_diff: float
    min_agreement: float
    task: str = BINARY  # regression: differences relative to the predictions' spread

    @property
    def passed(self) -> bool:
        return (
            self.max_abs_diff <= self.max_allowed_diff
            and self.label_agreement >= self.min_agreement
        )

    def to_dict(self) -> dict:
        return asdict(self) | {"passed": self.passed}


def to_onnx(pipeline: object, config: DatasetConfig) -> bytes:
    """The pipeline as ONNX: one input per feature; probabilities out (ZipMap off) for a
    classifier, the predicted number (`variable`) for a regressor."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    from mlcycle.optimize import boosting_converter

    boosting_converter.register()
    model = copy.deepcopy(pipeline)
    preprocess = model.named_steps["preprocess"]
    for name, transformer, _ in preprocess.transformers_:
        if name == "categorical":  # same constant fill, with a marker ONNX strings can carry
            transformer.named_steps["impute"].missing_values = MISSING
    inputs = [(n, FloatTensorType([None, 1])) for n in config.numeric_names]
    inputs += [(n, StringTensorType([None, 1])) for n in config.categorical_names]
    from sklearn.base import is_classifier

    estimator = model.steps[-1][1]
    options = {id(estimator): {"zipmap": False}} if is_classifier(estimator) else None
    onx = convert_sklearn(model, initial_types=inputs, options=options, target_opset=17)
    return onx.SerializeToString()


def session(onnx_bytes: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one request, one core: no thread start-up per call
    options.inter_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def feeds(frame: pd.DataFrame, config: DatasetConfig) -> dict[str, np.ndarray]:
    out = {n: frame[n].to_numpy(dtype=np.float32).reshape(-1, 1) for n in config.numeric_names}
    for n in config.categorical_names:
        values = frame[n].to_numpy(dtype=object)
        out[n] = np.array(
            [MISSING if v is None or v != v else str(v) for v in values], dtype=object
        ).reshape(-1, 1)
    return out


def record_feeds(records: list[dict], config: DatasetConfig) -> dict[str, np.ndarray]:
    """Feeds straight from request rows (dicts): no DataFrame on the service's hot path."""
    out = {
        n: np.array([[r[n]] for r in records], dtype=np.float32) for n in config.numeric_names
    }  # None becomes NaN, which the ONNX imputer fills like scikit-learn's
    for n in config.categorical_names:
        out[n] = np.array([[MISSING if r[n] is None else str(r[n])] for r in records], dtype=object)
    return out


def onnx_positive_proba(sess, frame: pd.DataFrame, config: DatasetConfig) -> np.ndarray:
    return sess.run(["probabilities"], feeds(frame, config))[0][:, 1]


def onnx_records_output(
    sess, records: list[dict], config: DatasetConfig, task: Task = BINARY
) -> np.ndarray:
    """Request rows through the ONNX model: positive probabilities (binary), a probability
    per class in the model's class order (multiclass), or numbers (regression)."""
    if task == REGRESSION:
        return sess.run(["variable"], record_feeds(records, config))[0][:, 0]
    proba = sess.run(["probabilities"], record_feeds(records, config))[0]
    return proba[:, 1] if task == BINARY else proba


def onnx_output(
    sess, frame: pd.DataFrame, config: DatasetConfig, task: Task = BINARY, classes=()
) -> np.ndarray | pd.DataFrame:
    """The ONNX model's output as `model_output` gives scikit-learn's: positive
    probabilities, probabilities per class (columns: `classes`, the model's order) or numbers."""
    if task == BINARY:
        return onnx_positive_proba(sess, frame, config)
    if task == REGRESSION:
        return sess.run(["variable"], feeds(frame, config))[0][:, 0]
    proba = sess.run(["probabilities"], feeds(frame, config))[0]
    return pd.DataFrame(proba, columns=[str(c) for c in classes], index=frame.index)


def check_parity(
    pipeline: object,
    sess,
    X: pd.DataFrame,
    config: DatasetConfig,
    max_allowed_diff: float = 0.05,
    min_agreement: float = 0.99,
    task: Task = BINARY,
) -> Parity:
    """ONNX Runtime against scikit-learn on the same rows, by task (see the module)."""
    if task == REGRESSION:
        want = np.asarray(pipeline.predict(X), dtype=float)
        got = np.asarray(onnx_output(sess, X, config, task), dtype=float)
        scale = float(np.std(want)) or 1.0  # a constant model: differences in its own units
        relative = np.abs(got - want) / scale
        return Parity(
            rows=len(X),
            max_abs_diff=float(relative.max()),
            label_agreement=float((relative <= max_allowed_diff).mean()),
            max_allowed_diff=max_allowed_diff,
            min_agreement=min_agreement,
            task=task,
        )
    p_sklearn = pipeline.predict_proba(X)
    p_onnx = sess.run(["probabilities"], feeds(X, config))[0]
    if task == BINARY:  # the label is p >= 0.5, as the service and batch scoring decide it
        same = (p_onnx[:, 1] >= 0.5) == (p_sklearn[:, 1] >= 0.5)
    else:
        same = p_onnx.argmax(axis=1) == p_sklearn.argmax(axis=1)
    return Parity(
        rows=len(X),
        max_abs_diff=float(np.abs(p_onnx - p_sklearn).max()),
        label_agreement=float(same.mean()),
        max_allowed_diff=max_allowed_diff,
        min_agreement=min_agreement,
        task=task,
    )


@dataclass(frozen=True)
class Export:
    onnx: bytes | None  # None when conversion was impossible
    parity: Parity | None
    reason: str  # why it is or is not served through ONNX Runtime

    @property
    def usable(self) -> bool:
        return self.onnx is not None and self.parity is not None and self.parity.passed


def export(
    pipeline: object,
    X: pd.DataFrame,
    config: DatasetConfig,
    task: Task = BINARY,
    **limits: float,
) -> Export:
    """Convert and parity-check; a failure of either is a recorded reason, never a crash."""
    try:
        onnx_bytes = to_onnx(pipeline, config)
        sess = session(onnx_bytes)
    except Exception as exc:  # skl2onnx cannot convert every estimator
        return Export(None, None, f"conversion impossible: {type(exc).__name__}: {exc}"[:500])
    parity = check_parity(pipeline, sess, X, config, task=task, **limits)
    verdict = "parity passed" if parity.passed else "parity FAILED: scikit-learn is served"
    measured = (
        ("max |d|/std", "rows within it") if task == REGRESSION else ("max |dp|", "label agreement")
    )
    return Export(
        onnx_bytes,
        parity,
        f"{verdict} on {parity.rows} rows: {measured[0]} {parity.max_abs_diff:.4f} "
        f"(allowed {parity.max_allowed_diff}), {measured[1]} {parity.label_agreement:.4f} "
        f"(required {parity.min_agreement})",
    )
