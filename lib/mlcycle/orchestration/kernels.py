"""Stage kernels forked from a process that has already imported what the stages import.

A build's executor (`PreloadedKernels`) starts the zygote (zygote.py) with the plan of the
stages about to run, and every stage's papermill run launches its kernel through
`ForkedKernelManager`, which asks the zygote to fork it. Anything the zygote cannot do (it is
not running, a thread appeared, another interpreter) falls back to jupyter_client's own launch:
the same kernel, only slower to get going.
"""

from __future__ import annotations

import ast
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from ploomber.executors.abc import Executor

from mlcycle.orchestration.digest import (
    external_imports,
    module_closure,
    module_external_imports,
)

ZYGOTE_VAR = "MLCYCLE_KERNEL_ZYGOTE"  # the socket of the build's zygote, for its tasks
# packages this project imports its own way: the function that imports them comes first
IMPORTERS = {"feast": "mlcycle.features.feast_import:import_feast"}
# what a package imports lazily on a build's usual path, found by profiling a build's kernels:
# MLflow opens its SQL stores (the default store is SQLite) and its tracing processor when a
# client first needs them; Feast's file offline store reads with Dask
LAZY = {
    "mlflow": (
        "mlflow.store.tracking.sqlalchemy_store",
        "mlflow.store.model_registry.sqlalchemy_store",
        "mlflow.tracing.processor.base_mlflow",
    ),
    "feast": ("dask.dataframe",),
}
# first of all, as every command entry point does (kernels are forked from the zygote)
SKIP_OPTIONAL = "mlcycle.environment:skip_unused_optional_imports"


def preload_plan(notebooks: Iterable[str | Path]) -> list[str]:
    """What the zygote imports for these notebooks, in the order they run (the first stage's
    imports first): each one's third-party imports, then this package's modules it imports
    (transitively), then those modules' lazy imports."""
    plan = [SKIP_OPTIONAL]
    for notebook in notebooks:
        source = Path(notebook).read_text()
        modules = module_closure(source)
        lazy = [n for name in sorted(modules) for n in module_external_imports(name, modules[name])]
        for name in [*external_imports(ast.parse(source)), *sorted(modules), *lazy]:
            top = name.split(".")[0]
            plan += [IMPORTERS[top]] if top in IMPORTERS else []
            plan += [name, *LAZY.get(top, ())]
    return list(dict.fromkeys(plan))


@contextmanager
def zygote(plan: list[str]) -> Iterator[str]:
    """The zygote as a process for the duration of the block; yields its socket's path, also
    exported as $MLCYCLE_KERNEL_ZYGOTE to the launches inside the block."""
    folder = tempfile.mkdtemp(prefix="mlcycle-kernels-")  # 0700: the requests carry the env
    path = os.path.join(folder, "socket")
    command = [sys.executable, "-m", "mlcycle.orchestration.zygote", path, json.dumps(plan)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    before = os.environ.get(ZYGOTE_VAR)
    try:
        ready = _wait_for(path, process)
        if ready:
            os.environ[ZYGOTE_VAR] = path
        yield path if ready else ""
    finally:
        if before is None:
            os.environ.pop(ZYGOTE_VAR, None)
        else:
            os.environ[ZYGOTE_VAR] = before
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(path: str, process: subprocess.Popen, timeout: float = 30) -> bool:
    """Whether the zygote came up (its socket appears once it accepts) within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def _ask(path: str, request: dict) -> dict:
    """The zygote's reply to one request ({} when it cannot be reached or answers nonsense)."""
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(30)
            conn.connect(path)
            conn.sendall(json.dumps(request).encode() + b"\n")
            with conn.makefile("rb") as stream:
                return json.loads(stream.readline())
    except (OSError, ValueError):
        return {}


def request_fork(path: str, argv: list[str], env: dict[str, str], cwd: str) -> int | None:
    """The pid of a kernel forked by the zygote at `path`, or None when it refused or failed."""
    return _ask(path, {"argv": argv, "env": env, "cwd": cwd}).get("pid")


def preloaded(path: str) -> bool:
    """Whether the zygote at `path` has made every import of its plan (benchmarks wait)."""
    return bool(_ask(path, {"ping": True}).get("preloaded"))


def running_zygote() -> str | None:
    """The socket of a zygote already serving this process's builds ($MLCYCLE_KERNEL_ZYGOTE,
    when it answers), or None."""
    path = os.environ.get(ZYGOTE_VAR)
    return path if path and "preloaded" in _ask(path, {"ping": True}) else None


@contextmanager
def kernels_for(notebooks: Iterable[str | Path]) -> Iterator[None]:
    """A zygote for these notebooks' kernels for the block: the one already running (a test
    session's, the simulation's), or one started for them."""
    if running_zygote():
        yield
        return
    with zygote(preload_plan(notebooks)):
        yield


def zygote_threads(path: str) -> int:
    """Threads running in the zygote (more than one and it refuses to fork)."""
    return int(_ask(path, {"ping": True}).get("threads", 0))


class ForkedProcess:
    """What jupyter_client needs of a kernel's Popen, for a process that is not our child
    (the zygote's): followed through a pidfd, so a reused pid is never signalled."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._fd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        return self.wait(0)

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None and select.select([self._fd], [], [], timeout)[0]:
            self.returncode = 0  # its parent reaped it: the status is not ours to read
            os.close(self._fd)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            signal.pidfd_send_signal(self._fd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkedKernelManager(AsyncKernelManager):
    """jupyter_client's kernel manager, launching through the build's zygote when there is one
    (`_async_launch_kernel` is its documented override point)."""

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
        path = os.environ.get(ZYGOTE_VAR)
        env = kw.get("env") or dict(os.environ)
        cwd = str(kw.get("cwd") or os.getcwd())
        pid = request_fork(path, kernel_cmd, env, cwd) if path else None
        process = None
        if pid is not None:
            try:
                process = ForkedProcess(pid)
            except OSError:  # no pidfd on this kernel (Linux < 5.3): that kernel cannot be followed
                os.kill(pid, signal.SIGKILL)
        if process is None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            return
        provisioner = self.provisioner
        assert provisioner is not None
        provisioner.process = process
        provisioner.pid, provisioner.pgid, provisioner.cwd = pid, pid, cwd
        self._reconcile_connection_info(provisioner.connection_info)


class PreloadedKernels(Executor):
    """A Ploomber executor: `inner`'s build, with the zygote running for the stages to run.
    Several builds in one process (the simulation's weeks, a test session) share one zygote
    started around them: a build inside its block forks from it instead of starting its own."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __call__(self, dag: Any, show_progress: bool) -> Any:
        from ploomber.constants import TaskStatus

        idle = {TaskStatus.Skipped, TaskStatus.Aborted}
        notebooks = [task.source.loc for task in dag.values() if task.exec_status not in idle]
        if not notebooks:
            return self.inner(dag=dag, show_progress=show_progress)
        with kernels_for(notebooks):
            return self.inner(dag=dag, show_progress=show_progress)
