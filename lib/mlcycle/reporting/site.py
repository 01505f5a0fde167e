"""The reports folder as one small site: every stage numbered as the hub numbers it, titled by
dataset and stage, with a header linking to the hub and to its neighbours in the lifecycle.

The numbering is the stage's place in pipeline.yaml (a grid's tasks share their stage's
number), so the hub, the reports and the notebooks' own headings can never disagree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mlcycle.project import grid_order, stage_names

HUB_NAME = "index.html"
# a simulation's pages, in the reports folder so the hub can link them: the timeline, and each
# simulated week's drift report beside it
TIMELINE = "simulation/timeline.html"


def week_drift_page(week: int) -> str:
    """A simulated week's drift report, relative to the timeline."""
    return f"drift/week-{week:02d}.html"


_NUMBERED = re.compile(r"^\s*\d+\.\s*")


def stage_of(task: str) -> str:
    """The stage (pipeline.yaml entry) of a task: `candidate-3` -> `candidate-`, a grid's
    stem as pipeline.yaml names it; any other task is its own stage."""
    stem, index = grid_order(task)
    return f"{stem}-" if index >= 0 else task


def in_pipeline_order(tasks: Iterable[str], order: list[str] | None = None) -> list[str]:
    """Tasks in the lifecycle's order: pipeline.yaml's, a grid's tasks by their number."""
    order = stage_names() if order is None else order
    rank = {name: i for i, name in enumerate(order)}

    def position(name: str) -> tuple[int, tuple[str, int]]:
        stage = stage_of(name)
        return rank.get(name, rank.get(stage, len(rank))), grid_order(name)

    return sorted(tasks, key=position)


def stage_numbers(tasks: Iterable[str], order: list[str] | None = None) -> dict[str, int]:
    """1, 2, ... by stage in the lifecycle's order; the tasks of one grid share a number."""
    numbers: dict[str, int] = {}
    seen: dict[str, int] = {}
    for name in in_pipeline_order(tasks, order):
        numbers[name] = seen.setdefault(stage_of(name), len(seen) + 1)
    return numbers


def plain_title(heading: str) -> str:
    """A notebook heading without a number of its own ("6. Train" -> "Train")."""
    return _NUMBERED.sub("", heading).strip()


@dataclass(frozen=True)
class SitePage:
    """Where one stage's report sits in the site: its number, title and neighbours."""

    name: str
    number: int
    total: int
    title: str
    dataset: str
    previous: tuple[str, Path] | None  # (label, report path)
    next: tuple[str, Path] | None
    hub: Path

    @property
    def label(self) -> str:
        task = f" ({self.name})" if stage_of(self.name) != self.name else ""
        return f"{self.number}. {self.title}{task}"

    @property
    def browser_title(self) -> str:
        return f"{self.dataset}: {self.label}"


def site_pages(
    reports: Mapping[str, Path], titles: Mapping[str, str], dataset: str, hub: Path
) -> dict[str, SitePage]:
    """Each task's page in the site, from its report path and title (stage order)."""
    names = in_pipeline_order(reports)
    numbers = stage_numbers(names)
    total = max(numbers.values(), default=0)
    labels = {n: f"{numbers[n]}. {plain_title(titles.get(n, n))}" for n in names}
    pages = {}
    for i, name in enumerate(names):
        before = names[i - 1] if i > 0 else None
        after = names[i + 1] if i + 1 < len(names) else None
        pages[name] = SitePage(
            name=name,
            number=numbers[name],
            total=total,
            title=plain_title(titles.get(name, name)),
            dataset=dataset,
            previous=(labels[before], reports[before]) if before else None,
            next=(labels[after], reports[after]) if after else None,
            hub=hub,
        )
    return pages


def href(target: Path, page: Path) -> str:
    """A link from `page` to `target` that still works once the folder is copied elsewhere."""
    return Path(os.path.relpath(Path(target).resolve(), Path(page).resolve().parent)).as_posix()


def header_html(page: SitePage, path: Path) -> str:
    """The header of a stage's report: the hub, and the stages before and after it."""
    from mlcycle.reporting.page import esc

    parts = [f'<a href="{esc(href(page.hub, path))}">&#8962; Report hub</a>']
    if page.previous:
        parts.append(f'<a href="{esc(href(page.previous[1], path))}" rel="prev">'
                     f"&#8249; {esc(page.previous[0])}</a>")  # fmt: skip
    parts.append(f"<b>Stage {page.number} of {page.total}: {esc(page.title)}</b>")
    if page.next:
        parts.append(f'<a href="{esc(href(page.next[1], path))}" rel="next">'
                     f"{esc(page.next[0])} &#8250;</a>")  # fmt: skip
    style = (
        "font:14px system-ui,sans-serif;padding:8px 16px;background:#f4f6f8;"
        "border-bottom:1px solid #e3e7ec;display:flex;gap:18px;flex-wrap:wrap"
    )
    return f'<nav class="mlcycle-site" style="{style}">{"".join(parts)}</nav>'
