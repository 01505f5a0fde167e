"""The published reports in a real browser: Debian's headless Chromium, driven by Playwright,
opens the hub and every page it links over HTTP from the reports folder alone (as a static host
would serve it). No console errors, no failed requests, no broken links or images, plots drawn;
a screenshot of each page is saved under products/screenshots/ for people to look at."""

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlparse

import pytest

pytestmark = [pytest.mark.dag, pytest.mark.service]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # the machine's network is closed: no call-home noise
    "--disable-component-update",
    "--disable-sync",
]
# pages with plots, and what draws them: matplotlib PNGs in the stage reports, SVG in Evidently's
PLOTS = {
    "evaluate.html": ("img", 4),  # ROC, calibration, confusion matrix, cumulative gain
    "monitor.html": ("img", 2),  # drift per feature, the top features' distributions
    "model_card.html": ("img", 1),  # calibration (and the gain, once a model has it)
    "index.html": ("img", 1),  # the trends
    "candidate-0.html": ("img", 1),  # permutation importance
    "monitoring/drift.html": ("svg", 1),
}  # monitoring/performance.html has plots only once outcomes arrive; the tiny build has none


def chromium() -> str:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.fail("no Chromium on PATH: `make system-deps` installs Debian's chromium")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def site(built_project):
    """The reports folder served on loopback, and only that folder (built_project is the
    build as it finished, whatever the tests before did)."""
    reports = built_project / "products" / "reports"
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(reports))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", built_project / "products"
    server.shutdown()
    server.server_close()


def test_the_hub_and_every_report_open_cleanly_in_chromium(site):
    from playwright.sync_api import sync_playwright

    base, products = site
    shots = products / "screenshots"
    shots.mkdir(exist_ok=True)
    problems: list[str] = []
    visited: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        current = {"url": ""}
        page.on("console", lambda m: m.type == "error" and problems.append(
            f"{current['url']}: console error: {m.text}"))  # fmt: skip
        page.on("pageerror", lambda e: problems.append(f"{current['url']}: page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(
            f"{current['url']}: request failed: {r.url} {r.failure}"))  # fmt: skip
        page.on("response", lambda r: r.status >= 400 and problems.append(
            f"{current['url']}: HTTP {r.status} for {r.url}"))  # fmt: skip

        todo = ["index.html"]
        while todo:
            path = todo.pop(0)
            if path in visited:
                continue
            current["url"] = path
            response = page.goto(urljoin(base, path), wait_until="networkidle")
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            kind, least = PLOTS.get(path, (None, 0))
            if kind == "svg":  # Evidently draws with scripts after load
                page.wait_for_selector("svg", state="attached", timeout=30_000)
            facts = page.evaluate(
                """(machine) => ({
                    title: document.title,
                    links: [...document.querySelectorAll('a[href]')]
                        .map(a => a.getAttribute('href')),
                    images: [...document.images].map(i => i.complete && i.naturalWidth > 0),
                    alts: [...document.images].map(i => i.getAttribute('alt') || ''),
                    svgs: document.querySelectorAll('svg').length,
                    machine: document.documentElement.outerHTML.includes(machine),
                })""",
                str(products.parent),
            )
            visited[path] = facts
            if kind != "svg":  # Evidently's pages carry no <title>; ours all do
                assert facts["title"], f"{path} has no title"
            if facts["machine"] and kind != "svg":  # ours never name the build machine's path
                problems.append(f"{path}: contains the build machine's path {products.parent}")
            bad_alt = [a for a in facts["alts"] if len(a) < 12 or "No description" in a]
            if bad_alt and kind != "svg":
                problems.append(f"{path}: images without a description: {bad_alt}")
            if not all(facts["images"]):
                problems.append(f"{path}: {facts['images'].count(False)} broken image(s)")
            if kind == "img" and len(facts["images"]) < least:
                problems.append(f"{path}: {len(facts['images'])} plot image(s), want {least}+")
            if kind == "svg" and facts["svgs"] < least:
                problems.append(f"{path}: no plot drawn")
            page.screenshot(path=str(shots / (path.replace("/", "__") + ".png")))
            for href in facts["links"]:
                target = urlparse(urljoin(urljoin(base, path), href))
                if href.startswith("#") or not target.geturl().startswith(base):
                    continue  # anchors within a page; nothing outside the site is linked
                local = target.path.lstrip("/")
                if not (products / "reports" / local).is_file():
                    problems.append(f"{path}: broken link {href}")
                elif path in ("index.html", "model_card.html") and local.endswith(".html"):
                    todo.append(local)  # the hub's pages, and the card's back link
        browser.close()

    assert not problems, "\n".join(problems)
    # the hub reached every stage report, the model card and both Evidently pages
    stage_reports = {p.name for p in (products / "reports").glob("*.html")}
    assert stage_reports <= set(visited), stage_reports - set(visited)
    assert {*PLOTS, "monitoring/performance.html", "model_card.html"} <= set(visited)
    assert visited["index.html"]["title"].endswith("model lifecycle report")
    # each stage report is a page of the site: titled by dataset and numbered stage, with a way
    # back to the hub, numbered as the hub numbers it
    hub = (products / "reports" / "index.html").read_text()
    for name in stage_reports - {"index.html", "model_card.html"}:
        facts = visited[name]
        assert facts["title"].startswith("customer_churn: "), (name, facts["title"])
        assert "index.html" in facts["links"], f"{name} has no link back to the hub"
        number = facts["title"].split(": ", 1)[1].split(".")[0]
        assert f"<td>{number}</td>" in hub, (name, number)
    screenshots = sorted(p.name for p in shots.glob("*.png"))
    assert len(screenshots) == len(visited) and all(
        (shots / s).stat().st_size > 10_000 for s in screenshots
    )
