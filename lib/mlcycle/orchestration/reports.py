"""The report hub of a DAG: publish from its products, after a failure too, and re-render
every stage's report (`mlcycle report`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from mlcycle.orchestration.html import render_html
from mlcycle.reporting.publish import PUBLISH_STAGE, publish
from mlcycle.reporting.site import SitePage, site_pages

_HEADING = re.compile(r"^# #+\s*(.+)$", re.M)


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


def _heading(source: Path) -> str:
    """A stage notebook's title: the first heading of its jupytext source."""
    found = _HEADING.search(source.read_text(encoding="utf-8")) if source.is_file() else None
    return found.group(1).strip() if found else source.stem.replace("_", " ").capitalize()


def _report_products(dag) -> dict[str, tuple[Path, Path]]:
    """{task: (executed notebook, report)} of every task that publishes a report."""
    out = {}
    for name, task in dag.items():
        keys = task.product.to_json_serializable()
        if isinstance(keys, dict) and "nb" in keys and "report" in keys:
            out[name] = (Path(str(keys["nb"])), Path(str(keys["report"])))
    return out


def site_of(dag) -> dict[str, SitePage]:
    """Every report's place in the site (number, title, neighbours); {} without a hub."""
    if PUBLISH_STAGE not in dag:
        return {}
    from mlcycle.config import load_dataset_config

    reports = {name: report for name, (_, report) in _report_products(dag).items()}
    titles = {name: _heading(Path(str(dag[name].source.loc))) for name in reports}
    publish_task = dag[PUBLISH_STAGE]
    dataset = load_dataset_config(publish_task.params["dataset"]).name
    return site_pages(reports, titles, dataset, Path(str(publish_task.product["hub"])))


def render_report(dag, name: str) -> Path | None:
    """One task's report from its executed notebook, as a page of the site."""
    found = _report_products(dag).get(name)
    if found is None or not found[0].is_file():
        return None
    return render_html(found[0], found[1], page=site_of(dag).get(name))


def rerender_reports(dag) -> list[Path]:
    """Every stage's HTML report again from its executed notebook (no stage reruns)."""
    site = site_of(dag)
    return [
        render_html(nb, report, page=site.get(name))
        for name, (nb, report) in _report_products(dag).items()
        if nb.is_file()
    ]
