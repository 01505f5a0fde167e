"""A process that imports a build's heavy libraries once and forks each stage's kernel from it.

Every stage notebook runs in a fresh kernel, and a fresh kernel pays for its imports again:
pandas, scikit-learn, MLflow, Feast, Evidently, seconds each, most of a small stage's time.
This process starts with the build, imports what the stages about to run import (see
kernels.preload_plan), and answers each kernel launch by forking: the child becomes the
kernel (`python -m ipykernel_launcher -f <connection file>`, exactly), with its modules already
in memory, shared copy-on-write. Each stage still gets its own new process, so stages stay
isolated; only the import work is shared.

Protocol, on a Unix socket: one JSON line {"argv", "env", "cwd"} in, one JSON line out,
{"pid": N} or {"refused": reason} (the caller then launches the kernel the usual way);
{"ping": true} gets {"preloaded": bool, "threads": N}. The preloading happens between
requests, so a launch never waits for it. What the imports print (deprecation warnings) goes
nowhere: a kernel prints its own, if it imports anything itself.

    python -m mlcycle.orchestration.zygote SOCKET PLAN_JSON
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
from collections.abc import Iterator

LAUNCHER = "ipykernel_launcher"
KERNEL = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger")  # what it runs


def _preload(plan: list[str]) -> Iterator[None]:
    """Import the plan's entries one at a time ("module", or "module:function" to call);
    a failure is skipped: the kernel then imports (and reports) it itself."""
    for entry in plan:
        module, _, function = entry.partition(":")
        try:
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()
        except BaseException:  # noqa: BLE001 - whatever an import does, the kernel redoes it
            pass
        yield


def _refusal(argv: list[str]) -> str | None:
    """Why this launch cannot be forked from here (None: it can)."""
    if argv[1:3] != ["-m", LAUNCHER]:
        return f"not an IPython kernel launch: {argv[:3]}"
    try:
        if not os.path.samefile(argv[0], sys.executable):
            return f"another interpreter: {argv[0]}"
    except OSError:
        return f"no such interpreter: {argv[0]}"
    if threading.active_count() > 1:  # forking a threaded process can deadlock the child
        return "an import started a thread"
    return None


def _become_kernel(
    argv: list[str], env: dict[str, str], cwd: str, closing: list, stderr: int
) -> None:
    """In the forked child: the kernel process `argv` would have started. Never returns."""
    code = 1
    try:
        for sock in closing:
            sock.close()
        os.dup2(stderr, 2)
        os.close(stderr)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        os.setsid()  # its own process group, as jupyter_client starts kernels
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # as jupyter_client's launch sets it
        if "numpy" in sys.modules:  # a fresh process seeds its global generator afresh
            sys.modules["numpy"].random.seed()
        sys.argv = [LAUNCHER, *argv[3:]]
        sys.path[0] = cwd  # as `python -m` in cwd
        runpy.run_module(LAUNCHER, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve(conn: socket.socket, listener: socket.socket, preloaded: bool, stderr: int) -> None:
    with conn, conn.makefile("rwb") as stream:
        request = json.loads(stream.readline())
        if request.get("ping"):
            reply: dict = {"preloaded": preloaded, "threads": threading.active_count()}
        elif refused := _refusal(request["argv"]):
            reply = {"refused": refused}
        else:
            pid = os.fork()
            if pid == 0:
                argv, env, cwd = request["argv"], request["env"], request["cwd"]
                _become_kernel(argv, env, cwd, [conn, listener], stderr)
            reply = {"pid": pid}
        stream.write(json.dumps(reply).encode() + b"\n")
        stream.flush()


# what a kernel's environment has that the build's has not, for imports that read it once
# (matplotlib takes its backend at import): ipykernel sets it the same way at start-up
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def main(path: str, plan: list[str]) -> None:
    for key, value in KERNEL_ENV.items():
        os.environ.setdefault(key, value)
    # ipykernel reads its parent's pid when imported (a class default): this process is the
    # parent of every kernel it forks, so it is preloaded with that, and the kernel itself first
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    plan = [*KERNEL, *plan]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked kernels are reaped automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the build; it stops us
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(f"{path}.binding")
    listener.listen(8)
    os.rename(f"{path}.binding", path)  # the path appears when it accepts: that says ready
    stderr = os.dup(2)  # the kernels' (the build's stderr)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 2)
    os.close(quiet)
    pending = _preload(plan)
    preloading = True
    build = os.getppid()
    while os.getppid() == build:  # else the build was killed: nobody will ask again
        if select.select([listener], [], [], 0 if preloading else 1)[0]:
            conn, _ = listener.accept()
            _serve(conn, listener, not preloading, stderr)
        elif preloading:  # one import a turn: a build killed meanwhile is noticed between
            preloading = next(pending, False) is None


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
