"""Weeks of the real loop on the generator's world: what `make simulate` runs.

Nothing here trains, registers or decides: each simulated week drives the real path.

1. The world advances a week: the generator's customers of that week (drifted from the week
   the settings say) are the week's traffic, and the source the next build sees has them.
2. The traffic is served by the prediction service, running as its own process on loopback and
   following the registry (a rollout's split arrives at its next reload); each customer is a
   user id, so the A/B assignment is randomised. The outcomes of the traffic served a week
   earlier come back through `/feedback` (`outcome_delay_weeks`, 1 by default).
3. Then exactly what `make weekly` runs (orchestration.weekly.run_week): the monitoring build,
   a retrain through the DAG when the policy fires, the rollout moved on live outcomes.

The figures of a week (drift, accuracy of the predictions whose outcomes arrived, who served)
go on the week's MLflow run, and the timeline is read back from those runs.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mlcycle.reporting.site import TIMELINE, week_drift_page

FEEDBACK_BATCH = 1000  # outcomes per /feedback/batch request
PREDICT_BATCH = 1000


class SimulationFailed(RuntimeError):
    """A build of the simulation failed (its report says where)."""


@dataclass
class Served:
    """A week's traffic as the service answered it."""

    week: int
    request_ids: list[str]
    outcomes: list[int]


def week_time(settings: Any, week: int) -> str:
    """The end of simulated week `week` (week 0 is the snapshot date)."""
    return str(pd.Timestamp(settings.snapshot_date) + pd.Timedelta(weeks=week))


@contextmanager
def service(env_file: str | None, overrides: dict[str, Any], log: Path) -> Iterator[Any]:
    """The prediction service as a process on a free loopback port; yields an HTTP client."""
    import httpx

    from mlcycle.serving.launch import free_port, running

    port = free_port()
    command = [sys.executable, "-m", "mlcycle.cli.main", "serve"]
    command += ["--env-file", env_file] if env_file else []
    values = {**overrides, "host": "127.0.0.1", "port": str(port)}
    command += [token for key, value in values.items() for token in (f"--env--{key}", str(value))]
    url = f"http://127.0.0.1:{port}"
    with (
        running(command, f"{url}/health", log, timeout=180),
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        yield client


def serve_week(api: Any, traffic: pd.DataFrame, config: Any, week: int) -> Served:
    """Score the week's traffic through the service, each customer its own user id."""
    from mlcycle.serving.request_schema import frame_to_records

    rows = frame_to_records(traffic, config)
    ids = traffic[config.id].astype(str).tolist()
    answers: list[dict] = []
    for start in range(0, len(rows), PREDICT_BATCH):
        chunk = slice(start, start + PREDICT_BATCH)
        items = [{"features": f, "user_id": u} for f, u in zip(rows[chunk], ids[chunk],
                                                               strict=True)]  # fmt: skip
        r = api.post("/predict/batch", json={"items": items})
        r.raise_for_status()
        answers.extend(r.json())
    outcomes = traffic[config.target.column].astype(int).tolist()
    return Served(week, [a["request_id"] for a in answers], outcomes)


def send_outcomes(api: Any, served: Served) -> None:
    """The week's outcomes, in batches, the way a warehouse export would send them."""
    pairs = list(zip(served.request_ids, served.outcomes, strict=True))
    for start in range(0, len(pairs), FEEDBACK_BATCH):
        items = [{"request_id": r, "outcome": o} for r, o in pairs[start : start + FEEDBACK_BATCH]]
        api.post("/feedback/batch", json={"items": items}).raise_for_status()


def live_figures(log_path: Path, served: Served) -> dict[str, float]:
    """Accuracy of a week's predictions whose outcomes arrived: all, and per arm."""
    from mlcycle.serving.prediction_log import PredictionLog

    log = PredictionLog(log_path).frame()
    rows = log[log["request_id"].isin(set(served.request_ids)) & log["outcome"].notna()]
    out = {"labelled": float(len(rows))}
    if len(rows):
        out["accuracy"] = float((rows["prediction"] == rows["outcome"]).mean())
    for arm in ("champion", "challenger"):
        part = rows[rows["arm"] == arm]
        if len(part):
            out[f"{arm}_accuracy"] = float((part["prediction"] == part["outcome"]).mean())
    return out


def simulate(
    settings: Any,
    env_file: str | None,
    overrides: dict[str, Any],
    weeks: int,
    outcome_delay_weeks: int = 1,
    fresh: bool = True,
    on_week: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """Run `weeks` weeks of the loop (see the module's docstring); returns run_week's weeks."""
    from mlcycle.config import load_dataset_config
    from mlcycle.orchestration.dag import make_dag
    from mlcycle.orchestration.weekly import builder, new_rows_window, run_week
    from mlcycle.records import Collection, MonitoringDecision, Registration, read_record
    from mlcycle.tracking import connect

    config = load_dataset_config(str(settings.dataset))
    if not config.source.is_generator:
        raise ValueError("the simulation needs the built-in generator's dataset (churn.yaml)")
    products = Path(settings.products)
    if fresh and products.exists():  # a fresh world each time: registry, log, reports
        shutil.rmtree(products)
    build = builder(env_file, overrides)
    dag = make_dag(None, env_file, overrides)

    with _stage_kernels(dag, settings.preload_kernels):  # one zygote for all the weeks' builds

        def read(task: str, key: str, kind: Any) -> Any:
            return read_record(str(dag[task].product[key]), kind)

        if build({"as_of": week_time(settings, 0), "monitor_window": ""}):
            raise SimulationFailed("the first build (week 0) failed")
        if on_week:
            on_week(0, None)
        client = connect(settings.tracking_uri)
        pending: list[Served] = []
        done = []
        serving = {"reload_seconds": 1}  # the poller: a move is live within a second
        with service(env_file, {**overrides, **serving}, products / "service.log") as api:
            for week in range(1, weeks + 1):
                start, end = week_time(settings, week - 1), week_time(settings, week)
                traffic_file = products / "monitoring" / "traffic" / f"week-{week:02d}.parquet"
                new_rows_window(settings, start, end, traffic_file)
                api.post("/reload")  # what the poller does; here, before the week's traffic
                traffic = pd.read_parquet(traffic_file)
                pending.append(serve_week(api, traffic, config, week))
                arrived = [s for s in pending if s.week <= week - outcome_delay_weeks]
                for served in arrived:
                    send_outcomes(api, served)
                pending = [s for s in pending if s not in arrived]
                collection = read("collect", "summary", Collection)
                result = run_week(
                    settings, build, collection,
                    decision_of=lambda: read("monitor", "decision", MonitoringDecision),
                    registration_of=lambda: read("register", "registry", Registration),
                    until=end, window=str(traffic_file),
                )  # fmt: skip
                figures = {"week": float(week), "served": float(len(traffic))}
                for served in arrived:
                    figures |= live_figures(Path(settings.prediction_log), served)
                drifted = bool(settings.drift_from_week) and week >= settings.drift_from_week
                figures["drifted_traffic"] = float(drifted)
                for key, value in figures.items():
                    client.log_metric(result.run_id, key, value)
                client.set_tag(result.run_id, "simulated_week", str(week))
                _keep_drift_report(dag, timeline_page(dag).parent / week_drift_page(week))
                done.append(result)
                if on_week:
                    on_week(week, result)
        return done


@contextmanager
def _stage_kernels(dag: Any, preload: bool) -> Iterator[None]:
    """Every build's stage kernels forked from one zygote, when the settings preload kernels
    (a build would otherwise start its own, and import the stages' libraries again)."""
    from mlcycle.orchestration.kernels import kernels_for

    if not preload:
        yield
        return
    with kernels_for([task.source.loc for task in dag.values()]):
        yield


def timeline_page(dag: Any) -> Path:
    """Where the simulation's timeline goes: in the reports folder, which the hub links."""
    return Path(str(dag["publish"].product["hub"])).parent / TIMELINE


def _keep_drift_report(dag: Any, dest: Path) -> None:
    source = Path(str(dag["monitor"].product["drift_report"]))
    if source.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)


def timeline(client: Any, model_name: str) -> pd.DataFrame:
    """The simulated weeks as the MLflow runs of the monitoring experiment recorded them."""
    from mlcycle.settings import monitoring_experiment

    experiment = client.get_experiment_by_name(monitoring_experiment(model_name))
    runs = client.search_runs([experiment.experiment_id], "tags.simulated_week != ''")
    rows = []
    for run in runs:
        m, t = run.data.metrics, run.data.tags
        rows.append({
            "week": int(t["simulated_week"]),
            "drifted_traffic": bool(m.get("drifted_traffic", 0)),
            "served": int(m.get("served", 0)),
            "drift_share": m.get("drift_share", float("nan")),
            "dataset_drift": bool(m.get("dataset_drift", 0)),
            "accuracy": m.get("accuracy"),
            "champion_accuracy": m.get("champion_accuracy"),
            "challenger_accuracy": m.get("challenger_accuracy"),
            "labelled": int(m.get("labelled", 0)),
            "retrain": bool(m.get("retrained", 0)),  # a retraining build ran this week
            "retrain_wanted": t.get("decision.retrain") == "true",
            "decision": [r for r in t.get("decision.reasons", "").split("; ") if r],
            "promotion": t.get("registration", ""),
            "rollout": t.get("rollout", ""),
            "champion_version": str(int(m.get("champion_version", 0))),
            "challenger_share": m.get("challenger_share", 0.0),
            "run_id": run.info.run_id,
        })  # fmt: skip
    frame = pd.DataFrame(rows).set_index("week").sort_index()
    return frame.astype({c: float for c in ("accuracy", "champion_accuracy",
                                            "challenger_accuracy")})  # fmt: skip
