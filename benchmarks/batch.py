"""Batch scoring end to end against raw in-memory `predict_proba`, at 1M and 10M rows.

For each size, two fresh processes score the same Parquet file with the same registered model
(the champion, scikit-learn with all cores):
  - raw: the whole file loaded into memory first, then one `predict_proba` call, timed alone;
  - end to end: `mlcycle.batch.score` Parquet -> Parquet (read, row checks, score, write
    predictions and rejects, atomic rename), timed whole.
Each reports rows/s and its peak memory (ru_maxrss). The two run in pairs, raw then end to end,
`--pairs` times per size: one run is too noisy to judge on a shared machine, so the ratio is
taken pair by pair and its median reported. Targets: end to end at least 90% of raw
throughput; end-to-end peak memory at the largest size at most 1.5x that at the smallest.

    .venv/bin/python benchmarks/batch.py                 # after `make run`
    .venv/bin/python benchmarks/batch.py --sizes 1000000 3000000 --pairs 5
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def make_input(path: Path, rows: int, dataset: str, seed: int = 2028) -> None:
    """`rows` scoring rows: fresh generator customers (not the training seed), repeated with
    new ids, written chunk by chunk so making 10M rows needs no 10M-row frame."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mlcycle.config import load_dataset_config
    from mlcycle.data.generator import generate_customers
    from mlcycle.features.table import build_model_table

    config = load_dataset_config(dataset)
    data = generate_customers(20_000, snapshot_date="2026-06-30", seed=seed)
    base = build_model_table(data.customers, data.events, config)[
        [config.id, *config.feature_names]
    ].reset_index(drop=True)
    chunk = pa.Table.from_pandas(base, preserve_index=False)
    writer = pq.ParquetWriter(path, chunk.schema)
    done = 0
    while done < rows:
        part = chunk.slice(0, min(len(base), rows - done))
        ids = pa.array(np.char.add("S", np.arange(done, done + part.num_rows).astype(str)))
        writer.write_table(part.set_column(0, config.id, ids), row_group_size=65_536)
        done += part.num_rows
    writer.close()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(
    mode: str, path: str, out: str, tracking_uri: str, dataset: str, batch_size: int
) -> dict:
    from mlcycle.batch.score import load_registered, score_file
    from mlcycle.config import load_dataset_config
    from mlcycle.environment import apply_quiet_defaults

    apply_quiet_defaults()
    config = load_dataset_config(dataset)
    model = load_registered(tracking_uri, config.model_name, "champion", n_jobs=-1)
    if mode == "raw":
        import pandas as pd

        X = pd.read_parquet(path, columns=config.feature_names)
        started = time.perf_counter()
        model.pipeline.predict_proba(X)
        seconds = time.perf_counter() - started
        rows = len(X)
    else:
        started = time.perf_counter()
        summary = score_file(path, out, model, config, batch_size=batch_size)
        seconds = time.perf_counter() - started
        rows = summary.rows_scored
        assert summary.rows_rejected == 0, summary.reasons
    return {"mode": mode, "rows": rows, "seconds": round(seconds, 2),
            "rows_per_s": round(rows / seconds), "peak_mb": round(peak_mb())}  # fmt: skip


def run_worker(mode: str, path: Path, out: Path, args) -> dict:
    command = [sys.executable, __file__, "--worker", mode, str(path), str(out),
               "--tracking-uri", args.tracking_uri, "--dataset", args.dataset,
               "--batch-size", str(args.batch_size)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{mode} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    from mlcycle.settings import load_settings

    settings = load_settings(PROJECT)  # the build's store and dataset (env.yaml, $ENV_FILE, ...)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracking-uri", default=settings.tracking_uri)
    parser.add_argument("--dataset", default=str(settings.dataset))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--pairs", type=int, default=3, help="raw / end-to-end pairs per size")
    parser.add_argument(
        "--batch-size", type=int, default=settings.batch_size, help="rows a batch (the build's)"
    )
    parser.add_argument("--workdir", help="where the generated files go (default: a temp dir)")
    parser.add_argument("--out", default=str(settings.products / "benchmarks" / "batch.json"))
    parser.add_argument(
        "--worker", nargs=3, metavar=("MODE", "INPUT", "OUTPUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        mode, path, out = args.worker
        print(json.dumps(worker(mode, path, out, args.tracking_uri, args.dataset,
                                args.batch_size)))  # fmt: skip
        return 0

    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for size in args.sizes:
            path, out = Path(tmp) / f"in-{size}.parquet", Path(tmp) / f"out-{size}.parquet"
            started = time.perf_counter()
            make_input(path, size, args.dataset)
            print(f"{size:>11,} rows: input written in {time.perf_counter() - started:.0f} s "
                  f"({path.stat().st_size / 1e6:.0f} MB)", flush=True)  # fmt: skip
            for pair in range(args.pairs):
                for mode in ("raw", "end_to_end"):
                    r = run_worker(mode, path, out, args) | {"size": size, "pair": pair}
                    results.append(r)
                    print(f"{'':>17}{mode:11} {r['rows_per_s']:>10,} rows/s  "
                          f"{r['seconds']:7.1f} s  peak {r['peak_mb']:>7,} MB",
                          flush=True)  # fmt: skip
            path.unlink()
            out.unlink()

    def median(size: int, mode: str, key: str) -> float:
        return statistics.median(r[key] for r in results if (r["size"], r["mode"]) == (size, mode))

    ratios = {}
    lines = ["| rows | raw predict_proba rows/s | end to end rows/s | end to end / raw "
             "(median of pairs) | raw peak MB | end-to-end peak MB |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for size in args.sizes:
        runs = {(r["pair"], r["mode"]): r for r in results if r["size"] == size}
        ratios[size] = statistics.median(
            runs[(i, "end_to_end")]["rows_per_s"] / runs[(i, "raw")]["rows_per_s"]
            for i in range(args.pairs)
        )
        lines.append(f"| {size:,} | {median(size, 'raw', 'rows_per_s'):,.0f} | "
                     f"{median(size, 'end_to_end', 'rows_per_s'):,.0f} | {ratios[size]:.0%} | "
                     f"{median(size, 'raw', 'peak_mb'):,.0f} | "
                     f"{median(size, 'end_to_end', 'peak_mb'):,.0f} |")  # fmt: skip
    small, large = min(args.sizes), max(args.sizes)
    growth = median(large, "end_to_end", "peak_mb") / median(small, "end_to_end", "peak_mb")
    lines.append("")
    lines.append(f"End-to-end peak memory at {large:,} rows is {growth:.2f}x that at {small:,}.")
    table = "\n".join(lines)
    print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    report = {"results": results, "median_ratio": ratios, "memory_growth": growth,
              "table": table}  # fmt: skip
    Path(args.out).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
