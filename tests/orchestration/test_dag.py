import pytest

from mlcycle.orchestration.dag import load_env, root_cause, status_text
from mlcycle.project import ProjectNotFound, find_project
from tests.conftest import PROJECT


def test_the_build_env_is_the_settings_layers_values():
    env = load_env(PROJECT, "env.test.yaml", {"seed": "5"})
    assert env["n_customers"] == 1500 and env["seed"] == 5
    assert env["prediction_log"] == str(PROJECT / "products-test/serving/predictions.db")


def test_find_project(tmp_path, monkeypatch):
    assert find_project(PROJECT / "notebooks") == PROJECT
    with pytest.raises(ProjectNotFound, match="no pipeline.yaml"):
        find_project(tmp_path)
    monkeypatch.setenv("MLCYCLE_PROJECT", str(PROJECT))
    assert find_project(tmp_path) == PROJECT


def test_root_cause_prefers_the_notebook_exception():
    class NotebookError(Exception):
        ename, evalue = "QualityGateFailed", "accuracy = 0.5 is below 0.85"

    try:
        try:
            raise NotebookError()
        except NotebookError as inner:
            raise RuntimeError("DAG build failed") from inner
    except RuntimeError as outer:
        assert root_cause(outer) == "QualityGateFailed: accuracy = 0.5 is below 0.85"


def testroot_cause_from_a_subprocess_build_text():
    text = (
        "DAG build failed\n---> 55 raise SourceError(...)\nFileNotFoundError: [Errno 2] x\n\n"
        "DataValidationError: Data validation failed for dataset 'shop'\n  - column 'age': bad\n"
        "Nothing downstream ran.\n\nploomber.exceptions.TaskBuildError: Error when executing"
    )
    assert root_cause(RuntimeError(text)) == (
        "DataValidationError: Data validation failed for dataset 'shop'\n  - column 'age': bad\n"
        "Nothing downstream ran."
    )


def test_status_text_is_compact():
    text = status_text(
        [("collect", None, "2 minutes ago"), ("select", "Upstream", "Has not been run")]
    )
    assert text.splitlines() == [
        "stage    out of date?   last run",
        "collect  no             2 minutes ago",
        "select   yes: Upstream  Has not been run",
    ]


def test_the_build_table_is_rounded_with_a_total_or_says_unchanged():
    from mlcycle.orchestration.dag import build_table

    values = {"name": ["collect", "train"], "Ran?": [True, False], "Elapsed (s)": [4.16812, 0]}
    assert build_table(values).splitlines() == [
        "stage    ran  seconds",
        "collect  yes      4.2",
        "train    no       0.0",
        "total      1      4.2",
    ]
    values["Ran?"] = [False, False]
    assert build_table(values) == "Unchanged: all 2 stages are up to date, nothing ran."


@pytest.mark.parametrize("preload", [True, False])
def test_stage_kernels_are_preloaded_unless_the_setting_says_not(preload):
    from ploomber.executors import Serial

    from mlcycle.orchestration.dag import make_dag
    from mlcycle.orchestration.kernels import ForkedKernelManager, PreloadedKernels

    inner = Serial(build_in_subprocess=False)
    dag = make_dag(PROJECT, overrides={"preload_kernels": str(preload)}, executor=inner)
    managers = {t.executor_params.get("kernel_manager_class") for t in dag.values()}
    if preload:
        assert isinstance(dag.executor, PreloadedKernels) and dag.executor.inner is inner
        assert managers == {ForkedKernelManager}
    else:
        assert dag.executor is inner and managers == {None}
