"""What a stage notebook shows a reader: figures with alt text, paths without the machine's.

A report is sent as a file to people who cannot see the build machine, and read by people
who cannot see the images: every figure says what it shows, and no page names a local path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def describe(fig: Any) -> str:
    """Alt text from a matplotlib figure's own words: its titles and axis labels."""
    parts = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(suptitle.get_text())
    for ax in fig.get_axes():
        words = [ax.get_title()]
        if ax.get_xlabel() or ax.get_ylabel():
            words.append(f"({ax.get_xlabel() or 'x'} against {ax.get_ylabel() or 'y'})")
        text = " ".join(w for w in words if w)
        if text:
            parts.append(text)
    return "Chart: " + "; ".join(parts) if parts else "Chart"


class ShownFigure:
    """A figure displayed as a PNG that carries its alt text into the rendered report."""

    def __init__(self, fig: Any, alt: str | None = None, dpi: int = 96):
        self.fig, self.alt, self.dpi = fig, alt or describe(fig), dpi

    def _repr_png_(self) -> tuple[bytes, dict[str, str]]:
        from mlcycle.reporting.page import png_bytes

        return png_bytes(self.fig, self.dpi), {"alt": self.alt}


def show_figure(fig: Any, alt: str | None = None) -> ShownFigure:
    """Show `fig` in the notebook with alt text (its titles and axis labels by default)."""
    return ShownFigure(fig, alt)


def shown_path(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str:
    """A path as a shared report may print it: relative to the project (or `root`), never
    the build machine's absolute path; a path elsewhere shows as its file name."""
    from mlcycle.project import ProjectNotFound, find_project

    if "://" in str(path):  # a URI says where it is to anyone
        return str(path)
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        base = Path(root) if root is not None else find_project()
    except ProjectNotFound:
        return p.name
    resolved = p.resolve()
    base = base.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else p.name


def shown_store(uri: str, root: str | os.PathLike | None = None) -> str:
    """A tracking store as a shared report may name it: a server's URL without credentials,
    a local SQLite store by its path in the project."""
    from urllib.parse import urlsplit, urlunsplit

    if uri.startswith("sqlite:///"):
        return f"SQLite {shown_path(uri.removeprefix('sqlite:///'), root)}"
    parts = urlsplit(uri)
    if parts.scheme in ("", "file"):
        return shown_path(parts.path or uri, root)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
