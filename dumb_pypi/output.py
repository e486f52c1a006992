"""Write the index tree so that readers never see a half-written index.

* A new output directory is built beside its final path and renamed into place
  at the end: it either does not exist or is complete.
* An existing one is updated in place, one file at a time, each written to a
  temporary file and renamed over the old one, in dependency order: pool
  files, then project pages, then the root pages that link to them, then
  stale files are removed, then the manifest. Killed at any moment, every
  page is complete and every link on simple/index.html resolves.
* Files whose content did not change are not touched (the old manifest says).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from typing import NamedTuple

from dumb_pypi.errors import DumbPypiError

__all__ = ["Entry", "Manifest", "TreeWriter", "MANIFEST_NAME", "read_manifest", "write_manifest", "root_digest"]

MANIFEST_NAME = "manifest.json"
_TMP_NAME = ".dumb-pypi-tmp"
_MANIFEST_FORMAT = 1


class Entry(NamedTuple):
    digest: bytes  # raw sha256 (32 bytes: a manifest of 100k files stays small in memory)
    size: int

    @property
    def sha256(self) -> str:
        return self.digest.hex()


Manifest = dict[str, Entry]


def root_digest(files: Manifest, paths: list[str] | None = None) -> str:
    digest = hashlib.sha256()
    for path in paths if paths is not None else sorted(files):
        entry = files[path]
        digest.update(f"{entry.digest.hex()} {entry.size} {path}\n".encode())
    return "sha256:" + digest.hexdigest()


def write_manifest(files: Manifest, destination: str) -> str:
    """Write the manifest document, one file per line so two manifests diff
    well; returns the root digest."""
    paths = sorted(files)
    root = root_digest(files, paths)
    with open(destination, "w", encoding="utf-8") as f:
        f.write(f'{{"format":{_MANIFEST_FORMAT},"root_digest":"{root}","files":{{')
        separator = "\n"
        for path in paths:
            entry = files[path]
            f.write(f'{separator}{json.dumps(path, ensure_ascii=False)}:'
                    f'{{"sha256":"{entry.digest.hex()}","size":{entry.size}}}')
            separator = ",\n"
        f.write("\n}}\n")
    return root


def read_manifest(directory: str) -> Manifest | None:
    """The manifest of a tree we wrote before, or None (none, or unreadable)."""
    try:
        with open(os.path.join(directory, MANIFEST_NAME), "rb") as f:
            document = json.load(f)
        return {path: Entry(bytes.fromhex(entry["sha256"]), entry["size"])
                for path, entry in document["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


class TreeWriter:
    """Writes one tree; see the module docstring for the guarantees."""

    def __init__(self, output_dir: str) -> None:
        self.output_dir = os.path.abspath(output_dir)
        parent, name = os.path.split(self.output_dir)
        self.fresh = not os.path.lexists(self.output_dir)
        if not self.fresh and not os.path.isdir(self.output_dir):
            raise DumbPypiError(f"--output-dir {output_dir}: exists and is not a directory")
        self.old: Manifest = {} if self.fresh else (read_manifest(self.output_dir) or {})
        self.files: Manifest = {}
        self.changed = 0
        # Where files are built: a staging tree beside a new output directory,
        # or the output directory itself (temporary files in a hidden folder).
        self.root = os.path.join(parent, f".{name}.dumb-pypi-staging") if self.fresh else self.output_dir
        self._tmp = os.path.join(self.root, _TMP_NAME)
        try:
            os.makedirs(parent, exist_ok=True)
            for leftover in (self._tmp, self.root if self.fresh else None):
                if leftover and os.path.lexists(leftover):
                    shutil.rmtree(leftover)  # from a build that was killed
            os.makedirs(self._tmp)
        except OSError as ex:
            raise DumbPypiError(f"cannot write to {output_dir}: {ex.strerror or ex}") from None
        self._dirs: set[str] = set()
        self._counter = 0

    def _target(self, path: str) -> str:
        directory = os.path.dirname(path)
        if directory not in self._dirs:
            os.makedirs(os.path.join(self.root, directory), exist_ok=True)
            self._dirs.add(directory)
        return os.path.join(self.root, path)

    def _unchanged(self, path: str, entry: Entry) -> bool:
        return self.old.get(path) == entry and os.path.isfile(os.path.join(self.root, path))

    def _tmp_path(self) -> str:
        self._counter += 1
        return os.path.join(self._tmp, str(self._counter))

    def _put(self, path: str, content: bytes | tuple[str, Entry]) -> None:
        if isinstance(content, bytes):
            entry = Entry(hashlib.sha256(content).digest(), len(content))
        else:
            source, entry = content
        self.files[path] = entry
        if self._unchanged(path, entry):
            return
        target = self._target(path)
        if not isinstance(content, bytes):
            tmp = self._tmp_path()
            try:
                shutil.copyfile(source, tmp)
            except OSError as ex:
                raise DumbPypiError(f"cannot copy {source}: {ex.strerror or ex}") from None
            os.replace(tmp, target)
        elif self.fresh:
            # Nothing is served from the staging tree yet: write in place.
            _write_file(target, content)
        else:
            tmp = self._tmp_path()
            _write_file(tmp, content)
            os.replace(tmp, target)
        self.changed += 1

    def write(self, path: str, data: bytes) -> None:
        """Write one page (or sidecar) at `path`, relative to the tree root."""
        self._put(path, data)

    def copy(self, path: str, source: str, sha256: str, size: int) -> None:
        """Copy a distribution file, whose content is known, into the tree."""
        self._put(path, (source, Entry(bytes.fromhex(sha256), size)))

    def finish(self) -> str:
        """Remove stale files, write the manifest, and put the tree in place.
        Returns the root digest."""
        for path in sorted(set(self.old) - set(self.files), reverse=True):
            full = os.path.join(self.root, path)
            if os.path.isfile(full):
                os.remove(full)
                self._prune(os.path.dirname(path))
        tmp = self._tmp_path()
        digest = write_manifest(self.files, tmp)
        os.replace(tmp, self._target(MANIFEST_NAME))
        shutil.rmtree(self._tmp)
        if self.fresh:
            os.rename(self.root, self.output_dir)
        return digest

    def _prune(self, directory: str) -> None:
        # Remove directories emptied by stale removal; never a user's own files.
        while directory:
            try:
                os.rmdir(os.path.join(self.root, directory))
            except OSError:
                return
            self._dirs.discard(directory)
            directory = os.path.dirname(directory)
