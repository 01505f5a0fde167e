"""The OpenAPI document is the contract: schemathesis (all its checks, a bounded number of
generated cases per operation) against the service as a process, and zero failures."""

import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlcycle.serving.launch import free_port, running
from tests.conftest import CHURN_CONFIG, PROJECT

pytestmark = pytest.mark.service
MAX_EXAMPLES = 100  # per operation and phase: about 20 s on two cores


@pytest.fixture(scope="module")
def service(registry, tmp_path_factory, churn_config, tiny_data):
    """The service as `make serve` runs it, with an online store of 60 customers."""
    from mlcycle.data.validation import validate
    from mlcycle.features.store import materialize
    from tests.features.test_store import built_store

    folder, uri, _ = registry
    work = tmp_path_factory.mktemp("contract")
    entities, _ = validate(tiny_data.customers.head(60), churn_config)
    events = tiny_data.events[tiny_data.events["customer_id"].isin(entities["customer_id"])]
    store, tables, _ = built_store(work, entities, events, churn_config)
    materialize(store, tables, churn_config.timestamp_column)
    with serving(CHURN_CONFIG, uri, work) as base:
        yield base, work, list(entities["customer_id"])


@contextlib.contextmanager
def serving(dataset, uri: str, work: Path, **settings: str):
    """`mlcycle serve` as `make serve` runs it, on a free port; yields its base URL."""
    port = free_port()
    env = {
        "MLCYCLE_DATASET": str(dataset),
        "MLFLOW_TRACKING_URI": uri,
        "MLCYCLE_PRODUCTS": str(work / "products"),
        "MLCYCLE_RELOAD_SECONDS": "0",
        "MLCYCLE_PROJECT": str(PROJECT),
        "MLCYCLE_HOST": "127.0.0.1",
        "MLCYCLE_PORT": str(port),
        "MLCYCLE_MAX_BATCH": "20",
        **{f"MLCYCLE_{k.upper()}": v for k, v in settings.items()},
    }
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mlcycle.cli.main", "serve"]
    with running(command, f"{base}/ready", work / "service.log", env=env):
        yield base


def test_the_service_keeps_its_openapi_contract(service):
    base, work, _ = service
    keeps_contract(base, work, MAX_EXAMPLES)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_a_multiclass_or_regression_service_keeps_its_contract(task, task_tables, tmp_path):
    """The answers of another task (a label with every class's probability, or a number) and
    its feedback (a label, a number) hold to the same document; no online store here."""
    from tests.conftest import fresh_sqlite_store, register_task_model

    uri = fresh_sqlite_store(tmp_path)
    register_task_model(uri, task_tables, f"{task}_contract", task)
    # no online store: a request by customer_id is the documented 503, which schemathesis'
    # not_a_server_error check would count; a 500 still fails status_code_conformance (it is
    # not in the document) and shows as a traceback in the service's log
    no_store = ["--exclude-checks", "not_a_server_error"]
    dataset = task_tables[task][0].path
    with serving(dataset, uri, tmp_path, model_name=f"{task}_contract") as base:
        keeps_contract(base, tmp_path, MAX_EXAMPLES // 2, no_store)


def keeps_contract(base: str, work: Path, examples: int, extra: tuple | list = ()) -> None:
    """schemathesis, all checks, on the service at `base`; its log free of tracebacks."""
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert exe, "schemathesis is a dev dependency: make install"
    config = work / "schemathesis.toml"
    # a schema-violating request must be refused: a 413 is how a batch over maxItems is (its
    # meaning is exactly that); every other refusal is schemathesis' default list
    config.write_text(
        "[checks.negative_data_rejection]\n"
        'expected-statuses = ["400", "403", "404", "409", "413", "415", "422"]\n'
    )
    done = subprocess.run(
        [exe, "--config-file", str(config), "run", f"{base}/openapi.json", "--checks", "all",
         "--max-examples",
         str(examples), "--seed", "1", "--no-color", "--suppress-health-check", "all", *extra],
        capture_output=True, text=True, cwd=work, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    log = (work / "service.log").read_text()
    # an online store that cannot be read is logged with its trace for the operator (and
    # answered 503); any other traceback is a bug
    traces = [t for t in log.split("Traceback")[1:] if "in online_rows" not in t]
    assert not traces, log[-4000:]


def test_a_batch_of_customer_ids_is_one_read_and_unknown_ids_are_item_errors(service):
    import httpx

    base, _, known = service
    ids = [*known[:10], "C-unknown", *known[10:15]]
    with httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/predict/batch", json={"items": [{"customer_id": i} for i in ids]})
        assert r.status_code == 200, r.text
        answers = r.json()
        assert len(answers) == len(ids)
        assert answers[10] == {"status": 404, "customer_id": "C-unknown",
                               "detail": answers[10]["detail"]}  # fmt: skip
        assert "'C-unknown' has no features in the online store" in answers[10]["detail"]
        assert all("request_id" in a for i, a in enumerate(answers) if i != 10)
        single = c.post("/predict", json={"customer_id": known[0]}).json()
        assert single["probability"] == answers[0]["probability"]
        assert c.post("/predict", json={"customer_id": "C-unknown"}).status_code == 404


def test_every_status_the_service_answers_is_declared(service):
    import httpx

    base, _, _ = service
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    declared = {(p, code) for p, ops in paths.items() for op in ops.values()
                for code in op["responses"]}  # fmt: skip
    for path, codes in {
        "/predict": ("200", "400", "404", "413", "422", "503"),
        "/predict/batch": ("200", "400", "413", "422", "503"),
        "/feedback": ("200", "400", "404", "409", "413", "422", "503"),
        "/feedback/batch": ("200", "400", "404", "409", "413", "422", "503"),
        "/reload": ("200", "403"),
        "/ready": ("200", "503"),
    }.items():
        assert {(path, c) for c in codes} <= declared, path
    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == ["text/plain"]
    one_of = httpx.get(f"{base}/openapi.json").json()["components"]["schemas"]["PredictRequest"]
    assert one_of["oneOf"] == [{"required": ["features"]}, {"required": ["customer_id"]}]
