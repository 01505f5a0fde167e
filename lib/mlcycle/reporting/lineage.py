"""Where a model came from, as the MLflow tracking store and registry record it.

Only this module talks to MLflow, so the rest of the reporting code works on plain dicts (and
is tested without a store).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from mlcycle.registry.aliases import ALIASES

LINEAGE_PREFIX = "lineage."
GROUPS_ARTIFACT = "evaluation/groups.json"
RANKING_ARTIFACT = "evaluation/ranking.json"
# the evaluate stage's tables and plots the model card shows, whichever the task logged:
# binary (ranking; calibration, cumulative gain), multiclass (per class; confusion matrix),
# regression (residual quantiles; predicted against actual, residuals)
TABLES = {"ranking": RANKING_ARTIFACT, "per_class": "evaluation/per_class.json",
          "residuals": "evaluation/residuals.json"}  # fmt: skip
CARD_PLOTS = ("calibration", "cumulative_gain", "confusion_matrix", "predicted_vs_actual",
              "residuals")  # fmt: skip


def _run_facts(client, run_id: str) -> dict:
    run = client.get_run(run_id)
    tags = run.data.tags
    return {
        "run_id": run_id,
        "run_name": run.info.run_name,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "started": run.info.start_time,
        "params": dict(run.data.params),
        "metrics": dict(run.data.metrics),
        "lineage": {
            k.removeprefix(LINEAGE_PREFIX): v
            for k, v in tags.items()
            if k.startswith(LINEAGE_PREFIX)
        },  # fmt: skip
        "gate_passed": tags.get("gate.passed"),
    }


def _artifacts(client, run_id: str, paths: list[str]) -> dict[str, bytes]:
    """The artifacts of a run that it has, among `paths` (each folder listed once)."""
    present = set()
    for folder in {p.rpartition("/")[0] for p in paths}:
        present |= {a.path for a in client.list_artifacts(run_id, folder or None)}
    with tempfile.TemporaryDirectory() as tmp:
        return {
            p: Path(client.download_artifacts(run_id, p, tmp)).read_bytes()
            for p in paths
            if p in present
        }


def _evaluation(client, run_id: str) -> dict:
    """What the evaluate stage logged for the model card: the per-group metrics, its task's
    tables (the ranking, per class, residuals) and plots (PNG, base64); None or absent where
    this run has none. A binary model's card shows no confusion matrix (its plots are
    calibration and gain)."""
    import base64

    plots = {name: f"plots/{name}.png" for name in CARD_PLOTS}
    found = _artifacts(client, run_id, [GROUPS_ARTIFACT, *TABLES.values(), *plots.values()])
    groups = found.get(GROUPS_ARTIFACT)
    if "plots/calibration.png" in found:  # binary: the card's view is calibration and gain
        plots.pop("confusion_matrix")
    return {
        "groups": json.loads(groups)["groups"] if groups else None,
        **{name: json.loads(found[path])[name] if path in found else None
           for name, path in TABLES.items()},
        "plots": {n: base64.b64encode(found[p]).decode("ascii") for n, p in plots.items()
                  if p in found},
    }  # fmt: skip


def version_history(client, model_name: str) -> list[dict]:
    """Every registered version, oldest first, with its run's test and validation metrics."""
    from mlflow.exceptions import MlflowException

    out = []
    for version in client.search_model_versions(f"name = '{model_name}'"):
        metrics = {}
        if version.run_id:
            # a deleted run leaves its version in the history, without metrics
            with contextlib.suppress(MlflowException):
                metrics = dict(client.get_run(version.run_id).data.metrics)
        out.append({"version": int(version.version), "created": version.creation_timestamp,
                    "metrics": metrics})  # fmt: skip
    return sorted(out, key=lambda v: v["version"])


def monitoring_history(client, model_name: str, limit: int = 200) -> list[dict]:
    """The monitor stage's decisions, oldest first: when, the drift share, retrain or not."""
    from mlcycle.settings import monitoring_experiment

    experiment = client.get_experiment_by_name(monitoring_experiment(model_name))
    if experiment is None:
        return []
    newest = ["attributes.start_time DESC"]
    runs = client.search_runs([experiment.experiment_id], "tags.kind = 'monitoring'",
                              max_results=limit, order_by=newest)  # fmt: skip
    return [
        {
            "started": r.info.start_time,
            "drift_share": r.data.metrics.get("drift_share"),
            "retrain": r.data.tags.get("decision.retrain") == "true",
            "champion": r.data.tags.get("champion_version"),
        }  # fmt: skip
        for r in reversed(runs)
    ]


def model_lineage(tracking_uri: str, model_name: str, run_id: str | None = None) -> dict:
    """Aliases of the registered model, the champion's version and run (lineage tags, metrics,
    per-group metrics), and the newest build's run when `run_id` names it."""
    from mlflow.exceptions import MlflowException

    from mlcycle.tracking import connect

    client = connect(tracking_uri)
    out: dict = {"tracking_uri": tracking_uri, "model_name": model_name, "aliases": {}}
    try:
        registered = client.get_registered_model(model_name)
        out["aliases"] = {a: str(v) for a, v in registered.aliases.items() if a in ALIASES}
    except MlflowException:
        registered = None
    champion = out["aliases"].get("champion")
    if champion:
        version = client.get_model_version(model_name, champion)
        facts = _run_facts(client, version.run_id) if version.run_id else {}
        out["champion"] = {
            "version": champion,
            "created": version.creation_timestamp,
            "tags": dict(version.tags),
            "source": version.source,
            **facts,
            **(_evaluation(client, version.run_id) if version.run_id else {"groups": None}),
        }
    if registered is not None:
        out["history"] = version_history(client, model_name)
    out["monitoring"] = monitoring_history(client, model_name)
    if run_id:
        try:
            out["newest_run"] = _run_facts(client, run_id)
        except MlflowException:
            out["newest_run"] = None
    return out
