"""Write an index tree so that no reader and no failure ever sees half of one.

* A new output directory is built beside its final path and renamed into
  place at the end: it either does not exist or is complete.
* An existing one is updated in place, one file at a time, each written to
  a temporary file and renamed over the old one, in dependency order: pool
  files, then project pages, then the root pages that link to them, then
  stale files are removed, then the manifest. Readers always find whole
  files and working links.
* That update is a transaction. Before a file is replaced or removed, its
  old version is kept (a hard link in the temporary folder) and a journal
  there says so; files the update creates are journaled too. If the build
  fails (a full disk, a read-only file...), everything is undone: the tree
  is exactly what its manifest says, nothing of the failed build is left.
  If the build is killed, the next one finds the journal and undoes it
  first. The manifest's replacement is the commit: from then on, the
  build's files stay.
* Files whose content did not change are not touched (the manifest says).
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterable
from typing import BinaryIO

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output.files import naming, remove_tree, write_all, write_file
from dumb_pypi.output.manifest import (
    MANIFEST_NAME,
    Manifest,
    ManifestLines,
    make_entry,
    read_manifest,
    write_manifest,
)

__all__ = ["TMP_NAME", "TreeWriter"]

TMP_NAME = ".dumb-pypi-tmp"
_COMMITTED = "committed"  # in the temporary folder: the manifest is in place, keep the build's files
_BATCH = 256  # files moved into the tree per journal write


class _Journal:
    """What one process did to the tree, in a file of the temporary folder:
    `S path backup` (the old file is kept at backup) and `C path` (created).
    Lines are written before the renames they describe, a batch at a time."""

    def __init__(self, tmp: str, name: str) -> None:
        self.path = os.path.join(tmp, name)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, lines: list[str]) -> None:
        """Append `lines`, all of them or raise: the renames they describe
        must not happen unless undo can read every line."""
        assert self._fd is not None, "the journal is closed"
        with naming(self.path):
            write_all(self._fd, "".join(lines).encode("utf-8", "surrogateescape"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _undo(tmp: str) -> tuple[int, int]:
    """Undo what the journals in `tmp` say, newest first; (files restored, files removed)."""
    restored = removed = 0
    journals = sorted(name for name in os.listdir(tmp) if name.startswith("journal"))
    # The main process's journal ("journal") holds the root pages: undone first.
    for name in journals:
        with open(os.path.join(tmp, name), "rb") as f:
            lines = f.read().decode("utf-8", "surrogateescape").split("\n")[:-1]
        root = os.path.dirname(tmp)
        for line in reversed(lines):
            kind, path, *backup = line.split("\0")
            target = os.path.join(root, path)
            if kind == "S" and os.path.lexists(os.path.join(tmp, backup[0])):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.replace(os.path.join(tmp, backup[0]), target)
                restored += 1
            elif kind == "C" and os.path.lexists(target):
                os.remove(target)
                removed += 1
                _prune(root, os.path.dirname(path))
    return restored, removed


def _prune(root: str, directory: str) -> None:
    """Remove `directory` (relative to `root`) and its parents while they are empty."""
    while directory:
        try:
            os.rmdir(os.path.join(root, directory))
        except OSError:
            return
        directory = os.path.dirname(directory)


def recover(output_dir: str) -> str | None:
    """Finish or undo what a killed build left in `output_dir`; what was done, for the log."""
    tmp = os.path.join(output_dir, TMP_NAME)
    if not os.path.isdir(tmp):
        return None
    if os.path.exists(os.path.join(tmp, _COMMITTED)):
        message = "finished the cleanup of a build that was stopped after it was complete"
    else:
        restored, removed = _undo(tmp)
        message = f"undid a build that was stopped half-way ({restored} files restored, {removed} removed)"
    remove_tree(tmp)
    return message


class TreeWriter:
    """Writes one tree; see the module docstring for the guarantees."""

    def __init__(self, output_dir: str, old: Manifest | None = None) -> None:
        """`old`: what the tree has at the paths this build may write or
        remove (a partial rebuild knows it); default: the tree's manifest."""
        self.output_dir = os.path.abspath(output_dir)
        parent, name = os.path.split(self.output_dir)
        self.fresh = not os.path.lexists(self.output_dir)
        if not self.fresh and not os.path.isdir(self.output_dir):
            raise DumbPypiError(f"--output-dir {output_dir}: exists and is not a directory")
        # Where files are built: a staging tree beside a new output directory,
        # or the output directory itself (the journal in a hidden folder).
        self.root = os.path.join(parent, f".{name}.dumb-pypi-staging") if self.fresh else self.output_dir
        self._tmp = os.path.join(self.root, TMP_NAME)
        try:
            os.makedirs(parent, exist_ok=True)
            if self.fresh:
                remove_tree(self.root)  # from a build that was killed
            else:
                recovered = recover(self.output_dir)
                if recovered:
                    print(f"dumb-pypi: {output_dir}: {recovered}", file=sys.stderr)
            os.makedirs(self._tmp)
        except OSError as ex:
            raise DumbPypiError(f"cannot write to {output_dir}: {ex.strerror or ex}") from None
        if old is None:
            old = {} if self.fresh else (read_manifest(self.output_dir) or {})
        self.old: Manifest = old
        self.files: Manifest = {}
        self.changed = 0
        self._dirs: set[str] = set()
        self._counter = 0
        self._prefix = ""  # of temporary names: a worker's pid
        self._journal: _Journal | None = None if self.fresh else _Journal(self._tmp, "journal")
        self._pending: list[tuple[str, str]] = []  # (temporary file, path) not yet moved into place
        self._log: BinaryIO | None = None  # see log_entries()
        self._listed: list[ManifestLines] = []

    def _directory(self, path: str) -> None:
        directory = path.rpartition("/")[0]
        if directory not in self._dirs:
            full = f"{self.root}/{directory}"
            try:
                os.mkdir(full)  # usually the parent exists: one call, not makedirs' several
            except FileNotFoundError:
                os.makedirs(full, exist_ok=True)
            except FileExistsError:
                pass
            # Pages come project by project: a small cache of recent
            # directories saves nearly every makedirs without growing with the index.
            if len(self._dirs) > 256:
                self._dirs.clear()
            self._dirs.add(directory)

    def _tmp_path(self) -> str:
        self._counter += 1
        return f"{self._tmp}/{self._prefix}{self._counter}"

    def _add(self, path: str, digest: bytes, size: int, write: Callable[[str], None]) -> None:
        entry = make_entry(digest, size)
        if self._log is None:
            self.files[path] = entry
        else:
            self._log.write(b"%s\0%s" % (path.encode("utf-8", "surrogateescape"), entry))
        if self.old.get(path) == entry and os.path.isfile(f"{self.root}/{path}"):
            return  # unchanged
        self._directory(path)
        self.changed += 1
        if self.fresh:  # nothing is served from the staging tree yet: write in place
            write(f"{self.root}/{path}")
            return
        tmp = self._tmp_path()
        write(tmp)
        self._pending.append((tmp, path))
        if len(self._pending) >= _BATCH:
            self.flush()

    def write(self, path: str, data: bytes) -> None:
        """Write one page (or sidecar) at `path`, relative to the tree root."""
        self._add(path, hashlib.sha256(data).digest(), len(data), lambda target: write_file(target, data))

    def copy(self, path: str, source: str, sha256: str, size: int) -> None:
        """Copy a distribution file, whose content is known, into the tree."""
        import shutil  # here: only --pool copies

        def copy(target: str) -> None:
            try:
                shutil.copyfile(source, target)
            except OSError as ex:
                if ex.filename not in (None, source):
                    raise  # the tree's side: a full disk... (named by the caller)
                raise DumbPypiError(f"cannot copy {source}: {ex.strerror or ex}") from None

        self._add(path, bytes.fromhex(sha256), size, copy)

    def flush(self) -> None:
        """Move the files written so far into place (an update journals them first)."""
        if not self._pending:
            return
        if self._journal is not None:
            lines = []
            for tmp, path in self._pending:
                target = f"{self.root}/{path}"
                if os.path.lexists(target):
                    backup = f"{os.path.basename(tmp)}.old"
                    os.link(target, f"{self._tmp}/{backup}")
                    lines.append(f"S\0{path}\0{backup}\n")
                else:
                    lines.append(f"C\0{path}\n")
            self._journal.write(lines)
        for tmp, path in self._pending:
            os.replace(tmp, f"{self.root}/{path}")
        self._pending.clear()

    def scratch(self, name: str) -> str:
        """A path for a file of this build's own in the temporary folder (gone once the tree is finished)."""
        return f"{self._tmp}/{self._prefix}{name}"

    def place(self, path: str, source: str) -> None:
        """Move the file `source` (on the same file system) to `path`, outside
        the manifest: the state a partial rebuild reads. Part of the
        transaction like every other file."""
        if self.fresh:
            os.replace(source, f"{self.root}/{path}")
            return
        tmp = self._tmp_path()
        os.replace(source, tmp)
        self._pending.append((tmp, path))
        self.flush()

    def remove(self, path: str) -> None:
        """Remove `path` (kept until the build commits, in case it fails)."""
        target = f"{self.root}/{path}"
        if self.fresh or not os.path.isfile(target):
            return
        assert self._journal is not None
        backup = f"{os.path.basename(self._tmp_path())}.old"
        self._journal.write([f"S\0{path}\0{backup}\n"])
        os.replace(target, f"{self._tmp}/{backup}")

    # Worker processes (build/workers.py) write shares of the pages into the same tree.

    def become_worker(self) -> None:
        """In a forked worker process: from now on, `changed` counts this
        process's writes only, and its temporary names and journal are its own."""
        self.changed = 0
        self._prefix = f"{os.getpid()}-"
        if self._journal is not None:
            self._journal = _Journal(self._tmp, f"journal-{os.getpid()}")

    def log_entries(self) -> str:
        """Until end_log(), the manifest entries of written files go to a file,
        not to `files`: while workers run, no process holds a growing manifest
        in memory. Returns the file's path, for merge_log(); a path has no NUL."""
        path = self.scratch("entries")
        self._log = open(path, "wb")  # noqa: SIM115 -- closed by end_log()
        return path

    def end_log(self) -> None:
        self.flush()
        if self._log is not None:
            self._log.close()
            self._log = None

    def merge_log(self, path: str, changed: int) -> None:
        """Take over the entries logged (by this or a worker process) in `path`,
        and the count of files that worker changed."""
        with open(path, "rb") as f:
            data = f.read()
        os.remove(path)
        start = 0
        while start < len(data):
            end = data.index(b"\0", start)
            self.files[data[start:end].decode("utf-8", "surrogateescape")] = data[end + 1:end + 41]
            start = end + 41
        self.changed += changed

    def finish(self, manifest: Iterable[ManifestLines] | None,
               sink: Callable[[ManifestLines], None] | None = None,
               sidecar: tuple[str, Callable[[str], str | None]] | None = None) -> str | None:
        """Remove stale files, write the manifest from its lines (None: no
        manifest; `sink` sees each part), commit, and put a new tree in
        place. `sidecar`: (path, make) of a file outside the manifest (the
        state): make(root_digest) writes it to a temporary file beside the
        tree and returns that; it lands with the manifest (None, or no
        manifest: the path is removed). Returns the root digest."""
        self.flush()
        for path in sorted((path for path in self.old if path not in self.files), reverse=True):
            self.remove(path)
        digest = tmp = None
        if manifest is not None:
            tmp = self._tmp_path()
            digest = write_manifest((self._list(part, sink) for part in manifest), tmp)
        if sidecar is not None:
            path, make = sidecar
            made = None if digest is None else make(digest)
            if made is None:
                self.remove(path)
            else:
                self.place(path, made)
        if tmp is not None:
            self._pending.append((tmp, MANIFEST_NAME))
            self.flush()
        self._commit()
        return digest

    def _commit(self) -> None:
        if self.fresh:
            remove_tree(self._tmp)
            os.rename(self.root, self.output_dir)
            return
        write_file(os.path.join(self._tmp, _COMMITTED), b"")
        assert self._journal is not None
        self._journal.close()
        # Directories that stale files leave empty go too (never a user's own file).
        for path in sorted((path for path in self.old if path not in self.files), reverse=True):
            _prune(self.root, os.path.dirname(path))
        remove_tree(self._tmp)

    def _list(self, part: ManifestLines, sink: Callable[[ManifestLines], None] | None) -> ManifestLines:
        if sink is not None:
            sink(part)
        # Not the texts of a new part: memory (an old part's are held anyway).
        self._listed.append(part if part.paths is None else part._replace(json_text=b"", digest_text=b""))
        return part

    def listed(self) -> list[str]:
        """Once finished: every path in the tree but the manifest's own."""
        return [path for part in self._listed for path in part.listed()]

    def abandon(self) -> None:
        """Stop: an existing tree is put back exactly as it was (its manifest
        says what it holds), a new one is not created; temporary files go."""
        for file in (self._log, self._journal):
            if file is not None:
                try:
                    file.close()
                except OSError:
                    pass  # what could not be written goes with the temporary folder
        self._log = None
        if self.fresh:
            remove_tree(self.root)
            return
        _undo(self._tmp)
        remove_tree(self._tmp)
