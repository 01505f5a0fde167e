"""Shared fixtures: tiny data, temporary MLflow stores and throwaway project copies.

Nothing here touches the user's products/ or tracking store: MLFLOW_TRACKING_URI is removed
for the session and every store lives in a pytest temporary directory.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from mlcycle.config import load_dataset_config
from mlcycle.data.generator import generate_customers
from mlcycle.environment import apply_quiet_defaults, skip_unused_optional_imports
from mlcycle.serving.launch import free_port
from mlcycle.team.database import Postgres

PROJECT = Path(__file__).resolve().parents[1]
CHURN_CONFIG = PROJECT / "config" / "datasets" / "churn.yaml"
TRACKING_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def pipeline_order() -> list[str]:
    """The stages in pipeline.yaml's order (a valid execution order)."""
    from mlcycle.orchestration.notebook import pipeline_tasks

    return list(pipeline_tasks(PROJECT))


def pytest_configure(config):
    skip_unused_optional_imports()  # as the commands do: no grammar compiled in every worker
    for key in (*TRACKING_VARS, "MLCYCLE_PROJECT"):
        os.environ.pop(key, None)
    apply_quiet_defaults()


def pytest_collection_finish(session):
    """Feast is imported by the tests that use it, never while tests are collected: once
    imported it points prometheus_client at files shared between processes
    (PROMETHEUS_MULTIPROC_DIR) for whatever imports prometheus_client after it, which changes
    what the service tests' /metrics read, and it costs seconds in every worker."""
    if "feast" in sys.modules:
        raise pytest.UsageError(
            "feast was imported while the tests were collected: import it inside the tests "
            "that need it (mlcycle.features.feast_import.import_feast), not at module level"
        )


# Under pytest-xdist (`make test` runs two workers), the tests that share an expensive session
# fixture run on one worker, so it is made once. xdist's own `xdist_group` mark has no effect
# with pytest 9 (it rewrites an attribute pytest no longer reads), and its controller only sees
# node ids: hence the modules, listed here. tests/test_suite_groups.py checks the list against
# the modules that request these fixtures.
SHARED_FIXTURE_GROUPS = {
    "built_project": (
        "tests/benchmarks/test_serving_benchmark.py",
        "tests/orchestration/test_build.py",
        "tests/orchestration/test_interactive.py",
        "tests/orchestration/test_status.py",
        "tests/reporting/test_browser.py",
        "tests/serving/test_app_feature_store.py",
    ),
    # the PostgreSQL cluster and the Redis server: started once, on one worker
    "stores": (
        "tests/serving/test_log_database.py",
        "tests/serving/test_scale_out.py",
        "tests/team/test_migrate.py",
        "tests/team/test_server.py",
    ),
    # one module, but its four simulated weeks (about 5 min) must run once, not on both workers
    "loop": ("tests/orchestration/test_loop.py",),
}


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: fine without xdist
def pytest_xdist_make_scheduler(config, log):
    """With `--dist loadgroup`: every test load-balanced on its own, except that the modules of
    a group above go to one worker together."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    group_of = {m: g for g, modules in SHARED_FIXTURE_GROUPS.items() for m in modules}

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of.get(nodeid.split("::", 1)[0], nodeid)

    return SharedFixtureScheduling(config, log)


@pytest.fixture(scope="session")
def stage_kernels():
    """One zygote for every build of the session (as `make simulate` has one for its weeks):
    each build's kernels fork from it, instead of each build starting its own and importing
    the stages' libraries again. Yields its socket."""
    from mlcycle.orchestration.kernels import preload_plan, zygote
    from mlcycle.orchestration.notebook import pipeline_tasks

    notebooks = dict.fromkeys(task["source"] for task in pipeline_tasks(PROJECT).values())
    with zygote(preload_plan(notebooks)) as path:
        yield path


@pytest.fixture(autouse=True)
def _dag_tests_share_the_stage_kernels(request):
    """The tests marked `dag` build or run notebooks: they get the session's zygote."""
    if request.node.get_closest_marker("dag"):
        request.getfixturevalue("stage_kernels")


@pytest.fixture(autouse=True)
def _no_tracking_uri_leaks():
    """mlflow.set_tracking_uri() exports MLFLOW_TRACKING_URI; left behind, it would send the
    notebook kernels of every later build to this test's store."""
    yield
    for key in TRACKING_VARS:
        os.environ.pop(key, None)


@pytest.fixture(scope="session")
def churn_config():
    return load_dataset_config(CHURN_CONFIG)


@pytest.fixture(scope="session")
def tiny_data():
    return generate_customers(400, snapshot_date="2026-06-30", seed=7)


@pytest.fixture(scope="session")
def task_tables():
    """{task: (dataset config, validated table of 400 rows)} for the example regression and
    multiclass tables (config/datasets/example_*.yaml), as the validate stage leaves them."""
    from mlcycle.data.example import next_plan_table, spend_table
    from mlcycle.data.validation import validate

    out = {}
    for task, name, table in [("regression", "example_regression", spend_table),
                              ("multiclass", "example_multiclass", next_plan_table)]:  # fmt: skip
        config = load_dataset_config(PROJECT / "config" / "datasets" / f"{name}.yaml")
        validated, report = validate(table(400), config)
        assert report.passed and report.task == task, report.message()
        out[task] = (config, validated)
    return out


def register_regressor(uri: str, task_tables: dict, name: str) -> str:
    """A linear regressor on the example regression table, registered in the store at `uri`
    as `name` with the champion alias; returns its version."""
    return register_task_model(uri, task_tables, name, "regression")


def register_task_model(uri: str, task_tables: dict, name: str, task: str) -> str:
    """A linear model of `task` (ridge, or multinomial logistic regression) on the example
    table of that task, registered at `uri` as `name` with the champion alias; its version."""
    import mlflow

    from mlcycle.training.train import fit, log_probability_model

    config, table = task_tables[task]
    family = "linear" if task == "regression" else "logistic_regression"
    model = fit(table.iloc[:200], config, family, {}, task)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run():
        info = log_probability_model(model, table[config.feature_names].head(5))
    version = mlflow.register_model(info.model_uri, name).version
    mlflow.MlflowClient(uri, registry_uri=uri).set_registered_model_alias(name, "champion", version)
    return str(version)


@functools.cache
def _migrated_store() -> Path:
    """An empty SQLite tracking store created by MLflow (its schema migrated to the newest),
    once per test process: creating one runs every migration, about a second."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = Path(tempfile.mkdtemp(prefix="mlcycle-store-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    SqlAlchemyStore(f"sqlite:///{folder / 'mlflow.db'}", (folder / "mlruns").as_uri())
    return folder / "mlflow.db"


def fresh_sqlite_store(folder: Path) -> str:
    """A new SQLite tracking store whose default experiment keeps its artifacts in `folder`
    (MLflow's default is ./mlruns, under the working directory: the repository): a copy of
    the migrated empty store, its default experiment pointed at `folder`."""
    path = folder / "mlflow.db"
    shutil.copyfile(_migrated_store(), path)
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(
            "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
            ((folder / "mlruns").as_uri(),),
        )
    return f"sqlite:///{path}"


@pytest.fixture
def mlflow_store(tmp_path):
    """A fresh SQLite tracking store and registry, restored afterwards."""
    import mlflow

    uri = fresh_sqlite_store(tmp_path)
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri
    mlflow.set_tracking_uri(before)
    mlflow.set_registry_uri(before)


def copy_project(dest: Path) -> Path:
    """The project's sources in `dest`, with env.test.yaml folded into env.yaml, so builds and
    interactive runs there use tiny data and write under dest/products."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pipeline.yaml", "notebooks", "config", "feature_repo"):
        src = PROJECT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
        else:
            shutil.copy(src, dest / name)
    env = yaml.safe_load((PROJECT / "env.yaml").read_text())
    env.update(yaml.safe_load((PROJECT / "env.test.yaml").read_text()))
    env["products"] = "{{here}}/products"
    (dest / "env.yaml").write_text(yaml.safe_dump(env, sort_keys=False))
    return dest


def _dag(project: Path, overrides: dict, executor=None):
    """The project's DAG with env overrides given as Python values (passed as text, as on the
    command line)."""
    from mlcycle.orchestration.dag import make_dag

    return make_dag(project, overrides={k: str(v) for k, v in overrides.items()}, executor=executor)


def build(
    project: Path, force: bool = False, until: str | None = None, **overrides
) -> dict[str, bool]:
    """Build the project in-process; returns {task: ran?}. Raises DAGBuildError on failure.

    `until`: build only that stage and what it needs (Ploomber's build_partially), for tests
    whose assertions end there; the stages after it are not built (nor reported)."""
    from ploomber.executors import Serial

    dag = _dag(project, overrides, executor=Serial(build_in_subprocess=False))
    if until:
        report = dag.build_partially(until, force=force, show_progress=False).to_dict()
    else:
        report = dag.build(force=force, show_progress=False).to_dict()
    return dict(zip(report["name"], report["Ran?"], strict=True))


def snapshot(project: Path, dest: Path) -> Path:
    """A copy of the whole project folder (sources and products), modification times kept."""
    shutil.copytree(project, dest, copy_function=shutil.copy2)
    return dest


def restore(project: Path, saved: Path) -> list[str]:
    """Bring `project` back to `saved`, file by file: what differs is copied over in place, what
    the test added is deleted. In place keeps each file's inode, so a SQLite connection this
    process still holds (MLflow caches its stores) reads the restored database, not a deleted
    one. Returns the paths that were put back (relative), for diagnostics."""
    changed = []
    for path in sorted(project.rglob("*"), reverse=True):  # children before their folders
        twin = saved / path.relative_to(project)
        if path.is_dir() and not path.is_symlink():
            if not twin.is_dir():
                shutil.rmtree(path)
        elif not twin.is_file():
            path.unlink()
            changed.append(str(path.relative_to(project)))
    for twin in saved.rglob("*"):
        path = project / twin.relative_to(saved)
        if twin.is_dir():
            path.mkdir(exist_ok=True)
            continue
        ours, theirs = (path.stat() if path.exists() else None), twin.stat()
        if ours and (ours.st_size, ours.st_mtime_ns) == (theirs.st_size, theirs.st_mtime_ns):
            continue
        shutil.copyfile(twin, path)  # truncates and rewrites the same file
        shutil.copystat(twin, path)
        changed.append(str(twin.relative_to(saved)))
    return changed


def would_run(project: Path, **overrides) -> dict[str, bool]:
    """{task: would a build run it now?}, from Ploomber's render (the status a build acts on),
    without running anything. tests/orchestration/test_build.py proves it equals a real build."""
    from ploomber.constants import TaskStatus

    dag = _dag(project, overrides)
    dag.render(show_progress=False)
    return {name: task.exec_status != TaskStatus.Skipped for name, task in dag.items()}


@pytest.fixture(scope="session")
def _built_once(tmp_path_factory):
    """The project copy built once on tiny data, and a snapshot of it."""
    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    ran = build(project)
    assert all(ran.values()), ran
    return project, snapshot(project, tmp_path_factory.mktemp("snapshot") / "project")


@pytest.fixture
def built_project(_built_once):
    """The built project, as the first build left it: whatever a test changes (products,
    notebooks, the registry) is restored from the snapshot afterwards, by copying, not by
    building again."""
    project, saved = _built_once
    yield project
    restore(project, saved)


@pytest.fixture(scope="module")
def registry(tmp_path_factory, churn_config, tiny_data):
    """customer_churn v1 (random forest, champion) and v2 (logistic, challenger) in a real
    registry; returns (folder, uri, feature rows). Tests that move aliases restore them."""
    import mlflow

    from mlcycle.features.table import build_model_table
    from mlcycle.training.train import features_and_target, fit, log_probability_model

    folder = tmp_path_factory.mktemp("serving")
    uri = fresh_sqlite_store(folder)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    table = build_model_table(tiny_data.customers, tiny_data.events, churn_config)
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    client.create_registered_model("customer_churn")
    for alias, family, params in (
        ("champion", "random_forest", {"n_estimators": 10}),
        ("challenger", "logistic_regression", {}),
    ):
        model = fit(table, churn_config, family, params)
        with mlflow.start_run() as run:
            info = log_probability_model(model, features_and_target(table, churn_config).X)
        version = client.create_model_version("customer_churn", info.model_uri, run.info.run_id)
        client.set_registered_model_alias("customer_churn", alias, version.version)
    rows = features_and_target(table, churn_config).X
    # code under test must find the registry from its own settings, not from this process
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'elsewhere.db'}")
    mlflow.set_registry_uri(f"sqlite:///{folder / 'elsewhere.db'}")
    return folder, uri, rows


# --- the shared stores: a private PostgreSQL cluster and a Redis server on loopback ----------
# `.ci/run` (through `make system-deps`) installs Debian's postgresql and redis-server where
# they are missing, so these skip only where the servers truly cannot be found, and say so.
# (The PostgreSQL fixture moved here from tests/team/conftest.py: the service uses it too.)


def pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parts[-3]))  # fmt: skip
    return versions[-1] if versions else None


@pytest.fixture(scope="session")
def postgres():
    """A throwaway cluster (initdb) with a password-protected superuser, on a free port."""
    initdb, pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed (no initdb): `make system-deps` installs it")
    as_owner: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="mlcycle-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as its own user
        as_owner = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    password = secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if as_owner:
        shutil.chown(pwfile, "postgres")
    port = free_port()
    data = root / "data"
    subprocess.run([*as_owner, initdb, "-D", str(data), "-A", "scram-sha-256", "-U", "mlcycle",
                    f"--pwfile={pwfile}"], check=True, capture_output=True)  # fmt: skip
    start = [*as_owner, pg_ctl, "-D", str(data), "-l", str(root / "log"), "-w", "-o",
             f"-h 127.0.0.1 -p {port} -k {root}", "start"]  # fmt: skip
    subprocess.run(start, check=True, capture_output=True)
    try:
        yield Postgres("127.0.0.1", port, "mlcycle", password, "postgres")
    finally:
        subprocess.run([*as_owner, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A throwaway Redis on a free loopback port (no persistence); yields "host:port"."""
    from mlcycle.serving.launch import running

    exe = shutil.which("redis-server")
    if not exe:
        pytest.skip("Redis is not installed (no redis-server): `make system-deps` installs it")
    work = tmp_path_factory.mktemp("redis")
    port = free_port()
    command = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no", "--dir", str(work)]  # fmt: skip
    with running(command, None, work / "redis.log",
                 ready=lambda: subprocess.run([exe.replace("redis-server", "redis-cli"), "-p",
                                               str(port), "ping"], capture_output=True,
                                              text=True).stdout.strip() == "PONG"):  # fmt: skip
        yield f"127.0.0.1:{port}"
