"""The GitHub workflow: valid against GitHub's schema (offline), and every `make` target it runs
exists, so CI runs what a person runs."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT

WORKFLOWS = sorted((PROJECT / ".github" / "workflows").glob("*.yml"))
MAKE_CALL = re.compile(r"(?:^|[;&|]\s*|\n\s*)make\s+([a-z][a-z-]*)")


def check_jsonschema() -> str:
    found = Path(sys.executable).with_name("check-jsonschema")
    return str(found) if found.exists() else shutil.which("check-jsonschema")


def makefile_targets() -> set[str]:
    text = (PROJECT / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, re.M))


def run_steps(workflow: Path) -> list[tuple[str, str]]:
    spec = yaml.safe_load(workflow.read_text())
    return [
        (f"{job}: {step.get('name', step.get('uses', '?'))}", step["run"])
        for job, body in spec["jobs"].items()
        for step in body["steps"]
        if "run" in step
    ]


def test_the_pipeline_workflow_exists():
    assert [w.name for w in WORKFLOWS] == ["ml-pipeline.yml"]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(workflow):
    done = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    done = subprocess.run(
        [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", str(bad)],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0 and "jobs.a" in done.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_make_target_the_workflow_runs_exists(workflow):
    targets = makefile_targets()
    called = {
        (where, target) for where, script in run_steps(workflow) for target in
        MAKE_CALL.findall(script)
    }  # fmt: skip
    assert called, "the workflow runs no make target"
    missing = sorted((where, t) for where, t in called if t not in targets)
    assert not missing, f"make targets the workflow runs but the Makefile lacks: {missing}"
    # and each is a real recipe: make can plan it (dry run, nothing executed)
    for target in sorted({t for _, t in called}):
        done = subprocess.run(
            ["make", "-n", target, "VERSION=1", "WINDOW="],
            cwd=PROJECT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"make -n {target}: {done.stderr}"


def test_the_workflow_covers_what_the_issue_asks():
    spec = yaml.safe_load(WORKFLOWS[0].read_text())
    triggers = spec[True] if True in spec else spec["on"]  # YAML 1.1 reads `on` as true
    assert {"push", "pull_request", "schedule", "workflow_dispatch"} <= set(triggers)
    steps = "\n".join(script for _, script in run_steps(WORKFLOWS[0]))
    for target in ("lint", "test", "run", "gate", "report", "deploy-staging", "promote",
                   "weekly"):  # fmt: skip
        assert re.search(rf"make {target}\b", steps), target
    jobs = spec["jobs"]
    assert jobs["promote"]["environment"] == "production"  # the reviewed, manual step
    assert "workflow_dispatch" in jobs["promote"]["if"]
    assert "schedule" in jobs["monitor"]["if"]
    uploads = [s for job in jobs.values() for s in job["steps"]
               if s.get("uses", "").startswith("actions/upload-artifact")]  # fmt: skip
    # uploads run also after a failed step (the weekly job's only when it had state to read)
    assert uploads and all(s.get("if", "").startswith("always()") for s in uploads)


def test_ci_gates_at_the_configured_bar_on_a_sample_large_enough_to_judge_it():
    from mlcycle.settings import load_settings
    from mlcycle.task import BINARY, gate_for

    spec = yaml.safe_load(WORKFLOWS[0].read_text())
    env_file = spec["env"]["CI_ENV"]
    ci = load_settings(PROJECT, PROJECT / env_file, environ={})
    default = load_settings(PROJECT, environ={})
    assert ci.gate_threshold == default.gate_threshold  # not lowered for CI
    assert ci.gate_metric == default.gate_metric
    # the built-in (binary) data is gated at accuracy 0.85: the task's own bar
    assert gate_for(BINARY, ci.gate_metric, ci.gate_threshold) == ("accuracy", 0.85)
    test_rows = ci.n_customers * ci.test_size
    half_width = 1.96 * (0.87 * 0.13 / test_rows) ** 0.5  # 95 % interval of an accuracy ~0.87
    assert half_width <= 0.0155 and ci.promotion == "review"


def test_the_weekly_job_skips_without_persistent_state():
    spec = yaml.safe_load(WORKFLOWS[0].read_text())
    job = spec["jobs"]["monitor"]
    first = job["steps"][0]["run"]
    for needed in ("MLFLOW_TRACKING_URI", "MLCYCLE_PRODUCTS", "MLCYCLE_PREDICTION_LOG"):
        assert needed in first
    assert "skipped" in first
    gated = [s for s in job["steps"][1:] if "ready == 'true'" not in s.get("if", "")]
    assert not gated, "a weekly step runs although there is no state to monitor"
