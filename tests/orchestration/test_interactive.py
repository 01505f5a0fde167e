"""Every notebook runs top to bottom as JupyterLab would run it: no injected cell, no
parameters passed, working directory notebooks/. Run so, by hand, a stage writes to the
sandbox: the build's products, MLflow runs and registry stay byte for byte as they were.

The kernels are forked from the session's zygote (tests/conftest.py), as a build's are
(orchestration/kernels.py): the same ipykernel, environment and working directory as a
launched kernel, without paying the imports fourteen times (about 40 s instead of 260 s)."""

import hashlib
import sqlite3

import jupytext
import nbclient
import pytest

from mlcycle.orchestration.kernels import ForkedKernelManager
from tests.conftest import pipeline_order

pytestmark = pytest.mark.dag
# the notebooks in pipeline order; a grid's tasks share one (candidate-0, ... -> candidate)
ORDER = list(dict.fromkeys(n.rsplit("-", 1)[0] if n[-1].isdigit() else n for n in pipeline_order()))
# SQLite's side files come and go with any reader; the sandbox is where interactive runs write
TRANSIENT = ("-wal", "-shm", "-journal")


def digests(products):
    """Every file the build left, by its content (the sandbox and screenshots aside)."""
    return {
        str(p.relative_to(products)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(products.rglob("*"))
        if p.is_file()
        and not p.name.endswith(TRANSIENT)
        and p.relative_to(products).parts[0] not in ("sandbox", "screenshots")
    }


def test_every_notebook_runs_top_to_bottom_without_injection(built_project, stage_kernels):
    assert stage_kernels, "the zygote did not start"
    products = built_project / "products"
    before = digests(products)
    for name in ORDER:
        nb = jupytext.read(built_project / "notebooks" / f"{name}.py")
        assert not any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
        client = nbclient.NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            kernel_manager_class=ForkedKernelManager,
            resources={"metadata": {"path": str(built_project / "notebooks")}},
        )
        client.execute()  # raises CellExecutionError, naming the cell, on any failure
        outputs = "".join(
            str(o.get("text", "")) for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )
        ran = "candidate-0" if name == "candidate" else name  # a grid runs its first point
        assert f"Interactive run of '{ran}'" in outputs
        assert "Writes go to the sandbox" in outputs
    after = digests(products)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"interactive runs changed the build's products: {changed}"
    # the sandbox's copy of the store holds the interactive runs, each tagged so
    with sqlite3.connect(products / "sandbox" / "mlflow.db") as db:
        interactive = db.execute(
            "SELECT count(*) FROM tags WHERE key = 'mlcycle.interactive' AND value = 'true'"
        ).fetchone()[0]
        sources = {
            r[0] for r in db.execute("SELECT value FROM tags WHERE key = 'mlflow.source.name'")
        }
    assert interactive >= 1  # the candidate's training run at least
    assert "notebooks/candidate.py" in sources
