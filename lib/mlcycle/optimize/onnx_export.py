"""Export the scikit-learn pipeline to ONNX and prove it predicts the same.

ONNX Runtime answers a single row several times faster than scikit-learn, but it computes in
float32: tree probabilities can move by a few hundredths. So every export is parity-checked
on held-out rows (max |Δp| and label agreement) and only a version that passes is served
through ONNX Runtime; anything else falls back to scikit-learn.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig

MISSING = ""  # how a missing category travels in ONNX (strings cannot be NaN)


@dataclass(frozen=True)
class Parity:
    rows: int
    max_abs_diff: float
    label_agreement: float
    max_allowed_diff: float
    min_agreement: float

    @property
    def passed(self) -> bool:
        return (
            self.max_abs_diff <= self.max_allowed_diff
            and self.label_agreement >= self.min_agreement
        )

    def to_dict(self) -> dict:
        return asdict(self) | {"passed": self.passed}


def to_onnx(pipeline: object, config: DatasetConfig) -> bytes:
    """The pipeline as ONNX: one input per feature, probabilities out (ZipMap off)."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    model = copy.deepcopy(pipeline)
    preprocess = model.named_steps["preprocess"]
    for name, transformer, _ in preprocess.transformers_:
        if name == "categorical":  # same constant fill, with a marker ONNX strings can carry
            transformer.named_steps["impute"].missing_values = MISSING
    inputs = [(n, FloatTensorType([None, 1])) for n in config.numeric_names]
    inputs += [(n, StringTensorType([None, 1])) for n in config.categorical_names]
    classifier = model.steps[-1][1]
    onx = convert_sklearn(
        model, initial_types=inputs, options={id(classifier): {"zipmap": False}}, target_opset=17
    )
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


def onnx_records_proba(sess, records: list[dict], config: DatasetConfig) -> np.ndarray:
    return sess.run(["probabilities"], record_feeds(records, config))[0][:, 1]


def check_parity(
    pipeline: object,
    sess,
    X: pd.DataFrame,
    config: DatasetConfig,
    max_allowed_diff: float = 0.05,
    min_agreement: float = 0.99,
) -> Parity:
    p_sklearn = pipeline.predict_proba(X)[:, 1]
    p_onnx = onnx_positive_proba(sess, X, config)
    return Parity(
        rows=len(X),
        max_abs_diff=float(np.abs(p_onnx - p_sklearn).max()),
        label_agreement=float(((p_onnx >= 0.5) == (p_sklearn >= 0.5)).mean()),
        max_allowed_diff=max_allowed_diff,
        min_agreement=min_agreement,
    )


@dataclass(frozen=True)
class Export:
    onnx: bytes | None  # None when conversion was impossible
    parity: Parity | None
    reason: str  # why it is or is not served through ONNX Runtime

    @property
    def usable(self) -> bool:
        return self.onnx is not None and self.parity is not None and self.parity.passed


def export(pipeline: object, X: pd.DataFrame, config: DatasetConfig, **limits: float) -> Export:
    """Convert and parity-check; a failure of either is a recorded reason, never a crash."""
    try:
        onnx_bytes = to_onnx(pipeline, config)
        sess = session(onnx_bytes)
    except Exception as exc:  # skl2onnx cannot convert every estimator
        return Export(None, None, f"conversion impossible: {type(exc).__name__}: {exc}"[:500])
    parity = check_parity(pipeline, sess, X, config, **limits)
    verdict = "parity passed" if parity.passed else "parity FAILED: scikit-learn is served"
    return Export(
        onnx_bytes,
        parity,
        f"{verdict} on {parity.rows} rows: max |dp| {parity.max_abs_diff:.4f} "
        f"(allowed {parity.max_allowed_diff}), label agreement {parity.label_agreement:.4f} "
        f"(required {parity.min_agreement})",
    )
