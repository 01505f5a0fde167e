"""nbdev-style hygiene: the committed notebooks are clean sources, not products."""

import ast
import re
from pathlib import Path

import jupytext
import pytest
from jupytext.config import load_jupytext_configuration_file

from mlcycle.orchestration.notebook import pipeline_tasks
from tests.conftest import PROJECT

NOTEBOOKS = sorted((PROJECT / "notebooks").glob("*.py"))
# by notebook: a grid's tasks (candidate-0, candidate-1, ...) share one notebook
TASKS = {Path(t["source"]).stem: t for t in reversed(pipeline_tasks(PROJECT).values())}
JUPYTEXT = load_jupytext_configuration_file(str(PROJECT / "jupytext.toml"))


def test_every_task_has_a_notebook_and_every_notebook_a_task():
    assert {p.stem for p in NOTEBOOKS} == set(TASKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_clean_and_parameterised(path):
    text = path.read_text()
    nb = jupytext.reads(text, fmt="py:percent")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be `parameters`"
    assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    declared = {
        t.id
        for node in ast.parse(code[0].source).body
        if isinstance(node, ast.Assign)
        for t in node.targets
    }
    assert {"upstream", "product", "inputs_digest"} <= declared
    # every param the pipeline passes is declared, so interactive runs know about it
    assert set(TASKS[path.stem]["params"]) <= declared
    assert f'resolve_stage("{path.stem}", globals())' in text
    assert not re.search(r"(/work/|/home/|/Users/|/tmp/|[A-Z]:\\\\)", text), "absolute path"
    # the .py is what JupyterLab saves back: opening and saving changes nothing
    assert jupytext.writes(nb, fmt="py:percent", config=JUPYTEXT) == text
    assert len(text.splitlines()) < 150, "a long notebook is a smell: move logic to lib/"


def test_each_notebook_keeps_its_outputs_in_a_paired_ipynb_in_the_sandbox():
    """Saved from JupyterLab, a notebook's outputs go to its paired .ipynb under the products'
    sandbox (never committed, never the build's), so they survive closing and reopening."""
    from jupytext.formats import long_form_multiple_formats
    from jupytext.paired_paths import paired_paths

    for path in NOTEBOOKS:
        formats = long_form_multiple_formats(JUPYTEXT.default_formats(str(path)))
        source = next(f for f in formats if f["extension"] == ".py")
        pairs = {fmt["extension"]: p for p, fmt in paired_paths(str(path), source, formats)}
        assert Path(pairs[".py"]) == path
        assert (
            Path(pairs[".ipynb"]) == PROJECT / "products/sandbox/notebooks" / f"{path.stem}.ipynb"
        )
