"""The report hub of a DAG: publish from its products, after a failure too, and re-render
every stage's report (`mlcycle report`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mlcycle.orchestration.html import render_html
from mlcycle.reporting.publish import PUBLISH_STAGE, publish


def _products(dag) -> dict[str, dict[str, str]]:
    return {
        name: {k: str(v) for k, v in task.product.to_json_serializable().items()}
        for name, task in dag.items()
        if name != PUBLISH_STAGE
    }


def _downstream(dag, name: str) -> list[str]:
    """Every task that (transitively) depends on `name`."""
    found: list[str] = []
    todo = [name]
    while todo:
        current = todo.pop()
        for other, task in dag.items():
            if current in task.upstream and other not in found:
                found.append(other)
                todo.append(other)
    return found


def publish_dag(dag, outdated: Mapping[str, str] | None = None) -> dict | None:
    """Publish from a DAG's products; None when the DAG has no publish stage."""
    if PUBLISH_STAGE not in dag:
        return None
    task = dag[PUBLISH_STAGE]
    product = task.product
    return publish(
        _products(dag),
        task.params["dataset"],
        str(product["hub"]),
        str(product["model_card"]),
        str(product["summary"]),
        outdated,
    )


def publish_after_failure(dag, failed: str) -> dict | None:
    """The hub after `failed` failed: it and what depends on it are marked."""
    outdated = {name: f"not run: stage '{failed}' failed" for name in _downstream(dag, failed)}
    return publish_dag(dag, outdated)


def rerender_reports(dag) -> list[Path]:
    """Every stage's HTML report again from its executed notebook (no stage reruns)."""
    done = []
    for task in dag.values():
        keys = task.product.to_json_serializable()
        if "nb" in keys and "report" in keys and Path(str(keys["nb"])).is_file():
            done.append(render_html(keys["nb"], keys["report"]))
    return done
