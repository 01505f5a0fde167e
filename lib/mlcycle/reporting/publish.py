"""Publish: the report hub, the model card and a JSON of the same figures, from the products
the stages left. Runs as the DAG's last stage, from the failure hook (so a failed build still
shows what failed), and as `make report` (re-render every report, no stage rerun).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlcycle.config import load_dataset_config
from mlcycle.io import write_json
from mlcycle.reporting.figures import glance, stage_figures
from mlcycle.reporting.hub import render_hub
from mlcycle.reporting.model_card import render_model_card
from mlcycle.reporting.site import in_pipeline_order
from mlcycle.reporting.stages import read_stages

PUBLISH_STAGE = "publish"


def publish(
    stage_products: Mapping[str, Mapping[str, Any]],
    dataset: str | Path,
    hub: str | Path,
    model_card: str | Path,
    summary: str | Path,
    outdated: Mapping[str, str] | None = None,
    lineage: dict | None = None,
) -> dict:
    """Write the hub, the card and the summary JSON; returns the summary.

    `lineage` defaults to what the MLflow store records about the newest training run's model.
    """
    config = load_dataset_config(dataset)
    # a build hands the upstream products over in no particular order
    stage_products = {name: stage_products[name] for name in in_pipeline_order(stage_products)}
    stages = read_stages(stage_products, outdated)
    by_name = {s.name: s for s in stages}
    if lineage is None:
        run = by_name["select"].read_json("run") if "select" in by_name else None
        if run:
            from mlcycle.reporting.lineage import model_lineage

            lineage = model_lineage(run["tracking_uri"], run["model_name"], run["run_id"])
    champion = (lineage or {}).get("champion")
    cards = glance(by_name, champion)
    render_model_card(config, lineage, by_name, model_card)
    render_hub(
        hub,
        f"{config.name}: model lifecycle report",
        stages,
        cards,
        lineage,
        Path(model_card),
    )
    result = {
        "generated_at": datetime.now(UTC).isoformat(),
        "dataset": config.name,
        "hub": str(hub),
        "model_card": str(model_card),
        "cards": [asdict(c) for c in cards],
        "stages": [
            {
                "name": s.name,
                "state": s.state,
                "figures": stage_figures(s),
                "error": s.error,
                "why": s.why,
                "pages": {k: str(v) for k, v in s.pages.items()},
            }
            for s in stages
        ],  # fmt: skip
        "champion": champion and {k: champion.get(k) for k in ("version", "run_id", "lineage")},
        "aliases": (lineage or {}).get("aliases", {}),
    }
    write_json(result, summary)
    return result


def flatten_upstream(upstream: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A build's upstream with wildcard entries (`candidate-*`: {task: products}) opened up."""
    out: dict[str, dict[str, Any]] = {}
    for name, value in upstream.items():
        if "*" in name:
            out.update({task: dict(products) for task, products in value.items()})
        else:
            out[name] = dict(value)
    return out
