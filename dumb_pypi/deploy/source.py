"""SRC of a deploy: a built tree or its tarball, read through its manifest.

Opening SRC reads only manifest.json (from a tarball, only up to it), so a
deploy that has nothing to do costs one small read. Every file's bytes are
checked against the manifest when they are read for an upload or a copy: a
file that is missing, or has other bytes than listed, stops the deploy with
its name, and since a deploy makes files visible before anything that links
to them (see plan.py), nothing that was made visible links to it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output import manifest
from dumb_pypi.output.files import naming
from dumb_pypi.output.manifest import Entry, entry_sha256, entry_size

__all__ = ["MANIFEST", "DeployError", "Entry", "Tree", "open_source", "parse_manifest", "read_manifest", "safe_relpath"]

MANIFEST = manifest.MANIFEST_NAME
_CHUNK = 1 << 20


class DeployError(DumbPypiError):
    """A deploy that cannot start or cannot finish; the message names why."""


def safe_relpath(path: str, where: str) -> str:
    """`path` if it is a plain relative '/'-path inside the tree, else an error."""
    try:
        manifest.check_path(path)
    except manifest.ManifestError as error:
        raise DeployError(f"{where}: {error}") from None
    return path


def parse_manifest(data: bytes, where: str) -> dict[str, Entry]:
    """The files of a manifest.json's bytes (checked); errors name `where`."""
    try:
        return manifest.parse_manifest(data)[0]
    except manifest.ManifestError as error:
        raise DeployError(f"{where}: {error}") from None


def read_manifest(root: Path, where: str) -> bytes:
    try:
        return (root / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise DeployError(f"{where}: has no {MANIFEST} (is it a tree written by dumb-pypi?)") from None
    except OSError as error:
        raise DeployError(f"{where}: cannot read {MANIFEST}: {error.strerror}") from None


class Tree:
    """The files a manifest lists, read from a directory (a tarball's are
    extracted there on demand: fetch())."""

    def __init__(self, manifest_bytes: bytes, root: Path, where: str, tarball: Path | None = None) -> None:
        self.manifest_bytes = manifest_bytes
        self.root = root
        self.where = where
        self._tarball = tarball
        self._files: dict[str, Entry] | None = None
        try:
            self.root_digest = manifest.root_digest_in(manifest_bytes)
        except manifest.ManifestError as error:
            raise DeployError(f"{where}/{MANIFEST}: {error}") from None

    @property
    def files(self) -> dict[str, Entry]:
        """Every file the manifest lists (parsed and checked at first use)."""
        if self._files is None:
            self._files = parse_manifest(self.manifest_bytes, f"{self.where}/{MANIFEST}")
        return self._files

    def fetch(self, paths: Iterable[str]) -> None:
        """Make `paths` readable: a no-op for a directory; for a tarball, one
        pass that extracts just those members."""
        if self._tarball is not None:
            _extract(self._tarball, self.root, set(paths))

    def read(self, relpath: str) -> bytes:
        """The bytes of a listed file, checked against the manifest."""
        try:
            data = self.root.joinpath(*relpath.split("/")).read_bytes()
        except FileNotFoundError:
            raise DeployError(f"{self.where}: {relpath} is listed in the manifest but missing") from None
        except IsADirectoryError:
            raise DeployError(f"{self.where}: {relpath} is listed in the manifest but is not a file") from None
        self._check(relpath, len(data), hashlib.sha256(data).hexdigest())
        return data

    def copy(self, relpath: str, target: Path) -> None:
        """Copy a listed file to `target`, checked against the manifest on the way."""
        digest = hashlib.sha256()
        size = 0
        try:
            # naming(): on a full disk, a write's (or the close's) error names no file.
            with open(self.root.joinpath(*relpath.split("/")), "rb") as source, naming(str(target)), \
                    open(target, "wb") as out:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except FileNotFoundError as error:
            if error.filename == str(target):
                raise
            raise DeployError(f"{self.where}: {relpath} is listed in the manifest but missing") from None
        self._check(relpath, size, digest.hexdigest())

    def _check(self, relpath: str, size: int, sha256: str) -> None:
        entry = self.files[relpath]
        if size != entry_size(entry):
            raise DeployError(f"{self.where}: {relpath} has {size} bytes, the manifest says {entry_size(entry)}")
        if sha256 != entry_sha256(entry):
            raise DeployError(f"{self.where}: {relpath} has sha256 {sha256}, the manifest says {entry_sha256(entry)}")


def _members(tarball: Path) -> Iterable[tuple[str, tarfile.TarInfo, tarfile.TarFile]]:
    """(name, member, archive) of every member, in order, names checked; streamed."""
    try:
        with tarfile.open(tarball, "r|*") as archive:
            for member in archive:
                name = member.name.removeprefix("./").rstrip("/")
                if name in ("", "."):
                    continue
                safe_relpath(name, f"{tarball} member")
                if not (member.isdir() or member.isfile()):
                    raise DeployError(
                        f"{tarball}: member {member.name!r} is not a regular file or directory (links are refused)"
                    )
                yield name, member, archive
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DeployError(f"{tarball}: not a readable tarball ({error})") from None


def _member_bytes(tarball: Path, archive: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    source = archive.extractfile(member)
    if source is None:
        raise DeployError(f"{tarball}: member {member.name!r} has no data")
    return source


def _tarball_manifest(tarball: Path) -> bytes:
    """manifest.json of a tarball, reading no further than it (ours puts it near the start)."""
    for name, member, archive in _members(tarball):
        if name == MANIFEST and member.isfile():
            with _member_bytes(tarball, archive, member) as source:
                return source.read()
    raise DeployError(f"SRC {tarball}: has no {MANIFEST} (is it a tarball written by dumb-pypi?)")


def _extract(tarball: Path, into: Path, wanted: set[str]) -> None:
    """Extract the regular files named in `wanted`, in one pass."""
    if not wanted:
        return
    for name, member, archive in _members(tarball):
        if name not in wanted or not member.isfile():
            continue
        target = into.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with _member_bytes(tarball, archive, member) as source, naming(str(target)), open(target, "wb") as out:
            while chunk := source.read(_CHUNK):
                out.write(chunk)
        wanted.discard(name)
        if not wanted:
            return


class Source:
    """Context manager: the Tree of SRC (a tarball's files go to a temp dir, removed after)."""

    def __init__(self, src: str) -> None:
        self.src = src
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Tree:
        path = Path(self.src)
        where = f"SRC {self.src}"
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise DeployError(f"{where}: no such file or directory") from None
        if stat.S_ISDIR(mode):
            return Tree(read_manifest(path, where), path, where)
        if not tarfile.is_tarfile(path):
            raise DeployError(f"{where}: neither a directory nor a tarball")
        data = _tarball_manifest(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="dumb-pypi-deploy-")
        return Tree(data, Path(self._tmp.name), where, tarball=path)

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def open_source(src: str) -> Source:
    return Source(os.fspath(src))
