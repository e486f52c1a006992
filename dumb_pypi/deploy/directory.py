"""Deploy to a local directory: one release directory per deploy, then an
atomic symlink swap.

    DEST/current -> releases/0003-<digest>   (serve DEST/current)
    DEST/releases/0001-<digest>/ ...          (kept for --rollback)

A release is complete before `current` points at it, and rename(2) replaces
the symlink in one step, so a reader sees the old tree or the new one, never
a mix. Files whose bytes the current release already has are hard-linked.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import AbstractContextManager
from pathlib import Path

from dumb_pypi.deploy.source import MANIFEST, DeployError, Entry, Tree, parse_manifest, read_manifest
from dumb_pypi.output.files import write_file
from dumb_pypi.output.lock import locked
from dumb_pypi.output.manifest import entry_size, root_digest_in
from dumb_pypi.progress import Progress

__all__ = ["deploy_directory", "releases", "rollback_directory"]

CURRENT = "current"
RELEASES = "releases"
_RELEASE = re.compile(r"^(\d{4,})-([0-9a-f]{12})$")
_STAGING = ".staging-"


def releases(dest: Path) -> list[tuple[int, str]]:
    """(sequence, name) of every complete release, oldest first."""
    found = []
    try:
        names = os.listdir(dest / RELEASES)
    except FileNotFoundError:
        return []
    for name in names:
        match = _RELEASE.match(name)
        if match:
            found.append((int(match.group(1)), name))
    return sorted(found)


def current_release(dest: Path) -> str | None:
    link = dest / CURRENT
    if not link.is_symlink():
        if link.exists():
            raise DeployError(f"DEST {dest}: {CURRENT} exists but is not a symlink; refusing to replace it")
        return None
    target = os.readlink(link)
    head, _, name = target.partition("/")
    if head != RELEASES or not _RELEASE.match(name):
        raise DeployError(f"DEST {dest}: {CURRENT} points at {target!r}, not at a release this tool made")
    return name


def _locked(dest: Path, wait: bool) -> AbstractContextManager[None]:
    """One deploy at a time per DEST (the build's kind of lock: see output/lock.py)."""
    return locked(str(dest / ".deploy.lock"), f"DEST {dest}", wait=wait)


def _prepare(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise DeployError(f"DEST {dest}: exists and is not a directory")
    if dest.is_dir():
        foreign = sorted(set(os.listdir(dest)) - {CURRENT, RELEASES, ".deploy.lock", ".current.tmp"})
        if foreign:
            raise DeployError(
                f"DEST {dest}: holds {foreign[0]!r}, which a deploy directory never has;"
                " pick a new or empty directory (serve DEST/current)"
            )
    (dest / RELEASES).mkdir(parents=True, exist_ok=True)


def _swap(dest: Path, name: str) -> None:
    tmp = dest / ".current.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(f"{RELEASES}/{name}", tmp)
    os.replace(tmp, dest / CURRENT)  # atomic: readers see old or new


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _release_files(release: Path) -> dict[str, Entry]:
    """The files a release's manifest lists (checked)."""
    where = f"release {release.name}"
    return parse_manifest(read_manifest(release, where), where)


def _write_release(tree: Tree, staging: Path, previous: Path | None) -> int:
    """Write the tree's files into `staging`; returns how many were hard-linked
    from the previous release (the rest are copied, checked on the way)."""
    reuse: dict[Entry, Path] = {}
    if previous is not None:
        try:
            old_files = _release_files(previous)
        except DeployError:
            old_files = {}
        for relpath, entry in old_files.items():
            reuse.setdefault(entry, previous.joinpath(*relpath.split("/")))
    linked = 0
    copies = []
    progress = Progress("writing files", len(tree.files))
    for relpath, entry in sorted(tree.files.items()):
        target = staging.joinpath(*relpath.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        old = reuse.get(entry)
        if old is not None and old.is_file() and old.stat().st_size == entry_size(entry):
            try:
                os.link(old, target)
                linked += 1
                progress.count()
                continue
            except OSError:
                pass  # another filesystem or no hard links: copy instead
        copies.append((relpath, target))
    tree.fetch(relpath for relpath, _ in copies)
    for relpath, target in copies:
        tree.copy(relpath, target)
        os.chmod(target, 0o644)
        progress.count()
    progress.close()
    write_file(str(staging / MANIFEST), tree.manifest_bytes)  # a full disk's error names it
    os.chmod(staging / MANIFEST, 0o644)
    return linked


def deploy_directory(tree: Tree, dest: Path, keep: int, wait: bool = True) -> str:
    """Deploy `tree` to `dest`; returns a one-line summary."""
    _prepare(dest)
    with _locked(dest, wait):
        # Leftovers of an interrupted deploy were never visible: drop them.
        for name in os.listdir(dest / RELEASES):
            if name.startswith(_STAGING):
                shutil.rmtree(dest / RELEASES / name)
        current = current_release(dest)
        digest12 = tree.root_digest.split(":", 1)[1][:12]
        if current is not None and current.endswith("-" + digest12):
            where = f"release {current}"
            if root_digest_in(read_manifest(dest / RELEASES / current, where)) == tree.root_digest:
                return f"deploy: {dest} already serves {tree.root_digest} ({current}); nothing to do"
        existing = releases(dest)
        seq = (existing[-1][0] + 1) if existing else 1
        name = f"{seq:04d}-{digest12}"
        staging = dest / RELEASES / f"{_STAGING}{name}"
        staging.mkdir()
        previous = dest / RELEASES / current if current else None
        try:
            linked = _write_release(tree, staging, previous)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # never served; its space goes back now (a full disk)
            raise
        os.chmod(staging, 0o755)
        os.rename(staging, dest / RELEASES / name)
        _fsync_dir(dest / RELEASES)
        _swap(dest, name)
        _fsync_dir(dest)
        pruned = _prune(dest, keep, name)
        return (
            f"deploy: {dest}/{CURRENT} -> {RELEASES}/{name} ({len(tree.files)} files, {linked} hard-linked"
            f" from {current or 'nothing'}; removed {pruned} old release(s))"
        )


def _prune(dest: Path, keep: int, current: str) -> int:
    """Keep the newest `keep` releases (always the current one)."""
    names = [name for _, name in releases(dest)]
    doomed = [name for name in names[: max(0, len(names) - keep)] if name != current]
    for name in doomed:
        shutil.rmtree(dest / RELEASES / name)
    return len(doomed)


def rollback_directory(dest: Path, wait: bool = True) -> str:
    """Point `current` at the release before it."""
    if not (dest / RELEASES).is_dir():
        raise DeployError(f"DEST {dest}: not a deploy directory (no {RELEASES}/)")
    with _locked(dest, wait):
        current = current_release(dest)
        if current is None:
            raise DeployError(f"DEST {dest}: nothing is deployed, so there is nothing to roll back")
        seq = int(current.split("-", 1)[0])
        older = [name for number, name in releases(dest) if number < seq]
        if not older:
            raise DeployError(f"DEST {dest}: {current} is the oldest release kept; nothing to roll back to")
        target = older[-1]
        _release_files(dest / RELEASES / target)
        _swap(dest, target)
        _fsync_dir(dest)
        return f"deploy: rolled back {dest}/{CURRENT} from {current} to {target}"
