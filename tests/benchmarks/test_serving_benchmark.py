"""The serving benchmark runs end to end (a few requests): the service, the validated no-op
floor and mlflow's server start, answer without errors, and the two models agree. Timings are not
asserted here; the benchmark itself reports them."""

import importlib.util
import json
import sys

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.dag


def load_benchmark(name: str):
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", PROJECT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_serving_benchmark_compares_both_servers(built_project, tmp_path):
    benchmark = load_benchmark("serving")
    out = tmp_path / "serving.json"
    code = benchmark.main(
        [
            "--tracking-uri", f"sqlite:///{built_project / 'products/mlflow.db'}",
            "--requests", "30", "--warmup", "10", "--concurrency", "1", "3", "--rows", "20",
            "--id-batch", "25",
            "--products", str(built_project / "products"), "--out", str(out),
        ]
    )  # fmt: skip
    report = json.loads(out.read_text())
    assert code == 0 and report["errors"] == 0
    servers = ["mlcycle (this service)", "floor (validated no-op)", "mlflow models serve",
               "mlcycle, 2 workers", "mlcycle by customer id",
               "mlcycle, log_sync normal"]  # fmt: skip
    assert sorted((r["server"], r["concurrency"]) for r in report["runs"]) == sorted(
        (s, c) for s in servers for c in (1, 3)
    )
    assert report["customer_id_batch"]["answered"] == report["customer_id_batch"]["ids"] == 25
    assert set(report["two_workers_speedup"]) == {"1", "3"}
    assert set(report["p50_over_floor_log_sync_normal"]) == {"1", "3"}
    assert set(report["p50_over_floor"]) == {"1", "3"} and all(
        v > 0 for v in report["p50_over_floor"].values()
    )
    assert all(r["requests"] == 30 and r["requests_per_s"] > 0 for r in report["runs"])
    assert report["max_probability_difference"] < 0.05  # the same model behind both


def test_serving_benchmark_without_a_champion_says_what_to_do(tmp_path):
    benchmark = load_benchmark("serving")
    with pytest.raises(SystemExit, match="run `make run` first"):
        benchmark.main(["--tracking-uri", f"sqlite:///{tmp_path / 'empty.db'}"])
