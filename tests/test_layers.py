"""The layers hold and the import graph has no cycles (import-linter, pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "2 kept, 0 broken" in done.stdout


def test_a_domain_module_importing_the_orchestrator_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of lib/ with one upward import is refused by name."""
    import shutil

    shutil.copytree(PROJECT / "lib", tmp_path / "lib")
    shutil.copy(PROJECT / "pyproject.toml", tmp_path)
    bad = tmp_path / "lib" / "mlcycle" / "training" / "gate.py"
    bad.write_text(bad.read_text() + "\nfrom mlcycle.orchestration import dag  # noqa\n")
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(tmp_path / "lib")})  # fmt: skip
    assert done.returncode == 1
    assert "mlcycle.training.gate -> mlcycle.orchestration.dag" in done.stdout
