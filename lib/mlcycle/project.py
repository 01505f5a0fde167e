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


def stage_names(start: str | Path | None = None) -> list[str]:
    """The stages in pipeline.yaml's order (a valid execution order); [] outside a project."""
    import yaml

    try:
        project = find_project(start)
    except ProjectNotFound:
        return []
    spec = yaml.safe_load((project / PIPELINE).read_text())
    return [task_name(entry) for entry in spec.get("tasks", [])]


def task_name(entry: dict) -> str:
    """A pipeline.yaml task's name: its `name`, else its notebook's file name."""
    return entry.get("name") or Path(entry["source"]).stem


def grid_order(name: str) -> tuple[str, int]:
    """Sort key for task names of a grid (Ploomber numbers them): candidate-2 before
    candidate-10; a name outside a grid sorts as itself."""
    stem, _, index = name.rpartition("-")
    return (stem, int(index)) if index.isdigit() else (name, -1)
