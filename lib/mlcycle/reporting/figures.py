"""Key figures at a glance, read from the JSON and Parquet each stage writes.

Each stage gets one plain sentence; the hub's cards answer what a stakeholder asks first: how
much data and did it pass, how good is the model and did it pass, who is in production and what
changed, has the world drifted, and how is the A/B test going.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlcycle.records import Registration
from mlcycle.reporting.page import plural
from mlcycle.reporting.stages import Stage
from mlcycle.task import BINARY, headline


@dataclass(frozen=True)
class Card:
    key: str
    value: str
    detail: str
    ok: bool | None  # None: nothing to judge


def parquet_rows(path: Path | None) -> int | None:
    if path is None:
        return None
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def _n(value: float | int | None) -> str:
    return "?" if value is None else f"{value:,}"


def _collect(s: Stage) -> str:
    rows, events = parquet_rows(s.product("entities")), parquet_rows(s.product("events"))
    return f"{_n(rows)} rows" + (f" and {_n(events)} events" if events is not None else "")


def _validate(s: Stage) -> str:
    v = s.read_json("summary")
    if not v:
        return ""
    verdict = "passed" if v["passed"] else f"FAILED with {plural(len(v['problems']), 'problem')}"
    return f"{_n(v['rows'])} rows {verdict}; {plural(len(v['fixes']), 'fix', 'fixes')} applied"


def _features(s: Stage) -> str:
    rows = parquet_rows(s.product("labels"))
    return f"{_n(rows)} labelled rows" if rows is not None else ""


def _feature_store(s: Stage) -> str:
    d = s.read_json("definitions")
    if not d:
        return ""
    n = sum(len(v) for v in d["views"].values())
    views = plural(len(d["views"]), "view")
    return f"feature service {d['feature_service']}: {plural(n, 'feature')} in {views}"


def _materialize(s: Stage) -> str:
    d = s.read_json("summary")
    return "; ".join(f"{k}: {v}" for k, v in d["loads"].items()) if d else ""


def _select(s: Stage) -> str:
    r = s.read_json("run")
    if not r:
        return ""
    picked = f" (best of {len(r['candidates'])} by validation {r['selection_metric']})" if (
        "candidates" in r) else ""  # fmt: skip
    return f"{r['model_family']} kept{picked}, MLflow run {r['run_id'][:12]}"


def _candidate(s: Stage) -> str:
    r = s.read_json("run")
    if not r:
        return ""
    scores = headline(r.get("task", BINARY), r.get("valid_metrics", {}))
    params = f" {r['model_params']}" if r.get("model_params") else ""
    return f"{r['model_family']}{params}: validation {scores}"


def _evaluate(s: Stage) -> str:
    m = s.read_json("metrics")
    if not m:
        return ""
    g = m["gate"]
    verdict = "passed" if g["passed"] else "FAILED"
    return (
        f"{headline(m.get('task', BINARY), m['metrics'])} on "
        f"{_n(m['test_rows'])} test rows; gate {verdict} ({g['metric']} {g['value']:.3f} vs "
        f"{g['threshold']})"
    )


def _register(s: Stage) -> str:
    r = s.read_json("registry")
    if not r:
        return ""
    what = Registration.model_validate(r).verdict
    return f"version {r['version']} {what}: {r['reason']}"


def _optimize(s: Stage) -> str:
    o = s.read_json("summary")
    if not o:
        return ""
    parts = [
        f"v{v}: ONNX parity {'passed' if e['parity_passed'] else 'FAILED'}"
        for v, e in sorted(o.get("exports", {}).items())
    ]
    runtimes = {r["runtime"]: r for r in o.get("runtimes", [])}
    if {"scikit-learn", "ONNX Runtime"} <= runtimes.keys():
        a, b = runtimes["scikit-learn"]["single_row_ms"], runtimes["ONNX Runtime"]["single_row_ms"]
        parts.append(f"one row {a:.1f} ms -> {b:.2f} ms")
    return "; ".join(parts)


def _batch_predict(s: Stage) -> str:
    b = s.read_json("summary")
    if not b:
        return ""
    return (
        f"{_n(b['rows_scored'])} rows scored by v{b['model_version']} ({b['alias']}), "
        f"{_n(b['rows_rejected'])} rejected"
    )


def _monitor(s: Stage) -> str:
    d, decision = s.read_json("drift"), s.read_json("decision")
    if not d:
        return ""
    text = f"{'dataset drift' if d['dataset_drift'] else 'no dataset drift'} "
    text += f"({d['drift_share']:.0%} of columns drifted)"
    if decision:
        text += "; retrain triggered" if decision["retrain"] else "; no retrain needed"
    return text


def _ab_analysis(s: Stage) -> str:
    a = s.read_json("analysis")
    return f"{a['recommendation']}: {a['why']}" if a else ""


STAGE_FIGURES: dict[str, Callable[[Stage], str]] = {
    "collect": _collect,
    "validate": _validate,
    "features": _features,
    "feature_store": _feature_store,
    "materialize": _materialize,
    "select": _select,
    "evaluate": _evaluate,
    "register": _register,
    "optimize": _optimize,
    "batch_predict": _batch_predict,
    "monitor": _monitor,
    "ab_analysis": _ab_analysis,
}


def stage_figures(stage: Stage) -> str:
    """One sentence of key figures; empty for a stage with no products (or unknown to us)."""
    figures = STAGE_FIGURES.get(stage.name)
    if figures is None and stage.name.startswith("candidate-"):  # a point of the model grid
        figures = _candidate
    if figures is None or stage.state == "not built":
        return ""
    try:
        return figures(stage)
    except (KeyError, TypeError, ValueError) as exc:  # a product of an older layout
        return f"(figures unreadable: {type(exc).__name__} {exc})"


def _json(stages: dict[str, Stage], name: str, key: str):
    stage = stages.get(name)
    return stage.read_json(key) if stage is not None else None


def glance(stages: dict[str, Stage], champion: dict | None) -> list[Card]:
    """The hub's cards, in the order a stakeholder reads them."""
    cards = []
    v = _json(stages, "validate", "summary")
    if v:
        problems = f"validation FAILED: {len(v['problems'])} problem(s)"
        detail = "validation passed" if v["passed"] else problems
        cards.append(Card("Data", f"{_n(v['rows'])} rows", detail, v["passed"]))
    else:
        cards.append(Card("Data", "-", "not validated yet", None))
    m = _json(stages, "evaluate", "metrics")
    if m:
        g = m["gate"]
        detail = (
            f"quality gate {'passed' if g['passed'] else 'FAILED'} (threshold {g['threshold']}); "
            f"{headline(m.get('task', BINARY), m['metrics'], first=1)}"
        )
        cards.append(Card("Newest model", f"{g['metric']} {g['value']:.3f}", detail, g["passed"]))
    else:
        cards.append(Card("Newest model", "-", "not evaluated yet", None))
    r = _json(stages, "register", "registry")
    if champion:
        if r and r["promoted"]:
            changed = f"new: v{r['version']} promoted ({r['reason']})"
        elif r:
            changed = f"unchanged: v{r['version']} {r['reason']}"
        else:
            changed = ""
        cards.append(Card("Champion", f"version {champion['version']}", changed, True))
    else:
        cards.append(Card("Champion", "none", "no model has passed the gate yet", False))
    d = _json(stages, "monitor", "drift")
    if d:
        share = f"{d['drift_share']:.0%} of columns drifted in the latest window"
        label = "drift" if d["dataset_drift"] else "stable"
        cards.append(Card("Drift", label, share, not d["dataset_drift"]))
    else:
        cards.append(Card("Drift", "-", "not monitored yet", None))
    a = _json(stages, "ab_analysis", "analysis")
    if a and sum(arm["served"] for arm in a["arms"]):
        cards.append(Card("A/B test", a["recommendation"], a["why"], not a["srm"]))
    else:
        cards.append(Card("A/B test", "none running", "no A/B traffic logged yet", None))
    return cards
