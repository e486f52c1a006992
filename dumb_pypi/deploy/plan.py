"""The order in which a deploy makes new files visible, and what it removes.

A reader that fetches the root page, then a project page, then a file, must
always find each one. So new objects go up leaves first:

1. pool files and their `.metadata` sidecars (content-addressed, never
   overwritten with other bytes),
2. every other page (project pages, legacy JSON, web UI pages),
3. the root pages (`simple/index.*` and top-level files), which make new
   projects reachable,

and only then are stale objects removed, and the manifest written last: it
records what is fully in place, so an interrupted deploy simply runs again.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass

from dumb_pypi.deploy.source import Entry
from dumb_pypi.serve.policy import is_pool_path

__all__ = ["PHASE_NAMES", "Plan", "make_plan", "phase_of"]

PHASE_NAMES = ("files", "project pages", "root pages")


def phase_of(path: str) -> int:
    """0, 1 or 2: the upload phase of a tree path (see the module doc)."""
    if is_pool_path(path):
        return 0
    if "/" not in path or path in ("simple/index.html", "simple/index.json"):
        return 2
    return 1


@dataclass(frozen=True)
class Plan:
    phases: tuple[tuple[str, ...], ...]  # paths to upload, per phase, sorted
    unchanged: tuple[str, ...]
    stale: tuple[str, ...]  # paths to remove after every upload

    @property
    def uploads(self) -> int:
        return sum(len(phase) for phase in self.phases)


def make_plan(
    new: Mapping[str, Entry],
    deployed: Mapping[str, Entry],
    known: Iterable[str],
    intact: Container[str] | None = None,
) -> Plan:
    """Decide uploads and removals.

    new: the tree being deployed. deployed: what the destination's manifest
    says is in place (empty when there is none). known: every path an earlier
    deploy wrote or may have written (its manifest, plus any interrupted
    deploy's files); only those are ever removed, never anything else under
    the prefix. intact: when the destination was checked object by object
    (--verify), the paths found there with the listed bytes; otherwise the
    manifest is trusted.
    """
    phases: list[list[str]] = [[], [], []]
    unchanged: list[str] = []
    for path, entry in sorted(new.items()):
        if deployed.get(path) == entry and (intact is None or path in intact):
            unchanged.append(path)
        else:
            phases[phase_of(path)].append(path)
    stale = sorted(p for p in set(known) if p not in new)
    return Plan(tuple(tuple(p) for p in phases), tuple(unchanged), tuple(stale))
