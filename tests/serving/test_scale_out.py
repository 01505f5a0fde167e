"""Scale-out for real: `mlcycle serve` with two uvicorn workers, the prediction log on
PostgreSQL and the online store on Redis (the servers of tests/conftest.py), under load.

Zero errors; every answered prediction in the log exactly once; /metrics, whichever worker
answers it, counts the predictions of both."""

import dataclasses
import os
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mlcycle.serving.launch import free_port, running
from mlcycle.serving.prediction_log import PredictionLog
from mlcycle.team.database import ensure_database
from tests.conftest import CHURN_CONFIG, PROJECT
from tests.serving.test_app import payload

pytestmark = pytest.mark.service
REDIS_TEMPLATE = PROJECT / "feature_repo" / "feature_store.redis.yaml"
REQUESTS = 240  # single, by customer id, and batches of five: about 430 predictions


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(p) for p in found]


def predictions_by_worker(metrics_dir: Path, pids: list[int]) -> dict[int, float]:
    """Each worker's own count, from its own files of the multiprocess folder."""
    import shutil
    import tempfile

    from prometheus_client import CollectorRegistry, multiprocess

    counts = {}
    for pid in pids:
        alone = Path(tempfile.mkdtemp())
        for f in metrics_dir.glob(f"*_{pid}.db"):
            shutil.copy(f, alone)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(alone))
        counts[pid] = sum(
            s.value for m in registry.collect() for s in m.samples
            if s.name == "predictions_total"
        )  # fmt: skip
        shutil.rmtree(alone)
    return counts


def test_two_workers_on_postgresql_and_redis_under_load(
    registry, postgres, redis_server, tmp_path, monkeypatch, churn_config, tiny_data
):
    from mlcycle.data.validation import validate
    from mlcycle.features.store import materialize
    from tests.features.test_store import built_store

    _, uri, _ = registry
    products = tmp_path / "products"
    monkeypatch.setenv("REDIS_CONNECTION", redis_server)
    entities, _ = validate(tiny_data.customers.head(80), churn_config)
    events = tiny_data.events[tiny_data.events["customer_id"].isin(entities["customer_id"])]
    store, tables, _ = built_store(tmp_path, entities, events, churn_config, REDIS_TEMPLATE)
    materialize(store, tables, churn_config.timestamp_column)
    assert redis_server not in (products / "feast" / "feature_store.yaml").read_text()
    known = list(entities["customer_id"])

    pg = dataclasses.replace(postgres, database=f"log_{uuid.uuid4().hex[:8]}")
    ensure_database(pg)
    log_url = f"postgresql://{pg.user}@{pg.host}:{pg.port}/{pg.database}"
    metrics_dir = tmp_path / "metrics"
    port = free_port()
    env = {
        "MLCYCLE_DATASET": str(CHURN_CONFIG), "MLFLOW_TRACKING_URI": uri,
        "MLCYCLE_PRODUCTS": str(products), "MLCYCLE_FEATURE_STORE": str(REDIS_TEMPLATE),
        "MLCYCLE_PREDICTION_LOG": log_url, "PGPASSWORD": pg.password,
        "REDIS_CONNECTION": redis_server, "MLCYCLE_WORKERS": "2",
        "MLCYCLE_RELOAD_SECONDS": "0", "MLCYCLE_AB_ARMS": "champion=100",
        "MLCYCLE_PROJECT": str(PROJECT), "MLCYCLE_HOST": "127.0.0.1", "MLCYCLE_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mlcycle.cli.main", "serve"]

    def one(i: int) -> tuple[int, list[str]]:
        kind = i % 3
        if kind == 0:
            path, body = "/predict", {"features": payload(registry, i % 50), "user_id": f"u{i}"}
        elif kind == 1:
            path, body = "/predict", {"customer_id": known[i % len(known)]}
        else:
            items = [{"customer_id": known[(i + k) % len(known)]} for k in range(3)]
            items += [{"features": payload(registry, (i + k) % 50)} for k in range(2)]
            path, body = "/predict/batch", {"items": items}
        # a new connection per request, so the kernel spreads them over both workers
        with httpx.Client(base_url=base, timeout=60) as c:
            r = c.post(path, json=body)
        if r.status_code != 200:
            return r.status_code, [r.text]
        answers = r.json() if isinstance(r.json(), list) else [r.json()]
        return 200, [a["request_id"] for a in answers]

    with running(command, f"{base}/ready", tmp_path / "service.log", env=env, timeout=180) as p:
        workers = children(p.pid)
        assert len(workers) >= 2, workers  # uvicorn's supervisor, two workers (and a helper)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, range(REQUESTS)))
        failed = [(code, body) for code, body in results if code != 200]
        assert not failed, failed[:3]
        served = [rid for _, ids in results for rid in ids]
        fed = httpx.post(
            f"{base}/feedback/batch",
            json={"items": [{"request_id": r, "outcome": 1} for r in served[:50]]},
        )
        assert fed.status_code == 200 and fed.json()["recorded"] == 50  # fmt: skip
        text = httpx.get(f"{base}/metrics").text
        total = sum(s.value for m in text_string_to_metric_families(text) for s in m.samples
                    if s.name == "predictions_total")  # fmt: skip
        by_worker = predictions_by_worker(metrics_dir, workers)

    assert total == len(served)  # the whole service, whichever worker answered /metrics
    assert sum(by_worker.values()) == len(served)
    assert sum(1 for n in by_worker.values() if n > 0) == 2, by_worker  # both did work
    os.environ["PGPASSWORD"] = pg.password
    try:
        log = PredictionLog(log_url).frame()
    finally:
        del os.environ["PGPASSWORD"]
    assert len(log) == len(served) and set(log["request_id"]) == set(served)  # exactly once
    assert int(log["outcome"].notna().sum()) == 50
    assert "Traceback" not in (tmp_path / "service.log").read_text()
