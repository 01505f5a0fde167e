"""A stage's report: its executed notebook as one self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

from mlcycle.io import write_text_atomic

# JupyterLab's template without its CDN scripts (require.js, MathJax): the reports need neither,
# and a published report must open offline with no failed requests (an empty icon, too: else the
# browser asks the host for /favicon.ico)
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}
<link rel="icon" href="data:,">
{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
"""


def render_html(notebook: str | Path, html: str | Path, exclude_input: bool = True) -> Path:
    """A self-contained HTML page of an executed notebook (code hidden by default)."""
    import nbconvert
    import nbformat
    from jinja2 import DictLoader

    nb = nbformat.read(str(notebook), as_version=nbformat.NO_CONVERT)
    exporter = nbconvert.HTMLExporter(
        exclude_input=exclude_input,
        extra_loaders=[DictLoader({"mlcycle-offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="mlcycle-offline.html.j2",
    )
    body, _ = exporter.from_notebook_node(nb)
    return write_text_atomic(html, body)
