import asyncio
import sqlite3
import threading

import pytest

from mlcycle.serving.log_writer import LogWriter
from mlcycle.serving.prediction_log import PredictionLog
from tests.serving.test_prediction_log import pred


def committed(path, i):
    """Whether r{i} is visible to another connection: committed, not just queued."""
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM predictions WHERE request_id = ?", (f"r{i}",))


def test_requests_that_queue_during_a_commit_share_the_next_one_and_wait_for_it(tmp_path):
    """While the first request's rows are on disk, five more queue; the writer commits them
    in one transaction, and each request returns only once its own rows are committed."""
    path = tmp_path / "log.db"
    log = PredictionLog(path)
    writer = LogWriter(log)
    real_insert, on_disk = log._insert, threading.Event()

    def slow_first_insert(rows):
        if log.commits == 0:
            on_disk.wait(10)
        real_insert(rows)

    log._insert = slow_first_insert
    seen = {}

    async def request(i):
        await writer.record([pred(i)])
        seen[i] = committed(path, i).fetchone()[0]

    async def main():
        first = asyncio.create_task(request(0))
        while not log._committing:
            await asyncio.sleep(0.001)
        others = [asyncio.create_task(request(i)) for i in range(1, 6)]
        while writer._queue.qsize() < 5:
            await asyncio.sleep(0.001)
        assert not seen  # nobody has returned while the first commit is on disk
        on_disk.set()
        await asyncio.gather(first, *others)

    asyncio.run(main())
    writer.close()
    assert log.commits == 2
    assert seen == dict.fromkeys(range(6), 1)


def test_a_refused_request_fails_alone_and_the_others_of_its_group_are_committed(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    log.record([pred(1)])
    writer = LogWriter(log)

    async def main():
        loop = asyncio.get_running_loop()
        group = [([pred(i)], loop.create_future()) for i in (2, 1, 3)]  # r1 again, between
        await asyncio.to_thread(writer._commit, group)
        await asyncio.sleep(0)
        return [done.exception() for _, done in group]

    errors = asyncio.run(main())
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], sqlite3.IntegrityError)
    assert sorted(log.frame()["request_id"]) == ["r1", "r2", "r3"]


def test_an_error_of_the_log_reaches_every_request_waiting_on_it(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    writer = LogWriter(log)

    def broken(calls):
        raise OSError("disk full")

    log.record_each = broken

    async def main():
        return await asyncio.gather(
            *(writer.record([pred(i)]) for i in range(3)), return_exceptions=True
        )

    results = asyncio.run(main())
    writer.close()
    assert [type(r) for r in results] == [OSError] * 3


def test_close_commits_what_is_queued_and_a_later_request_starts_it_again(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    writer = LogWriter(log)

    async def main(ids):
        await asyncio.gather(*(writer.record([pred(i)]) for i in ids))

    asyncio.run(main(range(3)))
    writer.close()
    assert writer._thread is None
    asyncio.run(main(range(3, 5)))  # another event loop, as a new TestClient has
    writer.close()
    assert sorted(log.frame()["request_id"]) == [f"r{i}" for i in range(5)]


def test_record_each_settles_every_call_on_its_own(tmp_path):
    log = PredictionLog(tmp_path / "log.db")
    log.record([pred(1)])
    errors = log.record_each([[pred(2)], [], [pred(1), pred(4)], [pred(3)]])
    assert errors[0] is None and errors[1] is None and errors[3] is None
    assert isinstance(errors[2], sqlite3.IntegrityError)
    assert sorted(log.frame()["request_id"]) == ["r1", "r2", "r3"]  # r4 went with r1's call
    with pytest.raises(sqlite3.IntegrityError):
        log.record([pred(2)])
