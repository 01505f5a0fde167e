import json
import re
from pathlib import Path

import pytest

from mlcycle.reporting.hub import PublishError
from mlcycle.reporting.publish import publish
from tests.conftest import CHURN_CONFIG
from tests.reporting.conftest import notebook

LINEAGE = {
    "tracking_uri": "sqlite:///x.db",
    "model_name": "customer_churn",
    "aliases": {"champion": "4", "challenger": "4"},
    "champion": {"version": "4", "run_id": "abc123", "lineage": {"git_commit": "f00d"}},
    "newest_run": {"run_id": "abc123", "experiment_id": "1",
                   "lineage": {"git_commit": "f00d", "data_fingerprint": "fp16",
                               "feature_service": "customer_churn_features"}},
}  # fmt: skip


def run_publish(planted, tmp_path, outdated=None):
    reports = tmp_path / "products" / "reports"
    return publish(
        planted,
        CHURN_CONFIG,
        reports / "index.html",
        reports / "model_card.html",
        reports / "hub.json",
        outdated=outdated,
        lineage=LINEAGE,
    ), reports


def links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def test_the_hub_links_every_report_relatively_and_shows_the_figures(planted, tmp_path):
    summary, reports = run_publish(planted, tmp_path)
    html = (reports / "index.html").read_text()
    found = links(html)
    assert found == [
        "model_card.html",
        "validate.html",
        "evaluate.html",
        "register.html",
        "monitor.html",
        "monitoring/drift.html",
    ]
    assert all((reports / link).is_file() for link in found)  # nothing broken
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")  # static
    for figure in ("1,234 rows", "accuracy 0.910", "version 4", "f00d", "fp16",
                   "customer_churn_features", "abc123", "Every stage passed"):  # fmt: skip
        assert figure in html, figure
    saved = json.loads((reports / "hub.json").read_text())
    assert [s["name"] for s in saved["stages"]] == list(planted)
    assert saved == json.loads(json.dumps(summary))
    assert saved["champion"]["version"] == "4"


def test_a_failure_is_the_first_thing_the_hub_says(planted, tmp_path):
    notebook(Path(planted["evaluate"]["nb"]), "Evaluate", error="QualityGateFailed: too low")
    summary, reports = run_publish(
        planted, tmp_path, outdated={"register": "not run: stage 'evaluate' failed"}
    )
    html = (reports / "index.html").read_text()
    assert "A stage failed." in html
    assert "Stage Evaluate failed:</b> QualityGateFailed: too low" in html
    states = {s["name"]: (s["state"], s["why"]) for s in summary["stages"]}
    assert states["evaluate"] == ("failed", None)
    assert states["register"] == ("out of date", "not run: stage 'evaluate' failed")


def test_a_report_outside_the_hub_folder_is_refused_by_name(planted, tmp_path):
    outside = tmp_path / "elsewhere" / "drift.html"
    outside.parent.mkdir()
    outside.write_text("<html></html>")
    planted["monitor"]["drift_report"] = str(outside)
    with pytest.raises(PublishError, match=r"stage 'monitor', product 'drift_report': .* is "
                       r"outside the reports folder"):  # fmt: skip
        run_publish(planted, tmp_path)


def test_stages_are_listed_in_pipeline_order_whatever_order_they_come_in(planted, tmp_path):
    shuffled = dict(reversed(list(planted.items())))
    summary, _ = run_publish(shuffled, tmp_path)
    assert [s["name"] for s in summary["stages"]] == list(planted)


def test_a_third_party_page_gets_a_title_and_no_favicon_request():
    from mlcycle.reporting.page import publishable

    page = "<html><head><meta charset='utf-8'></head><body><script>'<title>x</title>'</script>"
    fixed = publishable(page, "Data drift")
    assert fixed.startswith('<html><head><link rel="icon" href="data:,"><title>Data drift</title>')
    titled = "<html><head><title>Mine</title></head><body></body></html>"
    assert publishable(titled, "Other").count("<title>") == 1
    assert publishable("<p>no head</p>", "x") == "<p>no head</p>"
