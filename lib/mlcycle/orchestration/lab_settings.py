"""Make JupyterLab open the jupytext .py notebooks as notebooks, and nothing else meddle.

* JupyterLab's settings overrides: `.py` files open with the Jupytext Notebook viewer.
* Ploomber's server extensions are switched off: its contents manager injects cells and is
  unreliable beside jupytext >= 1.17 (it fails to open some notebooks); the notebooks
  resolve their own paths.

Everything is written inside the virtual environment (not the user's home), so `make lab`
behaves the same for everyone and nothing outside the project changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}
}


def write_overrides(prefix: str | Path = sys.prefix) -> Path:
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(OVERRIDES)
    path.write_text(json.dumps(current, indent=2) + "\n")
    return path


PLOOMBER_EXTENSIONS = ("ploomber", "ploomber_extension")


def disable_ploomber_extensions(prefix: str | Path = sys.prefix) -> Path:
    """Override the package's own enabling file (same name, so it replaces it)."""
    folder = Path(prefix) / "etc" / "jupyter" / "jupyter_server_config.d"
    folder.mkdir(parents=True, exist_ok=True)
    for name in PLOOMBER_EXTENSIONS:
        config = {"ServerApp": {"jpserver_extensions": {name: False}}}
        (folder / f"{name}.json").write_text(json.dumps(config, indent=2) + "\n")
    return folder
