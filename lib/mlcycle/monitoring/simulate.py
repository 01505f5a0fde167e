"""The whole loop, week by week, on generated traffic: serve, collect outcomes, monitor,
retrain when the policy says so, roll the new model out gradually, and keep a timeline.

Each week new customers arrive (the generator's drift knobs switch on from a chosen week),
are scored through the prediction service's own code (the FastAPI app in process), and last
week's outcomes come back through `/feedback`. The week's traffic is checked for drift against
the champion's training data and last week's labelled predictions give its accuracy; the
retraining policy decides. A retrained challenger that beats the champion on held-out recent
labelled data starts an A/B ramp (10% -> 50% -> 100% by default) that advances only while it
is not worse on live outcomes. Every decision is an MLflow run with its reasons and figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlcycle.config import DatasetConfig
from mlcycle.monitoring.policy import RetrainPolicy, decide
from mlcycle.monitoring.rollout import Ramp, next_move
from mlcycle.registry.aliases import CHALLENGER, CHAMPION


@dataclass(frozen=True)
class SimulationSettings:
    weeks: int = 8
    customers_per_week: int = 2000
    initial_customers: int = 6000  # the first champion's training data
    drift_from_week: int = 2  # first week of drifted traffic (1-based); 0 = never
    drift_shift: float = 0.6
    drift_new_category: float = 0.1
    drift_relationship: float = 1.0
    retrain_weeks: int = 2  # labelled weeks a retrain learns from (the newest ones)
    start_date: str = "2026-06-30"
    seed: int = 42
    model_family: str = "random_forest"
    model_params: dict[str, Any] = field(default_factory=dict)
    promotion_metric: str = "roc_auc"
    policy: RetrainPolicy = field(default_factory=RetrainPolicy)
    ramp: Ramp = field(default_factory=Ramp)
    drift_share: float = 0.5  # share of drifted columns that makes dataset drift
    max_drift_rows: int = 20_000  # larger windows are sampled
    experiment_key: str = "simulation"


@dataclass
class Week:
    week: int
    drifted_traffic: bool
    served: int
    dataset_drift: bool
    drift_share: float
    accuracy: float | None  # all of last week's served predictions (labelled now)
    champion_accuracy: float | None  # the champion arm's share of them
    challenger_accuracy: float | None
    labelled: int
    retrain: bool
    decision: list[str]
    challenger_version: str | None
    promotion: str  # what happened to a retrained model, or ""
    rollout: str  # ramp action this week, or ""
    challenger_share: float
    champion_version: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _week_traffic(s: SimulationSettings, config: DatasetConfig, week: int) -> pd.DataFrame:
    from mlcycle.data.generator import Drift, generate_customers
    from mlcycle.features.table import build_model_table

    drifted = bool(s.drift_from_week) and week >= s.drift_from_week
    drift = Drift(s.drift_shift, s.drift_new_category, s.drift_relationship) if drifted else None
    n = s.customers_per_week if week else s.initial_customers
    snapshot = date.fromisoformat(s.start_date) + timedelta(weeks=week)
    data = generate_customers(
        n, snapshot_date=snapshot.isoformat(), seed=s.seed + week, drift=drift,
        id_prefix=f"W{week:02d}-",
    )  # fmt: skip
    return build_model_table(data.customers, data.events, config).reset_index(drop=True)


class Loop:
    """The state the weeks share: registry, prediction log, ramp, reference data."""

    def __init__(self, settings: SimulationSettings, config: DatasetConfig, workdir: Path,
                 tracking_uri: str | None = None) -> None:  # fmt: skip
        import mlflow

        from mlcycle.settings import local_store_uri
        from mlcycle.tracking import configure_tracking, connect

        self.s, self.config, self.workdir = settings, config, Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = config.model_name
        uri = tracking_uri or local_store_uri(self.workdir)
        self.experiment_id = configure_tracking(self.workdir, f"{self.name}-simulation", uri)
        self.uri = mlflow.get_tracking_uri()  # the env var, if set, wins (as everywhere)
        self.client = connect(self.uri)
        self.log_path = self.workdir / "predictions.db"
        self.ramp_step: int | None = None  # None: no A/B test running
        self.reference: pd.DataFrame | None = None  # the champion's training features
        self.pending: pd.DataFrame | None = None  # last week's traffic, outcomes not yet sent
        self.timeline: list[Week] = []
        self._labelled_weeks: list[pd.DataFrame] = []  # served traffic, outcomes known
        self.challenger_reference: pd.DataFrame | None = None

    # -- models -----------------------------------------------------------------------
    def train_and_register(self, table: pd.DataFrame, week: int) -> str:
        import mlflow

        from mlcycle.registry.register import logged_model_id
        from mlcycle.training.train import features_and_target, fit, log_probability_model

        model = fit(table, self.config, self.s.model_family, self.s.model_params)
        with mlflow.start_run(experiment_id=self.experiment_id, run_name=f"train-week-{week}"):
            mlflow.log_params({"week": week, "rows": len(table),
                               "model_family": self.s.model_family})  # fmt: skip
            info = log_probability_model(model, features_and_target(table, self.config).X)
            run_id = mlflow.active_run().info.run_id
        try:
            self.client.get_registered_model(self.name)
        except Exception:  # noqa: BLE001 - first registration
            self.client.create_registered_model(self.name)
        version = self.client.create_model_version(
            self.name, info.model_uri, run_id, model_id=logged_model_id(info.model_uri)
        ).version
        self.client.set_model_version_tag(self.name, version, "trained_week", str(week))
        return str(version)

    def alias(self, alias: str) -> str | None:
        from mlcycle.registry.aliases import alias_version

        return alias_version(self.client, self.name, alias)

    def arms(self) -> str:
        if self.ramp_step is None:
            return f"{CHAMPION}=100"
        return self.s.ramp.arms(self.ramp_step)

    # -- one week -----------------------------------------------------------------------
    def serve(self, traffic: pd.DataFrame) -> pd.DataFrame:
        """Score the week through the service app; send last week's outcomes as feedback."""
        from dataclasses import replace

        from fastapi.testclient import TestClient

        from mlcycle.serving.app import Settings, create_app
        from mlcycle.serving.request_schema import frame_to_records
        from mlcycle.settings import load_settings

        settings = replace(
            Settings.of(load_settings()),
            dataset=str(self.config.path), tracking_uri=self.uri, model_name=self.name,
            arms=self.arms(), experiment_key=self.s.experiment_key,
            prediction_log=str(self.log_path), reload_seconds=0, feature_store=None,
            products=str(self.workdir), max_batch=1000,
        )  # fmt: skip
        rows = frame_to_records(traffic, self.config)
        ids = traffic[self.config.id].astype(str).tolist()
        answers = []
        with TestClient(create_app(settings)) as api:
            if self.pending is not None:  # outcomes arrive a week late
                for request_id, outcome in zip(
                    self.pending["request_id"], self.pending[self.config.target.column],
                    strict=True,
                ):  # fmt: skip
                    r = api.post("/feedback", json={"request_id": request_id,
                                                     "outcome": int(outcome)})  # fmt: skip
                    r.raise_for_status()
            for start in range(0, len(rows), 1000):
                items = [{"features": f, "user_id": u}
                         for f, u in zip(rows[start:start + 1000], ids[start:start + 1000],
                                         strict=True)]  # fmt: skip
                r = api.post("/predict/batch", json={"items": items})
                r.raise_for_status()
                answers.extend(r.json())
        served = pd.DataFrame(answers)
        return traffic.assign(
            request_id=served["request_id"].to_numpy(), arm=served["arm"].to_numpy(),
            model_version=served["model_version"].to_numpy(),
            prediction=served["prediction"].to_numpy(),
        )  # fmt: skip

    def labelled_last_week(self) -> pd.DataFrame:
        """Last week's predictions joined with the outcomes that just arrived."""
        from mlcycle.serving.prediction_log import PredictionLog

        if self.pending is None:
            return pd.DataFrame(columns=["arm", "prediction", "outcome", "model_version"])
        log = PredictionLog(self.log_path).frame()
        wanted = set(self.pending["request_id"])
        return log[log["request_id"].isin(wanted) & log["outcome"].notna()]

    def run_week(self, week: int) -> Week:
        import mlflow

        from mlcycle.monitoring.drift import detect_drift

        traffic = _week_traffic(self.s, self.config, week)
        served = self.serve(traffic)
        labelled = self.labelled_last_week()
        drift = detect_drift(
            self.reference, traffic, self.config, max_rows=self.s.max_drift_rows,
            drift_share=self.s.drift_share, seed=self.s.seed + week,
        )  # fmt: skip
        drift_dir = self.workdir / "drift"
        drift.save(drift_dir / f"week-{week:02d}.html", drift_dir / f"week-{week:02d}.json")

        def accuracy_of(rows: pd.DataFrame) -> float | None:
            return float((rows["prediction"] == rows["outcome"]).mean()) if len(rows) else None

        champion = self.alias(CHAMPION)
        # the champion's accuracy is that of its version, whichever arm served it (after a
        # completed ramp, last week's challenger arm is this week's champion)
        champion_rows = labelled[labelled["model_version"].astype(str) == str(champion)]
        accuracy = accuracy_of(labelled)
        champion_accuracy = accuracy_of(champion_rows)
        challenger_accuracy = accuracy_of(labelled[labelled["arm"] == CHALLENGER])

        decision = decide(self.s.policy, drift.dataset_drift, drift.drift_share,
                          champion_accuracy, len(champion_rows))  # fmt: skip
        reasons = list(decision.reasons)
        promotion, rollout, challenger_version = "", "", None
        if self.ramp_step is not None:  # an A/B ramp is running: judge it on live outcomes
            if decision.retrain:
                reasons.append(f"retraining waits: the A/B test of v{self.alias(CHALLENGER)} runs")
            rollout = self.advance_ramp(labelled)
        elif decision.retrain and not self._labelled_weeks:
            reasons.append("retraining waits: no labelled production data yet")
        elif decision.retrain:
            challenger_version, promotion = self.retrain(week)

        self.pending = served
        entry = Week(
            week, bool(self.s.drift_from_week) and week >= self.s.drift_from_week, len(served),
            drift.dataset_drift, drift.drift_share, accuracy, champion_accuracy,
            challenger_accuracy, len(labelled), challenger_version is not None,
            reasons, challenger_version, promotion, rollout,
            0.0 if self.ramp_step is None else self.s.ramp.steps[self.ramp_step],
            self.alias(CHAMPION) or champion or "",
        )  # fmt: skip
        with mlflow.start_run(experiment_id=self.experiment_id, run_name=f"week-{week}"):
            mlflow.set_tags({
                "kind": "weekly monitoring", "decision.retrain": str(decision.retrain).lower(),
                "decision.reasons": "; ".join(reasons)[:4000],
                "promotion": promotion[:4000], "rollout": rollout[:4000],
            })  # fmt: skip
            metrics = {
                "drift_share": drift.drift_share,
                "dataset_drift": float(drift.dataset_drift),
                "labelled": len(labelled),
                "challenger_share": entry.challenger_share,
                "champion_version": float(entry.champion_version or 0),
            }
            for key, value in (("accuracy", accuracy), ("champion_accuracy", champion_accuracy),
                               ("challenger_accuracy", challenger_accuracy)):  # fmt: skip
                if value is not None:
                    metrics[key] = value
            mlflow.log_metrics(metrics, step=week)
            mlflow.log_dict(drift.summary, "drift.json")
        self.timeline.append(entry)
        return entry

    def retrain(self, week: int) -> tuple[str, str]:
        """A challenger from the newest labelled weeks, compared with the champion on a
        held-out part of the same data; a better one starts the A/B ramp."""
        from mlcycle.registry.promotion import decide_promotion
        from mlcycle.registry.register import score_version
        from mlcycle.training.metrics import classification_metrics
        from mlcycle.training.train import features_and_target

        recent = pd.concat(self.recent_labelled)
        rng = np.random.default_rng(self.s.seed + week)
        holdout = rng.random(len(recent)) < 0.25
        train, test = recent[~holdout], recent[holdout]
        version = self.train_and_register(train, week)
        self.client.set_registered_model_alias(self.name, CHALLENGER, version)
        xy = features_and_target(test, self.config)
        metric = self.s.promotion_metric

        def score(uri: str) -> float:
            return classification_metrics(xy.y, score_version(uri, xy.X))[metric]

        challenger = score(f"models:/{self.name}/{version}")
        champion = score(f"models:/{self.name}@{CHAMPION}")
        verdict = decide_promotion(metric, challenger, champion, gate_passed=True)
        if verdict.promote and self.s.ramp.steps[0] >= 100:  # no A/B test: switch now
            self.client.set_registered_model_alias(self.name, CHAMPION, version)
            self.reference = train[self.config.feature_names]
            return version, f"v{version} promoted to champion: {verdict.reason}"
        if verdict.promote:
            self.ramp_step = 0
            self.challenger_reference = train[self.config.feature_names]
            start = self.s.ramp.steps[0]
            return version, f"v{version}: {verdict.reason}; A/B ramp starts at {start:g}%"
        return version, f"v{version} not promoted: {verdict.reason}"

    def advance_ramp(self, labelled: pd.DataFrame) -> str:
        def accuracy(arm: str) -> tuple[float | None, int]:
            rows = labelled[labelled["arm"] == arm]
            if not len(rows):
                return None, 0
            return float((rows["prediction"] == rows["outcome"]).mean()), len(rows)

        champion_acc, _ = accuracy(CHAMPION)
        challenger_acc, n = accuracy(CHALLENGER)
        move = next_move(self.s.ramp, self.ramp_step, champion_acc, challenger_acc, n,
                         min_labelled=min(100, self.s.customers_per_week // 20))  # fmt: skip
        if move.action == "complete":
            challenger = self.alias(CHALLENGER)
            self.client.set_registered_model_alias(self.name, CHAMPION, challenger)
            self.reference = self.challenger_reference
            self.ramp_step = None
            return f"complete: v{challenger} is champion ({move.reason})"
        if move.action == "roll back":
            self.ramp_step = None
            return f"rolled back ({move.reason})"
        self.ramp_step = move.step
        return f"{move.action} ({move.reason})"

    @property
    def recent_labelled(self) -> list[pd.DataFrame]:
        return self._labelled_weeks[-self.s.retrain_weeks :]

    def start(self) -> None:
        """Week 0: the first champion, trained on the initial customers."""
        initial = _week_traffic(self.s, self.config, 0)
        version = self.train_and_register(initial, 0)
        self.client.set_registered_model_alias(self.name, CHAMPION, version)
        self.reference = initial[self.config.feature_names]

    def step(self, week: int) -> Week:
        entry = self.run_week(week)
        # this week's traffic becomes labelled training data once its outcomes arrive
        self._labelled_weeks.append(
            self.pending.drop(columns=["request_id", "arm", "model_version", "prediction"])
        )
        return entry

    def run(self) -> list[Week]:
        self.start()
        for week in range(1, self.s.weeks + 1):
            self.step(week)
        return self.timeline


def timeline_frame(weeks: list[Week]) -> pd.DataFrame:
    return pd.DataFrame([w.to_dict() for w in weeks]).set_index("week")


def save_timeline(weeks: list[Week], path: Path) -> None:
    from mlcycle.io import write_json

    write_json([w.to_dict() for w in weeks], path)


def settings_from_env(env: Any, **override: Any) -> SimulationSettings:
    """Simulation settings from env.yaml's keys (model, policy, ramp, drift threshold).

    Retraining each simulated week trains one model, the model grid's first candidate."""
    first = dict(env["model_grid"][0])  # the simulation retrains the grid's first candidate
    values = {
        "model_family": str(first["model_family"][0]),
        "model_params": dict(first.get("model_params", [{}])[0] or {}),
        "promotion_metric": env["promotion_metric"],
        "policy": RetrainPolicy.from_dict(dict(env["retrain_policy"] or {})),
        "ramp": Ramp.parse(env["ab_ramp"]),
        "drift_share": float(env["drift_share_threshold"]),
        "max_drift_rows": int(env["max_drift_rows"]),
        "start_date": str(env["snapshot_date"]),
        "seed": int(env["seed"]),
    }
    values.update({k: v for k, v in override.items() if v is not None})
    return SimulationSettings(**values)
