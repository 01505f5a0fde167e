"""Start a server as a child process and wait until it answers: for tests and benchmarks that
need the real thing on loopback (this service, `mlflow models serve`, Prometheus)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path


class ServerFailed(RuntimeError):
    """The server exited or never became ready; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running(
    command: Sequence[str],
    ready_url: str | None,
    log: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120.0,
    ready: Callable[[], bool] | None = None,
) -> Iterator[subprocess.Popen]:
    """Run `command` until the block ends; ready once `ready_url` answers 200 (or, for a
    server that speaks no HTTP, once `ready()` is true)."""
    ready = ready or (lambda: _answers(ready_url))
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # so stopping it stops its workers too
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ServerFailed(
                    f"{command[0]} exited with {proc.returncode} before it was ready; "
                    f"its log ({log}):\n{_tail(log)}"
                )
            if ready():
                break
            if time.monotonic() > deadline:
                raise ServerFailed(
                    f"{command[0]} was not ready at {ready_url or 'its port'} after "
                    f"{timeout:.0f} s; "
                    f"its log ({log}):\n{_tail(log)}"
                )
            time.sleep(0.2)
        yield proc
    finally:
        _stop(proc)


def _answers(url: str | None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
