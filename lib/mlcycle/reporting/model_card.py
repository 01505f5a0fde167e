"""The model card of the champion (the model in production): intended use, data, features,
metrics, performance per group, limitations, ethical considerations and lineage.

The figures come from the registry and the stages' products; the words people must write
(intended use, limitations, ...) come from the dataset config's `card:` section. What the
config leaves out is shown as missing, never invented.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mlcycle.config import DatasetConfig
from mlcycle.reporting.display import shown_store
from mlcycle.reporting.figures import parquet_rows
from mlcycle.reporting.hub import run_link
from mlcycle.reporting.page import esc, plural, png_img, table, write_page
from mlcycle.reporting.stages import Stage
from mlcycle.task import BINARY, LOWER_IS_BETTER, METRICS, MULTICLASS, REGRESSION, metric_name
from mlcycle.training.evaluation import GROUP_METRIC
from mlcycle.training.metrics import largest_gaps

GAP_TO_REVIEW = 0.05  # an accuracy gap between groups above this is flagged for review


def _task(champion: dict) -> str:
    """The champion's task, as its registered version says (versions before tasks: binary)."""
    return champion.get("tags", {}).get("task", BINARY)


def _missing(config: DatasetConfig, field: str) -> str:
    where = config.path.name if config.path else "the dataset config"
    return (
        f'<p class="note">Not stated. Add <code>card.{esc(field)}</code> to '
        f"<code>{esc(where)}</code>.</p>"
    )


def _items(values: tuple[str, ...] | list[str]) -> str:
    return "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in values) + "</ul>"


def _when(ms: int | None) -> str:
    if not ms:
        return "?"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _bounds(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}"
    if lo is not None:
        return f"at least {lo:g}"
    return f"at most {hi:g}" if hi is not None else "any"


def _features(config: DatasetConfig, definitions: dict | None) -> str:
    view_of = {
        name: view for view, names in (definitions or {}).get("views", {}).items() for name in names
    }
    rows = []
    for f in config.numeric:
        bounds = _bounds(f.min, f.max)
        origin = "event log" if f.name in config.event_features else "customer table"
        rows.append((f.name, "numeric", bounds, origin, view_of.get(f.name, "")))
    for f in config.categorical:
        allowed = ", ".join(f.values) if f.values else "any"
        rows.append((f.name, "categorical", allowed, "customer table", view_of.get(f.name, "")))
    return table(("feature", "kind", "allowed values", "from", "Feast view"), rows)


def _metrics(champion: dict) -> str:
    metrics = champion.get("metrics", {})
    rows = []
    for name in METRICS[_task(champion)]:
        valid, test = metrics.get(f"valid_{name}"), metrics.get(f"test_{name}")
        if valid is None and test is None:
            continue
        better = "lower" if name in LOWER_IS_BETTER else "higher"
        rows.append(
            (
                name,
                "" if valid is None else f"{valid:.4f}",
                "" if test is None else f"{test:.4f}",
                f"{better} is better",
            )  # fmt: skip
        )
    return table(("metric", "validation split", "test split", ""), rows)


PLOT_WORDS = {
    "calibration": "Calibration: the observed rate of the positive class against the mean "
    "predicted probability, per tenth of the test set; on the diagonal, a score of 0.3 means 3 "
    "in 10.",
    "cumulative_gain": "Cumulative gain: the share of all positives found by contacting the "
    "test rows highest score first, against a random order.",
    "confusion_matrix": "Confusion matrix: test rows by actual class (rows) and predicted "
    "class (columns); the diagonal is right.",
    "predicted_vs_actual": "Predicted against actual on the test set; on the diagonal, the "
    "prediction is exact.",
    "residuals": "Residuals (predicted minus actual) against the prediction: a band around 0 "
    "of even width is what a sound model leaves.",
}
EVALUATION_TITLE = {
    BINARY: "Calibration and ranking",
    MULTICLASS: "Errors by class",
    REGRESSION: "Errors",
}


def _evaluation(config: DatasetConfig, champion: dict) -> str:
    """Calibration and the ranking view: what a score means, and what contacting the top
    scores finds (precision at k, gain, lift)."""
    plots = champion.get("plots") or {}
    figures = "".join(
        f"<figure>{png_img(data, PLOT_WORDS.get(name, name))}"
        f"<figcaption>{esc(PLOT_WORDS.get(name, name))}</figcaption></figure>"
        for name, data in plots.items()
    )
    rows = [
        (
            f"top {r['top_share']:.0%}",
            f"{r['rows']:,}",
            f"{r['precision']:.3f}",
            f"{r['gain']:.1%}",
            f"{r['lift']:.2f}x",
        )  # fmt: skip
        for r in champion.get("ranking") or []
    ]
    task = _task(champion)
    if task == MULTICLASS:
        return f'<div class="charts">{figures}</div>' + table(
            ("class", "test rows", "precision", "recall", "F1"),
            [(r["class"], f"{r['rows']:,}", f"{r['precision']:.3f}", f"{r['recall']:.3f}",
              f"{r['f1']:.3f}") for r in champion.get("per_class") or []],
        )  # fmt: skip
    if task == REGRESSION:
        unit = esc(config.target.column)
        return (
            f'<div class="charts">{figures}</div><p>How far off the predictions of '
            f"<code>{unit}</code> are on the test set (predicted minus actual):</p>"
            + table(("quantile", "residual"),
                    [(f"{r['quantile']:.0%}", f"{r['residual']:,.4g}")
                     for r in champion.get("residuals") or []])
        )  # fmt: skip
    positive = config.target.labels[1]
    ranking = (
        "<p>Contacting the highest-scored rows of the test set first:</p>"
        + table(
            (
                "contacted",
                "rows",
                f"precision ({positive})",
                f"share of all {positive} found",
                "lift over random",
            ),
            rows,
        )  # fmt: skip
        if rows
        else '<p class="note">The champion\'s run has no ranking table (it was evaluated before '
        "one was recorded); the next promoted model will have it.</p>"
    )
    return f'<div class="charts">{figures}</div>{ranking}'


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _groups(config: DatasetConfig, champion: dict) -> str:
    if not config.card.sensitive_features:
        return _missing(config, "sensitive_features") + (
            "<p>Without it, no metric is broken down by group: nobody has checked whether the "
            "model is as accurate for every group of people.</p>"
        )
    groups = champion.get("groups")
    if not groups:
        return (
            '<p class="note">The champion\'s run has no per-group metrics (it was evaluated '
            "before they were recorded); the next promoted model will have them.</p>"
        )
    task = _task(champion)
    measure = GROUP_METRIC[task]
    gaps = largest_gaps(groups, measure)
    flags = [
        f"<li><b>{esc(k)}</b>: {metric_name(measure)} varies by {v:.3f} between groups"
        + (' <span class="bad">(review)</span>' if v > GAP_TO_REVIEW and task != REGRESSION
           else "")
        + "</li>"
        for k, v in gaps.items()
    ]  # fmt: skip
    if task != BINARY:
        columns = ("feature", "group", "rows", *(k for k in groups[0] if k not in
                                                 ("feature", "group", "rows")))  # fmt: skip
        return f"<p>On the test split.</p><ul>{''.join(flags)}</ul>" + table(
            columns, [tuple(_shown(g[c]) for c in columns) for g in groups]
        )
    rows = [
        (
            g["feature"],
            g["group"],
            f"{g['rows']:,}",
            f"{g['accuracy']:.3f}",
            "" if g["recall"] is None else f"{g['recall']:.3f}",
            f"{g['selection_rate']:.3f}",
        )  # fmt: skip
        for g in groups
    ]
    return (
        f"<p>On the test split. An accuracy gap above {GAP_TO_REVIEW} is marked for review.</p>"
        f"<ul>{''.join(flags)}</ul>"
        + table(("feature", "group", "rows", "accuracy", "recall", "share flagged"), rows)
    )


def _data(config: DatasetConfig, stages: dict[str, Stage], champion: dict) -> str:
    validation = stages["validate"].read_json("summary") if "validate" in stages else None
    train = stages.get("select")
    sizes = {
        split: parquet_rows(train.product(split)) if train else None
        for split in ("train", "valid", "test")
    }
    source = (
        f"the built-in generator <code>{esc(config.source.generator)}</code>"
        if config.source.is_generator
        else f"<code>{esc(config.source.path)}</code>"
    )
    lines = [
        f"<li>Source: {source}; one row per <code>{esc(config.id)}</code>, target "
        f"<code>{esc(config.target.column)}</code>"
        + (
            f" (positive: <code>{esc(config.target.positive)}</code>)"
            if config.target.positive is not None
            else ""
        )  # fmt: skip
        + "</li>",
        "<li>Rows by split (newest build): "
        + ", ".join(f"{k} {'?' if v is None else f'{v:,}'}" for k, v in sizes.items())
        + "</li>",
    ]
    if validation:
        lines.append(
            f"<li>Validation: {validation['rows']:,} rows, "
            f"{'passed' if validation['passed'] else 'FAILED'}, "
            f"{plural(len(validation['fixes']), 'documented fix', 'documented fixes')} applied</li>"
        )
    fingerprint = champion.get("lineage", {}).get("data_fingerprint")
    if fingerprint:
        lines.append(f"<li>The champion's training data fingerprint: <code>{esc(fingerprint)}"
                     "</code></li>")  # fmt: skip
    return "<ul>" + "".join(lines) + "</ul>"


def _limitations(config: DatasetConfig, stages: dict[str, Stage], champion: dict) -> str:
    auto = []
    drift = stages["monitor"].read_json("drift") if "monitor" in stages else None
    if drift and drift["dataset_drift"]:
        auto.append(
            f"The latest monitored window has drifted ({drift['drift_share']:.0%} of columns): "
            "figures above may no longer hold."
        )
    onnx = stages["optimize"].read_json("summary") if "optimize" in stages else None
    export = (onnx or {}).get("exports", {}).get(str(champion["version"]))
    if export and export.get("served_with_onnx"):
        differ = f"by at most {export['parity_max_abs_diff']:.3f}"
        auto.append(
            f"It is served through ONNX Runtime: its predictions differ from scikit-learn's "
            f"{differ} of their standard deviation on the test split."
            if _task(champion) == REGRESSION
            else "It is served through ONNX Runtime: its probabilities differ from "
            f"scikit-learn's {differ} on the test split."
        )
    stated = _items(config.card.limitations) if config.card.limitations else ""
    if not stated:
        stated = _missing(config, "limitations")
    return stated + (("<p>Found by the pipeline:</p>" + _items(auto)) if auto else "")


def render_model_card(
    config: DatasetConfig,
    lineage: dict | None,
    stages: dict[str, Stage],
    path: str | Path,
    footer: str = "",
) -> Path:
    """Write the card; with no champion yet, a card that says so."""
    champion = (lineage or {}).get("champion")
    name = config.model_name
    if not champion:
        body = (
            f"<h1>Model card: {esc(name)}</h1><p class='bad'>There is no champion yet: no model "
            "has passed the quality gate and been promoted. See the hub for what failed.</p>"
        )
        return write_page(path, f"Model card: {name}", body + '<p><a href="index.html">'
                          "Back to the report hub</a></p>", footer)  # fmt: skip
    card = config.card
    lineage_rows = [
        ("registered model", esc(f"{name} version {champion['version']} (alias champion)")),
        (
            "MLflow run",
            run_link(
                (lineage or {}).get("tracking_uri", ""),
                champion.get("experiment_id", ""),
                champion.get("run_id", ""),
            ),
        ),
        *(
            (label, esc(champion.get("lineage", {}).get(key, "")))
            for label, key in (
                ("git commit", "git_commit"),
                ("data fingerprint", "data_fingerprint"),
                ("feature service", "feature_service"),
                ("feature definitions", "feature_definitions"),
                ("code and inputs digest", "inputs_digest"),
            )
        ),
        ("tracking store", esc(shown_store((lineage or {}).get("tracking_uri", "")))),
    ]
    promotion = champion.get("tags", {})
    params = champion.get("params", {})
    body = f"""
<h1>Model card: {esc(name)} v{esc(champion['version'])}</h1>
<p class="sub">The model in production (registry alias <code>champion</code>).
<a href="index.html">Back to the report hub</a></p>
<h2>Model details</h2>
{table(("", ""), [
    ("family", params.get("model_family", "")),
    ("registered", _when(champion.get("created"))),
    ("trained on", f"{params.get('train_rows', '?')} rows, {params.get('n_features', '?')} "
                   "features"),
    ("why it is champion", promotion.get("promotion.reason", "")),
    ("served with", "ONNX Runtime" if promotion.get("onnx.parity") == "passed"
                    else "scikit-learn"),
])}
<h2>Intended use</h2>
{f"<p>{esc(card.intended_use)}</p>" if card.intended_use else _missing(config, "intended_use")}
<h3>Out of scope</h3>
{f"<p>{esc(card.out_of_scope)}</p>" if card.out_of_scope else _missing(config, "out_of_scope")}
<h2>Data</h2>
{_data(config, stages, champion)}
<h2>Features</h2>
{_features(config, stages["feature_store"].read_json("definitions")
               if "feature_store" in stages else None)}
<h2>Metrics</h2>
{_metrics(champion)}
<h2>{EVALUATION_TITLE[_task(champion)]}</h2>
{_evaluation(config, champion)}
<h2>Performance across groups</h2>
{_groups(config, champion)}
<h2>Limitations</h2>
{_limitations(config, stages, champion)}
<h2>Ethical considerations</h2>
{_items(card.ethical_considerations) if card.ethical_considerations
 else _missing(config, "ethical_considerations")}
<h2>Lineage</h2>
{table(("", ""), lineage_rows, raw=True)}
"""  # fmt: skip
    return write_page(path, f"Model card: {name} v{champion['version']}", body, footer)
