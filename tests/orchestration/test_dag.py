import pytest

from mlcycle.orchestration.dag import _root_cause, load_env, parse_overrides, status_text
from mlcycle.orchestration.project import ProjectNotFound, find_project
from tests.conftest import PROJECT


def test_parse_overrides_accepts_ploomber_and_key_value_forms():
    got = parse_overrides(["--env--gate_threshold", "0.9", "--env--seed=3", "n_customers=10"])
    assert got == {"gate_threshold": "0.9", "seed": "3", "n_customers": "10"}
    with pytest.raises(ValueError, match="needs a value"):
        parse_overrides(["--env--seed"])
    with pytest.raises(ValueError, match="expected --env--KEY VALUE"):
        parse_overrides(["seed"])


def test_env_layers_defaults_file_and_overrides():
    env = load_env(PROJECT, "env.test.yaml", {"seed": "5"})
    assert env["n_customers"] == 1500  # from env.test.yaml
    assert env["gate_metric"] == "accuracy"  # default from env.yaml
    assert env["seed"] == 5  # override, typed
    with pytest.raises(KeyError, match=r"unknown env key\(s\) \['gate_treshold'\]"):
        load_env(PROJECT, None, {"gate_treshold": "1"})
    with pytest.raises(FileNotFoundError, match="env file not found: nope.yaml"):
        load_env(PROJECT, "nope.yaml")


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
        assert _root_cause(outer) == "QualityGateFailed: accuracy = 0.5 is below 0.85"


def test_root_cause_from_a_subprocess_build_text():
    text = (
        "DAG build failed\n---> 55 raise SourceError(...)\nFileNotFoundError: [Errno 2] x\n\n"
        "DataValidationError: Data validation failed for dataset 'shop'\n  - column 'age': bad\n"
        "Nothing downstream ran.\n\nploomber.exceptions.TaskBuildError: Error when executing"
    )
    assert _root_cause(RuntimeError(text)) == (
        "DataValidationError: Data validation failed for dataset 'shop'\n  - column 'age': bad\n"
        "Nothing downstream ran."
    )


def test_status_text_is_compact():
    text = status_text(
        {
            "name": ["collect", "train"],
            "Outdated?": [False, "Upstream"],
            "Last run": ["2 minutes ago", "Has not been run"],
            "Product": ["x"] * 2,
        }
    )
    assert text.splitlines() == [
        "stage    out of date?   last run",
        "collect  no             2 minutes ago",
        "train    yes: Upstream  Has not been run",
    ]
