"""mlcycle batch INPUT OUTPUT: score a Parquet or CSV file with a registered model."""

from __future__ import annotations

import argparse
import os
import sys

from mlcycle.batch.score import load_registered, score_file
from mlcycle.cli.common import add_env_options, settings_of
from mlcycle.config import load_dataset_config
from mlcycle.registry.aliases import CHAMPION


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="mlcycle batch",
        description="Score a Parquet or CSV file (local path or fsspec URI such as s3://) with "
        "the registered model behind an alias; write Parquet with the id, the prediction "
        "(0/1 with its probability, a class with every class's probability, or a number, by "
        "the model's task), model name and version and scoring time. Rows that cannot be "
        "scored go to a rejects file with the reason; the outputs appear only when complete.",
    )
    parser.add_argument("input", help="Parquet or CSV file with the id and feature columns")
    parser.add_argument("output", help="Parquet file to write (replaced only when complete)")
    parser.add_argument("--alias", default=CHAMPION, help="registry alias (default: champion)")
    parser.add_argument("--model-name", help="registered model (default: the dataset's name)")
    parser.add_argument("--dataset", help="dataset config naming the columns (default: the "
                        "setting 'dataset')")  # fmt: skip
    parser.add_argument("--tracking-uri", help="MLflow tracking store and registry (default: "
                        "the setting 'tracking_uri')")  # fmt: skip
    parser.add_argument("--rejects", help="rejects file (default: OUTPUT's stem.rejects.parquet)")
    parser.add_argument("--summary", help="summary JSON (default: OUTPUT's stem.summary.json)")
    parser.add_argument("--format", choices=["parquet", "csv"], help="default: from the suffix")
    parser.add_argument("--batch-size", type=int, help="rows per batch (default: the setting)")
    parser.add_argument("--jobs", type=int, default=-1, help="scikit-learn n_jobs (-1: all cores)")
    parser.add_argument("--engine", choices=["local", "spark"], default="local")
    parser.add_argument(
        "--spark-master",
        default=os.environ.get("SPARK_MASTER", "local[*]"),
        help="Spark master URL for --engine spark (default: $SPARK_MASTER or local[*])",
    )
    add_env_options(parser)
    return parser.parse_known_args(argv)


def main(argv: list[str] | None = None) -> int:
    from mlcycle.environment import apply_quiet_defaults

    args, rest = parse_args(argv)
    settings = settings_of(args, rest)
    args.dataset = args.dataset or str(settings.dataset)
    args.tracking_uri = args.tracking_uri or settings.tracking_uri
    args.batch_size = args.batch_size or settings.batch_size
    apply_quiet_defaults()
    config = load_dataset_config(args.dataset)
    name = args.model_name or config.model_name
    try:
        if args.engine == "spark":
            from mlcycle.batch.spark import score_file_spark

            summary = score_file_spark(
                args.input, args.output, args.tracking_uri, name, args.alias, config,
                rejects_path=args.rejects, summary_path=args.summary, fmt=args.format,
                master=args.spark_master,
            )  # fmt: skip
        else:
            model = load_registered(args.tracking_uri, name, args.alias, args.jobs)
            summary = score_file(
                args.input, args.output, model, config, args.rejects, args.summary,
                args.batch_size, args.format,
            )  # fmt: skip
    except (LookupError, ValueError, RuntimeError) as exc:
        print(f"batch scoring failed: {exc}", file=sys.stderr)
        return 2
    print(
        f"scored {summary.rows_scored:,} of {summary.rows_read:,} rows with {name} "
        f"v{summary.model_version} ({summary.alias}) in {summary.seconds:.1f} s "
        f"({summary.rows_per_second:,.0f} rows/s) -> {summary.output}"
    )
    if summary.rows_rejected:
        print(f"rejected {summary.rows_rejected:,} rows -> {summary.rejects}")
        for reason, count in sorted(summary.reasons.items(), key=lambda kv: -kv[1]):
            print(f"  {count:>9,}  {reason}")
    return 0
