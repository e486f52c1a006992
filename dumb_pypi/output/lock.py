"""One run at a time per output directory (or deploy destination).

A cron job that starts while the last run still writes must not write the
same tree at once. The lock is flock(2), which the kernel releases when its
holder ends, however it ends: a killed run never leaves a stale lock. It is
taken on the output directory itself, so nothing is added beside it; while
the directory does not exist yet (a new tree is built beside it and renamed
into place), on its parent.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from dumb_pypi.errors import DumbPypiError

__all__ = ["AlreadyLocked", "locked", "locked_tree"]


class AlreadyLocked(DumbPypiError):
    """Another run holds the lock, and this one does not wait."""


def _acquire(fd: int, what: str, wait: bool) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if not wait:
            raise AlreadyLocked(f"another run is writing {what}; not waiting (--no-wait)") from None
        print(f"dumb-pypi: another run is writing {what}: waiting for it to finish", file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)


@contextmanager
def _held(open_fd: Callable[[], int], what: str, wait: bool) -> Iterator[None]:
    try:
        fd = open_fd()
    except OSError as ex:
        raise DumbPypiError(f"cannot write to {what}: {ex.strerror or ex}") from None
    try:
        _acquire(fd, what, wait)
        yield
    finally:
        os.close(fd)  # releases the lock


def locked(path: str, what: str, *, wait: bool = True) -> AbstractContextManager[None]:
    """Hold the lock file `path` (made if missing) for `what` (named in
    messages): wait for another holder to end, saying so on stderr, or (not
    `wait`) fail at once."""
    return _held(lambda: os.open(path, os.O_RDWR | os.O_CREAT, 0o644), what, wait)


def _directory(path: str) -> int:
    os.makedirs(path, exist_ok=True)
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY)


@contextmanager
def locked_tree(output_dir: str, *, wait: bool = True) -> Iterator[None]:
    """Hold the lock of an output directory (see the module docstring)."""
    output_dir = os.path.abspath(output_dir)
    while True:
        exists = os.path.isdir(output_dir)
        where = output_dir if exists else os.path.dirname(output_dir)
        with _held(functools.partial(_directory, where), output_dir, wait):
            # A run that waited on the parent may find the directory made meanwhile: lock that instead.
            if exists or not os.path.isdir(output_dir):
                yield
                return
