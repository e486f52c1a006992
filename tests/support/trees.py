"""Read a built tree back: unpack its tarball, its files, its manifest."""

from __future__ import annotations

import hashlib
import json
import sys
import tarfile
from pathlib import Path

from dumb_pypi.incremental.state import STATE_NAME
from dumb_pypi.output.tree import TMP_NAME

__all__ = ["digests", "extract", "manifest", "read_tree", "state_bytes"]


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


def manifest(tree: Path) -> dict[str, dict[str, object]]:
    """The `files` of the tree's manifest.json: '/'-path -> {"sha256", "size"}."""
    files: dict[str, dict[str, object]] = json.loads((tree / "manifest.json").read_text())["files"]
    return files


def extract(tarball: Path, dest: Path) -> Path:
    """Unpack `tarball` into `dest`, refusing members outside its root; returns `dest`."""
    with tarfile.open(tarball) as tar:
        for name in tar.getnames():
            if name.startswith("/") or ".." in name.split("/"):
                raise AssertionError(f"{tarball}: member {name!r} is outside the root")
        if sys.version_info >= (3, 12):
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)
    return dest
