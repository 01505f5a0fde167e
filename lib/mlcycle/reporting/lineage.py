"""Where a model came from, as the MLflow tracking store and registry record it.

Only this module talks to MLflow, so the rest of the reporting code works on plain dicts (and
is tested without a store).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from mlcycle.registry.aliases import ALIASES

LINEAGE_PREFIX = "lineage."
GROUPS_ARTIFACT = "evaluation/groups.json"


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


def _groups(client, run_id: str) -> list[dict] | None:
    """The per-group metrics the evaluate stage logged, if this run has them."""
    names = {a.path for a in client.list_artifacts(run_id, "evaluation")}
    if GROUPS_ARTIFACT not in names:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(run_id, GROUPS_ARTIFACT, tmp)
        return json.loads(Path(path).read_text())["groups"]


def model_lineage(tracking_uri: str, model_name: str, run_id: str | None = None) -> dict:
    """Aliases of the registered model, the champion's version and run (lineage tags, metrics,
    per-group metrics), and the newest build's run when `run_id` names it."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from mlcycle.tracking import connect

    connect(tracking_uri)
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
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
            "groups": _groups(client, version.run_id) if version.run_id else None,
        }
    if run_id:
        try:
            out["newest_run"] = _run_facts(client, run_id)
        except MlflowException:
            out["newest_run"] = None
    return out
