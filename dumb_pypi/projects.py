"""Group records into projects, each with its files in version order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from dumb_pypi.errors import InvalidInput
from dumb_pypi.records import Record
from dumb_pypi.records.versions import clear_cache, natural_key, version_key

__all__ = ["PROJECT_STATUSES", "Project", "ProjectStatus", "group_projects"]

# PEP 792.
PROJECT_STATUSES = frozenset(("active", "archived", "quarantined", "deprecated"))


class ProjectStatus(NamedTuple):
    status: str
    reason: str | None = None


class Project(NamedTuple):
    name: str
    files: list[Record]  # oldest version first; within a version wheels first
    status: ProjectStatus | None = None

    @property
    def versions(self) -> list[str]:
        """Every version, oldest first, each once."""
        seen: dict[str, None] = {}
        for record in self.files:
            if record.version is not None:
                seen[record.version] = None
        return list(seen)

    @property
    def latest(self) -> Record:
        """A file of the newest version, preferring the one with most metadata."""
        newest = self.files[-1].version
        candidates = [r for r in self.files if r.version == newest]
        return max(candidates, key=lambda r: (r.requires_python is not None) + (r.requires_dist is not None)
                   + (r.summary is not None))


def _sorted_files(files: Iterable[Record]) -> list[Record]:
    """In version order; within a version, wheels first, then by filename in
    natural order ("py39" before "py310"), as dumb-pypi 1.15 sorts them."""
    files = list(files)
    # The distinct versions are ranked once (comparing Version objects runs
    # Python code), so that the files sort on plain ints and strings.
    keys = {record.version: version_key(record.version) for record in files}
    versions = sorted(keys, key=keys.__getitem__)
    rank: dict[str | None, int] = {}
    for i, version in enumerate(versions):
        same = i > 0 and keys[version] == keys[versions[i - 1]]  # "1.0" and "1.0.0": one rank
        rank[version] = rank[versions[i - 1]] if same else i
    keyed = sorted(((rank[r.version], r.packagetype != "bdist_wheel", r.filename), r) for r in files)
    ordered = [record for _, record in keyed]
    # Natural order only matters among files of one version and kind: rare, so sorted again only there.
    start = 0
    for end in range(1, len(keyed) + 1):
        if end == len(keyed) or keyed[end][0][:2] != keyed[start][0][:2]:
            if end - start > 1:
                ordered[start:end] = sorted(ordered[start:end], key=lambda r: (natural_key(r.filename), r.filename))
            start = end
    return ordered


def _same_file(a: Record, b: Record) -> bool:
    # Two inputs naming one file agree when everything they say about it agrees.
    return a._replace(path=None, origin=None) == b._replace(path=None, origin=None)


def group_projects(
    records: Iterable[Record],
    statuses: Mapping[str, ProjectStatus] | None = None,
    *,
    refuse: Callable[[Record, str], None] | None = None,
) -> list[Project]:
    """Projects sorted by name, files sorted by version.

    The same filename given twice with different content is refused through
    `refuse(record, reason)` (the first one is kept); an identical repeat is
    dropped silently, as it is the same file.
    """
    by_name: dict[str, dict[str, Record]] = {}
    for record in records:
        files = by_name.setdefault(record.name, {})
        previous = files.get(record.filename)
        if previous is None:
            files[record.filename] = record
        elif not _same_file(previous, record):
            reason = (f"{record.filename} is also given by {previous.origin or 'an earlier input'} "
                      "with different content")
            if refuse is None:
                raise InvalidInput(reason)
            refuse(record, reason)
    statuses = statuses or {}
    projects = [
        Project(name, _sorted_files(by_name[name].values()), statuses.get(name))
        for name in sorted(by_name)
    ]
    clear_cache()
    return projects
