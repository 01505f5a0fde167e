"""The prediction log's writer for requests answered on the event loop.

One thread commits, in one transaction, whatever requests queued while it was busy (group
commit), and wakes each request once its rows are durable. Handing rows to it costs about
30 µs a request; Starlette's thread pool (anyio's limiter and its worker queue) about 100 µs,
a tenth of the service's whole answer on one row.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading

from mlcycle.serving.prediction_log import Prediction, PredictionLog

_STOP = None


class LogWriter:
    """`await writer.record(rows)` returns once `rows` are committed to `log`, or raises
    what refused them (as `log.record` would)."""

    def __init__(self, log: PredictionLog) -> None:
        self.log = log
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    async def record(self, predictions: list[Prediction]) -> None:
        done = asyncio.get_running_loop().create_future()
        self._started()
        self._queue.put((predictions, done))
        await done

    def close(self) -> None:
        """Commit what is queued, then stop the thread (a later `record` starts it again)."""
        with self._start:
            if self._thread is not None:
                self._queue.put(_STOP)
                self._thread.join()
                self._thread = None

    def _started(self) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="prediction-log-writer", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while group[-1] is not _STOP:
                    group.append(self._queue.get_nowait())
            stop = group[-1] is _STOP
            waiting = [item for item in group if item is not _STOP]
            if waiting:
                self._commit(waiting)
            if stop:
                return

    def _commit(self, group: list[tuple[list[Prediction], asyncio.Future]]) -> None:
        try:  # one transaction; a request whose rows are refused fails alone
            errors = self.log.record_each([predictions for predictions, _ in group])
        except Exception as exc:  # noqa: BLE001 - handed to every request of the group
            errors = [exc] * len(group)
        for (_, done), error in zip(group, errors, strict=True):
            with contextlib.suppress(RuntimeError):  # its loop is closed: nobody waits
                done.get_loop().call_soon_threadsafe(_settle, done, error)


def _settle(done: asyncio.Future, error: BaseException | None) -> None:
    if done.cancelled():  # the client left; its rows are committed all the same
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
