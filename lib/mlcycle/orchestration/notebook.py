"""Let a stage notebook run top to bottom in JupyterLab exactly as a build would run it.

Under Ploomber, papermill injects `upstream`, `product` and the params after the parameters
cell. Opened by hand, nothing is injected: `product` is still None. `resolve_stage` then reads
pipeline.yaml and the settings (env.yaml, $ENV_FILE, ...) and fills in the same paths and
params a build would use, so no injected cell ever needs to be committed. A test checks this
resolver against Ploomber's own.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path
from typing import Any

import yaml

from mlcycle.project import PIPELINE, find_project, grid_order, task_name

_PLACEHOLDER = re.compile(r"{{\s*([\w.]+)\s*}}")


def _cast(value: str) -> Any:
    """As Ploomber does: a rendered string that is a Python literal becomes that literal."""
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def _expand(value: Any, env: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value

    def sub(match: re.Match) -> str:
        key = match.group(1)
        node: Any = env
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"placeholder {{{{{key}}}}} is not a setting (env.yaml)")
            node = node[part]
        return str(node)

    return _cast(_PLACEHOLDER.sub(sub, value))


def _load_env(project: Path) -> dict[str, Any]:
    """The values a build would render: the settings layer's (so $ENV_FILE counts here too)."""
    from mlcycle.settings import load_settings

    return {"here": str(project), "root": str(project), **load_settings(project).env_values()}


def _indexed(path: str, index: int) -> str:
    """A grid task's product path, as Ploomber names it: `run.json` -> `run-3.json`."""
    p = Path(path)
    suffix = "".join(p.suffixes)
    return str(p.parent / f"{p.name.replace(suffix, '')}-{index}{suffix}")


def pipeline_tasks(project: Path | None = None) -> dict[str, dict[str, Any]]:
    """Each task's source, product and params as a build with env.yaml would render them.

    A task with a `grid` becomes one task per grid point, named and numbered as Ploomber does
    (`candidate-0`, `candidate-1`, ...), each with its grid values among its params.
    """
    project = find_project(project)
    env = _load_env(project)
    spec = yaml.safe_load((project / PIPELINE).read_text())
    out = {}
    for entry in spec["tasks"]:
        source = str(project / entry["source"])
        product = _expand(entry.get("product"), env)
        params = _expand(entry.get("params") or {}, env)
        if "grid" not in entry:
            out[task_name(entry)] = {"source": source, "product": product, "params": params}
            continue
        from ploomber.util.param_grid import ParamGrid

        grid = _expand(entry["grid"], env)
        for i, point in enumerate(ParamGrid(grid, params=params).product()):
            out[f"{entry['name']}{i}"] = {
                "source": source,
                "product": {k: _indexed(v, i) for k, v in product.items()},
                "params": dict(point),
            }
    return out


def _upstream(pattern: str, tasks: dict[str, dict[str, Any]]) -> Any:
    """What a build injects for one upstream entry: a task's products, or for a wildcard
    (`candidate-*`) the products of every matching task, by name."""
    if "*" in pattern:
        return {n: t["product"] for n, t in tasks.items() if fnmatch.fnmatch(n, pattern)}
    return tasks[pattern]["product"]


def flag(value: Any) -> bool:
    """A yes/no parameter as a bool, whether it came from YAML (true) or a command line
    override (`--env--key false` arrives as the text 'false')."""
    if isinstance(value, str):
        if value.strip().lower() in {"true", "yes", "1", "on"}:
            return True
        if value.strip().lower() in {"false", "no", "0", "off", "", "none"}:
            return False
        raise ValueError(f"expected a yes/no value, got {value!r}")
    return bool(value)


def run_context(stage: str, source: str | Path | None = None) -> None:
    """Tag every MLflow run this process starts with the stage and its notebook, so a run's
    source names `notebooks/<stage>.py`, not the kernel's launcher."""
    import json
    import os

    tags = json.loads(os.environ.get("MLFLOW_RUN_CONTEXT") or "{}")
    source = source or f"notebooks/{stage}.py"
    tags.update({"mlflow.source.name": str(source), "mlflow.source.type": "NOTEBOOK",
                 "mlcycle.stage": stage})  # fmt: skip
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps(tags)


def resolve_stage(name: str, namespace: dict[str, Any]) -> None:
    """Fill `upstream`, `product` and unset params in a notebook's namespace (its globals()).

    Does nothing when Ploomber already injected them (product is not None). A parameter you
    set in the parameters cell is kept; one left as None takes env.yaml's value. Run by hand,
    the stage writes to the sandbox (mlcycle.orchestration.sandbox) unless `sandbox` is off.
    """
    run_context(grid_order(name)[0])  # a grid's task (candidate-3) by its notebook's name
    if namespace.get("product") is not None:
        return
    tasks = pipeline_tasks()
    if name not in tasks:
        points = [n for n, t in tasks.items() if Path(t["source"]).stem == name]
        if not points:
            raise KeyError(f"no task named {name!r} in {PIPELINE}; tasks: {sorted(tasks)}")
        print(f"'{name}' is a grid of {len(points)} tasks: running the first, {points[0]}")
        name = points[0]
    upstream = namespace.get("upstream") or []
    missing = [u for u in upstream if ("*" in u and not _upstream(u, tasks)) or
               ("*" not in u and u not in tasks)]  # fmt: skip
    if missing:
        raise KeyError(f"upstream {missing} of {name!r} are not tasks in {PIPELINE}")
    namespace["upstream"] = {u: _upstream(u, tasks) for u in upstream}
    product, params = tasks[name]["product"], tasks[name]["params"]
    from mlcycle.settings import load_settings

    settings = load_settings()
    where = "the build's products"
    if settings.sandbox:
        from mlcycle.orchestration.sandbox import enter

        product, params, box = enter(settings.products, product, params, settings.tracking_uri)
        where = f"the sandbox {box} (the build's products stay as they are; sandbox: false "
        where += "writes to them)"
    namespace["product"] = product
    filled = []
    for key, value in params.items():
        if namespace.get(key) is None:
            namespace[key] = value
            filled.append(key)
    print(f"Interactive run of '{name}': paths from {PIPELINE}; params from the settings: {filled}")
    print(f"Writes go to {where}")


def provenance(name: str, inputs_digest: str | None) -> Any:
    """A report footer saying what produced it: stage, time, commit and code/inputs digest."""
    from datetime import UTC, datetime

    from IPython.display import Markdown

    from mlcycle.fingerprint import git_commit

    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    how = (
        f"code and inputs digest `{inputs_digest}`"
        if inputs_digest
        else "no inputs digest (interactive run, or plain `ploomber build`)"
    )
    commit = git_commit(Path(__file__).parent)
    return Markdown(
        f"<small>Stage `{name}` &middot; {when} &middot; {how} &middot; "
        f"commit `{commit[:12]}`</small>"
    )
