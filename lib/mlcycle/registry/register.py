"""Registry operations: register a challenger, score the champion, move aliases.

The alias names and their lookup are mlcycle.registry.aliases.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from mlcycle.records import Registration
from mlcycle.registry.aliases import CHALLENGER, CHAMPION, alias_version
from mlcycle.registry.promotion import PromotionDecision, decide_promotion


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


def score_version(model_uri: str, X: pd.DataFrame) -> np.ndarray:
    """Positive-class probabilities from a registered model (pyfunc predicts probabilities)."""
    import mlflow

    proba = np.asarray(mlflow.pyfunc.load_model(model_uri).predict(X))
    return proba[:, 1] if proba.ndim == 2 else proba


def register_and_promote(
    client: MlflowClient,
    model_uri: str,
    name: str,
    run_id: str,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    metric_fn: Callable[[pd.Series, np.ndarray], float],
    metric: str,
    gate_passed: bool,
    min_improvement: float = 0.0,
    tags: dict[str, str] | None = None,
    auto_promote: bool = True,
) -> Registration:
    """Register `model_uri` as the challenger; promote it to champion if the rule says so.

    Both models are scored on the same test rows, so the comparison is like for like. With
    `auto_promote` off, a winning challenger waits for a reviewed `deploy production`; only the
    very first model becomes champion by itself (there is no production model to protect).
    """
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(
            name, description="Binary classifier registered by the mlcycle lifecycle."
        )
    version = existing_version(client, name, model_uri)
    if version is None:
        version = client.create_model_version(
            name, model_uri, run_id=run_id, tags=tags or {}, model_id=logged_model_id(model_uri)
        )
        version = version.version
    client.set_registered_model_alias(name, CHALLENGER, version)

    challenger_score = float(metric_fn(y_test, score_version(f"models:/{name}/{version}", X_test)))
    champion_before = alias_version(client, name, CHAMPION)
    champion_score = None
    if champion_before == str(version):
        champion_score = challenger_score
        decision = PromotionDecision(True, f"version {version} is already the champion")
    elif champion_before is None:
        decision = decide_promotion(metric, challenger_score, None, gate_passed, min_improvement)
    else:
        try:
            champion_uri = f"models:/{name}@{CHAMPION}"
            champion_score = float(metric_fn(y_test, score_version(champion_uri, X_test)))
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
    if decision.promote and champion_before not in (None, str(version)) and not auto_promote:
        decision = PromotionDecision(
            False,
            f"{decision.reason}, but automatic promotion is off: promote it after review "
            f"(make promote VERSION={version})",
        )
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
    )
