"""The report hub: one static page linking every stage's report, with the key figures first.

Static files only (no scripts, no requests outside the folder), so the reports folder can be
published as it is, to GitHub Pages or any file server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mlcycle.reporting.charts import DEFAULT_METRIC, drift_trend, metric_trend
from mlcycle.reporting.display import shown_store
from mlcycle.reporting.figures import Card, stage_figures
from mlcycle.reporting.page import esc, table, verdict, write_page
from mlcycle.reporting.site import HUB_NAME, TIMELINE, href, stage_numbers, stage_of
from mlcycle.reporting.stages import BUILT, FAILED, OUT_OF_DATE, Stage
from mlcycle.settings import sandbox_dir

REPORT_KEY = "report"
STATE_CLASS = {BUILT: "ok", FAILED: "bad", OUT_OF_DATE: "warn"}
PAGE_LABELS = {"drift_report": "Evidently drift", "performance_report": "Evidently performance"}


class PublishError(ValueError):
    """A report cannot be published as linked (it lies outside the reports folder)."""


def relative_link(page: Path, hub_dir: Path, stage: str, key: str) -> str:
    """The link from the hub to a page; a page outside the hub's folder would break once the
    folder is published, so it is an error that names the stage and product."""
    page, hub_dir = page.resolve(), hub_dir.resolve()
    # a hub published from the sandbox links the build's reports where they are: it is for
    # the person exploring, never sent
    if not page.is_relative_to(hub_dir) and sandbox_dir() is None:
        raise PublishError(
            f"stage '{stage}', product '{key}': {page} is outside the reports folder {hub_dir}; "
            "put it under that folder in pipeline.yaml so the published hub can link to it"
        )
    return href(page, hub_dir / HUB_NAME)


def _card_html(card: Card) -> str:
    cls = {True: "ok", False: "bad", None: ""}[card.ok]
    return (
        f'<div class="card"><div class="k">{esc(card.key)}</div>'
        f'<div class="v {cls}">{esc(card.value)}</div><div class="d">{esc(card.detail)}</div></div>'
    )


def _stage_row(number: int, stage: Stage, hub_dir: Path) -> tuple[str, ...]:
    report = stage.pages.get(REPORT_KEY)
    task = f" ({stage.name})" if stage_of(stage.name) != stage.name else ""
    name = esc(stage.title + task)
    if report is not None:
        name = f'<a href="{esc(relative_link(report, hub_dir, stage.name, REPORT_KEY))}">{name}</a>'
    extra = [
        f'<a href="{esc(relative_link(p, hub_dir, stage.name, k))}">'
        f"{esc(PAGE_LABELS.get(k, k.replace('_', ' ')))}</a>"
        for k, p in stage.pages.items()
        if k != REPORT_KEY
    ]
    state = f'<span class="{STATE_CLASS.get(stage.state, "muted")}">{esc(stage.state)}</span>'
    detail = esc(stage.error or stage.why or stage_figures(stage))
    when = stage.built_at.strftime("%Y-%m-%d %H:%M UTC") if stage.built_at else ""
    return (str(number), name, state, detail, " &middot; ".join(extra), when)


def run_link(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    """An MLflow run as a shared page names it: a link into a tracking server's UI when the
    store is a server, else its id (a local store's path means nothing to a reader)."""
    text = esc(f"{run_id} (experiment {experiment_id})")
    if tracking_uri.startswith(("http://", "https://")):
        url = f"{shown_store(tracking_uri).rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
        return f'<a href="{esc(url)}">{text}</a>'
    return text


def _trends(lineage: dict | None, hub_dir: Path) -> str:
    """The champion's metric by version and the drift by monitoring run, as small charts, and
    the simulation's timeline when there is one."""
    if not lineage:
        return ""
    champion = (lineage.get("champion") or {}).get("version")
    tags = (lineage.get("champion") or {}).get("tags", {})
    charts = [
        metric_trend(lineage.get("history", []), tags.get("promotion.metric", DEFAULT_METRIC),
                     champion),
        drift_trend(lineage.get("monitoring", [])),
    ]  # fmt: skip
    timeline = hub_dir / TIMELINE
    link = (
        f'<p><a href="{esc(TIMELINE)}">The simulated weeks, week by week</a>: drift, accuracy, '
        "the champion and the rollout.</p>"
        if timeline.is_file()
        else ""
    )
    shown = [c for c in charts if c]
    if not shown and not link:
        return ""
    return f'<h2>Trends</h2><div class="charts">{"".join(shown)}</div>{link}'


def _lineage_rows(lineage: dict | None, stages: dict[str, Stage]) -> list[tuple[str, str]]:
    if not lineage:
        return [("MLflow", "no training run yet")]
    newest = lineage.get("newest_run") or {}
    tags = newest.get("lineage", {})
    registry = stages["register"].read_json("registry") if "register" in stages else None
    aliases = ", ".join(f"{a} = v{v}" for a, v in sorted(lineage.get("aliases", {}).items()))
    version = f"{lineage['model_name']} v{registry['version']}" if registry else "-"
    return [
        ("git commit", esc(tags.get("git_commit", ""))),
        ("data fingerprint", esc(tags.get("data_fingerprint", ""))),
        ("feature service", esc(tags.get("feature_service", ""))),
        (
            "MLflow run",
            run_link(
                lineage.get("tracking_uri", ""),
                newest.get("experiment_id", ""),
                newest.get("run_id", ""),
            ),
        ),
        ("model version", esc(version)),
        ("aliases now", esc(aliases or "none")),
        ("tracking store", esc(shown_store(lineage.get("tracking_uri", "")))),
    ]


def render_hub(
    path: str | Path,
    title: str,
    stages: list[Stage],
    cards: list[Card],
    lineage: dict | None,
    model_card: Path | None,
) -> Path:
    path = Path(path)
    by_name = {s.name: s for s in stages}
    failed = [s for s in stages if s.state == FAILED]
    banner = "".join(
        f'<p class="note"><b>Stage {esc(s.title)} failed:</b> {esc(s.error)}. '
        "The stages after it show the previous build's results.</p>"
        for s in failed
    )
    numbers = stage_numbers([s.name for s in stages])  # as each report's header numbers it
    rows = [_stage_row(numbers[s.name], s, path.parent) for s in stages]
    card_link = (
        f'<a href="{esc(relative_link(model_card, path.parent, "publish", "model_card"))}">'
        "Model card of the champion</a>: intended use, data, metrics per group, limitations."
        if model_card
        else ""
    )
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"""
<h1>{esc(title)}</h1>
<p class="sub">Built {now}. {verdict(not failed, "Every stage passed.", "A stage failed.")}</p>
{banner}
<div class="cards">{"".join(_card_html(c) for c in cards)}</div>
<p>{card_link}</p>
{_trends(lineage, path.parent)}
<h2>Stages</h2>
{table(("#", "stage (report)", "state", "key figures", "more", "built"), rows, raw=True)}
<h2>Lineage of the newest build</h2>
{table(("", ""), _lineage_rows(lineage, by_name), raw=True)}
"""
    return write_page(path, title, body, footer="Static pages written by mlcycle's publish stage.")
