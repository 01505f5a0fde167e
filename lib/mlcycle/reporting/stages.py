"""What became of each stage: built, failed, out of date or never built, read off its products.

The executed notebook is the witness: missing means the stage never ran, an error output means
it failed (the failure hook keeps the partial notebook), and the DAG can add what only it knows
(a stage whose upstream changed or failed is out of date).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mlcycle.records import read_record, record_kind

BUILT, FAILED, OUT_OF_DATE, NOT_BUILT = "built", "failed", "out of date", "not built"
NOTEBOOK_KEY = "nb"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Stage:
    name: str
    title: str
    state: str
    products: dict[str, Path]
    built_at: datetime | None = None
    error: str | None = None  # the failing cell's exception, for a failed stage
    why: str | None = None  # why it is out of date
    pages: dict[str, Path] = field(default_factory=dict)  # HTML products: report, Evidently

    @property
    def ok(self) -> bool:
        return self.state == BUILT

    def product(self, key: str) -> Path | None:
        """The product if it exists on disk, else None."""
        path = self.products.get(key)
        return path if path is not None and path.is_file() else None

    def read_json(self, key: str):
        """The product's JSON; a stage record (mlcycle.records) is checked against its class
        first, so a missing field fails here, by name, not deep in a page."""
        path = self.product(key)
        if path is None:
            return None
        kind = record_kind(self.name, key)
        if kind is None:
            return json.loads(path.read_text())
        return read_record(path, kind).model_dump()


def _notebook_facts(path: Path) -> tuple[str | None, str | None]:
    """(title from the first heading, the first error output) of an executed notebook."""
    nb = json.loads(path.read_text())
    title = error = None
    for cell in nb.get("cells", []):
        if title is None and cell.get("cell_type") == "markdown":
            text = "".join(cell.get("source", []))
            heading = re.search(r"^#+\s*(?:\d+\.\s*)?(.+)$", text, re.M)
            title = heading.group(1).strip() if heading else None
        for output in cell.get("outputs", []):
            if error is None and output.get("output_type") == "error":
                error = _ANSI.sub("", f"{output.get('ename')}: {output.get('evalue')}")
    return title, error


def read_stage(name: str, products: Mapping[str, str | Path], outdated: str | None = None) -> Stage:
    """The stage as its products show it; `outdated` is the DAG's reason, when it has one."""
    paths = {key: Path(str(value)) for key, value in products.items()}
    pages = {k: p for k, p in paths.items() if p.suffix == ".html" and p.is_file()}
    title = name.replace("_", " ").capitalize()
    nb = paths.get(NOTEBOOK_KEY)
    if nb is None or not nb.is_file():
        return Stage(name, title, NOT_BUILT, paths, pages=pages)
    heading, error = _notebook_facts(nb)
    built_at = datetime.fromtimestamp(nb.stat().st_mtime, UTC)
    state = FAILED if error else (OUT_OF_DATE if outdated else BUILT)
    return Stage(
        name,
        heading or title,
        state,
        paths,
        built_at=built_at,
        error=error,
        why=outdated if state == OUT_OF_DATE else None,
        pages=pages,
    )


def read_stages(
    products: Mapping[str, Mapping[str, str | Path]],
    outdated: Mapping[str, str] | None = None,
) -> list[Stage]:
    """Every stage in pipeline order (the mapping's order)."""
    outdated = outdated or {}
    return [read_stage(name, prods, outdated.get(name)) for name, prods in products.items()]
