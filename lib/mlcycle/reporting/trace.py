"""One prediction traced back to its origins: what an auditor asks when a decision is questioned.

From the prediction log's row (when, for whom, which arm and why, the features as served, the
outcome) to the model version that answered (its run, the data it learnt from: fingerprint,
`as_of` window, sources and row counts, the split; the code's commit, the feature service), the
experiment it was served under, and where the reports are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

LINEAGE_SHOWN = (
    ("data_fingerprint", "data fingerprint"),
    ("as_of", "data as of"),
    ("window_start", "training window from"),
    ("source", "source"),
    ("source_rows", "rows collected"),
    ("rows.table", "training rows: table"),
    ("rows.production", "training rows: production labels"),
    ("split", "split"),
    ("git_commit", "git commit"),
    ("feature_service", "feature service"),
    ("feature_definitions", "feature definitions"),
    ("inputs_digest", "stage inputs digest"),
    ("dataset_config", "dataset config"),
)


class TraceError(LookupError):
    """The request id is not in the log (or the log does not exist)."""


def prediction_row(log_path: str | Path, request_id: str) -> dict[str, Any]:
    from mlcycle.serving.log_database import log_exists, redacted
    from mlcycle.serving.prediction_log import PredictionLog

    if not log_exists(log_path):
        raise TraceError(f"no prediction log at {log_path} (the setting prediction_log)")
    row = PredictionLog(log_path).row(request_id)
    if row is None:
        raise TraceError(f"no prediction with request_id {request_id!r} in {redacted(log_path)}")
    return row


def trace(client: Any, log_path: str | Path, request_id: str, reports: Path | None = None
          ) -> list[tuple[str, list[tuple[str, str]]]]:  # fmt: skip
    """Sections of (label, value) lines, from the prediction to its origins."""
    import json

    from mlflow.exceptions import MlflowException

    row = prediction_row(log_path, request_id)
    outcome = (
        "not known yet" if row["outcome"] is None else f"{row['outcome']} ({row['outcome_ts']})"
    )
    sections = [("prediction", [
        ("request id", row["request_id"]),
        ("served at", row["ts"]),
        ("user id", row["user_id"] or "(none)"),
        ("prediction", f"{row['prediction']} (probability {row['probability']:.4f})"),
        ("outcome", outcome),
        ("features as served", json.dumps(json.loads(row["features"]), sort_keys=True)),
    ])]  # fmt: skip
    sections.append(("A/B", [
        ("arm", row["arm"]),
        ("why this arm", row.get("assignment") or "(not recorded: an older log)"),
        ("experiment", row.get("experiment") or "(none)"),
        ("split then", row.get("split") or "(not recorded)"),
    ]))  # fmt: skip
    name, version = row["model_name"], row["model_version"]
    if row.get("experiment"):
        sections[-1][1].extend(_rollout_moves(client, name, row["experiment"]))
    try:
        mv = client.get_model_version(name, version)
    except MlflowException as exc:
        sections.append(("model", [("version", f"{name} v{version}: not in the registry ({exc})")]))
        return sections
    tags = dict(mv.tags)
    model = [("registered model", f"{name} version {version}"), ("source", mv.source)]
    model += [(k.removeprefix("promotion."), v) for k, v in sorted(tags.items())
              if k in ("promotion.decision", "promotion.reason", "onnx.parity")]  # fmt: skip
    sections.append(("model", model))
    if mv.run_id:
        run = client.get_run(mv.run_id)
        rtags = run.data.tags
        lineage = [(label, rtags[f"lineage.{key}"]) for key, label in LINEAGE_SHOWN
                   if rtags.get(f"lineage.{key}")]  # fmt: skip
        experiment = client.get_experiment(run.info.experiment_id).name
        sections.append(("training run", [
            ("run", f"{run.info.run_id} ({run.info.run_name}) in experiment '{experiment}'"),
            ("model family", run.data.params.get("model_family", "")),
            ("training rows", run.data.params.get("train_rows", "")),
            ("gate passed", rtags.get("gate.passed", "")),
            *lineage,
        ]))  # fmt: skip
    if reports is not None:
        hub = Path(reports) / "index.html"
        sections.append(
            (
                "reports",
                [
                    ("report hub", str(hub) if hub.is_file() else "(not built)"),
                    ("model card", str(Path(reports) / "model_card.html")),
                ],
            )
        )
    return sections


def _rollout_moves(client: Any, name: str, key: str) -> list[tuple[str, str]]:
    """The moves of the rollout that ran the experiment, oldest first."""
    experiment = client.get_experiment_by_name(f"{name}-monitoring")
    if experiment is None:
        return []
    runs = client.search_runs([experiment.experiment_id], f"tags.`rollout.key` = '{key}'",
                              order_by=["attributes.start_time ASC"])  # fmt: skip
    moves = []
    for r in runs:
        t, share = r.data.tags, r.data.metrics.get("challenger_share", 0)
        moves.append((f"rollout {t.get('rollout.action', '')}",
                      f"v{t.get('rollout.version', '')} at {share:g}%: "
                      f"{t.get('rollout.reason', '')}"))  # fmt: skip
    return moves


def render(sections: list[tuple[str, list[tuple[str, str]]]]) -> str:
    width = max(len(label) for _, lines in sections for label, _ in lines)
    out = []
    for title, lines in sections:
        out.append(f"\n{title}")
        out += [f"  {label:<{width}}  {value}" for label, value in lines]
    return "\n".join(out).lstrip("\n")
