"""One look for every static page the project publishes: no scripts, no external requests."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from pathlib import Path

from mlcycle.io import write_text_atomic

STYLE = """
body{font-family:system-ui,-apple-system,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d2733;line-height:1.45}
h1{margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #e3e7ec;padding-bottom:.2em}
.sub{color:#5b6775;margin-top:0}
table{border-collapse:collapse;font-size:14px;margin:.6em 0}
td,th{border-bottom:1px solid #e3e7ec;padding:5px 10px;text-align:left;vertical-align:top}
th{background:#f4f6f8}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.card{border:1px solid #e3e7ec;border-radius:8px;padding:10px 14px}
.card .k{font-size:12px;text-transform:uppercase;color:#5b6775;letter-spacing:.04em}
.card .v{font-size:22px;font-weight:600;margin:.15em 0}
.card .d{font-size:13px;color:#39434f}
.ok{color:#1e7b34}.bad{color:#b3261e}.warn{color:#8a5a00}.muted{color:#77818c}
.note{background:#fff8e1;border-left:4px solid #e0a800;padding:6px 10px}
code{background:#f4f6f8;padding:0 4px;border-radius:3px}
footer{margin-top:2em;font-size:12px;color:#77818c}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{max-width:100%;height:auto}
.charts figure{margin:0;max-width:460px}figcaption{font-size:13px;color:#39434f}
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 view', '3 views', '0 fixes': a count with its noun in the right number."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def png_bytes(fig, dpi: int = 96) -> bytes:
    """A matplotlib figure as PNG, trimmed to what it draws."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def png_img(data: str, alt: str) -> str:
    """An <img> that needs no other file: base64 PNG `data` as a data URI, with its alt text."""
    return f'<img class="chart" src="data:image/png;base64,{data}" alt="{esc(alt)}">'


def figure_img(fig, alt: str, dpi: int = 96) -> str:
    """A matplotlib figure as an <img> that needs no other file."""
    import base64

    return png_img(base64.b64encode(png_bytes(fig, dpi)).decode("ascii"), alt)


def table(header: Sequence[str], rows: Iterable[Sequence[object]], raw: bool = False) -> str:
    """An HTML table; cells are escaped unless `raw` (for cells already built as HTML)."""
    cell = (lambda v: str(v)) if raw else esc
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    head = f"<tr>{head}</tr>" if any(header) else ""  # a key-value table needs no header row
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def verdict(ok: bool | None, yes: str, no: str, unknown: str = "not known") -> str:
    """A coloured word: green when good, red when not, grey when there is nothing to judge."""
    if ok is None:
        return f'<span class="muted">{esc(unknown)}</span>'
    return f'<span class="{"ok" if ok else "bad"}">{esc(yes if ok else no)}</span>'


def write_page(path: str | Path, title: str, body: str, footer: str = "") -> Path:
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,">'  # no /favicon.ico request to the host
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>{body}"
        f"<footer>{footer}</footer></body></html>"
    )
    return write_text_atomic(path, page)


def publishable(html_text: str, title: str) -> str:
    """A third-party page (Evidently's) made fit for the hub: a <title> for the browser tab, and
    an empty icon so the browser does not ask the host for /favicon.ico (a 404 on most hosts)."""
    head_start = html_text.find("<head>")
    if head_start < 0:
        return html_text
    head_end = html_text.find("</head>", head_start)
    has_title = "<title>" in html_text[head_start:head_end]  # its scripts contain SVG titles
    head = '<link rel="icon" href="data:,">' + ("" if has_title else f"<title>{esc(title)}</title>")
    return html_text.replace("<head>", f"<head>{head}", 1)


def save_snapshot(snapshot, path: str | Path, title: str) -> Path:
    """An Evidently snapshot as a publishable page, written atomically."""
    return write_text_atomic(path, publishable(snapshot.get_html_str(as_iframe=False), title))
