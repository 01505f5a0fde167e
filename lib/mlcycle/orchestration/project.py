"""Finding the project: the folder that holds pipeline.yaml."""

from __future__ import annotations

import os
from pathlib import Path

PIPELINE = "pipeline.yaml"
PROJECT_ENV_VAR = "MLCYCLE_PROJECT"


class ProjectNotFound(FileNotFoundError):
    pass


def find_project(start: str | Path | None = None) -> Path:
    """$MLCYCLE_PROJECT if set, else the first folder at or above `start` with pipeline.yaml."""
    if os.environ.get(PROJECT_ENV_VAR):
        root = Path(os.environ[PROJECT_ENV_VAR]).resolve()
        if not (root / PIPELINE).is_file():
            raise ProjectNotFound(f"${PROJECT_ENV_VAR}={root} has no {PIPELINE}")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PIPELINE).is_file():
            return folder
    raise ProjectNotFound(
        f"no {PIPELINE} in {here} or above; run from the project or set ${PROJECT_ENV_VAR}"
    )
