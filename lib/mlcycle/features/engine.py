"""Feast's local materialization engine, handing Arrow batches to stores that take them.

Feast's local engine reads the offline store, keeps each entity's latest row and converts every
value to a protobuf message before the online store sees it. This engine is the same, except
that a store with `online_write_arrow` (the project's SQLite store) receives the Arrow batch
itself and builds its rows without a message per value. Any other store, and the offline
write, take Feast's path unchanged. It is plugged in through feature_store.yaml's
`batch_engine` (Feast's documented extension point), which `store.open_store` fills in when the
file names none.
"""

from __future__ import annotations

from typing import Any, Literal

from feast.infra.common.materialization_job import MaterializationJobStatus
from feast.infra.compute_engines.local.arrow_table_value import ArrowTableValue
from feast.infra.compute_engines.local.compute import (
    LocalComputeEngine,
    LocalComputeEngineConfig,
)
from feast.infra.compute_engines.local.feature_builder import LocalFeatureBuilder
from feast.infra.compute_engines.local.job import LocalMaterializationJob
from feast.infra.compute_engines.local.nodes import LocalOutputNode


class ArrowWriteEngineConfig(LocalComputeEngineConfig):
    """The local engine's settings, under this engine's type."""

    type: Literal["mlcycle.features.engine.ArrowWriteEngine"] = (  # type: ignore[assignment]
        "mlcycle.features.engine.ArrowWriteEngine"
    )


class ArrowWriteEngine(LocalComputeEngine):
    def _materialize_one(self, registry: Any, task: Any, **kwargs: Any) -> LocalMaterializationJob:
        job_id = f"{task.feature_view.name}-{task.start_time}-{task.end_time}"
        context = self.get_execution_context(registry, task)
        try:
            builder = _ArrowFeatureBuilder(registry, task, backend=self._get_backend(context))
            builder.build().execute(context)
        except Exception as e:  # as Feast's engine: the job carries the error to materialize()
            return LocalMaterializationJob(
                job_id=job_id, status=MaterializationJobStatus.ERROR, error=e
            )
        return LocalMaterializationJob(job_id=job_id, status=MaterializationJobStatus.SUCCEEDED)


class _ArrowFeatureBuilder(LocalFeatureBuilder):
    def build_output_nodes(self, view: Any, input_node: Any) -> Any:
        node = _ArrowOutputNode("output", self.dag_root.view, inputs=[input_node])
        self.nodes.append(node)
        return node


class _ArrowOutputNode(LocalOutputNode):
    """Feast's output node, with the online write from Arrow where the store takes it."""

    def execute(self, context: Any) -> ArrowTableValue:
        store, view, config = context.online_store, self.feature_view, context.repo_config
        takes_arrow = hasattr(store, "online_write_arrow") and store.writes_in_bulk(config)
        on_demand = getattr(view, "source_feature_view_projections", None) is not None
        if not (view.online and takes_arrow) or on_demand:  # Feast converts those itself
            return super().execute(context)
        table = self.get_single_table(context).data
        output = ArrowTableValue(data=table)
        context.node_outputs[self.name] = output
        if table.num_rows == 0:
            return output
        join_keys = {e.name: e.dtype.to_value_type() for e in view.entity_columns}
        size = config.materialization_config.online_write_batch_size
        for batch in table.to_batches(max_chunksize=size):  # every chunk, None: as they are
            if batch.num_rows:
                store.online_write_arrow(config, view, batch, join_keys)
        if view.offline:
            context.offline_store.offline_write_batch(
                config=config, feature_view=view, table=table, progress=lambda _: None
            )
        return output
