"""A stage's report: its executed notebook as one self-contained HTML page of the report site."""

from __future__ import annotations

import re
from pathlib import Path

from mlcycle.io import write_text_atomic
from mlcycle.reporting.site import SitePage, header_html

# JupyterLab's template without its CDN scripts (require.js, MathJax): the reports need neither,
# and a published report must open offline with no failed requests (an empty icon, too: else the
# browser asks the host for /favicon.ico). Images carry the alt text the notebook gave them.
_OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}
<link rel="icon" href="data:,">
{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ ((output | get_metadata('alt', 'image/png')) or 'Figure') | escape_html }}">
</div>
{% endblock data_png %}
"""
_BODY = re.compile(r"<body[^>]*>")


def render_html(
    notebook: str | Path, html: str | Path, exclude_input: bool = True, page: SitePage | None = None
) -> Path:
    """A self-contained HTML page of an executed notebook: code and prompts hidden by default;
    with `page`, titled and headed as a page of the report site."""
    import nbconvert
    import nbformat
    from jinja2 import DictLoader

    nb = nbformat.read(str(notebook), as_version=nbformat.NO_CONVERT)
    exporter = nbconvert.HTMLExporter(
        exclude_input=exclude_input,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        extra_loaders=[DictLoader({"mlcycle-offline.html.j2": _OFFLINE_TEMPLATE})],
        template_file="mlcycle-offline.html.j2",
    )
    title = page.browser_title if page else Path(notebook).stem
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    if page is not None:
        header = header_html(page, Path(html))
        body = _BODY.sub(lambda m: m.group(0) + header, body, count=1)
    return write_text_atomic(html, body)
