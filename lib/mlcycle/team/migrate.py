"""`make migrate`: copy the embedded SQLite store to the team's tracking server.

Experiments, runs (params, the full history of every metric, tags, dataset inputs, artifacts,
status and times), MLflow 3 logged models (with their artifacts), and registered models with
every version, tag and alias. Numbers that the server assigns anew (run ids, model ids,
version numbers) are mapped, and each copy is tagged with its origin, so the command can run
again: what was copied before is skipped, what is new is added.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType

from mlcycle.registry.register import logged_model_id

ORIGIN = "mlcycle.migrated_from"  # tag on every copy: the source's id
BATCH = 500  # metrics per log_batch call (the API allows 1000 items in all)


@dataclass
class Migration:
    experiments: dict[str, str] = field(default_factory=dict)  # source id -> destination id
    runs: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)  # logged model ids
    versions: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, v) -> v
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (name, alias) -> v
    skipped: int = 0

    def describe(self) -> str:
        return (
            f"{len(self.experiments)} experiment(s), {len(self.runs)} run(s), "
            f"{len(self.models)} logged model(s), {len(self.versions)} model version(s), "
            f"{len(self.aliases)} alias(es); {self.skipped} already there"
        )


def _pages(search, **kwargs) -> Iterator:
    token = None
    while True:
        page = search(**kwargs, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _copy_artifacts(download, upload) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = download(tmp)
        if any(Path(local).iterdir()):
            upload(local)


def _experiment(src: MlflowClient, dst: MlflowClient, exp, m: Migration) -> str:
    found = dst.get_experiment_by_name(exp.name)
    if found is None:
        tags = {k: v for k, v in exp.tags.items() if not k.startswith("mlflow.")}
        return dst.create_experiment(exp.name, tags={**tags, ORIGIN: exp.experiment_id})
    return found.experiment_id


def _run(src: MlflowClient, dst: MlflowClient, run, exp_id: str, m: Migration) -> None:
    source_id = run.info.run_id
    done = dst.search_runs([exp_id], f"tags.`{ORIGIN}` = '{source_id}'", ViewType.ALL)
    if done:
        m.runs[source_id] = done[0].info.run_id
        m.skipped += 1
        return
    tags = dict(run.data.tags) | {ORIGIN: source_id}
    new = dst.create_run(exp_id, start_time=run.info.start_time, tags=tags,
                         run_name=run.info.run_name)  # fmt: skip
    new_id = new.info.run_id
    metrics = [
        Metric(h.key, h.value, h.timestamp, h.step)
        for key in run.data.metrics
        for h in src.get_metric_history(source_id, key)
    ]
    params = [Param(k, v) for k, v in run.data.params.items()]
    for i in range(0, max(len(metrics), 1), BATCH):
        dst.log_batch(new_id, metrics=metrics[i : i + BATCH], params=params if i == 0 else [],
                      tags=[RunTag(ORIGIN, source_id)])  # fmt: skip
    if run.inputs and run.inputs.dataset_inputs:
        dst.log_inputs(new_id, datasets=run.inputs.dataset_inputs)
    _copy_artifacts(
        lambda tmp: src.download_artifacts(source_id, "", tmp),
        lambda local: dst.log_artifacts(new_id, local),
    )
    dst.set_terminated(new_id, status=run.info.status, end_time=run.info.end_time)
    m.runs[source_id] = new_id


def _logged_model(src: MlflowClient, dst: MlflowClient, model, exp_id: str, m: Migration) -> None:
    import mlflow

    done = dst.search_logged_models([exp_id], filter_string=f"tags.`{ORIGIN}` = '{model.model_id}'")
    if done:
        m.models[model.model_id] = done[0].model_id
        m.skipped += 1
        return
    new = dst.create_logged_model(
        exp_id,
        name=model.name,
        source_run_id=m.runs.get(model.source_run_id) if model.source_run_id else None,
        tags=dict(model.tags) | {ORIGIN: model.model_id},
        params=dict(model.params),
        model_type=model.model_type,
    )

    def download(tmp: str) -> str:
        return mlflow.artifacts.download_artifacts(
            artifact_uri=model.artifact_location, dst_path=tmp, tracking_uri=src.tracking_uri
        )

    _copy_artifacts(download, lambda local: dst.log_model_artifacts(new.model_id, local))
    dst.finalize_logged_model(new.model_id, "READY")
    m.models[model.model_id] = new.model_id


def _source(source: str, m: Migration) -> str:
    """A version's source on the server: its logged model, or its run, mapped."""
    if source.startswith("models:/m-") and source.removeprefix("models:/") in m.models:
        return f"models:/{m.models[source.removeprefix('models:/')]}"
    if source.startswith("runs:/"):
        run_id, _, path = source.removeprefix("runs:/").partition("/")
        return f"runs:/{m.runs.get(run_id, run_id)}/{path}"
    return source


def _registered_model(src: MlflowClient, dst: MlflowClient, rm, m: Migration) -> None:
    from mlflow.exceptions import MlflowException

    try:
        dst.get_registered_model(rm.name)
    except MlflowException:
        dst.create_registered_model(rm.name, tags=dict(rm.tags), description=rm.description)
    existing = {
        mv.tags.get(ORIGIN): mv.version
        for mv in dst.search_model_versions(f"name = '{rm.name}'")
        if mv.tags.get(ORIGIN)
    }
    versions = sorted(
        src.search_model_versions(f"name = '{rm.name}'"), key=lambda v: int(v.version)
    )
    for mv in versions:
        version = str(mv.version)  # an int from some stores, a str from others
        if version in existing:
            m.versions[(rm.name, version)] = existing[version]
            m.skipped += 1
            continue
        source = _source(mv.source, m)
        new = dst.create_model_version(
            rm.name,
            source,
            run_id=m.runs.get(mv.run_id) if mv.run_id else None,
            tags=dict(mv.tags) | {ORIGIN: version},
            description=mv.description,
            model_id=logged_model_id(source),
        )
        m.versions[(rm.name, version)] = str(new.version)
    for alias, version in src.get_registered_model(rm.name).aliases.items():
        target = m.versions[(rm.name, str(version))]
        dst.set_registered_model_alias(rm.name, alias, target)
        m.aliases[(rm.name, alias)] = target


def migrate(source_uri: str, destination_uri: str) -> Migration:
    """Copy everything from `source_uri` (e.g. sqlite:///products/mlflow.db) to the server."""
    src = MlflowClient(source_uri, registry_uri=source_uri)
    dst = MlflowClient(destination_uri, registry_uri=destination_uri)
    m = Migration()
    for exp in _pages(src.search_experiments, view_type=ViewType.ACTIVE_ONLY):
        exp_id = _experiment(src, dst, exp, m)
        m.experiments[exp.experiment_id] = exp_id
        runs = _pages(
            src.search_runs,
            experiment_ids=[exp.experiment_id],
            run_view_type=ViewType.ALL,
            order_by=["attributes.start_time ASC"],
        )
        for run in runs:
            _run(src, dst, run, exp_id, m)
        for model in _pages(src.search_logged_models, experiment_ids=[exp.experiment_id]):
            _logged_model(src, dst, model, exp_id, m)
    for rm in _pages(src.search_registered_models):
        _registered_model(src, dst, rm, m)
    return m
