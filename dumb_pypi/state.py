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

import itertools
import marshal
import os
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, BinaryIO, NamedTuple

from dumb_pypi import __version__
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output import ManifestPart, OldManifest, read_root_digest
from dumb_pypi.pages import Summary
from dumb_pypi.records import Record

__all__ = ["STATE_NAME", "Parse", "State", "StateWriter", "changed_records", "discard", "load", "settings_key"]

STATE_NAME = ".dumb-pypi-state"
_FORMAT = 2


def settings_key(*settings: object) -> str:
    """Everything besides the input lines that the pages depend on."""
    return repr((_FORMAT, __version__, settings))


class State(NamedTuple):
    lines: dict[str, str]  # project -> the input lines that name it, sorted, each ending with "\n"
    lines_text: str  # all of them, in project order
    summaries: list[Summary]  # by project name
    root_paths: list[str]  # the root pages' paths
    manifest: OldManifest  # every path in the tree but manifest.json


# The file is a sequence of values, each behind its 8-byte length: small ones
# marshalled, and large texts and arrays raw (UTF-8; machine integers), so
# that loading and saving is mostly copying, not one object per line:
#   the header: ("dumb-pypi state", settings), marshalled
#   the projects with input lines: names, lines, the size of each one's lines
#   the summaries: names, home rows, changelog rows, packages.json lines, the
#     size of each project's share of the three, upload times, file counts
#   the root pages' paths, marshalled
#   the manifest: paths, manifest.json lines, root digest lines, their sizes
#   the root digest, marshalled
# Summaries and manifest lines come one by one while the tree is written and
# are not held: each value goes to its own temporary file first.
_SUMMARY_VALUES = ("names", "homes", "changelogs", "packages", "home sizes", "changelog sizes", "packages sizes",
                   "stamps", "counts")
_MANIFEST_VALUES = ("paths", "json", "digest", "json sizes", "digest sizes")


def _path(output_dir: str) -> str:
    return os.path.join(output_dir, STATE_NAME)


class _Reader:
    """Reads the values one by one: only the one being decoded is held raw."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def raw(self) -> bytes:
        size = int.from_bytes(self._file.read(8), "little")
        data = self._file.read(size)
        if len(data) != size:
            raise EOFError
        return data

    def value(self) -> Any:
        return marshal.loads(self.raw())

    def text(self) -> str:
        return str(self.raw(), "utf-8", "surrogatepass")

    def sizes(self, code: str = "L") -> array[int]:
        values = array(code)
        values.frombytes(self.raw())
        return values


def _cut(text: str, sizes: array[int]) -> list[str]:
    """`text` cut into pieces of `sizes`."""
    starts = list(itertools.accumulate(sizes, initial=0))
    return [text[start:end] for start, end in zip(starts, starts[1:])]


def _lines(text: str) -> list[str]:
    """Each ends with a line break."""
    return text[:-1].split("\n") if text else []


def load(output_dir: str, settings: str) -> State | None:
    """The state of the tree in `output_dir`, if it is there and still matches."""
    try:
        with open(_path(output_dir), "rb") as f:
            state = _read(_Reader(f), settings)
        if state is None or read_root_digest(output_dir) != state[1]:
            return None
    except (OSError, EOFError, ValueError, TypeError, IndexError, DumbPypiError):
        return None  # none, unreadable or from another build: build in full
    return state[0]


def _read(reader: _Reader, settings: str) -> tuple[State, str] | None:
    if reader.value() != ("dumb-pypi state", settings):
        return None
    line_names = _lines(reader.text())
    lines_text = reader.text()
    lines = dict(zip(line_names, _cut(lines_text, reader.sizes())))
    names = _lines(reader.text())
    texts = [reader.text() for _ in range(3)]
    homes, changelogs, packages = (_cut(text, reader.sizes()) for text in texts)
    stamps = reader.sizes("q")
    file_starts = list(itertools.accumulate(reader.sizes(), initial=0))
    if not len(names) == len(homes) == len(file_starts) - 1 or file_starts[-1] != len(stamps):
        raise ValueError("inconsistent state")
    summaries = [Summary(name, home, stamps[start:end].tolist(), changelog, package)
                 for name, home, changelog, package, start, end
                 in zip(names, homes, changelogs, packages, file_starts, file_starts[1:])]
    root_paths: list[str] = reader.value()
    manifest = ManifestPart(_lines(reader.text()), reader.raw(), reader.raw(), reader.sizes(), reader.sizes())
    return State(lines, lines_text, summaries, root_paths, OldManifest(manifest)), reader.value()


def discard(output_dir: str) -> None:
    """Forget the state before a build changes the tree."""
    try:
        os.remove(_path(output_dir))
    except FileNotFoundError:
        pass


class StateWriter:
    """Writes the state while the tree is finished (it is the manifest's
    `sink`), into a file beside the tree that finish() moves into it."""

    def __init__(self, output_dir: str, settings: str, lines: dict[str, str]) -> None:
        self.output_dir = os.path.abspath(output_dir)
        parent, name = os.path.split(self.output_dir)
        self._tmp = os.path.join(parent, f".{name}.dumb-pypi-state.tmp")
        self._file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed by finish() or abandon()
        # Unnamed files (gone once closed, even if this process is killed), beside the tree.
        self._spools: dict[str, IO[bytes]] = {
            value: tempfile.TemporaryFile(dir=parent)  # noqa: SIM115 - closed by finish() or abandon()
            for value in (*_SUMMARY_VALUES, *_MANIFEST_VALUES)}
        self._put(marshal.dumps(("dumb-pypi state", settings), 2))
        # In name order, so the same tree has the same state however it was built.
        names = sorted(lines)
        self._put(_encode("".join(name + "\n" for name in names)))
        self._put(_encode("".join(lines[name] for name in names)))
        self._put(array("L", [len(lines[name]) for name in names]).tobytes())
        self._summaries: list[Summary] = []
        self._root_paths: list[str] = []

    def _put(self, data: bytes) -> None:
        self._file.write(len(data).to_bytes(8, "little"))
        self._file.write(data)

    def _spool(self, values: dict[str, str | bytes | memoryview]) -> None:
        for value, data in values.items():
            self._spools[value].write(_encode(data) if isinstance(data, str) else data)

    def add_summary(self, summary: Summary) -> Summary:
        """Keep a project's summary (they come in index order); returns it."""
        self._summaries.append(summary)
        if len(self._summaries) == 256:
            self._spool_summaries()
        return summary

    def _spool_summaries(self) -> None:
        if not self._summaries:
            return
        names, homes, stamps, changelogs, packages = zip(*self._summaries)
        self._spool({
            "names": "".join(name + "\n" for name in names),
            "homes": "".join(homes), "changelogs": "".join(changelogs), "packages": "".join(packages),
            "home sizes": array("L", map(len, homes)).tobytes(),
            "changelog sizes": array("L", map(len, changelogs)).tobytes(),
            "packages sizes": array("L", map(len, packages)).tobytes(),
            "stamps": array("q", itertools.chain.from_iterable(stamps)).tobytes(),
            "counts": array("L", map(len, stamps)).tobytes(),
        })
        self._summaries = []

    def end_summaries(self, root_paths: list[str]) -> None:
        self._spool_summaries()
        self._root_paths = root_paths

    def __call__(self, part: ManifestPart) -> None:
        self._spool({
            "paths": "".join(path + "\n" for path in part.paths), "json": part.json_text,
            "digest": part.digest_text, "json sizes": part.json_sizes.tobytes(),
            "digest sizes": part.digest_sizes.tobytes(),
        })

    def _copy_spools(self, values: Iterable[str]) -> None:
        for value in values:
            spool = self._spools[value]
            size = spool.tell()
            self._file.write(size.to_bytes(8, "little"))
            self._file.flush()
            spool.flush()
            _copy_file(spool.fileno(), self._file.fileno(), size)

    def finish(self, root_digest: str) -> None:
        self._copy_spools(_SUMMARY_VALUES)
        self._put(marshal.dumps(self._root_paths, 2))
        self._copy_spools(_MANIFEST_VALUES)
        self._put(marshal.dumps(root_digest, 2))
        self._close()
        os.replace(self._tmp, _path(self.output_dir))

    def _close(self) -> None:
        for spool in self._spools.values():
            spool.close()
        self._file.close()

    def abandon(self) -> None:
        self._close()
        try:
            os.remove(self._tmp)
        except FileNotFoundError:
            pass


def _copy_file(source: int, destination: int, size: int) -> None:
    """The first `size` bytes of `source` appended to `destination` (file descriptors)."""
    done = 0
    try:
        while done < size:  # in the kernel, without a copy through this process
            done += os.sendfile(destination, source, done, size - done)
    except (AttributeError, OSError):  # no sendfile() between files here (not Linux)
        os.lseek(source, done, os.SEEK_SET)
        while done < size:
            chunk = memoryview(os.read(source, min(size - done, 1 << 20)))
            done += len(chunk)
            while chunk:
                chunk = chunk[os.write(destination, chunk):]


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


Parse = Callable[[Iterable[tuple[int, str]]], Iterator[tuple[int, Record]]]


def changed_records(state: State, lines: list[str], parse: Parse) -> tuple[set[str], list[tuple[int, Record]]]:
    """The projects whose lines differ between the state and `lines`, and the
    (line number, record) of every line of theirs in `lines`, in line order:
    what a full build would have made of them. Only these lines are parsed."""
    known = set(_lines(state.lines_text))
    new = list(parse((number, line) for number, line in enumerate(lines, 1) if line not in known))
    changed = {record.name for _, record in new}
    gone = known.difference(lines)
    if gone:
        # Lines of the state were all indexed before: parsing them again names their projects.
        changed.update(record.name for _, record in parse((0, line) for line in gone))
    theirs = set(_lines("".join(state.lines.get(name, "") for name in changed)))
    if not theirs:  # only new projects, or none changed
        return changed, new
    again = parse((number, line) for number, line in enumerate(lines, 1) if line in theirs)
    return changed, sorted([*new, *again], key=lambda pair: pair[0])
