"""Write the index tree so that readers never see a half-written index.

* A new output directory is built beside its final path and renamed into place
  at the end: it either does not exist or is complete.
* An existing one is updated in place, one file at a time, each written to a
  temporary file and renamed over the old one, in dependency order: pool
  files, then project pages, then the root pages that link to them, then
  stale files are removed, then the manifest. Killed at any moment, every
  page is complete and every link on simple/index.html resolves.
* Files whose content did not change are not touched (the old manifest says),
  unless the last build in this tree was killed: then every file is written.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import mmap
import os
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, NamedTuple

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.records import json_string, utf8_parts

__all__ = [
    "MANIFEST_NAME",
    "Entry",
    "Manifest",
    "ManifestPart",
    "OldManifest",
    "TreeWriter",
    "digest_line",
    "entry_from_digest_line",
    "entry_sha256",
    "entry_size",
    "make_entry",
    "manifest_part",
    "map_file",
    "part_paths",
    "read_manifest",
    "read_manifest_lines",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
_TMP_NAME = ".dumb-pypi-tmp"
_MANIFEST_FORMAT = 1


# A manifest entry is packed into one 40-byte value (raw sha256 + size): an
# index of 100k files keeps its manifest in ~15 MB instead of ~25 MB.
Entry = bytes
Manifest = dict[str, Entry]


def make_entry(digest: bytes, size: int) -> Entry:
    return digest + size.to_bytes(8, "big")


def entry_sha256(entry: Entry) -> str:
    return entry[:32].hex()


def entry_size(entry: Entry) -> int:
    return int.from_bytes(entry[32:], "big")


_CHUNK = 4096  # paths per part when a manifest is streamed


def _chunks(items: list[str], size: int = _CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def digest_line(path: str, sha256: str, size: int) -> str:
    """A file's line in what the root digest hashes: the sha256 of these
    lines, in path order, is the tree's root digest."""
    return f"{sha256} {size} {path}\n"


def _digest_line(path: str, entry: Entry) -> str:
    return digest_line(path, entry_sha256(entry), entry_size(entry))


class ManifestPart(NamedTuple):
    """Consecutive lines of a manifest, in path order, as UTF-8 texts: each
    path's line of manifest.json (ending with a comma) and its line of the
    root digest, with the length of each line in bytes. A partial rebuild
    cuts the texts of the previous manifest between lines (views, not
    copies) instead of holding 100k strings; its parts leave `paths` out
    (see part_paths())."""

    paths: list[str] | None
    json_text: bytes | memoryview
    digest_text: bytes | memoryview
    json_sizes: array[int]
    digest_sizes: array[int]


def _digest_line_path(line: bytes | memoryview) -> str:
    return bytes(line).split(b" ", 2)[2].decode()


def part_paths(part: ManifestPart) -> list[str]:
    """The paths of a part's lines (read from its root digest lines if it does not hold them)."""
    if part.paths is not None:
        return part.paths
    return [_digest_line_path(line) for line in bytes(part.digest_text).split(b"\n")[:-1]]


def manifest_part(files: Manifest, paths: list[str]) -> ManifestPart:
    """The lines of `paths` (sorted) in `files`."""
    json_text, json_sizes = utf8_parts([
        f'\n{json_string(p)}:{{"sha256":"{entry_sha256(files[p])}","size":{entry_size(files[p])}}},' for p in paths])
    digest_text, digest_sizes = utf8_parts([_digest_line(p, files[p]) for p in paths])
    return ManifestPart(paths, json_text, digest_text, json_sizes, digest_sizes)


def entry_from_digest_line(line: bytes) -> Entry:
    sha256, size, _ = line.split(b" ", 2)
    return make_entry(bytes.fromhex(sha256.decode()), int(size))


class _Starts:
    """Where each line starts, from the lines' sizes: a sum kept every 256
    lines, the rest added up when asked (a bisection asks a few dozen times)."""

    def __init__(self, sizes: array[int]) -> None:
        self._sizes = sizes
        self._blocks = list(itertools.accumulate((sum(sizes[i:i + 256]) for i in range(0, len(sizes), 256)),
                                                 initial=0))

    def __getitem__(self, line: int) -> int:
        block = line >> 8
        return self._blocks[block] + sum(self._sizes[block << 8:line])


class OldManifest:
    """The manifest of a tree that a partial rebuild updates, as one part."""

    def __init__(self, whole: ManifestPart) -> None:
        self.whole = whole
        self._json, self._digest = memoryview(whole.json_text), memoryview(whole.digest_text)
        self._json_starts = _Starts(whole.json_sizes)
        self._digest_starts = _Starts(whole.digest_sizes)
        self.count = len(whole.digest_sizes)

    def _line(self, line: int) -> memoryview:
        return self._digest[self._digest_starts[line]:self._digest_starts[line + 1] - 1]

    def path(self, line: int) -> str:
        return _digest_line_path(self._line(line))

    def _place(self, path: str) -> int:
        """The first line whose path is not before `path` (bisect over the lines, read as needed)."""
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            if self.path(middle) < path:
                low = middle + 1
            else:
                high = middle
        return low

    def span(self, low: str, high: str) -> tuple[int, int]:
        """The lines of the paths from `low` up to (not including) `high`."""
        return self._place(low), self._place(high)

    def entry(self, line: int) -> Entry:
        return entry_from_digest_line(bytes(self._line(line)))

    def lines(self, low: int, high: int) -> ManifestPart:
        whole, json_at, digest_at = self.whole, self._json_starts, self._digest_starts
        return ManifestPart(None, self._json[json_at[low]:json_at[high]], self._digest[digest_at[low]:digest_at[high]],
                            whole.json_sizes[low:high], whole.digest_sizes[low:high])

    def merge(self, drop: list[tuple[int, int]], files: Manifest) -> Iterator[ManifestPart]:
        """The lines outside the `drop` spans, merged with those of `files`
        (no path of which is kept), in path order."""
        kept = []
        start = 0
        for low, high in sorted(drop):
            if low > start:
                kept.append((start, low))
            start = max(start, high)
        if start < self.count:
            kept.append((start, self.count))
        new = sorted(files)
        # Where each new path goes: before the old line it would be inserted at.
        places = [self._place(path) for path in new]
        done = 0
        for low, high in kept:
            while low < high:
                first = done
                while done < len(new) and places[done] <= low:
                    done += 1
                if done > first:
                    yield manifest_part(files, new[first:done])
                cut = places[done] if done < len(new) and places[done] < high else high
                yield self.lines(low, cut)
                low = cut
        if done < len(new):
            yield manifest_part(files, new[done:])


_DIGEST_PLACEHOLDER = "sha256:" + "0" * 64
_MANIFEST_END = b"\n}}\n"


def write_manifest(parts: Iterable[ManifestPart], destination: str) -> str:
    """Write the manifest document (one file per line, so two manifests diff
    well) from its lines in path order; returns the root digest. Streamed:
    the digest, known at the end, is written over a placeholder of its size."""
    digest = hashlib.sha256()
    with open(destination, "wb") as f:
        f.write(f'{{"format":{_MANIFEST_FORMAT},"root_digest":"'.encode())
        at = f.tell()
        f.write(f'{_DIGEST_PLACEHOLDER}","files":{{'.encode())
        last: bytes | memoryview = b""  # written one part late: the last line's comma is cut
        for part in parts:
            f.write(last)
            last = part.json_text
            digest.update(part.digest_text)
        f.write(last[:-1])
        f.write(_MANIFEST_END)
        root = "sha256:" + digest.hexdigest()
        f.seek(at)
        f.write(root.encode())
    return root


_ROOT_DIGEST_RE = re.compile(r'"root_digest":"(sha256:[0-9a-f]{64})"')
# One manifest line as we write it; read_manifest() falls back to a full JSON
# parse for anything else.
_LINE_RE = re.compile(r'^("(?:[^"\\]|\\.)*"):\{"sha256":"([0-9a-f]{64})","size":(\d+)\},?$')


def read_root_digest(directory: str) -> str:
    """The root digest recorded in a tree's manifest.json."""
    try:
        with open(os.path.join(directory, MANIFEST_NAME), encoding="utf-8") as f:
            match = _ROOT_DIGEST_RE.search(f.readline())  # we write it on the first line
    except (OSError, ValueError):
        match = None
    if match is None:
        raise DumbPypiError(f"{directory}/{MANIFEST_NAME}: no root digest")
    return match.group(1)


def map_file(path: str, access: int = mmap.ACCESS_READ) -> mmap.mmap | bytes:
    """The bytes of the file at `path`, mapped (read where used, never copied
    whole; ACCESS_COPY: changes stay in this process). Builds replace files,
    never rewrite one in place, so what is mapped does not change."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return b""  # an empty file cannot be mapped
        return mmap.mmap(f.fileno(), 0, access=access)


def read_manifest_lines(directory: str, size: int) -> tuple[str, memoryview]:
    """The root digest in a tree's manifest.json, and its lines (`size`
    bytes, as write_manifest() wrote them, the last one's comma put back)."""
    data = map_file(os.path.join(directory, MANIFEST_NAME), mmap.ACCESS_COPY)
    head = f'{{"format":{_MANIFEST_FORMAT},"root_digest":"'.encode()
    start = len(head) + len(_DIGEST_PLACEHOLDER) + len('","files":{')
    if size < 1 or data[:len(head)] != head or len(data) != start + size - 1 + len(_MANIFEST_END) \
            or data[-len(_MANIFEST_END):] != _MANIFEST_END:
        raise ValueError("manifest.json does not have the lines the state gives")
    view = memoryview(data)
    view[start + size - 1] = ord(",")
    return bytes(view[len(head):len(head) + len(_DIGEST_PLACEHOLDER)]).decode(), view[start:start + size]


def read_manifest(directory: str) -> Manifest | None:
    """The manifest of a tree we wrote before, or None (none, or unreadable)."""
    try:
        with open(os.path.join(directory, MANIFEST_NAME), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, ValueError):
        return None
    files: Manifest = {}
    for line in lines[1:-1]:
        match = _LINE_RE.match(line)
        if match is None:
            return _read_manifest_json("\n".join(lines))
        path = match.group(1)
        files[path[1:-1] if "\\" not in path else json.loads(path)] = make_entry(
            bytes.fromhex(match.group(2)), int(match.group(3)))
    return files


def _read_manifest_json(text: str) -> Manifest | None:
    try:
        document = json.loads(text)
        return {path: make_entry(bytes.fromhex(entry["sha256"]), entry["size"])
                for path, entry in document["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _tee(parts: Iterable[ManifestPart], sink: Callable[[ManifestPart], None]) -> Iterator[ManifestPart]:
    for part in parts:
        sink(part)
        yield part


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _remove_tree(path: str, ignore_errors: bool = False) -> None:
    """shutil.rmtree(path), imported only when the folder is not empty (~3 ms at every start)."""
    try:
        os.rmdir(path)
    except OSError:
        import shutil

        shutil.rmtree(path, ignore_errors=ignore_errors)


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
        if old is None:
            old = {} if self.fresh else (read_manifest(self.output_dir) or {})
        self.old: Manifest = old
        self.files: Manifest = {}
        self.changed = 0
        # Where files are built: a staging tree beside a new output directory,
        # or the output directory itself (temporary files in a hidden folder).
        self.root = os.path.join(parent, f".{name}.dumb-pypi-staging") if self.fresh else self.output_dir
        self._tmp = os.path.join(self.root, _TMP_NAME)
        # A build killed in this tree left its temporary folder (removed only
        # once its manifest is in place): some files may then be newer than
        # the manifest says, so none is taken as unchanged; each is written again.
        self._trust_old = self.fresh or not os.path.lexists(self._tmp)
        try:
            os.makedirs(parent, exist_ok=True)
            for leftover in (self._tmp, self.root if self.fresh else None):
                if leftover and os.path.lexists(leftover):
                    _remove_tree(leftover)  # from a build that was killed
            os.makedirs(self._tmp)
        except OSError as ex:
            raise DumbPypiError(f"cannot write to {output_dir}: {ex.strerror or ex}") from None
        self._dirs: set[str] = set()
        self._counter = 0
        self._tmp_prefix = ""
        self._log: BinaryIO | None = None  # see log_entries()

    def _target(self, path: str) -> str:
        directory = path.rpartition("/")[0]
        if directory not in self._dirs:
            full = f"{self.root}/{directory}"
            try:
                os.mkdir(full)  # usually the parent exists: one syscall, not makedirs' several
            except FileNotFoundError:
                os.makedirs(full, exist_ok=True)
            except FileExistsError:
                pass
            # Pages come project by project: a small cache of recent
            # directories saves nearly every mkdir without growing with the index.
            if len(self._dirs) > 256:
                self._dirs.clear()
            self._dirs.add(directory)
        return f"{self.root}/{path}"  # '/'-separated tree paths; join() is slow at 100k calls

    def _unchanged(self, path: str, entry: Entry) -> bool:
        return self._trust_old and self.old.get(path) == entry and os.path.isfile(f"{self.root}/{path}")

    def _tmp_path(self) -> str:
        self._counter += 1
        return f"{self._tmp}/{self._tmp_prefix}{self._counter}"

    def _put(self, path: str, content: bytes | tuple[str, Entry]) -> None:
        if isinstance(content, bytes):
            entry = make_entry(hashlib.sha256(content).digest(), len(content))
        else:
            source, entry = content
        if self._log is None:
            self.files[path] = entry
        else:
            self._log.write(b"%s\0%s" % (path.encode("utf-8", "surrogateescape"), entry))
        if self._unchanged(path, entry):
            return
        target = self._target(path)
        if not isinstance(content, bytes):
            import shutil

            tmp = self._tmp_path()
            try:
                shutil.copyfile(source, tmp)
            except OSError as ex:
                raise DumbPypiError(f"cannot copy {source}: {ex.strerror or ex}") from None
            os.replace(tmp, target)
        elif self.fresh:
            # Nothing is served from the staging tree yet: write in place.
            _write_file(target, content)
        else:
            tmp = self._tmp_path()
            _write_file(tmp, content)
            os.replace(tmp, target)
        self.changed += 1

    def write(self, path: str, data: bytes) -> None:
        """Write one page (or sidecar) at `path`, relative to the tree root."""
        self._put(path, data)

    def copy(self, path: str, source: str, sha256: str, size: int) -> None:
        """Copy a distribution file, whose content is known, into the tree."""
        self._put(path, (source, make_entry(bytes.fromhex(sha256), size)))

    def become_worker(self) -> None:
        """In a forked worker process: from now on, `changed` counts this
        process's writes only, and temporary names cannot collide with
        another process's."""
        self.changed = 0
        self._tmp_prefix = f"{os.getpid()}-"

    def log_entries(self) -> str:
        """Until end_log(), the manifest entries of written files go to a file,
        not to `files`: while workers run, no process holds a growing manifest
        in memory. Returns the file's path, for merge_log(); a path has no NUL."""
        path = f"{self._tmp}/{self._tmp_prefix}entries"
        self._log = open(path, "wb")  # noqa: SIM115 -- closed by end_log()
        return path

    def end_log(self) -> None:
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

    def finish(self, kept: tuple[OldManifest, list[tuple[int, int]]] | None = None,
               sink: Callable[[ManifestPart], None] | None = None) -> str:
        """Remove stale files, write the manifest (what was written here plus,
        in a partial rebuild, the lines of the old manifest outside the
        `kept` spans; `sink` sees it in path order), and put the tree in
        place. Returns the root digest."""
        for path in sorted((path for path in self.old if path not in self.files), reverse=True):
            full = os.path.join(self.root, path)
            if os.path.isfile(full):
                os.remove(full)
                self._prune(os.path.dirname(path))
        self._listed: list[ManifestPart] = []  # every path in the tree but the manifest's own
        if kept is not None:
            old, drop = kept
            parts: Iterable[ManifestPart] = old.merge(drop, self.files)
        else:
            parts = (manifest_part(self.files, chunk) for chunk in _chunks(sorted(self.files)))
        parts = (self._list(part) for part in parts)
        tmp = self._tmp_path()
        digest = write_manifest(_tee(parts, sink) if sink else parts, tmp)
        os.replace(tmp, self._target(MANIFEST_NAME))
        _remove_tree(self._tmp)
        if self.fresh:
            os.rename(self.root, self.output_dir)
        return digest

    def _list(self, part: ManifestPart) -> ManifestPart:
        # Not the texts of a new part: memory (an old part's are held anyway).
        self._listed.append(part if part.paths is None else part._replace(json_text=b"", digest_text=b""))
        return part

    def listed(self) -> list[str]:
        """Once finished: every path in the tree but the manifest's own."""
        return [path for part in self._listed for path in part_paths(part)]

    def abandon(self) -> None:
        """Stop: an existing tree keeps what was already replaced (each file
        whole), a new one is not created; temporary files are removed."""
        self.end_log()
        _remove_tree(self._tmp, ignore_errors=True)
        if self.fresh:
            _remove_tree(self.root, ignore_errors=True)

    def _prune(self, directory: str) -> None:
        # Remove directories emptied by stale removal; never a user's own files.
        while directory:
            try:
                os.rmdir(os.path.join(self.root, directory))
            except OSError:
                return
            self._dirs.discard(directory)
            directory = os.path.dirname(directory)
