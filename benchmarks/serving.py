"""This service against `mlflow models serve` and against the framework's floor, side by side.

Servers run as their own process on loopback with one uvicorn worker each: this service,
`mlflow models serve` on the same registered model, and a validated no-op endpoint on the same
uvicorn (benchmarks/serving_floor.py: the request schema, no model, no log). Each gets the same
rows, one row per request, from the same client, after a warm-up at every concurrency level:
requests/s and p50/p99 latency, the error count (which must be zero), and how far the two
models' probabilities differ. Then the same service with two workers (`workers: 2`), with
`log_sync: normal` (its SQLite log committed without an fsync each: the disk's share), and the
same service process answering by customer id (features read from the online store), one per
request and as one batch of `--id-batch` ids (one online-store read).

    .venv/bin/python benchmarks/serving.py            # after `make run` built the registry
    .venv/bin/python benchmarks/serving.py --requests 2000 --concurrency 1 10 20

Targets: p50 at most 2x the floor's at concurrency 1 and 10; at least 5x the throughput of
`mlflow models serve` on one worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    server: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float


def sample_rows(config_path: Path, n: int, seed: int) -> list[dict]:
    """Fresh customers from the generator (not the training seed), as model-input rows."""
    from mlcycle.config import load_dataset_config
    from mlcycle.data.generator import generate_customers
    from mlcycle.features.table import build_model_table
    from mlcycle.training.train import features_and_target

    config = load_dataset_config(config_path)
    data = generate_customers(n, snapshot_date="2026-06-30", seed=seed)
    X = features_and_target(build_model_table(data.customers, data.events, config), config).X
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in json.loads(X.to_json(orient="records"))
    ]


def load(port: int, path: str, bodies: list[bytes], concurrency: int, total: int) -> Run:
    """`total` POSTs over `concurrency` keep-alive connections; latency per request."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], 0
        headers = {"Content-Type": "application/json"}
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            started = time.perf_counter()
            try:
                conn.request("POST", path, bodies[i % len(bodies)], headers)
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - started)
            bad += not ok
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return Run(
        server="",
        concurrency=concurrency,
        requests=total,
        errors=errors,
        seconds=round(seconds, 2),
        requests_per_s=round(total / seconds, 1),
        p50_ms=round(float(np.percentile(ms, 50)), 2),
        p99_ms=round(float(np.percentile(ms, 99)), 2),
    )


def post(port: int, path: str, body: bytes) -> object:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    payload = json.loads(r.read())
    conn.close()
    if r.status != 200:
        raise SystemExit(f"{path} answered {r.status}: {payload}")
    return payload


def main(argv: list[str] | None = None) -> int:
    from mlcycle.settings import load_settings

    settings = load_settings(PROJECT)  # the build's store and dataset (env.yaml, $ENV_FILE, ...)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracking-uri", default=settings.tracking_uri)
    parser.add_argument("--dataset", default=str(settings.dataset))
    parser.add_argument("--model-name", default=None, help="default: the dataset's name")
    parser.add_argument("--requests", type=int, default=1000, help="per concurrency level")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10])
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="requests before each measured level (default: a fifth, at least 50)",
    )
    parser.add_argument("--rows", type=int, default=500, help="distinct rows to cycle through")
    parser.add_argument("--id-batch", type=int, default=1000, help="customer ids in one batch")
    parser.add_argument("--products", default=str(settings.products), help="the build's")
    parser.add_argument("--out", default=str(settings.products / "benchmarks" / "serving.json"))
    args = parser.parse_args(argv)
    warmup = max(50, args.requests // 5) if args.warmup is None else args.warmup

    from mlcycle.config import load_dataset_config
    from mlcycle.environment import apply_quiet_defaults
    from mlcycle.serving.launch import free_port, running
    from mlcycle.tracking import connect

    apply_quiet_defaults()
    config = load_dataset_config(args.dataset)
    name = args.model_name or config.model_name
    client = connect(args.tracking_uri)
    try:
        champion = client.get_model_version_by_alias(name, "champion")
    except Exception as exc:  # noqa: BLE001 - any registry miss means the same thing here
        raise SystemExit(
            f"no champion of '{name}' in {args.tracking_uri}: run `make run` first ({exc})"
        ) from None
    onnx = champion.tags.get("onnx.parity", "not exported")
    print(f"model {name} v{champion.version} (ONNX parity: {onnx})", flush=True)

    rows = sample_rows(Path(args.dataset), args.rows, seed=2027)
    ours = [json.dumps({"features": r, "user_id": f"u{i}"}).encode() for i, r in enumerate(rows)]
    theirs = [json.dumps({"dataframe_records": [r]}).encode() for r in rows]
    import pandas as pd

    products = Path(args.products)
    served_ids = pd.read_parquet(products / "data" / "training" / "test.parquet")
    ids = [str(i) for i in served_ids[config.id].head(max(args.rows, args.id_batch))]
    by_id = [json.dumps({"customer_id": c, "user_id": c}).encode() for c in ids]

    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        service_env = {
            "MLFLOW_TRACKING_URI": args.tracking_uri,
            "MLCYCLE_DATASET": args.dataset,
            "MLCYCLE_MODEL_NAME": name,
            "MLCYCLE_PREDICTION_LOG": str(work / "predictions.db"),
            "MLCYCLE_RELOAD_SECONDS": "0",
            "MLCYCLE_PROJECT": str(PROJECT),
            "MLCYCLE_PRODUCTS": str(products),  # the online store's, for requests by id
        }
        serve = [sys.executable, "-m", "mlcycle.cli.main", "serve"]
        # each server as a process, and the loads it answers (by id: the same service process)
        servers = {
            OURS: (serve, service_env, "/ready", [(OURS, "/predict", ours),
                                                  (BY_ID, "/predict", by_id)]),
            FLOOR: (
                [sys.executable, str(PROJECT / "benchmarks" / "serving_floor.py")],
                {"MLCYCLE_DATASET": args.dataset},
                "/ready",
                [(FLOOR, "/predict", ours)],
            ),
            THEIRS: (
                [
                    sys.executable, "-m", "mlflow", "models", "serve",
                    "-m", f"models:/{name}@champion", "--env-manager", "local",
                    "-h", "127.0.0.1", "--workers", "1",
                ],
                {
                    "MLFLOW_TRACKING_URI": args.tracking_uri,
                    "MLFLOW_REGISTRY_URI": args.tracking_uri,
                    # it runs `uvicorn` from PATH: this interpreter's
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                },
                "/ping",
                [(THEIRS, "/invocations", theirs)],
            ),
            TWO_WORKERS: (serve, {**service_env, "MLCYCLE_WORKERS": "2"}, "/ready",
                          [(TWO_WORKERS, "/predict", ours)]),
            NORMAL_SYNC: (serve, {**service_env, "MLCYCLE_LOG_SYNC": "normal"}, "/ready",
                          [(NORMAL_SYNC, "/predict", ours)]),
        }  # fmt: skip
        probabilities: dict[str, list[float]] = {}
        for server, (command, env, ready, loads) in servers.items():
            port = free_port()
            if server == THEIRS:
                command = [*command, "-p", str(port)]
            env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "MLCYCLE_HOST": "127.0.0.1",
                   "MLCYCLE_PORT": str(port)}  # fmt: skip
            log = work / f"{re.sub(r'[^a-z0-9]+', '-', server.lower()).strip('-')}.log"
            with running(command, f"http://127.0.0.1:{port}{ready}", log, env=env, timeout=180):
                for label, path, bodies in loads:
                    if label in (OURS, THEIRS):
                        probabilities[label] = [
                            _probability(post(port, path, body)) for body in bodies[:50]
                        ]
                    if label == BY_ID:
                        id_batch = _id_batch(port, ids[: args.id_batch])
                    for c in args.concurrency:
                        load(port, path, bodies, c, warmup)
                        run = load(port, path, bodies, c, args.requests)
                        run.server = label
                        runs.append(run)
                        print(
                            f"  {label:24} c={c:<3} {run.requests_per_s:8.1f} req/s  "
                            f"p50 {run.p50_ms:7.2f} ms  p99 {run.p99_ms:7.2f} ms  "
                            f"errors {run.errors}",
                            flush=True,
                        )

    ours_p, theirs_p = probabilities[OURS], probabilities[THEIRS]
    report = _report(runs, max(abs(a - b) for a, b in zip(ours_p, theirs_p, strict=True)),
                     id_batch)  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(report["table"])
    print(f"figures written to {args.out}")
    return 0 if report["errors"] == 0 else 1


OURS, FLOOR, THEIRS = "mlcycle (this service)", "floor (validated no-op)", "mlflow models serve"
TWO_WORKERS, BY_ID = "mlcycle, 2 workers", "mlcycle by customer id"
NORMAL_SYNC = "mlcycle, log_sync normal"


def _id_batch(port: int, ids: list[str]) -> dict:
    """One /predict/batch of customer ids: one online-store read for all of them."""
    body = json.dumps({"items": [{"customer_id": c} for c in ids]}).encode()
    post(port, "/predict/batch", body)  # warm: the store opened, the model in cache
    started = time.perf_counter()
    answers = post(port, "/predict/batch", body)
    seconds = time.perf_counter() - started
    answered = sum(1 for a in answers if "request_id" in a)
    return {"ids": len(ids), "answered": answered, "seconds": round(seconds, 3),
            "ms_per_id": round(1000 * seconds / len(ids), 3)}  # fmt: skip


def _probability(answer: object) -> float:
    if isinstance(answer, dict) and "probability" in answer:
        return float(answer["probability"])
    predictions = answer["predictions"] if isinstance(answer, dict) else answer
    first = predictions[0]
    return float(first[1] if isinstance(first, list) else first["1"])


def _report(runs: list[Run], max_diff: float, id_batch: dict) -> dict:
    lines = [
        "| concurrency | server | requests/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    speedups, over_floor, two_workers, normal_over_floor = {}, {}, {}, {}
    for c in sorted({r.concurrency for r in runs}):
        at = {r.server: r for r in runs if r.concurrency == c}
        speedups[c] = round(at[OURS].requests_per_s / at[THEIRS].requests_per_s, 1)
        over_floor[c] = round(at[OURS].p50_ms / at[FLOOR].p50_ms, 2)
        normal_over_floor[c] = round(at[NORMAL_SYNC].p50_ms / at[FLOOR].p50_ms, 2)
        two_workers[c] = round(at[TWO_WORKERS].requests_per_s / at[THEIRS].requests_per_s, 1)
        for r in at.values():
            lines.append(
                f"| {c} | {r.server} | {r.requests_per_s:.0f} | {r.p50_ms:.2f} | "
                f"{r.p99_ms:.2f} | {r.errors} |"
            )
    lines.append("")
    lines.append(
        "p50 over the floor's (target at most 2x): "
        + ", ".join(f"{s}x at concurrency {c}" for c, s in over_floor.items())
        + " (with log_sync normal, no fsync a commit: "
        + ", ".join(f"{s}x at concurrency {c}" for c, s in normal_over_floor.items())
        + "). Throughput over mlflow models serve (target at least 5x): "
        + ", ".join(f"{s}x at concurrency {c}" for c, s in speedups.items())
        + "; with two workers: "
        + ", ".join(f"{s}x at concurrency {c}" for c, s in two_workers.items())
        + f". Largest probability difference between the two models: {max_diff:.4f}. "
        + f"One batch of {id_batch['ids']} customer ids: {id_batch['seconds']} s "
        + f"({id_batch['ms_per_id']} ms an id, {id_batch['answered']} answered)."
    )
    return {
        "runs": [asdict(r) for r in runs],
        "speedup": speedups,
        "two_workers_speedup": two_workers,
        "customer_id_batch": id_batch,
        "p50_over_floor": over_floor,
        "p50_over_floor_log_sync_normal": normal_over_floor,
        "errors": sum(r.errors for r in runs),
        "max_probability_difference": max_diff,
        "median_speedup": statistics.median(speedups.values()),
        "table": "\n".join(lines),
    }


if __name__ == "__main__":
    sys.exit(main())
