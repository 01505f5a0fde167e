"""The reports as one site: numbered as the hub numbers them, linked to the hub and neighbours."""

from pathlib import Path

from mlcycle.reporting.site import header_html, plain_title, site_pages, stage_numbers

ORDER = ["collect", "validate", "candidate-", "select", "publish"]


def test_stages_are_numbered_in_pipeline_order_and_a_grid_shares_its_number():
    tasks = ["select", "candidate-10", "collect", "candidate-2", "validate"]
    assert stage_numbers(tasks, ORDER) == {
        "collect": 1, "validate": 2, "candidate-2": 3, "candidate-10": 3, "select": 4,
    }  # fmt: skip
    assert plain_title("7. Select: keep the best") == "Select: keep the best"


def test_each_page_links_the_hub_and_its_neighbours_relatively(tmp_path, monkeypatch):
    import mlcycle.reporting.site as site

    monkeypatch.setattr(site, "stage_names", lambda: ORDER)
    reports = {n: tmp_path / f"{n}.html" for n in ("select", "collect", "candidate-0")}
    titles = {"collect": "1. Collect", "candidate-0": "Train a candidate", "select": "Select"}
    pages = site_pages(reports, titles, "shop", tmp_path / "index.html")
    page = pages["candidate-0"]
    assert page.browser_title == "shop: 2. Train a candidate (candidate-0)"
    assert (page.number, page.total) == (2, 3)
    assert page.previous == ("1. Collect", tmp_path / "collect.html")
    assert pages["collect"].previous is None and pages["select"].next is None
    html = header_html(page, tmp_path / "candidate-0.html")
    assert 'href="index.html"' in html and 'href="collect.html"' in html
    assert 'href="select.html"' in html and str(tmp_path) not in html
    nested = header_html(page, tmp_path / "monitoring" / "x.html")
    assert 'href="../index.html"' in nested
    assert Path(tmp_path / "index.html").name == "index.html"
