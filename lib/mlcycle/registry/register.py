"""Registry operations: register a challenger, score the champion, move aliases.

The alias names and their lookup are mlcycle.registry.aliases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mlcycle.config import DatasetConfig
from mlcycle.records import Registration
from mlcycle.registry.aliases import CHALLENGER, CHAMPION, alias_version
from mlcycle.registry.promotion import PromotionDecision, decide_promotion
from mlcycle.settings import refuse_shared_registry_writes
from mlcycle.task import BINARY, Task

ROLLOUT, DIRECT, REVIEW = "rollout", "direct", "review"
PROMOTIONS = (ROLLOUT, DIRECT, REVIEW)  # what a challenger that beats the champion gets


def logged_model_id(model_uri: str) -> str | None:
    """The logged model (MLflow 3) a `models:/m-…` URI names: a tracking server insists on it
    beside such a source when a version is created (the SQLite store does not)."""
    return model_uri.removeprefix("models:/") if model_uri.startswith("models:/m-") else None


def existing_version(client: MlflowClient, name: str, model_uri: str) -> str | None:
    """The version already registered from this exact model, so reruns do not duplicate it."""
    matches = [
        int(mv.version)
        for mv in client.search_model_versions(f"name = '{name}'")
        if mv.source == model_uri
    ]
    return str(min(matches)) if matches else None


def training_identity(tags: dict[str, str]) -> str | None:
    """What a model was trained on and how: data fingerprint, family and parameters. Two
    versions with the same identity are the same model trained again; None when unknown."""
    fingerprint = tags.get("lineage.data_fingerprint")
    if not fingerprint:
        return None
    return f"{fingerprint}/{tags.get('model_family', '')}/{tags.get('model_params', '')}"


def _same_as_champion(client: MlflowClient, name: str, champion: str | None,
                      tags: dict[str, str]) -> bool:  # fmt: skip
    identity = training_identity(tags)
    if champion is None or identity is None:
        return False
    return training_identity(client.get_model_version(name, champion).tags) == identity


MIN_UNSEEN_ROWS = 200  # fewer test rows the champion never saw: compare on the whole split


def unseen_by_champion(client: MlflowClient, name: str, test: pd.DataFrame, time_column: str
                       ) -> tuple[pd.DataFrame, str]:  # fmt: skip
    """The test rows the champion never saw (newer than the `as_of` it was trained as of), and
    in words what the comparison is on. A test split cut inside one time can hold rows the
    champion trained on; judging it there would flatter it."""
    champion = alias_version(client, name, CHAMPION)
    if champion is None:
        return test, "the test split"
    seen_until = client.get_model_version(name, champion).tags.get("lineage.as_of")
    if not seen_until or time_column not in test.columns:
        return test, "the test split (the champion's as_of is unknown)"
    times = pd.to_datetime(test[time_column])
    unseen = test[times > pd.Timestamp(seen_until)]
    if len(unseen) < MIN_UNSEEN_ROWS:
        return test, (f"the test split: only {len(unseen)} of its rows are newer than the "
                      f"champion's as_of {seen_until}, too few to judge on")  # fmt: skip
    return unseen, (f"the {len(unseen):,} test rows newer than the champion's as_of "
                    f"{seen_until} (rows it never saw)")  # fmt: skip


def score_version(model_uri: str, X: pd.DataFrame, task: Task = BINARY) -> Any:
    """A logged or registered model's output for its task (trusted formats only): positive
    probabilities, labelled class probabilities or numbers (`model_output`)."""
    from mlcycle.registry.trusted import load_trusted
    from mlcycle.training.train import model_output

    return model_output(load_trusted(model_uri), X, task)


def describe_model(config: DatasetConfig) -> str:
    """The registered model's description, written from its dataset config: what it predicts,
    from what, and what it is for."""
    positive = (
        f" (positive: {config.target.positive})" if config.target.positive is not None else ""
    )
    text = (
        f"Predicts `{config.target.column}`{positive} for each `{config.id}` of the dataset "
        f"'{config.name}', from {len(config.feature_names)} features "
        f"({len(config.numeric_names)} numeric, {len(config.categorical_names)} categorical). "
    )
    if config.card.intended_use:
        text += f"Intended use: {' '.join(config.card.intended_use.split())} "
    return text + "Registered by the mlcycle lifecycle; aliases: champion, challenger, staging."


def register_and_promote(
    client: MlflowClient,
    model_uri: str,
    name: str,
    run_id: str,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    metric_fn: Callable[[pd.Series, Any], float],  # (y, the model's output for its task)
    metric: str,
    gate_passed: bool,
    min_improvement: float = 0.0,
    tags: dict[str, str] | None = None,
    promotion: str = DIRECT,
    first_share: float = 100.0,
    description: str = "",
    task: Task = BINARY,
) -> Registration:
    """Register `model_uri` as the challenger; when the rule says it beats the champion:

    - `rollout`: start a rollout at `first_share` percent of traffic (registry.rollout), which
      the service follows and `mlcycle rollout advance` moves on live outcomes;
    - `direct`: promote it to champion now;
    - `review`: leave it for a reviewed `deploy production`.

    Both models are scored on the same test rows (with timestamps, the newest ones), so the
    comparison is like for like. The very first model becomes champion by itself (there is no
    production model to protect). A model trained on the champion's data with the champion's
    family and parameters (`training_identity`) is not registered again.
    """
    if promotion not in PROMOTIONS:
        raise ValueError(f"promotion {promotion!r}: one of {', '.join(PROMOTIONS)}")
    refuse_shared_registry_writes(f"registering {name}")
    description = description or "Registered by the mlcycle lifecycle."
    try:
        if client.get_registered_model(name).description != description:
            client.update_registered_model(name, description=description)
    except MlflowException:
        client.create_registered_model(name, description=description)
    version = existing_version(client, name, model_uri)
    champion_before = alias_version(client, name, CHAMPION)
    if version is None and _same_as_champion(client, name, champion_before, tags or {}):
        return Registration(
            model_name=name,
            version=str(champion_before),
            champion_before=champion_before,
            champion_after=champion_before,
            promoted=False,
            registered=False,
            reason=(
                f"trained on the same data as the champion (version {champion_before}) with "
                "the same model: nothing new to register"
            ),
            metric=metric,
            challenger_score=None,
            champion_score=None,
        )
    if version is None:
        version = client.create_model_version(
            name, model_uri, run_id=run_id, tags=tags or {}, model_id=logged_model_id(model_uri)
        )
        version = version.version
    client.set_registered_model_alias(name, CHALLENGER, version)

    challenger_output = score_version(f"models:/{name}/{version}", X_test, task)
    challenger_score = float(metric_fn(y_test, challenger_output))
    champion_score = None
    if champion_before == str(version):
        champion_score = challenger_score
        decision = PromotionDecision(True, f"version {version} is already the champion")
    elif champion_before is None:
        decision = decide_promotion(metric, challenger_score, None, gate_passed, min_improvement)
    else:
        try:
            champion_uri = f"models:/{name}@{CHAMPION}"
            champion_score = float(metric_fn(y_test, score_version(champion_uri, X_test, task)))
        except Exception as exc:  # e.g. the champion was trained on other features
            decision = PromotionDecision(
                False,
                f"the champion (version {champion_before}) cannot score the current test data "
                f"({type(exc).__name__}: {exc}); promote by hand if intended",
            )
        else:
            decision = decide_promotion(
                metric, challenger_score, champion_score, gate_passed, min_improvement
            )
    beats_champion = decision.promote and champion_before not in (None, str(version))
    rollout_key = None
    if beats_champion and promotion == REVIEW:
        decision = PromotionDecision(
            False,
            f"{decision.reason}, but automatic promotion is off: promote it after review "
            f"(make promote VERSION={version})",
        )
    elif beats_champion and promotion == ROLLOUT and first_share < 100:
        decision, rollout_key = _roll_out(client, name, str(version), decision, first_share)
    if decision.promote:
        client.set_registered_model_alias(name, CHAMPION, version)
    for key, value in {
        "promotion.decision": "promoted" if decision.promote else "not promoted",
        "promotion.reason": decision.reason,
        "promotion.metric": metric,
        f"promotion.challenger_{metric}": f"{challenger_score:.6f}",
        f"promotion.champion_{metric}": "" if champion_score is None else f"{champion_score:.6f}",
        "promotion.champion_before": champion_before or "",
    }.items():
        client.set_model_version_tag(name, version, key, value)
    against = "" if champion_score is None else f" against the champion's {champion_score:.4f}"
    client.update_model_version(name, version, description=(
        f"{'Promoted' if decision.promote else 'Not promoted'}: {decision.reason}. Test "
        f"{metric} {challenger_score:.4f}{against}. Training run {run_id}."
    ))  # fmt: skip
    return Registration(
        model_name=name,
        version=str(version),
        champion_before=champion_before,
        champion_after=str(version) if decision.promote else champion_before,
        promoted=decision.promote,
        reason=decision.reason,
        metric=metric,
        challenger_score=challenger_score,
        champion_score=champion_score,
        beats_champion=beats_champion,
        rollout=rollout_key,
    )


def _roll_out(client: MlflowClient, name: str, version: str, decision: PromotionDecision,
              first_share: float) -> tuple[PromotionDecision, str | None]:  # fmt: skip
    """Start the rollout of a winning challenger (once), instead of promoting it."""
    from mlcycle.registry.rollout import read_rollout, start_rollout

    current = read_rollout(client, name)
    if current is not None and current.version == version:
        return PromotionDecision(False, f"{decision.reason}; its rollout is {current.status} "
                                 f"at {current.share:g}%"), current.key  # fmt: skip
    if current is not None and current.active:
        return PromotionDecision(
            False, f"{decision.reason}, but the rollout of version {current.version} runs: "
            "it waits (mlcycle rollout complete | rollback, then rollout start)",
        ), None  # fmt: skip
    started = start_rollout(client, name, first_share, decision.reason)
    reason = f"{decision.reason}: its rollout starts at {first_share:g}% of traffic"
    return PromotionDecision(False, reason), started.key
