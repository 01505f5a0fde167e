"""Ploomber task hooks: publish each stage's report, also when the stage failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RUN_KEY = "run"  # product key of the JSON that names the MLflow training run


def _run_file(task: Any) -> Path | None:
    """The run JSON of this task or its nearest upstream that has one."""
    todo, seen = [task], set()
    while todo:
        current = todo.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        product = current.product
        if hasattr(product, "to_json_serializable") and RUN_KEY in product.to_json_serializable():
            path = Path(str(product[RUN_KEY]))
            if path.is_file():
                return path
        todo.extend(current.upstream.values())
    return None


def _render_report(task: Any, product: Any) -> Path | None:
    """The task's report as a page of the report site (a task outside a DAG: a plain page)."""
    keys = product.to_json_serializable()
    if "nb" not in keys or "report" not in keys:
        return None
    nb = Path(str(product["nb"]))
    if not nb.is_file():
        return None
    dag = getattr(task, "dag", None)
    from mlcycle.orchestration.html import render_html

    if dag is not None:
        from mlcycle.orchestration.reports import render_report

        try:
            return render_report(dag, task.name)
        except Exception as exc:  # a broken config must not hide the stage's own report
            print(f"report of '{task.name}' rendered without the site's header: {exc}")

    return render_html(nb, str(product["report"]))


def on_finish(task: Any, product: Any) -> None:
    """Render the report (code hidden) and attach it to the MLflow run it belongs to."""
    report = _render_report(task, product)
    run_file = _run_file(task)
    if report is None or run_file is None:
        return
    import mlflow

    info = json.loads(run_file.read_text())
    client = mlflow.MlflowClient(info["tracking_uri"])
    client.log_artifact(info["run_id"], str(report), artifact_path="reports")


def on_failure(task: Any, product: Any) -> None:
    """Render the partially executed notebook so the error can be read without Jupyter, and
    forget the stage's build metadata: some of its products may now come from the failed run
    (a failed gate still writes metrics.json), so the next build must run it again."""
    _render_report(task, product)
    product.metadata.delete()
    _publish_failure(task)


def _publish_failure(task: Any) -> None:
    """Refresh the report hub so that it shows the failure; never masks the failure itself."""
    dag = getattr(task, "dag", None)
    if dag is None:
        return
    try:
        from mlcycle.orchestration.reports import publish_after_failure

        publish_after_failure(dag, task.name)
    except Exception as exc:  # the stage's own error is the one to report
        print(f"report hub not refreshed after '{task.name}' failed: {exc}")
