"""What a partial rebuild reuses from the build before it.

A build from one package list leaves `.dumb-pypi-state` in the output
directory: the package list it was built from (see linediff.py), where each
project's share of the root pages lies in them (the pages themselves hold
the text) and the manifest's lines. A partial rebuild compares the new list
with the old one, parses and renders only the projects whose lines changed,
and cuts the rest of the root pages and of the manifest from the old ones:
bytes copied, never parsed again.

The state is used only when it matches: same format and dumb-pypi version,
same settings, the root digest of the manifest beside it, and pages of the
sizes the manifest gives. A build that changes a tree removes the old state
first and writes the new one last, so a build killed half-way leaves no
state, and the next build is a full one.
"""

from __future__ import annotations

import bisect
import itertools
import marshal
import mmap
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, BinaryIO, NamedTuple

from dumb_pypi import __version__, linediff, pages
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.linediff import KEY_TYPE, ListLines
from dumb_pypi.output import ManifestPart, OldManifest, entry_size, map_file, read_manifest_lines
from dumb_pypi.pages import Summary, changelog_order, changelog_page_count, changelog_path
from dumb_pypi.pages.webui import HOME_ROWS_END, HOME_ROWS_START, TABLE_END, TABLE_START
from dumb_pypi.projects import group_projects
from dumb_pypi.records import Record

__all__ = ["STATE_NAME", "Changes", "Parse", "State", "StateWriter", "changed_records", "discard", "files_reader",
           "load", "settings_key"]

STATE_NAME = ".dumb-pypi-state"
_FORMAT = 5


def settings_key(*settings: object) -> str:
    """Everything besides the input lines that the pages depend on."""
    return repr((_FORMAT, __version__, settings))


# The file is a sequence of values, each behind its 8-byte length: small ones
# marshalled, and large texts and arrays raw (UTF-8; machine integers), so
# that loading and saving is mostly copying, not one object per line:
#   the header: ("dumb-pypi state", settings), marshalled
#   the package list: its text, and per line the key of its project and
#     its size (linediff.ListLines)
#   the projects' shares of the root pages: names, file counts, upload
#     times, sizes of their home page rows and packages.json lines (per
#     project), sizes of their changelog rows (per file)
#   the root pages' paths, marshalled
#   the manifest: its root digest lines ("<sha256> <size> <path>"), the size
#     of each of its manifest.json lines (manifest.json itself has them) and
#     of each root digest line
#   the root digest, marshalled
# Shares and manifest lines come one by one while the tree is written and
# are not held: the root digest lines, which come last, go straight into the
# file; every other value to its own temporary file first. A partial
# rebuild maps the file and reads the values where they are.
# The summaries' arrays: (value, Summary field, machine integer type).
_SUMMARY_ARRAYS = (("counts", "file_counts", "L"), ("stamps", "timestamps", "q"), ("home sizes", "home_sizes", "L"),
                   ("packages sizes", "packages_sizes", "L"), ("row sizes", "row_sizes", "L"))
_SUMMARY_VALUES = ("names", *(value for value, _, _ in _SUMMARY_ARRAYS))
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


def _read_page(output_dir: str, path: str) -> mmap.mmap | bytes:
    return map_file(os.path.join(output_dir, path))


def _rows(page: mmap.mmap | bytes, start: str, size: int, end: str) -> memoryview:
    """The `size` bytes of rows that follow `start` in `page`, checked to end with `end`."""
    at = page.find(start.encode()) + len(start)
    if at < len(start) or page[at + size:at + size + len(end)] != end.encode():
        raise ValueError("a page does not have the rows the state gives")
    return memoryview(page)[at:at + size]


class State(NamedTuple):
    output_dir: str
    listing: ListLines  # the package list
    names: list[str]  # every project, in index order; then per project:
    file_counts: array[int]
    home_sizes: array[int]
    packages_sizes: array[int]
    stamps: array[int]  # per file, in index order: upload time (0: unknown)
    row_sizes: array[int]  # per file, in index order: its changelog row's size
    home_rows: memoryview  # cut from index.html
    packages_json: memoryview
    root_paths: list[str]  # the root pages' paths
    manifest: OldManifest  # every path in the tree but manifest.json

    def _place(self, name: str) -> int:
        """Where project `name` is, or would be, among the old ones (in index order: sorted)."""
        return bisect.bisect_left(self.names, name)

    def file_count(self, name: str) -> int:
        """How many files old project `name` has."""
        return self.file_counts[self._place(name)]

    def summaries(self, changed: set[str], new: list[Summary]) -> tuple[list[Summary], int]:
        """Every project's share of the root pages, in index order: runs of
        projects that did not change, cut from the old pages, and the `new`
        summaries of the changed projects that are still there. Also the first
        changelog page that can change: the ones before it are left as they are."""
        names, counts = self.names, self.file_counts
        gone = sorted(i for name in changed if (i := self._place(name)) < len(names) and names[i] == name)
        new = sorted(new)
        file_starts = _starts(counts)
        old_files = file_starts[-1]
        files = old_files - sum(counts[i] for i in gone) + sum(sum(summary.file_counts) for summary in new)
        # Without upload times, the changelog lists files in index order, so
        # the pages that end before the first change are kept (if their number is).
        first = min([*gone, *(self._place(summary.names[0]) for summary in new)], default=len(names))
        old_timestamped = self.stamps.count(0) != len(self.stamps)
        new_timestamped = any(stamp for summary in new for stamp in summary.timestamps)
        first_page = 1
        if not (old_timestamped or new_timestamped) and changelog_page_count(files) == changelog_page_count(old_files):
            first_page = file_starts[first] // pages.CHANGELOG_ENTRIES_PER_PAGE + 1
        first_row = (first_page - 1) * pages.CHANGELOG_ENTRIES_PER_PAGE
        rows = self._changelog_rows(first_page, old_timestamped)
        row_starts = _starts(self.row_sizes[first_row:])
        home_starts, packages_starts = _starts(self.home_sizes), _starts(self.packages_sizes)

        def run(low: int, high: int) -> Summary:  # old projects low..high-1
            files_low, files_high = file_starts[low], file_starts[high]
            rows_low = max(files_low, first_row) - first_row
            rows_high = max(files_high, first_row) - first_row
            return Summary(
                names[low:high], counts[low:high], self.stamps[files_low:files_high],
                self.home_rows[home_starts[low]:home_starts[high]], self.home_sizes[low:high],
                self.packages_json[packages_starts[low]:packages_starts[high]], self.packages_sizes[low:high],
                rows[row_starts[rows_low]:row_starts[rows_high]], self.row_sizes[files_low:files_high])

        def runs(low: int, high: int) -> Iterator[Summary]:  # old projects low..high-1 but the changed ones
            for stop in gone[bisect.bisect_left(gone, low):bisect.bisect_left(gone, high)]:
                if stop > low:
                    yield run(low, stop)
                low = stop + 1
            if high > low:
                yield run(low, high)

        summaries: list[Summary] = []
        low = 0
        for summary in new:
            place = self._place(summary.names[0])
            summaries += runs(low, place)
            summaries.append(summary)
            low = place  # the changed project's old place, if it had one, is in `gone`
        summaries += runs(low, len(names))
        return summaries, first_page

    def _changelog_rows(self, first_page: int, timestamped: bool) -> memoryview:
        """The old changelog rows from `first_page` on, in index order."""
        per_page = pages.CHANGELOG_ENTRIES_PER_PAGE
        sizes = self.row_sizes
        order: Sequence[int] = range(len(sizes))
        if timestamped:  # the pages are in the changelog's order, not the index's
            order = changelog_order(self.stamps)
        texts = []
        for number in range(first_page, changelog_page_count(len(sizes)) + 1):
            on_page = order[(number - 1) * per_page:number * per_page]
            path = changelog_path(number)
            try:
                texts.append(_rows(_read_page(self.output_dir, path), TABLE_START, sum(sizes[i] for i in on_page),
                                   TABLE_END))
            except (OSError, ValueError):  # changed since, keeping its size (load() checked that)
                discard(self.output_dir)
                raise DumbPypiError(f"{self.output_dir}/{path}: not the page the last build wrote; nothing was "
                                    "changed, and the next build will be a full one") from None
        rows = memoryview(b"".join(texts))
        if not timestamped:
            return rows
        starts = _starts([sizes[i] for i in order])
        by_index: list[memoryview] = [rows] * len(order)
        for place, i in enumerate(order):
            by_index[i] = rows[starts[place]:starts[place + 1]]
        return memoryview(b"".join(by_index))


def load(output_dir: str, settings: str) -> State | None:
    """The state of the tree in `output_dir`, if it is there and still matches."""
    try:
        return _read(_Reader(map_file(_path(output_dir))), output_dir, settings)
    except (OSError, EOFError, ValueError, TypeError, IndexError, DumbPypiError):
        return None  # none, unreadable or from another build: build in full


def _read(reader: _Reader, output_dir: str, settings: str) -> State | None:
    if reader.value() != ("dumb-pypi state", settings):
        return None
    listing = ListLines(bytes(reader.raw()), reader.sizes(KEY_TYPE), reader.sizes(KEY_TYPE))
    if len(listing.keys) != len(listing.sizes) or sum(listing.sizes) != len(listing.text):
        raise ValueError("inconsistent state")
    names = _lines(reader.text())
    counts, stamps, home_sizes, packages_sizes, row_sizes = (
        reader.sizes(code) for _, _, code in _SUMMARY_ARRAYS)
    root_paths: list[str] = reader.value()
    digest_text, json_sizes, digest_sizes = reader.raw(), reader.sizes(), reader.sizes()
    root_digest = reader.value()
    if not len(names) == len(counts) == len(home_sizes) == len(packages_sizes) or \
            not sum(counts) == len(stamps) == len(row_sizes) or len(json_sizes) != len(digest_sizes):
        raise ValueError("inconsistent state")
    manifest_root, json_text = read_manifest_lines(output_dir, sum(json_sizes))
    if manifest_root != root_digest:
        return None  # the tree was written since by something that left no state
    manifest = OldManifest(ManifestPart(None, json_text, digest_text, json_sizes, digest_sizes))
    # The pages the state cuts rows from are the ones it was written with.
    for path in root_paths:
        low, high = manifest.span(path, path + "\0")
        if high != low + 1 or os.path.getsize(os.path.join(output_dir, path)) != entry_size(manifest.entry(low)):
            return None
    home = _rows(_read_page(output_dir, "index.html"), HOME_ROWS_START, sum(home_sizes), HOME_ROWS_END)
    packages = memoryview(_read_page(output_dir, "packages.json"))
    if len(packages) != sum(packages_sizes):
        return None
    return State(output_dir, listing, names, counts, home_sizes, packages_sizes, stamps, row_sizes, home,
                 packages, root_paths, manifest)


def discard(output_dir: str) -> None:
    """Forget the state before a build changes the tree."""
    try:
        os.remove(_path(output_dir))
    except FileNotFoundError:
        pass


class StateWriter:
    """Writes the state while the tree is finished (it is the manifest's
    `sink`), into a file beside the tree that finish() moves into it. The
    summaries go to spools first; the manifest's lines, which come after
    them, straight into the file."""

    def __init__(self, output_dir: str, settings: str, listing: ListLines) -> None:
        self.output_dir = os.path.abspath(output_dir)
        parent, name = os.path.split(self.output_dir)
        self._tmp = os.path.join(parent, f".{name}.dumb-pypi-state.tmp")
        self._file: BinaryIO = open(self._tmp, "wb")  # noqa: SIM115 - closed by finish() or abandon()
        # Unnamed files (gone once closed, even if this process is killed), beside the tree.
        self._spools: dict[str, IO[bytes]] = {
            value: _unnamed_file(parent) for value in (*_SUMMARY_VALUES, *_MANIFEST_SIZES)}
        self._put(marshal.dumps(("dumb-pypi state", settings), 2))
        for value in listing:
            self._put(value if isinstance(value, bytes) else value.tobytes())
        self._summaries: list[Summary] = []
        self._pending = 0  # projects in self._summaries
        self._digest_at = 0  # where the digest lines' length goes, once known

    def _put(self, data: bytes) -> None:
        self._file.write(len(data).to_bytes(8, "little"))
        self._file.write(data)

    def _spool(self, values: dict[str, str | bytes | memoryview]) -> None:
        for value, data in values.items():
            self._spools[value].write(_encode(data) if isinstance(data, str) else data)

    def add_summary(self, summary: Summary) -> Summary:
        """Keep projects' summaries (they come in index order); returns it."""
        self._summaries.append(summary)
        self._pending += len(summary.names)
        if self._pending >= 256:
            self._spool_summaries()
        return summary

    def _spool_summaries(self) -> None:
        if not self._summaries:
            return
        summaries = self._summaries
        values: dict[str, str | bytes | memoryview] = {
            "names": "".join(name + "\n" for summary in summaries for name in summary.names)}
        for value, field, code in _SUMMARY_ARRAYS:
            values[value] = b"".join(_packed(code, getattr(summary, field)) for summary in summaries)
        self._spool(values)
        self._summaries = []
        self._pending = 0

    def end_summaries(self, root_paths: list[str]) -> None:
        self._spool_summaries()
        self._copy_spools(_SUMMARY_VALUES)
        self._put(marshal.dumps(root_paths, 2))
        self._digest_at = self._file.tell()
        self._file.write(bytes(8))

    def __call__(self, part: ManifestPart) -> None:
        assert self._digest_at, "the manifest comes after the summaries"
        self._file.write(part.digest_text)
        self._spool({"json sizes": part.json_sizes.tobytes(), "digest sizes": part.digest_sizes.tobytes()})

    def _copy_spools(self, values: Iterable[str]) -> None:
        for value in values:
            spool = self._spools[value]
            size = spool.tell()
            self._file.write(size.to_bytes(8, "little"))
            self._file.flush()
            spool.flush()
            _copy_file(spool.fileno(), self._file.fileno(), size)

    def finish(self, root_digest: str) -> None:
        digest_size = self._file.tell() - self._digest_at - 8
        self._copy_spools(_MANIFEST_SIZES)
        self._put(marshal.dumps(root_digest, 2))
        self._file.seek(self._digest_at)
        self._file.write(digest_size.to_bytes(8, "little"))
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


def _unnamed_file(directory: str) -> IO[bytes]:
    """A new file without a name in `directory` (closed by finish() or abandon())."""
    if hasattr(os, "O_TMPFILE"):  # Linux: without importing tempfile (~2 ms at every start)
        try:
            return open(os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600), "w+b")
        except OSError:
            pass  # a filesystem without them
    import tempfile

    return tempfile.TemporaryFile(dir=directory)


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


def _packed(code: str, values: Sequence[int]) -> bytes:
    """`values` as machine integers of type `code`."""
    if isinstance(values, array) and values.typecode == code:
        return values.tobytes()
    return array(code, values).tobytes()


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# (line number, line) pairs -> (line number, record) pairs; `report`: name the refused lines.
Parse = Callable[[Iterable[tuple[int, str]], bool], Iterator[tuple[int, Record]]]


def files_reader(listing: ListLines, parse: Parse) -> Callable[[str, int], list[Record]]:
    """For a list whose keys are set: a function that gives a project's
    files (it has `count`), parsed again from its lines."""
    lines_of = linediff.project_lines(listing)

    def files(name: str, count: int) -> list[Record]:
        # Its first `count` lines are usually its `count` files; if not (a
        # line given twice, another project with the same key), all of them.
        for limit in (count, None):
            records = [record for _, record in parse(lines_of(name, limit), False) if record.name == name]
            if limit is None or len({record.filename for record in records}) == count:
                break
        return group_projects(records)[0].files

    return files


class Changes(NamedTuple):
    names: set[str]  # the projects whose lines changed, and those read at every build
    records: list[tuple[int, Record]]  # (line number, record) of every line of theirs, in line order
    listing: ListLines  # the new list; the keys of the lines read again are 0 until linediff.keyed() sets them


def changed_records(state: State, text: bytes, parse: Parse) -> Changes | None:
    """What a full build would make of the lines of the projects whose lines
    differ between the state's list and `text` (a plain list; see
    linediff.py): only these lines are parsed. None: the state's list is damaged."""
    change = linediff.diff(state.listing, text)
    if change is None:
        return None
    # Lines the old list had were parsed before: they name their projects again.
    names = {record.name for _, record in parse(enumerate([*change.gone, *change.added], 1), False)}
    read = linediff.positions(change.new.keys, {linediff.project_key(name) for name in names} | {0})
    records = list(parse(linediff.lines_at(change.new, read), True))
    names.update(record.name for _, record in records)
    for i in read:
        change.new.keys[i] = 0
    return Changes(names, records, change.new)
