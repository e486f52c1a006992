"""dumb_pypi.build.workers: shares, results, and every way a worker can fail."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable

import pytest

from dumb_pypi.build import workers
from dumb_pypi.errors import DumbPypiError

pytestmark = pytest.mark.skipif(not workers.CAN_FORK, reason="no fork() here")


def test_split_balances_contiguous_non_empty_shares() -> None:
    items = list(range(10))
    assert workers.split(items, [1] * 10, 2) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert workers.split(items, [1] * 10, 3) == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert workers.split(items, [1] * 10, 1) == [items]
    assert workers.split([7], [1], 3) == [[7]]
    assert workers.split([], [], 2) == [[]]
    assert workers.split(items, [9, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2) == [[0], list(range(1, 10))]
    assert workers.split(items, [1, 1, 1, 1, 1, 1, 1, 1, 1, 9], 2) == [list(range(9)), [9]]


def _total(share: Iterable[int]) -> int:
    return sum(share)


def test_results_in_start_order() -> None:
    with workers.Workers[int]() as pool:
        pool.start([1, 2, 3], _total)
        pool.start([10, 20], _total)
        assert list(pool.results()) == [6, 30]


def _fail(share: Iterable[int]) -> int:
    raise DumbPypiError("cannot copy x: it is a named pipe")


def _bug(share: Iterable[int]) -> int:
    return 1 // 0


def _killed(share: Iterable[int]) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def _exits(share: Iterable[int]) -> int:
    os._exit(3)


def test_a_workers_error_is_raised_in_the_parent() -> None:
    with pytest.raises(DumbPypiError, match="^cannot copy x: it is a named pipe$"), workers.Workers[int]() as pool:
        pool.start([1], _fail)
        list(pool.results())


def test_a_workers_bug_carries_its_traceback() -> None:
    with pytest.raises(workers.WorkerFailed, match="ZeroDivisionError"), workers.Workers[int]() as pool:
        pool.start([1], _bug)
        list(pool.results())


@pytest.mark.parametrize(("work", "message"), [(_killed, "was killed by SIGKILL"), (_exits, "exited with status 3")])
def test_a_worker_that_dies_is_an_error(work: object, message: str) -> None:
    with pytest.raises(DumbPypiError, match=message), workers.Workers[int]() as pool:
        pool.start([1], work)  # type: ignore[arg-type]
        list(pool.results())


def _forever(share: Iterable[int]) -> int:
    while True:
        time.sleep(1)


def test_leaving_the_pool_kills_and_reaps_running_workers() -> None:
    with workers.Workers[int]() as pool:
        pool.start([1], _forever)
        pid = pool._workers[0].pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already


def _orphan(share: Iterable[int]) -> int:
    # A grandchild pool: its parent (the middle process) is SIGKILLed while it works.
    with workers.Workers[int]() as pool:
        pool.start([1], _forever_writing)
        os.write(_pipe_w, str(pool._workers[0].pid).encode() + b"\n")
        os.kill(os.getpid(), signal.SIGKILL)
    return 0


def _forever_writing(share: Iterable[int]) -> int:
    for _ in share:
        while True:
            time.sleep(0.01)
    return 0


_pipe_r, _pipe_w = os.pipe()


def test_a_worker_does_not_outlive_its_parent() -> None:
    with pytest.raises(DumbPypiError), workers.Workers[int]() as pool:
        pool.start([1], _orphan)
        list(pool.results())
    grandchild = int(os.read(_pipe_r, 100).decode())
    deadline = time.monotonic() + 10
    while _alive(grandchild):
        if time.monotonic() > deadline:
            os.kill(grandchild, signal.SIGKILL)
            raise AssertionError("the worker kept running after its parent was killed")
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"  # a zombie is dead, just not yet reaped
    except FileNotFoundError:
        return True  # no /proc: wait until whoever adopted it reaps it
