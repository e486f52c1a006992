"""Small file operations every writer here shares."""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

__all__ = ["copy_file", "map_file", "naming", "remove_tree", "replace_file", "replacing", "write_all", "write_file"]


class naming:
    """An I/O error inside that names no file (a write on a full disk) names
    `path`. (A class, not @contextmanager: it wraps each of ~100k writes.)"""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> None:
        pass

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if isinstance(error, OSError) and error.filename is None:
            error.filename = self.path


def write_file(path: str, data: bytes | memoryview) -> None:
    """Create (or truncate) `path` and write `data` to it (os calls: a build writes ~100k files)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with naming(path):
            write_all(fd, data)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write all of `data` to `fd`, or raise. A write can be short (the last
    bytes that fit on a full disk): the next call raises the error."""
    written = os.write(fd, data)
    while written < len(data):
        written += os.write(fd, memoryview(data)[written:])


@contextmanager
def replacing(path: str) -> Iterator[str]:
    """A temporary path beside `path` to write, moved over `path` when the
    block ends, removed if it fails: `path` is whole or untouched, and no
    temporary file keeps the space of a full disk. An error that names no
    file (a write, a close) names `path`."""
    tmp = path + ".tmp"
    try:
        with naming(path):
            yield tmp
        os.replace(tmp, path)
    except BaseException:
        _remove_quietly(tmp)
        raise


def replace_file(path: str, data: bytes | memoryview) -> None:
    """Write `path` whole or not at all."""
    with replacing(path) as tmp:
        write_file(tmp, data)


def copy_file(source: str, destination: str) -> None:
    """Copy `source` to `destination`, whole or not at all."""
    import shutil  # not at the top: most builds copy nothing

    with replacing(destination) as tmp:
        shutil.copyfile(source, tmp)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def remove_tree(path: str) -> None:
    """Remove a directory of our own and everything in it, if it is there."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    try:  # most often a folder of files: a few calls, without importing shutil
        for name in names:
            os.remove(os.path.join(path, name))
        os.rmdir(path)
    except OSError:
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def map_file(path: str, access: int = mmap.ACCESS_READ) -> mmap.mmap | bytes:
    """The bytes of the file at `path`, mapped: read where used, never copied
    whole (ACCESS_COPY: changes stay in this process). Builds replace files,
    never rewrite one in place, so what is mapped does not change."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""  # an empty file cannot be mapped
        return mmap.mmap(f.fileno(), 0, access=access)
