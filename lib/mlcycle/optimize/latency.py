"""scikit-learn against ONNX Runtime on the same rows: model size, one row, a batch."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.task import BINARY, Task


def _median_seconds(call, repeats: int) -> float:
    call()  # warm-up: first calls allocate
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def compare_runtimes(
    pipeline: object,
    onnx_bytes: bytes,
    X: pd.DataFrame,
    config: DatasetConfig,
    batch_rows: int = 1000,
    single_repeats: int = 100,
    batch_repeats: int = 5,
    task: Task = BINARY,
) -> pd.DataFrame:
    """Median latency of one row and of a `batch_rows` batch, and the serialized size, for
    scikit-learn (`n_jobs=1`, skops bytes) and ONNX Runtime (one thread), one row each."""
    import copy

    import skops.io

    from mlcycle.optimize.onnx_export import onnx_output, session
    from mlcycle.training.train import classes_of, model_output

    model = copy.deepcopy(pipeline)
    if hasattr(model.steps[-1][1], "n_jobs"):
        model.steps[-1][1].n_jobs = 1  # like the service: one request, one core
    sess = session(onnx_bytes)
    row = X.head(1)
    batch = X.sample(batch_rows, replace=len(X) < batch_rows, random_state=0)
    runtimes = {
        "scikit-learn": (len(skops.io.dumps(model)), lambda d: model_output(model, d, task)),
        "ONNX Runtime": (
            len(onnx_bytes),
            lambda d: onnx_output(sess, d, config, task, classes_of(model)),
        ),
    }
    rows = []
    for name, (size, predict) in runtimes.items():
        single = _median_seconds(lambda p=predict: p(row), single_repeats)
        whole = _median_seconds(lambda p=predict: p(batch), batch_repeats)
        rows.append(
            {
                "runtime": name,
                "model_bytes": size,
                "single_row_ms": single * 1000,
                f"batch_{batch_rows}_ms": whole * 1000,
                "batch_rows_per_s": batch_rows / whole,
            }
        )
    return pd.DataFrame(rows).set_index("runtime")
