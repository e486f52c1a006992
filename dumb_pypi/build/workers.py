"""Run shares of a build in forked worker processes (POSIX only).

Rendering pages is pure Python and writing them is one syscall after another:
one process uses one core. The pages of different projects are independent
files, so forked children can each render and write a share of the projects
into the same tree. fork() rather than multiprocessing: a child inherits the
parsed projects, the renderer and the tree writer as they are (nothing is
pickled on the way in, nothing is imported again), and only its result (its
manifest entries) travels back, pickled, over a pipe.

What the build relies on:
* a worker's error comes back as the same DumbPypiError in the parent; a
  worker that crashes or is killed is an error too, never a missing share;
* a worker never outlives the parent: on Linux the kernel kills it when the
  parent dies, elsewhere it stops at the next item of its share;
* leaving a Workers `with` block kills and reaps the workers still running, so
  the parent can clean up (or fail) knowing that nothing else writes.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Generic, NoReturn, TypeVar

from dumb_pypi.errors import DumbPypiError, describe

__all__ = ["CAN_FORK", "Queue", "WorkerFailed", "Workers", "default_jobs", "die_with", "split"]

CAN_FORK = hasattr(os, "fork")

T = TypeVar("T")
R = TypeVar("R")


class WorkerFailed(Exception):
    """A worker raised something other than a DumbPypiError (a bug); carries its traceback."""


def default_jobs() -> int:
    """Two processes when two cores are ours: the speedup that matters for the
    index step, while the sum of the processes' memory stays close to one's."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no sched_getaffinity (macOS)
        cores = os.cpu_count() or 1
    return max(1, min(2, cores)) if CAN_FORK else 1


def split(items: Sequence[T], weights: Sequence[float], parts: int) -> list[list[T]]:
    """`items` in at most `parts` contiguous, non-empty shares of about equal total weight
    (one share, maybe empty, when there are no items)."""
    total = sum(weights)
    shares: list[list[T]] = [[]]
    done = 0.0
    for item, item_weight in zip(items, weights):
        if shares[-1] and len(shares) < parts and done >= total * len(shares) / parts:
            shares.append([])
        shares[-1].append(item)
        done += item_weight
    return shares


class Queue:
    """The numbers 0..count-1, each given to whichever process asks first:
    the processes forked after it was made take shares of a job as they
    become free. The numbers are bytes in a pipe; a read of one byte takes
    one of them, atomically."""

    MAX = 256

    def __init__(self, count: int) -> None:
        if not 0 <= count <= self.MAX:
            raise ValueError(f"a queue holds 0 to {self.MAX} numbers, not {count}")
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, bytes(range(count)))  # fits in any pipe's buffer: no wait
        finally:
            os.close(write_fd)  # then a read of the empty pipe is its end, not a wait
        self._fd: int | None = read_fd

    def __iter__(self) -> Iterator[int]:
        assert self._fd is not None, "the queue is closed"
        while token := os.read(self._fd, 1):
            yield token[0]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Worker:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd  # read end of the pipe the result comes back on
        self.running = True

    def stop(self) -> None:
        """Kill (if still running) and reap."""
        if self.running:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            os.close(self.fd)
            self.running = False

    def result(self, waiting: Callable[[], None] | None = None) -> Any:
        import pickle  # here, not at the top: most builds fork no worker

        if waiting is not None:
            import select

            while not select.select([self.fd], [], [], 0.1)[0]:  # nothing yet: the worker is still at work
                waiting()
        with os.fdopen(self.fd, "rb") as pipe:
            data = pipe.read()  # until the worker closes its end: done, failed or killed
        _, status = os.waitpid(self.pid, 0)
        self.running = False
        try:
            kind, value = pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):  # nothing, or half: it died
            kind, value = None, None
        if kind == "ok" and status == 0:
            return value
        if kind == "error":
            raise DumbPypiError(value)
        if kind == "crash":
            raise WorkerFailed(f"worker process {self.pid} failed:\n{value}")
        raise DumbPypiError(f"worker process {self.pid} {_how_it_ended(status)} before finishing its share")


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"was killed by {signal.Signals(number).name}"
        except ValueError:
            return f"was killed by signal {number}"
    return f"exited with status {os.WEXITSTATUS(status)}"


class Workers(Generic[R]):
    """Worker processes of one build step; see the module docstring."""

    def __init__(self) -> None:
        self._workers: list[_Worker] = []

    def __enter__(self) -> Workers[R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        for worker in self._workers:
            worker.stop()
        if self._workers:
            gc.unfreeze()

    def start(self, share: Iterable[T], work: Callable[[Iterable[T]], R]) -> None:
        """Fork a worker that returns `work(share)`; `work` sees the share as an
        iterable that ends the worker if the parent is gone."""
        if not self._workers:
            # Objects that exist now are left out of garbage collection: the
            # collector writes to every object it visits, which would copy each
            # shared page into every process (copy-on-write).
            gc.freeze()
        parent = os.getpid()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _child(share, work, write_fd, parent)
        os.close(write_fd)
        self._workers.append(_Worker(pid, read_fd))

    def results(self, waiting: Callable[[], None] | None = None) -> Iterator[R]:
        """Each worker's result, in start order, once it has finished
        (`waiting()` is called every 0.1 s meanwhile)."""
        for worker in self._workers:
            yield worker.result(waiting)


def _child(share: Iterable[T], work: Callable[[Iterable[T]], R], write_fd: int, parent: int) -> NoReturn:
    import pickle  # here, not at the top: most builds fork no worker
    import traceback

    code = 1
    message: tuple[str, Any]
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops its workers
        die_with(parent)
        message = ("ok", work(_while_alive(share, parent)))
        code = 0
    except DumbPypiError as ex:
        message = ("error", str(ex))
    except OSError as ex:  # a full disk, a read-only file...: the parent says it in one line
        message = ("error", describe(ex))
    except BaseException:  # noqa: BLE001 -- a bug: its traceback goes to the parent
        message = ("crash", traceback.format_exc())
    try:
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        # Never return into the parent's code (its `finally` blocks, atexit
        # hooks, buffered output): this process only ever runs `work`.
        os._exit(code)


def die_with(parent: int) -> None:
    """Linux: have the kernel SIGKILL this process when the parent dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before that took effect
        os._exit(1)


def _while_alive(share: Iterable[T], parent: int) -> Iterator[T]:
    # The portable guard: a worker whose parent died stops writing within one item.
    for item in share:
        if os.getppid() != parent:
            os._exit(1)
        yield item
