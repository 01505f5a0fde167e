"""Every notebook runs top to bottom as JupyterLab would run it: no injected cell, no
parameters passed, working directory notebooks/."""

import jupytext
import nbclient
import pytest

from tests.conftest import pipeline_order

pytestmark = pytest.mark.dag
# the notebooks in pipeline order; a grid's tasks share one (candidate-0, ... -> candidate)
ORDER = list(dict.fromkeys(n.rsplit("-", 1)[0] if n[-1].isdigit() else n for n in pipeline_order()))


def test_every_notebook_runs_top_to_bottom_without_injection(built_project):
    for name in ORDER:
        nb = jupytext.read(built_project / "notebooks" / f"{name}.py")
        assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
        client = nbclient.NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(built_project / "notebooks")}},
        )
        client.execute()  # raises CellExecutionError, naming the cell, on any failure
        outputs = "".join(
            str(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )
        ran = "candidate-0" if name == "candidate" else name  # a grid runs its first point
        assert f"Interactive run of '{ran}'" in outputs
