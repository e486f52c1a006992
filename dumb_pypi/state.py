"""What a partial rebuild reuses from the build before it.

A build from one package list leaves `.dumb-pypi-state` in the output
directory: the input lines of each project, each project's Summary (its share
of the root pages) and the manifest's lines. A partial rebuild compares the
new list with those lines, so it parses and renders only the projects whose
lines changed and puts the root pages and the manifest together from the rest.

The state is used only when it matches: same format and dumb-pypi version,
same settings, and the root digest of the manifest beside it. A build that
changes a tree removes the old state first and writes the new one last, so a
build killed half-way leaves no state, and the next build is a full one.
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, NamedTuple

from dumb_pypi import __version__
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output import ManifestLines, read_root_digest
from dumb_pypi.pages import Summary
from dumb_pypi.records import Record

__all__ = ["STATE_NAME", "Parse", "State", "StateWriter", "changed_records", "discard", "load", "settings_key"]

STATE_NAME = ".dumb-pypi-state"
_FORMAT = 1


def settings_key(*settings: object) -> str:
    """Everything besides the input lines that the pages depend on."""
    return repr((_FORMAT, __version__, settings))


class State(NamedTuple):
    lines: dict[str, list[str]]  # project -> the input lines that name it, sorted
    summaries: list[Summary]  # by project name
    root_paths: list[str]  # the root pages' paths
    manifest: ManifestLines  # every path in the tree but manifest.json


def _path(output_dir: str) -> str:
    return os.path.join(output_dir, STATE_NAME)


def _sections(data: bytes) -> Iterator[Any]:
    """The marshalled values of a state file, each behind its 8-byte length
    (marshal.load() on a file reads object by object: 10x slower)."""
    view = memoryview(data)
    at = 0
    while at < len(view):
        size = int.from_bytes(view[at:at + 8], "little")
        yield marshal.loads(view[at + 8:at + 8 + size])
        at += 8 + size


def load(output_dir: str, settings: str) -> State | None:
    """The state of the tree in `output_dir`, if it is there and still matches."""
    try:
        with open(_path(output_dir), "rb") as f:
            sections = _sections(f.read())
        if next(sections) != ("dumb-pypi state", settings):
            return None
        lines: dict[str, list[str]] = {}
        while (part := next(sections)) is not None:
            lines.update(part)
        summaries: list[Summary] = []
        while (part := next(sections)) is not None:
            summaries += map(Summary._make, part)
        root_paths: list[str] = next(sections)
        paths: list[str] = []
        json_lines: list[str] = []
        digest_lines: list[str] = []
        while (chunk := next(sections)) is not None:  # each part: three texts, see __call__()
            paths += chunk[0].split("\n")
            json_lines += ["\n" + line for line in chunk[1].split("\n")[1:]]
            digest_lines += chunk[2].splitlines(keepends=True)
        if next(sections) != read_root_digest(output_dir):
            return None
    except (OSError, EOFError, ValueError, TypeError, IndexError, StopIteration, DumbPypiError):
        return None  # none, unreadable or from another build: build in full
    return State(lines, summaries, root_paths, ManifestLines(paths, json_lines, digest_lines))


def discard(output_dir: str) -> None:
    """Forget the state before a build changes the tree."""
    try:
        os.remove(_path(output_dir))
    except FileNotFoundError:
        pass


class StateWriter:
    """Writes the state while the manifest is written (as its `sink`), into a
    file beside the tree that finish() moves into it."""

    def __init__(self, output_dir: str, settings: str, lines: dict[str, list[str]]) -> None:
        self.output_dir = os.path.abspath(output_dir)
        parent, name = os.path.split(self.output_dir)
        self._tmp = os.path.join(parent, f".{name}.dumb-pypi-state.tmp")
        self._file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed by finish() or abandon()
        self._put(("dumb-pypi state", settings))
        # In name order (each project's lines come sorted), so the same tree
        # has the same state however it was built; in parts, as each part is
        # built in memory.
        names = sorted(lines)
        for start in range(0, len(names), 1024):
            self._put({name: lines[name] for name in names[start:start + 1024]})
        self._put(None)
        self._summaries: list[tuple[object, ...]] = []

    def add_summary(self, summary: Summary) -> Summary:
        """Keep a project's summary (they come in index order); returns it."""
        self._summaries.append(tuple(summary))
        if len(self._summaries) == 256:  # written in parts, not held: memory
            self._put(self._summaries)
            self._summaries = []
        return summary

    def end_summaries(self, root_paths: list[str]) -> None:
        if self._summaries:
            self._put(self._summaries)
        self._put(None)
        self._put(root_paths)

    def _put(self, value: Any) -> None:
        data = marshal.dumps(value, 2)  # version 2: no back-references, so equal values give equal bytes
        self._file.write(len(data).to_bytes(8, "little"))
        self._file.write(data)

    def __call__(self, chunk: ManifestLines) -> None:
        # Three texts, not 3 x 4096 strings: 10x faster to save and load. No
        # path holds a line break, and each json line starts with one.
        self._put(("\n".join(chunk.paths), "".join(chunk.json_lines), "".join(chunk.digest_lines)))

    def finish(self, root_digest: str) -> None:
        self._put(None)
        self._put(root_digest)
        self._file.close()
        os.replace(self._tmp, _path(self.output_dir))

    def abandon(self) -> None:
        self._file.close()
        try:
            os.remove(self._tmp)
        except FileNotFoundError:
            pass


Parse = Callable[[Iterable[tuple[int, str]]], Iterator[tuple[int, Record]]]


def changed_records(state: State, lines: list[str], parse: Parse) -> tuple[set[str], list[tuple[int, Record]]]:
    """The projects whose lines differ between the state and `lines`, and the
    (line number, record) of every line of theirs in `lines`, in line order:
    what a full build would have made of them. Only these lines are parsed."""
    known = {line: name for name, project_lines in state.lines.items() for line in project_lines}
    new = list(parse((number, line) for number, line in enumerate(lines, 1) if line not in known))
    changed = {known[line] for line in known.keys() - set(lines)} | {record.name for _, record in new}
    if not changed:
        return changed, []
    again = parse((number, line) for number, line in enumerate(lines, 1) if known.get(line) in changed)
    return changed, sorted([*new, *again], key=lambda pair: pair[0])
