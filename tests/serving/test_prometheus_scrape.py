"""The service as its own process, scraped by a real Prometheus server on loopback: what
/metrics exposes must arrive in Prometheus and answer PromQL queries."""

import json
import os
import shutil
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import httpx
import pytest

from mlcycle.serving.launch import free_port, running
from tests.conftest import CHURN_CONFIG, PROJECT
from tests.serving.test_app import payload

pytestmark = pytest.mark.service


def prometheus_binary() -> str:
    found = os.environ.get("MLCYCLE_PROMETHEUS") or shutil.which("prometheus")
    if not found:
        pytest.fail(
            "no prometheus binary: `make system-deps` installs Debian's prometheus "
            "(or set MLCYCLE_PROMETHEUS to one)"
        )
    return found


def promql(base: str, query: str) -> list[dict]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


def wait_for(base: str, query: str, expected: float, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        result = promql(base, query)
        if result and float(result[0]["value"][1]) == expected:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{query} never became {expected}; last answer {result}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def service(registry, tmp_path_factory):
    folder, uri, _ = registry
    work = tmp_path_factory.mktemp("service")
    port = free_port()
    env = {
        "MLCYCLE_DATASET": str(CHURN_CONFIG),
        "MLFLOW_TRACKING_URI": uri,
        "MLCYCLE_PRODUCTS": str(work),
        "MLCYCLE_RELOAD_SECONDS": "0",
        "MLCYCLE_PROJECT": str(PROJECT),
        "MLCYCLE_HOST": "127.0.0.1",
        "MLCYCLE_PORT": str(port),
    }
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mlcycle.cli.main", "serve"]
    with running(command, f"{base}/ready", work / "service.log", env=env):
        yield base


@pytest.fixture(scope="module")
def prometheus(service, tmp_path_factory):
    work = tmp_path_factory.mktemp("prometheus")
    target = service.removeprefix("http://")
    config = work / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: mlcycle\n    static_configs:\n"
        f"      - targets: ['{target}']\n"
    )
    port = free_port()
    command = [
        prometheus_binary(),
        f"--config.file={config}",
        f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/-/ready", work / "prometheus.log"):
        yield base


def test_prometheus_scrapes_predictions_latency_and_errors(service, prometheus, registry):
    with httpx.Client(base_url=service) as c:
        for i in range(5):
            r = c.post("/predict", json={"features": payload(registry, i)})
            assert r.status_code == 200 and r.json()["model_version"] == "1"
        assert c.post("/predict", json={"features": payload(registry, age=-5)}).status_code == 422
    wait_for(prometheus, 'up{job="mlcycle"}', 1)
    result = wait_for(prometheus, 'predictions_total{model_version="1",arm="champion"}', 5)
    assert result[0]["metric"]["job"] == "mlcycle"
    wait_for(prometheus, "prediction_latency_seconds_count", 5)
    wait_for(prometheus, "validation_errors_total", 1)
    # a PromQL aggregation over the scraped histogram answers too
    p99 = promql(prometheus, "histogram_quantile(0.99, prediction_latency_seconds_bucket)")
    assert p99 and 0 < float(p99[0]["value"][1]) <= 2.5


def test_service_log_shows_it_bound_to_loopback(service, tmp_path_factory):
    logs = list(Path(tmp_path_factory.getbasetemp()).glob("service*/service.log"))
    assert logs and "Uvicorn running on http://127.0.0.1:" in logs[0].read_text()
