"""Load the lifecycle DAG from pipeline.yaml and build it.

`mlcycle run` (what `make run` calls) builds it: Ploomber's own build plus the per-task inputs
digest (see digest.py), the settings layer's values, and a failure summary that names the task
and the reason instead of a wall of traceback. Plain `ploomber build` works too, but does not
notice edits to lib/ code or to the dataset config.
"""

from __future__ import annotations

import functools
import re
import warnings
from pathlib import Path
from typing import Any

from mlcycle.environment import apply_quiet_defaults
from mlcycle.orchestration.digest import inputs_digest
from mlcycle.project import PIPELINE, find_project
from mlcycle.records import Registration
from mlcycle.settings import load_settings

DIGEST_PARAM = "inputs_digest"


def load_env(project: Path, env_file: str | Path | None = None, overrides: dict | None = None):
    """The EnvDict a build uses: the settings layer's values (env.yaml, the env file or
    $ENV_FILE, MLCYCLE_* variables, then overrides), every path already resolved."""
    from ploomber.env.envdict import EnvDict

    settings = load_settings(project, env_file, overrides)
    return EnvDict(settings.env_values(), path_to_here=settings.project)


def task_files(params: dict[str, Any]) -> list[str]:
    """Files a task reads through its params that Ploomber does not track: every param that
    names a local file (the dataset config, feature_store.yaml, ...) and, for a dataset config
    with a local file source, the data file itself."""
    files = [v for v in params.values() if isinstance(v, str) and v and Path(v).is_file()]
    # a SQLite file in WAL mode (the prediction log) holds its newest writes beside it
    files += [f"{f}-wal" for f in files if Path(f"{f}-wal").is_file()]
    dataset = params.get("dataset")
    if dataset and Path(str(dataset)).is_file():
        source = _source_file(str(dataset), Path(str(dataset)).stat().st_mtime_ns)
        if source:
            files.append(source)
    return files


@functools.lru_cache(maxsize=8)
def _source_file(dataset: str, mtime_ns: int) -> str | None:
    """The data file a dataset config reads (parsed once per build, not once per task)."""
    from mlcycle.config import load_dataset_config

    try:
        return load_dataset_config(dataset).source.path
    except Exception:  # a broken config is reported by the task itself, with context
        return None


def make_dag(
    project: str | Path | None = None,
    env_file: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    executor: Any = None,
):
    """The DAG from pipeline.yaml, with each task's inputs digest set as a param."""
    from ploomber.spec import DAGSpec

    apply_quiet_defaults()
    project = find_project(project)
    env = load_env(project, env_file, overrides)
    with warnings.catch_warnings():
        # env.yaml also configures commands outside the DAG (make simulate): not a mistake
        warnings.filterwarnings("ignore", message="The following placeholders are declared")
        dag = DAGSpec(str(project / PIPELINE), env=env).to_dag()
    if executor is not None:
        dag.executor = executor
    if env["preload_kernels"]:
        from mlcycle.orchestration.kernels import ForkedKernelManager, PreloadedKernels

        dag.executor = PreloadedKernels(dag.executor)
    for task in dag.values():
        if env["preload_kernels"]:
            task.executor_params["kernel_manager_class"] = ForkedKernelManager
        params = task.params.to_dict()
        source = Path(str(task.source.loc))
        task.params._setitem(DIGEST_PARAM, inputs_digest(source, task_files(params)))
    return dag


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failed)): ", re.M)


def root_cause(exc: BaseException) -> str:
    """The notebook's own exception and message, without Ploomber's wrapping.

    In-process builds keep papermill's exception (ename/evalue) in the chain; subprocess builds
    only keep text, from which the last non-Ploomber exception line (and its continuation
    lines, e.g. a validation report) is taken.
    """
    seen = exc
    while seen is not None:
        ename = getattr(seen, "ename", None)
        if ename:  # papermill's PapermillExecutionError
            return f"{ename}: {seen.evalue}"
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    starts = [m for m in _EXC_LINE.finditer(text) if not m.group(1).startswith("ploomber.")]
    if not starts:
        return f"{type(exc).__name__}: {text.strip()}"
    tail = text[starts[-1].start() :]
    return tail.split("\nploomber.exceptions.")[0].strip()


def failed_tasks(dag) -> list[tuple[str, Any]]:
    from ploomber.constants import TaskStatus

    return [(name, task) for name, task in dag.items() if task.exec_status == TaskStatus.Errored]


def why_outdated(task: Any) -> str | None:
    """Why a build would run `task`, in words (None: it is up to date).

    Ploomber says "Source code" for any change of the notebook or its params, and "Upstream";
    this tells the notebook, the lib/ code or config files (the inputs digest), each changed
    param and each changed upstream apart, and says which product is missing.
    """
    from ploomber.products._resources import process_resources

    product = task.product
    metadata = product.metadata
    if metadata.timestamp is None or metadata.stored_source_code is None:
        return "never built"
    missing = getattr(product, "missing", None)
    gone = missing() if callable(missing) else ([] if product.exists() else [str(product)])
    reasons = []
    if gone:
        reasons.append("product missing: " + ", ".join(Path(str(p)).name for p in gone))
    code_changed, _ = task.dag.differ.is_different(
        a=metadata.stored_source_code, b=str(task.source), a_params=None, b_params=None,
        extension=task.source.extension,
    )  # fmt: skip
    if code_changed:
        reasons.append("notebook changed")
    first = next(iter(product)) if hasattr(product, "products") else product
    old = first.metadata.params or {}  # (Ploomber's MetadataCollection.params fails on Files)
    new = process_resources(task.params.to_json_serializable(params_only=True))
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if DIGEST_PARAM in changed:
        changed.remove(DIGEST_PARAM)
        reasons.append("lib/ code or a config file changed")
    if changed:
        reasons.append("params changed: " + ", ".join(changed))
    reruns, newer = [], []
    for name, upstream in task.upstream.items():
        theirs = upstream.product.metadata.timestamp
        if upstream.product._is_outdated():
            reruns.append(name)
        elif theirs is None or theirs > metadata.timestamp:
            newer.append(name)
    for names, one, many in ((reruns, "reruns", "rerun"), (newer, "is newer", "are newer")):
        if len(names) > 3:
            reasons.append(f"{len(names)} upstream stages {many}")
        elif names:
            shown = ", ".join(repr(n) for n in names)
            reasons.append(f"upstream {shown} {one if len(names) == 1 else many}")
    return "; ".join(reasons) or None


def status_rows(dag: Any) -> list[tuple[str, str | None, str]]:
    """(stage, why a build would run it or None, when it last ran) for every task."""
    from datetime import datetime

    rows = []
    for name, task in dag.items():
        stamp = task.product.metadata.timestamp
        last = datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M") if stamp else "never"
        rows.append((name, why_outdated(task), last))
    return rows


def status_text(status: list[tuple[str, str | None, str]]) -> str:
    """The status table: each stage, whether a build would run it and why, its last run."""
    rows = [("stage", "out of date?", "last run")]
    for name, outdated, last in status:
        rows.append((name, "no" if not outdated else f"yes: {outdated}", str(last)))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    return "\n".join(f"{a:<{width[0]}}  {b:<{width[1]}}  {c}" for a, b, c in rows)


def build_table(values: dict[str, list]) -> str:
    """Ploomber's build report as a reader wants it: rounded seconds and a total, or one line
    saying nothing changed."""
    names, ran, seconds = values["name"], values["Ran?"], values["Elapsed (s)"]
    if not any(ran):
        return f"Unchanged: all {len(names)} stages are up to date, nothing ran."
    width = max(len("total"), *(len(n) for n in names))
    lines = [f"{'stage':<{width}}  ran  seconds"]
    lines += [f"{n:<{width}}  {'yes' if r else 'no ':<3}  {s:7.1f}"
              for n, r, s in zip(names, ran, seconds, strict=True)]  # fmt: skip
    lines.append(f"{'total':<{width}}  {sum(map(bool, ran)):>3}  {sum(seconds):7.1f}")
    return "\n".join(lines)


def summary(dag, ran: set[str] | None = None) -> str:
    """Where the reports are, what the registry did in this build (`ran`: the tasks that ran;
    None: all), and how to look at it all."""
    import json

    lines = ["", "Lifecycle built."]
    reports, registry = [], None
    for task in dag.values():
        keys = task.product.to_json_serializable()
        if isinstance(keys, dict) and "report" in keys:
            reports.append(str(task.product["report"]))
        if (
            isinstance(keys, dict)
            and "registry" in keys
            and Path(keys["registry"]).is_file()
            and (ran is None or task.name in ran)
        ):  # a no-op build repeats no promotion
            registry = json.loads(Path(keys["registry"]).read_text())
    if reports:
        lines.append(f"  Reports (HTML, code hidden) in {Path(reports[0]).parent}/:")
        lines += [f"    {Path(r).name}" for r in reports]
    if registry:
        verdict = Registration.model_validate(registry).verdict
        lines.append(
            f"  Model '{registry['model_name']}' version {registry['version']}: {verdict} "
            f"({registry['reason']}). Champion: version {registry['champion_after']}."
        )
    hub = dag["publish"].product.to_json_serializable().get("hub") if "publish" in dag else None
    if hub and Path(hub).is_file():
        lines.append(f"  Report hub (open in a browser): {hub}")
    lines.append("  MLflow UI: make ui  (then open http://127.0.0.1:5000)")
    return "\n".join(lines)


def build_and_report(dag, force: bool = False) -> int:
    """Build `dag`, print Ploomber's table and the summary; on failure, where and why (the
    failed stage's report and the root cause), and return 1."""
    import sys

    from ploomber.exceptions import DAGBuildError

    try:
        report = dag.build(force=force)
    except DAGBuildError as exc:
        print("\n" + "=" * 78, file=sys.stderr)
        for name, task in failed_tasks(dag):
            product = task.product.to_json_serializable()
            print(f"BUILD FAILED at task '{name}'", file=sys.stderr)
            for key in ("report", "nb"):
                if key in product:
                    print(f"  {key}: {product[key]}", file=sys.stderr)
        print(root_cause(exc), file=sys.stderr)
        print("=" * 78, file=sys.stderr)
        return 1
    values = report.values
    print(build_table(values))
    ran = {n for n, r in zip(values["name"], values["Ran?"], strict=True) if r}
    print(summary(dag, ran))
    return 0
