"""Read a built tree back, to compare it with another."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dumb_pypi.incremental.state import STATE_NAME
from dumb_pypi.output.tree import TMP_NAME

__all__ = ["digests", "read_tree", "state_bytes"]


def state_bytes(path: Path) -> bytes:
    """The state file without its last value (the root pages' sizes, times and
    inodes): what two trees built alike have in common."""
    data = path.read_bytes()
    at = last = 0
    while at < len(data):  # values, each behind its 8-byte length
        last = at
        at += 8 + int.from_bytes(data[at:at + 8], "little")
    return data[:last]


def read_tree(root: Path) -> dict[str, bytes]:
    """'/'-path -> bytes of every file under `root` (the state as state_bytes() gives it)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            name = path.relative_to(root).as_posix()
            files[name] = state_bytes(path) if name == STATE_NAME else path.read_bytes()
    return files


def digests(root: Path) -> dict[str, str]:
    """'/'-path -> sha256 of every file under `root`, a build's temporary folder aside."""
    return {path: hashlib.sha256(data).hexdigest() for path, data in read_tree(root).items()
            if not path.startswith(TMP_NAME + "/")}
