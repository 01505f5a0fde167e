"""The README never lies: its diagram is the DAG, its commands exist, CI runs its test command."""

import re
import subprocess

from mlcycle.orchestration.diagram import mermaid
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text()


def test_readme_diagram_is_the_pipeline():
    assert mermaid(PROJECT) in README, "DAG changed: paste the output of `make diagram` into README"


def test_ci_runs_the_readme_test_command():
    assert "make test" in README and "make run" in README
    ci = (PROJECT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_every_make_target_the_readme_names_exists():
    out = subprocess.run(["make", "-s", "help"], cwd=PROJECT, capture_output=True, text=True)
    listed = set(re.findall(r"make (\w+)", out.stdout))
    named = set(re.findall(r"`make (\w+)", README))
    assert {"run", "test", "lab", "ui"} <= listed
    assert named <= listed, named - listed
