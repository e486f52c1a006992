"""`.dumb-pypi-state`: what a build from one package list leaves for the next.

It holds the package list (see linediff.py), each project's rows in the root
pages (their sizes: the pages hold the text, and say where their rows start),
the manifest's cache (see output/manifest.py) and the size, time and inode of
every root page when it was written. A partial rebuild uses the state only
when all of that still matches: same format, dumb-pypi version and
settings, the same manifest, root pages nobody has touched since.

The state is written with the manifest, as part of the same transaction
(output/tree.py): a build that fails or is killed leaves the old one.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import marshal
import mmap
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, BinaryIO, NamedTuple

from dumb_pypi import __version__
from dumb_pypi.incremental.linediff import KEY_TYPE, ListLines
from dumb_pypi.output.files import map_file, naming
from dumb_pypi.output.manifest import CachedLines, ManifestLines, OldManifest
from dumb_pypi.pages.rows import (
    RootRows,
    changelog_order,
    changelog_page_count,
    changelog_page_rows,
    changelog_path,
)
from dumb_pypi.projects import Project

__all__ = ["STATE_NAME", "State", "StateWriter", "compiled_templates", "has_state", "load", "settings_key"]

STATE_NAME = ".dumb-pypi-state"
_FORMAT = 6


def settings_key(*settings: object) -> str:
    """Everything besides the input lines that the pages depend on."""
    return repr((_FORMAT, __version__, settings))


# The file is a sequence of values, each behind its 8-byte length: small ones
# marshalled, large texts and arrays raw (UTF-8; machine integers), so that
# loading and saving is mostly copying, not one object per line:
#   the header: ("dumb-pypi state", settings), marshalled
#   the package list: its text, and per line its project's key and its size
#   the projects' rows in the root pages: names, file counts, upload times,
#     sizes of their home page rows and packages.json lines (per project),
#     sizes of their changelog rows (per file)
#   the manifest's cache: root digest lines, sizes of manifest.json's lines
#     and of the root digest lines
#   the root pages: (path, where the rows start), marshalled
#   the root digest, marshalled
#   last, marshalled, what the file system and the interpreter say, which
#     differs between two trees built alike: the root pages' (size,
#     mtime_ns, inode) when written, and the web UI's compiled templates
# Values come while the tree is written and are not held: the root digest
# lines go straight into the file, every other large value to its own
# temporary file first. A partial rebuild maps the file and reads the
# values where they are.
# The rows' arrays: (value, RootRows field, machine integer type).
_ROWS_ARRAYS = (("counts", "file_counts", "L"), ("stamps", "timestamps", "q"), ("home sizes", "home_sizes", "L"),
                ("packages sizes", "packages_sizes", "L"), ("row sizes", "row_sizes", "L"))
_ROWS_VALUES = ("names", "requires", *(value for value, _, _ in _ROWS_ARRAYS))
_MANIFEST_SIZES = ("json sizes", "digest sizes")



def _path(output_dir: str) -> str:
    return os.path.join(output_dir, STATE_NAME)


class _Reader:
    """Reads the values one by one, as views of the mapped file (not copies)."""

    def __init__(self, data: mmap.mmap | bytes) -> None:
        self._data = memoryview(data)
        self._at = 0

    def raw(self) -> memoryview:
        start = self._at + 8
        end = start + int.from_bytes(self._data[self._at:start], "little")
        if end > len(self._data):
            raise EOFError
        self._at = end
        return self._data[start:end]

    def value(self) -> Any:
        return marshal.loads(self.raw())

    def text(self) -> str:
        return str(self.raw(), "utf-8", "surrogatepass")

    def sizes(self, code: str = "L") -> array[int]:
        values = array(code)
        values.frombytes(self.raw())
        return values


def _lines(text: str) -> list[str]:
    """Each ends with a line break."""
    return text[:-1].split("\n") if text else []


def _starts(sizes: Sequence[int]) -> list[int]:
    return list(itertools.accumulate(sizes, initial=0))


def _signature(path: str) -> tuple[int, int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns, info.st_ino


class State(NamedTuple):
    """The state of a tree, loaded: see load()."""

    output_dir: str
    listing: ListLines  # the package list
    names: list[str]  # every project, in index order; then per project:
    requires: list[str]  # the projects its page links to when they are in the index ("a b")
    file_counts: array[int]
    home_sizes: array[int]
    packages_sizes: array[int]
    stamps: array[int]  # per file, in index order: upload time (0: unknown)
    row_sizes: array[int]  # per file, in index order: its changelog row's size
    pages: dict[str, int]  # every root page: where its rows start
    manifest: OldManifest  # every path in the tree but manifest.json
    compiled: dict[str, bytes]  # the web UI's templates, compiled (a cache of Jinja2's)

    def _place(self, name: str) -> int:
        """Where project `name` is (or would be) in index order."""
        return bisect.bisect_left(self.names, name)

    def dependents(self, names: set[str]) -> set[str]:
        """The projects whose pages link to (or would link to) projects `names`."""
        return {self.names[i] for i, required in enumerate(self.requires)
                if required and not names.isdisjoint(required.split())}

    def has(self, name: str) -> bool:
        place = self._place(name)
        return place < len(self.names) and self.names[place] == name

    def file_count(self, name: str) -> int:
        """How many files old project `name` has."""
        return self.file_counts[self._place(name)]

    def _rows(self, path: str, size: int) -> memoryview:
        """The `size` bytes of rows in root page `path` (they start where the state says)."""
        start = self.pages[path]
        return memoryview(map_file(os.path.join(self.output_dir, path)))[start:start + size]

    def _timestamped(self) -> bool:
        return self.stamps.count(0) != len(self.stamps)

    def _gone(self, changed: set[str]) -> list[int]:
        """The places of the old projects among `changed`, in order."""
        names = self.names
        return sorted(i for name in changed if (i := self._place(name)) < len(names) and names[i] == name)

    def totals(self, changed: set[str], projects: list[Project]) -> tuple[int, int, bool]:
        """(projects, files, whether any file has an upload time) of the index
        once the `changed` projects are replaced by `projects`."""
        gone = self._gone(changed)
        starts = _starts(self.file_counts)
        old_stamped = len(self.stamps) - self.stamps.count(0)
        gone_stamped = sum(starts[i + 1] - starts[i] - self.stamps[starts[i]:starts[i + 1]].count(0) for i in gone)
        return (len(self.names) - len(gone) + len(projects),
                starts[-1] - sum(self.file_counts[i] for i in gone) + sum(len(project.files) for project in projects),
                old_stamped > gone_stamped or any(record.upload_timestamp for p in projects for record in p.files))

    def first_changelog_page(self, changed: set[str], projects: list[Project]) -> int:
        """The first changelog page that can change when the `changed`
        projects are replaced by `projects`: the ones before it are left as
        they are. Without upload times, the changelog lists files in index
        order, so the pages that end before the first change are kept (if
        the number of pages stays)."""
        if self._timestamped() or any(record.upload_timestamp for project in projects for record in project.files):
            return 1
        files = self.totals(changed, projects)[1]
        if changelog_page_count(files) != changelog_page_count(len(self.stamps)):
            return 1
        first = min([*self._gone(changed), *(self._place(project.name) for project in projects)],
                    default=len(self.names))
        first_file = sum(self.file_counts[:first])
        return next(number for number in itertools.count(1) if first_file in changelog_page_rows(number))

    def rows(self, changed: set[str], new: list[RootRows], first_page: int) -> list[RootRows]:
        """Every project's rows in the root pages, in index order: runs of
        projects that did not change, cut out of the old pages, and the `new`
        rows of the changed projects that are still there. The changelog
        rows start with page `first_page`'s (see first_changelog_page())."""
        names, counts = self.names, self.file_counts
        gone = self._gone(changed)
        new = sorted((one for run in new for one in run.each()), key=lambda rows: rows.names[0])
        file_starts = _starts(counts)
        old_timestamped = self._timestamped()
        first_row = changelog_page_rows(first_page).start
        changelog = self._changelog_rows(first_page, old_timestamped)
        row_starts = _starts(self.row_sizes[first_row:])
        home_starts, packages_starts = _starts(self.home_sizes), _starts(self.packages_sizes)
        home = self._rows("index.html", home_starts[-1])
        packages = self._rows("packages.json", packages_starts[-1])

        def run(low: int, high: int) -> RootRows:  # old projects low..high-1
            files_low, files_high = file_starts[low], file_starts[high]
            rows_low = max(files_low, first_row) - first_row
            rows_high = max(files_high, first_row) - first_row
            return RootRows(
                names[low:high], counts[low:high], self.stamps[files_low:files_high],
                home[home_starts[low]:home_starts[high]], self.home_sizes[low:high],
                packages[packages_starts[low]:packages_starts[high]], self.packages_sizes[low:high],
                changelog[row_starts[rows_low]:row_starts[rows_high]], self.row_sizes[files_low:files_high],
                self.requires[low:high])

        def runs(low: int, high: int) -> Iterator[RootRows]:  # old projects low..high-1 but the changed ones
            for stop in gone[bisect.bisect_left(gone, low):bisect.bisect_left(gone, high)]:
                if stop > low:
                    yield run(low, stop)
                low = stop + 1
            if high > low:
                yield run(low, high)

        result: list[RootRows] = []
        low = 0
        for rows in new:
            place = self._place(rows.names[0])
            result += runs(low, place)
            result.append(rows)
            low = place  # the changed project's old place, if it had one, is in `gone`
        result += runs(low, len(names))
        return result

    def _changelog_rows(self, first_page: int, timestamped: bool) -> memoryview:
        """The old changelog rows from `first_page` on, in index order."""
        sizes = self.row_sizes
        order: Sequence[int] = range(len(sizes))
        if timestamped:  # the pages are in the changelog's order, not the index's
            order = changelog_order(self.stamps)
        texts = []
        for number in range(first_page, changelog_page_count(len(sizes)) + 1):
            on_page = changelog_page_rows(number)
            texts.append(self._rows(changelog_path(number), sum(sizes[i] for i in order[on_page.start:on_page.stop])))
        rows = memoryview(b"".join(texts))
        if not timestamped:
            return rows
        starts = _starts([sizes[i] for i in order])
        by_index: list[memoryview] = [rows] * len(order)
        for place, i in enumerate(order):
            by_index[i] = rows[starts[place]:starts[place + 1]]
        return memoryview(b"".join(by_index))


def has_state(output_dir: str) -> bool:
    """Whether a build of ours left a state in `output_dir` (matching or not)."""
    return os.path.lexists(_path(output_dir))


def load(output_dir: str, settings: str) -> State | None:
    """The state of the tree in `output_dir`, if it is there and still matches."""
    try:
        return _read(_Reader(map_file(_path(output_dir))), output_dir, settings)
    except (OSError, EOFError, ValueError, TypeError, IndexError):
        return None  # none, unreadable or from another build: build in full


def compiled_templates(output_dir: str) -> dict[str, bytes]:
    """The web UI's templates as the last build in `output_dir` compiled
    them, whatever its settings ({} when there are none): Jinja2 checks each
    against its source before it uses it."""
    try:
        reader, last = _Reader(map_file(_path(output_dir))), None
        with contextlib.suppress(EOFError):
            while True:
                last = reader.raw()
        _, compiled = marshal.loads(last) if last is not None else ((), {})
        return dict(compiled)
    except (OSError, EOFError, ValueError, TypeError):
        return {}


def _read(reader: _Reader, output_dir: str, settings: str) -> State | None:
    if reader.value() != ("dumb-pypi state", settings):
        return None
    listing = ListLines(bytes(reader.raw()), reader.sizes(KEY_TYPE), reader.sizes(KEY_TYPE))
    if len(listing.keys) != len(listing.sizes) or sum(listing.sizes) != len(listing.text):
        raise ValueError("inconsistent state")
    names, requires = _lines(reader.text()), _lines(reader.text())
    counts, stamps, home_sizes, packages_sizes, row_sizes = (reader.sizes(code) for _, _, code in _ROWS_ARRAYS)
    digest_text, json_sizes, digest_sizes = reader.raw(), reader.sizes(), reader.sizes()
    pages: list[tuple[str, int]] = reader.value()
    root_digest = reader.value()
    signatures, compiled = reader.value()
    if not len(names) == len(requires) == len(counts) == len(home_sizes) == len(packages_sizes) or \
            not sum(counts) == len(stamps) == len(row_sizes) or len(json_sizes) != len(digest_sizes):
        raise ValueError("inconsistent state")
    # The root pages are the ones this state was written with: nobody wrote them since.
    if len(signatures) != len(pages):
        raise ValueError("inconsistent state")
    for (path, _), signature in zip(pages, signatures):
        if _signature(os.path.join(output_dir, path)) != signature:
            return None
    manifest = OldManifest.open(output_dir, CachedLines(root_digest, digest_text, json_sizes, digest_sizes))
    if manifest is None:
        return None  # the tree was written since by something that left no state
    return State(output_dir, listing, names, requires, counts, home_sizes, packages_sizes, stamps, row_sizes, dict(pages),
                 manifest, compiled)


class StateWriter:
    """Writes the state while the tree is finished, into a file of the tree
    writer's temporary folder that it moves into the tree with the manifest
    (finish()). The rows go to spools first; the manifest's lines, which
    come after them (this is the manifest's sink), straight into the file."""

    def __init__(self, settings: str, listing: ListLines, scratch: Callable[[str], str]) -> None:
        """`scratch(name)`: a path for a file of this build's own (the tree writer's)."""
        self._tmp = scratch("state")
        self._file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed by finish() or abandon()
        self._spools: dict[str, IO[bytes]] = {  # closed by finish() or abandon()
            value: open(scratch(f"state-{number}"), "w+b")  # noqa: SIM115
            for number, value in enumerate((*_ROWS_VALUES, *_MANIFEST_SIZES))}
        with naming(self._tmp):
            self._put(marshal.dumps(("dumb-pypi state", settings), 2))
            for value in listing:
                self._put(value if isinstance(value, bytes) else value.tobytes())
        self._rows: list[RootRows] = []
        self._pending = 0  # projects in self._rows
        self._pages: list[tuple[str, int]] = []
        self._digest_at = 0  # where the digest lines' length goes, once known

    def _put(self, data: bytes) -> None:
        self._file.write(len(data).to_bytes(8, "little"))
        self._file.write(data)

    def _spool(self, values: dict[str, str | bytes | memoryview]) -> None:
        for value, data in values.items():
            self._spools[value].write(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)

    def add_rows(self, rows: RootRows) -> RootRows:
        """Keep projects' rows (they come in index order); returns them."""
        self._rows.append(rows)
        self._pending += len(rows.names)
        if self._pending >= 256:
            with naming(self._tmp):
                self._spool_rows()
        return rows

    def _spool_rows(self) -> None:
        if not self._rows:
            return
        runs = self._rows
        values: dict[str, str | bytes | memoryview] = {
            "names": "".join(name + "\n" for rows in runs for name in rows.names),
            "requires": "".join(names + "\n" for rows in runs for names in rows.requires)}
        for value, field, code in _ROWS_ARRAYS:
            values[value] = b"".join(_packed(code, getattr(rows, field)) for rows in runs)
        self._spool(values)
        self._rows = []
        self._pending = 0

    def end_rows(self, pages: list[tuple[str, int]]) -> None:
        """Every project's rows are in; `pages`: (path, where the rows start) of the root pages they are in."""
        with naming(self._tmp):
            self._spool_rows()
            self._copy_spools(_ROWS_VALUES)
            self._pages = sorted(pages)
            self._digest_at = self._file.tell()
            self._file.write(bytes(8))

    def __call__(self, part: ManifestLines) -> None:
        assert self._digest_at, "the manifest comes after the rows"
        with naming(self._tmp):
            self._file.write(part.digest_text)
            self._spool({"json sizes": part.json_sizes.tobytes(), "digest sizes": part.digest_sizes.tobytes()})

    def _copy_spools(self, values: Iterable[str]) -> None:
        for value in values:
            spool = self._spools[value]
            spool.seek(0)
            self._put(spool.read())

    def finish(self, root_digest: str, tree: str, compiled: dict[str, bytes]) -> str:
        """Complete the file (`tree`: where the tree is now, its root pages
        written; `compiled`: the web UI's templates); returns its path, for
        the tree writer to move in."""
        with naming(self._tmp):
            digest_size = self._file.tell() - self._digest_at - 8
            self._copy_spools(_MANIFEST_SIZES)
            self._put(marshal.dumps(self._pages, 2))
            self._put(marshal.dumps(root_digest, 2))
            signatures = [_signature(os.path.join(tree, path)) for path, _ in self._pages]
            self._put(marshal.dumps((signatures, compiled), 2))
            self._file.seek(self._digest_at)
            self._file.write(digest_size.to_bytes(8, "little"))
            self._close()
        return self._tmp

    def _close(self) -> None:
        for spool in self._spools.values():
            spool.close()
        self._file.close()

    def abandon(self) -> None:
        """Stop (the files go with the tree writer's temporary folder)."""
        try:
            self._close()
        except OSError:
            pass  # what could not be written goes with the folder


def _packed(code: str, values: Sequence[int]) -> bytes:
    """`values` as machine integers of type `code`."""
    if isinstance(values, array) and values.typecode == code:
        return values.tobytes()
    return array(code, values).tobytes()
