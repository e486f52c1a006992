"""SRC of a deploy: a built tree or its tarball, checked against its manifest.

Nothing is deployed unless every file the manifest lists is present with the
listed sha256 and size, and the root digest adds up: a deploy never ships a
broken index.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output import manifest

__all__ = ["DeployError", "Entry", "Tree", "load_manifest", "open_source", "parse_manifest", "safe_relpath"]

MANIFEST = manifest.MANIFEST_NAME
_CHUNK = 1 << 20


class DeployError(DumbPypiError):
    """A deploy that cannot start or cannot finish; the message names why."""


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int


@dataclass(frozen=True)
class Tree:
    """A verified tree on local disk."""

    root: Path
    files: dict[str, Entry]
    root_digest: str
    manifest_bytes: bytes

    def path(self, relpath: str) -> Path:
        return self.root.joinpath(*relpath.split("/"))


def safe_relpath(path: str, where: str) -> str:
    """`path` if it is a plain relative '/'-path inside the tree, else an error."""
    try:
        manifest.check_path(path)
    except manifest.ManifestError as error:
        raise DeployError(f"{where}: {error}") from None
    return path


def parse_manifest(data: bytes, where: str) -> tuple[dict[str, Entry], str]:
    """(files, root_digest) of a manifest.json's bytes; errors name `where`."""
    try:
        files, digest = manifest.parse_manifest(data)
    except manifest.ManifestError as error:
        raise DeployError(f"{where}: {error}") from None
    return {path: Entry(manifest.entry_sha256(entry), manifest.entry_size(entry)) for path, entry in files.items()}, digest


def load_manifest(root: Path, where: str) -> tuple[dict[str, Entry], str, bytes]:
    path = root / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeployError(f"{where}: has no {MANIFEST} (is it a tree written by dumb-pypi?)") from None
    except OSError as error:
        raise DeployError(f"{where}: cannot read {MANIFEST}: {error.strerror}") from None
    files, digest = parse_manifest(data, f"{where}/{MANIFEST}")
    return files, digest, data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(root: Path, where: str) -> Tree:
    """Check every manifest entry on disk; extra files are ignored (not deployed)."""
    files, digest, data = load_manifest(root, where)
    for relpath, entry in sorted(files.items()):
        path = root.joinpath(*relpath.split("/"))
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise DeployError(f"{where}: {relpath} is listed in the manifest but missing") from None
        if not path.is_file():
            raise DeployError(f"{where}: {relpath} is listed in the manifest but is not a file")
        if size != entry.size:
            raise DeployError(f"{where}: {relpath} has {size} bytes, the manifest says {entry.size}")
        actual = file_sha256(path)
        if actual != entry.sha256:
            raise DeployError(f"{where}: {relpath} has sha256 {actual}, the manifest says {entry.sha256}")
    return Tree(root=root, files=files, root_digest=digest, manifest_bytes=data)


def _extract(tarball: Path, into: Path) -> None:
    """Extract regular files and directories only, refusing anything that escapes."""
    try:
        with tarfile.open(tarball, "r:*") as archive:
            for member in archive:
                name = member.name.removeprefix("./")
                if name in ("", "."):
                    continue
                safe_relpath(name.rstrip("/"), f"{tarball} member")
                target = into.joinpath(*name.rstrip("/").split("/"))
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                elif member.isfile():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = archive.extractfile(member)
                    if source is None:
                        raise DeployError(f"{tarball}: member {member.name!r} has no data")
                    with source, open(target, "wb") as out:
                        while chunk := source.read(_CHUNK):
                            out.write(chunk)
                else:
                    raise DeployError(
                        f"{tarball}: member {member.name!r} is not a regular file or directory (links are refused)"
                    )
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DeployError(f"{tarball}: not a readable tarball ({error})") from None


class Source:
    """Context manager: the verified tree of SRC (a tarball is extracted to a temp dir)."""

    def __init__(self, src: str) -> None:
        self.src = src
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Tree:
        path = Path(self.src)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise DeployError(f"SRC {self.src}: no such file or directory") from None
        if stat.S_ISDIR(mode):
            return verify(path, f"SRC {self.src}")
        if not tarfile.is_tarfile(path):
            raise DeployError(f"SRC {self.src}: neither a directory nor a tarball")
        self._tmp = tempfile.TemporaryDirectory(prefix="dumb-pypi-deploy-")
        _extract(path, Path(self._tmp.name))
        return verify(Path(self._tmp.name), f"SRC {self.src}")

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


def open_source(src: str) -> Source:
    return Source(os.fspath(src))
