"""The same batch scoring on Spark, for inputs that outgrow one machine.

Rows are checked by the same `check_rows` (in `mapInPandas`, partition by partition) and the
good ones scored by the registered model through `mlflow.pyfunc.spark_udf`; the output has
the same columns, values and rejects as the single-machine path. Spark writes its output as a
directory of part files, committed by Spark's own output committer (a `_SUCCESS` marker once
complete), into a temporary directory renamed into place at the end.

Needs the `spark` extra (pyspark) and Java 17+. `--spark-master` picks the cluster
(`local[*]` by default: every core of this machine).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from mlcycle.batch.output import temporary_beside, write_text
from mlcycle.batch.reader import InputSchemaError, input_format
from mlcycle.batch.rows import check_rows
from mlcycle.config import DatasetConfig

REASON, ROW = "_reason", "_row"


def spark_session(master: str = "local[*]"):
    """A session whose Python workers run this interpreter (so they import mlcycle and the
    model's libraries); on a cluster, executors need the project installed the same way."""
    import os
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(master)
        .appName("mlcycle-batch")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .getOrCreate()
    )


def _checked_schema(config: DatasetConfig, id_type) -> Any:
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    fields = [StructField(ROW, LongType()), StructField(REASON, StringType())]
    fields.append(StructField(config.id, id_type))
    fields += [StructField(n, DoubleType()) for n in config.numeric_names]
    fields += [StructField(n, StringType()) for n in config.categorical_names]
    fields += [StructField(f"raw_{c}", StringType()) for c in [config.id, *config.feature_names]]
    return StructType(fields)


def _check_partitions(config: DatasetConfig):
    columns = [config.id, *config.feature_names]

    def check(chunks):
        for chunk in chunks:
            rows = chunk[ROW].to_numpy()
            checked = check_rows(chunk[columns].reset_index(drop=True), config)
            good = checked.frame.copy()
            good[REASON] = None
            good[ROW] = rows[~_rejected_mask(len(chunk), checked)]
            bad = pd.DataFrame({c: checked.rejects[c] for c in columns})
            bad = bad.rename(columns={c: f"raw_{c}" for c in columns})
            bad[REASON] = checked.rejects["reason"].to_numpy()
            bad[ROW] = rows[checked.rejects["row"].to_numpy()]
            bad[config.id] = None
            yield pd.concat([good, bad], ignore_index=True)

    return check


def _rejected_mask(n: int, checked) -> Any:
    import numpy as np

    mask = np.zeros(n, dtype=bool)
    mask[checked.rejects["row"].to_numpy()] = True
    return mask


def score_file_spark(
    input_path: str,
    output_path: str,
    tracking_uri: str,
    model_name: str,
    alias: str,
    config: DatasetConfig,
    rejects_path: str | None = None,
    summary_path: str | None = None,
    fmt: str | None = None,
    master: str = "local[*]",
    spark: Any = None,
):
    """Score `input_path` into the Parquet directory `output_path` with Spark."""
    import mlflow
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, DoubleType, StringType

    from mlcycle.batch.score import Summary, default_paths, resolve_alias
    from mlcycle.registry.trusted import load_trusted
    from mlcycle.task import REGRESSION, task_of

    version = resolve_alias(tracking_uri, model_name, alias)
    # the executors load through pyfunc, which trusts the artifact's own format and type list:
    # the driver loads it first the trusted way, so a pickle or an untrusted type stops here
    pipeline = load_trusted(f"models:/{model_name}/{version}",
                            f"version {version} of '{model_name}'")  # fmt: skip
    task = task_of(pipeline)
    interval = None
    if task == REGRESSION:
        from mlcycle.registry.interval import interval_halfwidth
        from mlcycle.tracking import connect

        interval = interval_halfwidth(connect(tracking_uri), model_name, version)
    default_rejects, default_summary = default_paths(output_path)
    rejects_path, summary_path = rejects_path or default_rejects, summary_path or default_summary
    spark = spark or spark_session(master)
    started = time.perf_counter()
    scored_at = datetime.now(UTC)
    columns = [config.id, *config.feature_names]

    if input_format(input_path, fmt) == "parquet":
        frame = spark.read.parquet(input_path)
    else:  # text, like the local CSV path: the row checks parse it
        frame = spark.read.option("header", True).option("inferSchema", False).csv(input_path)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputSchemaError(
            f"{input_path} lacks column(s) {', '.join(repr(c) for c in missing)} that the "
            f"model needs; it has: {', '.join(frame.columns)}"
        )
    id_type = frame.schema[config.id].dataType
    frame = frame.select(*[F.col(c).cast(StringType()) if c != config.id else F.col(c)
                           for c in columns])  # fmt: skip
    frame = frame.withColumn(ROW, F.monotonically_increasing_id())
    checked = frame.mapInPandas(_check_partitions(config), _checked_schema(config, id_type))
    checked = checked.cache()

    predict = mlflow.pyfunc.spark_udf(
        spark, f"models:/{model_name}/{version}", env_manager="local",
        result_type=DoubleType() if task == REGRESSION else ArrayType(DoubleType()),
    )  # fmt: skip
    good = checked.filter(F.col(REASON).isNull())
    output = predict(F.struct(*[F.col(c) for c in config.feature_names]))
    scored = (
        good.withColumn("_p", output)
        .select(
            ROW,
            config.id,
            *_task_columns(task, [str(c) for c in getattr(pipeline, "classes_", [])], interval),
            F.lit(model_name).alias("model_name"),
            F.lit(version).alias("model_version"),
            F.lit(scored_at.replace(tzinfo=None)).cast("timestamp").alias("scored_at"),
        )
        .orderBy(ROW)
        .drop(ROW)
    )
    rejects = (
        checked.filter(F.col(REASON).isNotNull())
        .select(
            F.col(ROW).alias("row"),
            *[F.col(f"raw_{c}").alias(c) for c in columns],
            F.col(REASON).alias("reason"),
        )
        .orderBy("row")
    )
    _write_atomic(scored, output_path)
    _write_atomic(rejects, rejects_path)
    reasons: dict[str, int] = {}
    reject_reasons = [reason for (reason,) in rejects.select("reason").collect()]
    for reason in reject_reasons:  # "age: below 18 ('12'); bill: missing" -> two problems
        for part in reason.split("; "):
            problem = part.split(" (")[0]
            reasons[problem] = reasons.get(problem, 0) + 1
    n_scored, n_rejected = good.count(), len(reject_reasons)
    checked.unpersist()
    summary = Summary(
        input_path, output_path, rejects_path, model_name, version, alias, "spark",
        scored_at.isoformat(), rows_read=n_scored + n_rejected, rows_scored=n_scored,
        rows_rejected=n_rejected, reasons=reasons,
    )  # fmt: skip
    summary.seconds = round(time.perf_counter() - started, 3)
    summary.rows_per_second = round(summary.rows_read / max(summary.seconds, 1e-9), 1)
    write_text(summary_path, json.dumps(summary.to_dict(), indent=2) + "\n")
    return summary


def _task_columns(task: str, classes: list[str], interval: float | None) -> list[Any]:
    """The output columns of the model's answer `_p`, as the local scorer writes them
    (mlcycle.batch.score.output_schema): 0/1 and the positive class's probability; the
    label, its probability and every class's; or the number, with its interval when known."""
    from pyspark.sql import functions as F

    from mlcycle.batch.score import INTERVAL_COLUMNS, probability_column
    from mlcycle.task import BINARY, REGRESSION

    p = F.col("_p")
    if task == REGRESSION:
        out = [p.alias("prediction")]
        if interval is not None:
            out += [(p - interval).alias(INTERVAL_COLUMNS[0]),
                    (p + interval).alias(INTERVAL_COLUMNS[1])]  # fmt: skip
        return out
    if task == BINARY:
        positive = F.when(p[1] > p[0], 1).otherwise(0).cast("long")
        return [positive.alias("prediction"), p[1].alias("probability")]
    best = F.array_position(p, F.array_max(p))  # 1-based, the first of ties: numpy's argmax
    labels = F.array(*[F.lit(c) for c in classes])
    return [
        F.element_at(labels, best.cast("int")).alias("prediction"),
        F.array_max(p).alias("probability"),
        *[p[j].alias(probability_column(c)) for j, c in enumerate(classes)],
    ]


def _write_atomic(frame, path: str) -> None:
    """Spark writes a directory; write it beside the target, then rename it into place."""
    fs, real, tmp = temporary_beside(path)
    tmp_uri = tmp if "://" not in path else f"{path.split('://')[0]}://{tmp}"
    try:
        frame.write.mode("error").parquet(tmp_uri)
        if fs.exists(real):
            fs.rm(real, recursive=True)
        fs.mv(tmp, real, recursive=True)
    except BaseException:
        if fs.exists(tmp):
            fs.rm(tmp, recursive=True)
        raise
