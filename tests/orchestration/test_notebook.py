import pytest

from mlcycle.orchestration.dag import DIGEST_PARAM, make_dag
from mlcycle.orchestration.notebook import pipeline_tasks, resolve_stage
from tests.conftest import PROJECT

# what resolve_stage sets in the process (run tags, the sandbox's store): restored after each test
PROCESS_ENV = (
    "MLFLOW_RUN_CONTEXT",
    "MLCYCLE_SANDBOX_STORE_FROM",
    "MLCYCLE_SANDBOX_STORE_TO",
    "MLCYCLE_SANDBOX_DIR",
)


@pytest.fixture(autouse=True)
def _own_environment(monkeypatch):
    for key in PROCESS_ENV:  # set, then removed: recorded, so what the test sets is undone
        monkeypatch.setenv(key, "")
        monkeypatch.delenv(key)


@pytest.fixture
def no_sandbox(monkeypatch):
    """Resolve as the build would write: these tests compare with Ploomber's own paths."""
    monkeypatch.setenv("MLCYCLE_SANDBOX", "false")


def test_interactive_resolution_matches_ploomber_for_every_task():
    """Paths and params a notebook resolves by itself are exactly what a build injects."""
    dag = make_dag(PROJECT)
    ours = pipeline_tasks(PROJECT)
    assert list(ours) == list(dag)
    for name, task in dag.items():
        assert ours[name]["product"] == {
            k: str(v) for k, v in task.product.to_json_serializable().items()
        }
        params = {k: v for k, v in task.params.to_dict().items() if k != DIGEST_PARAM}
        assert ours[name]["params"] == params, name
        assert sorted(ours[name]["params"]) == sorted(params)


def test_resolve_stage_fills_paths_and_unset_params(monkeypatch, no_sandbox):
    monkeypatch.chdir(PROJECT / "notebooks")
    ns = {
        "upstream": ["features"],
        "product": None,
        "model_family": "logistic_regression",
        "experiment": None,
    }
    resolve_stage("candidate", ns)  # a grid runs its first point interactively
    tasks = pipeline_tasks(PROJECT)
    assert ns["upstream"] == {"features": tasks["features"]["product"]}
    assert ns["product"]["run"].endswith("products/model/candidates/run-0.json")
    assert ns["model_family"] == "logistic_regression"  # set in the notebook: kept
    assert ns["model_params"] == {}  # None: the grid's first point, from env.yaml
    assert ns["experiment"] == tasks["candidate-0"]["params"]["experiment"]  # from env.yaml
    assert ns["dataset"].endswith("config/datasets/churn.yaml")


def test_an_interactive_run_honours_env_file(monkeypatch, no_sandbox):
    """A notebook opened by hand with ENV_FILE set resolves the paths a build with that env file
    would use: products, the prediction log, the tracking store."""
    monkeypatch.chdir(PROJECT / "notebooks")
    monkeypatch.setenv("ENV_FILE", "env.test.yaml")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    ns = {"upstream": ["batch_predict", "select"], "product": None, "prediction_log": None,
          "products": None}  # fmt: skip
    resolve_stage("monitor", ns)
    test_products = PROJECT / "products-test"
    assert ns["product"]["decision"] == str(test_products / "monitoring/decision.json")
    assert ns["prediction_log"] == str(test_products / "serving/predictions.db")
    assert ns["products"] == str(test_products)
    dag = make_dag(PROJECT, "env.test.yaml")
    assert ns["product"] == {
        k: str(v) for k, v in dag["monitor"].product.to_json_serializable().items()
    }


def test_a_wildcard_upstream_gets_every_grid_task_by_name(monkeypatch, no_sandbox):
    monkeypatch.chdir(PROJECT / "notebooks")
    ns = {"upstream": ["candidate-*"], "product": None}
    resolve_stage("select", ns)
    tasks = pipeline_tasks(PROJECT)
    grid = [n for n in tasks if n.startswith("candidate-")]
    assert grid and ns["upstream"] == {"candidate-*": {n: tasks[n]["product"] for n in grid}}


def test_resolve_stage_leaves_a_build_alone():
    ns = {"upstream": {"x": {}}, "product": {"nb": "somewhere.ipynb"}, "seed": 1}
    resolve_stage("collect", ns)
    assert ns == {"upstream": {"x": {}}, "product": {"nb": "somewhere.ipynb"}, "seed": 1}


def test_resolve_stage_names_unknown_tasks(monkeypatch, no_sandbox):
    monkeypatch.chdir(PROJECT)
    with pytest.raises(KeyError, match="no task named 'trian'"):
        resolve_stage("trian", {"product": None})
    with pytest.raises(KeyError, match=r"upstream \['nope'\]"):
        resolve_stage("select", {"product": None, "upstream": ["nope"]})
    with pytest.raises(KeyError, match=r"upstream \['nope-\*'\]"):
        resolve_stage("select", {"product": None, "upstream": ["nope-*"]})


def test_flag_reads_yaml_and_command_line_values():
    from mlcycle.orchestration.notebook import flag

    assert [flag(v) for v in (True, False, "true", "False", " yes ", "0", None)] == [
        True, False, True, False, True, False, False,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="expected a yes/no value, got 'maybe'"):
        flag("maybe")
