"""manifest.json: every file of a tree with its sha256 and size, and the root digest.

    {"format":1,"root_digest":"sha256:<hex>","files":{
    "index.html":{"sha256":"<hex>","size":123},
    ...
    }}

One file per line, sorted by path, so that two manifests diff well. The root
digest is the sha256 of the lines "<sha256> <size> <path>\\n" in path order:
two trees are identical exactly when their root digests are.

This module is the only one that writes or reads these bytes: the tree
writer, the deploy and the partial rebuild (which cuts the lines of files
that did not change out of the old manifest) all come here.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import mmap
import os
import re
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from dumb_pypi.encoding import json_string, utf8_parts
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output.files import map_file, naming

__all__ = [
    "MANIFEST_NAME", "CachedLines", "Entry", "Manifest", "ManifestError", "ManifestLines", "OldManifest", "check_path",
    "chunked_lines", "entry_sha256",
    "entry_size", "lines_of", "make_entry", "parse_manifest", "read_manifest", "read_root_digest", "root_digest",
    "root_digest_in",
    "write_manifest",
]

MANIFEST_NAME = "manifest.json"
_FORMAT = 1

# An entry is one 40-byte value (raw sha256 + size): a manifest of 100k
# files takes ~15 MB in memory instead of ~25 MB.
Entry = bytes
Manifest = dict[str, Entry]


class ManifestError(DumbPypiError, ValueError):
    """manifest.json is not one this module wrote, or does not add up."""


def make_entry(digest: bytes, size: int) -> Entry:
    return digest + size.to_bytes(8, "big")


def entry_sha256(entry: Entry) -> str:
    return entry[:32].hex()


def entry_size(entry: Entry) -> int:
    return int.from_bytes(entry[32:], "big")


def _digest_line(path: str, entry: Entry) -> str:
    return f"{entry_sha256(entry)} {entry_size(entry)} {path}\n"


def root_digest(files: Manifest) -> str:
    """The root digest of a tree holding `files`."""
    digest = hashlib.sha256()
    paths = sorted(files)
    for start in range(0, len(paths), _CHUNK):  # a chunk at a time: memory
        digest.update("".join(_digest_line(path, files[path]) for path in paths[start:start + _CHUNK]).encode())
    return "sha256:" + digest.hexdigest()


class ManifestLines(NamedTuple):
    """Consecutive files of a manifest, in path order, as UTF-8 texts: each
    one's line of manifest.json (ending with a comma) and its root digest
    line, with the size of each line in bytes. A partial rebuild cuts the
    lines of the old manifest (views, not copies) instead of holding 100k
    strings; those leave `paths` out (see paths())."""

    paths: list[str] | None
    json_text: bytes | memoryview
    digest_text: bytes | memoryview
    json_sizes: array[int]
    digest_sizes: array[int]

    def listed(self) -> list[str]:
        """The paths of these lines (read back from the digest lines if not held)."""
        if self.paths is not None:
            return self.paths
        return [_digest_line_path(line) for line in bytes(self.digest_text).split(b"\n")[:-1]]


def _digest_line_path(line: bytes | memoryview) -> str:
    return bytes(line).split(b" ", 2)[2].decode()


def lines_of(files: Manifest, paths: list[str]) -> ManifestLines:
    """The lines of `paths` (sorted) in `files`."""
    json_text, json_sizes = utf8_parts([
        f'\n{json_string(p)}:{{"sha256":"{entry_sha256(files[p])}","size":{entry_size(files[p])}}},' for p in paths])
    digest_text, digest_sizes = utf8_parts([_digest_line(p, files[p]) for p in paths])
    return ManifestLines(paths, json_text, digest_text, json_sizes, digest_sizes)


_CHUNK = 4096  # files per ManifestLines when a whole manifest is streamed


def chunked_lines(files: Manifest) -> Iterator[ManifestLines]:
    """Every file of `files` as lines, in path order, a chunk at a time (memory)."""
    paths = sorted(files)
    for start in range(0, len(paths), _CHUNK):
        yield lines_of(files, paths[start:start + _CHUNK])


_HEAD = f'{{"format":{_FORMAT},"root_digest":"'.encode()
_DIGEST_PLACEHOLDER = b"sha256:" + b"0" * 64
_FILES = b'","files":{'
_END = b"\n}}\n"


def write_manifest(parts: Iterable[ManifestLines], destination: str) -> str:
    """Write manifest.json from its lines in path order; returns the root
    digest. Streamed: the digest, known at the end, is written over a
    placeholder of its size."""
    digest = hashlib.sha256()
    with open(destination, "wb") as f, naming(destination):
        f.write(_HEAD)
        at = f.tell()
        f.write(_DIGEST_PLACEHOLDER + _FILES)
        last: bytes | memoryview = b""  # written one part late: the last line's comma is cut
        for part in parts:
            f.write(last)
            last = part.json_text
            digest.update(part.digest_text)
        f.write(last[:-1])
        f.write(_END)
        root = "sha256:" + digest.hexdigest()
        f.seek(at)
        f.write(root.encode())
    return root


# One file's line as write_manifest lays it out (the last one has no comma);
# compiled at first use: a partial rebuild parses no manifest.
_LINE_PATTERN = rb'\n"((?:[^"\\\n]|\\.)*)":\{"sha256":"([0-9a-f]{64})","size":(0|[1-9][0-9]*)\}(,?)'


def _our_lines(data: bytes) -> Iterator[tuple[str, str, int]]:
    """(path, sha256, size) of each line of a manifest laid out as
    write_manifest lays it out, one file a line: read a line at a time, in a
    third of the memory that a JSON document of 100k files takes."""
    at = len(_HEAD) + len(_DIGEST_PLACEHOLDER) + len(_FILES)
    end = len(data) - len(_END)
    for match in re.compile(_LINE_PATTERN).finditer(data, at, end):  # re caches the compiled pattern
        if match.start() != at or (match.group(4) == b",") == (match.end() == end):
            break
        at = match.end()
        path = match.group(1)
        yield (json.loads(b'"' + path + b'"') if b"\\" in path else path.decode()), \
            match.group(2).decode(), int(match.group(3))
    if at != end:
        line = data.count(b"\n", 0, at) + 2
        raise ManifestError(f"line {line} is not a file's line as dumb-pypi writes it")


def _is_ours(data: bytes) -> bool:
    digest_end = len(_HEAD) + len(_DIGEST_PLACEHOLDER)
    return data.startswith(_HEAD) and data.startswith(_FILES, digest_end) and data.endswith(_END) and \
        len(data) >= digest_end + len(_FILES) + len(_END)


def _json_document(data: bytes) -> dict[str, Any]:
    """Any other layout of a manifest: the JSON document, its shape checked."""
    try:
        document: Any = json.loads(data)
    except ValueError as error:
        raise ManifestError(f"not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != _FORMAT or \
            not isinstance(document.get("files"), dict):
        raise ManifestError("not a dumb-pypi manifest (expected format 1 with a 'files' object)")
    return document


def _json_entries(document: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for path, info in document["files"].items():
        yield path, info.get("sha256") if isinstance(info, dict) else None, \
            info.get("size") if isinstance(info, dict) else None


def parse_manifest(data: bytes) -> tuple[Manifest, str]:
    """The files and the root digest of manifest.json's bytes, checked: paths
    plain and relative, entries complete, the root digest adds up."""
    entries: Iterator[tuple[str, Any, Any]]
    written: object
    if _is_ours(data):
        entries, written = _our_lines(data), root_digest_in(data)
    else:
        document = _json_document(data)
        entries, written = _json_entries(document), document.get("root_digest")
    files: Manifest = {}
    for path, sha256, size in entries:
        check_path(path)
        if path == MANIFEST_NAME:
            raise ManifestError(f"lists {MANIFEST_NAME} itself")
        if not isinstance(sha256, str) or len(sha256) != 64 or not isinstance(size, int) or size < 0:
            raise ManifestError(f"entry {path!r} needs a 64-hex 'sha256' and an integer 'size'")
        try:
            files[path] = make_entry(bytes.fromhex(sha256), size)
        except ValueError:
            raise ManifestError(f"entry {path!r}: sha256 {sha256!r} is not hexadecimal") from None
    digest = root_digest(files)
    if written != digest:
        raise ManifestError(f"root_digest {written!r} does not match its files ({digest})")
    return files, digest


def check_path(path: str) -> None:
    """Refuse a path that is not plain, relative and '/'-separated (a tree's paths are)."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\\" in path or "\0" in path or \
            any(part in ("", ".", "..") for part in parts):
        raise ManifestError(f"unsafe path {path!r} (absolute, empty part, '.', '..' or backslash)")


def read_manifest(directory: str) -> Manifest | None:
    """The files of the manifest of a tree this module wrote, or None (none, or not one of ours)."""
    try:
        with open(os.path.join(directory, MANIFEST_NAME), "rb") as f:
            return parse_manifest(f.read())[0]
    except (OSError, ManifestError):
        return None


def root_digest_in(data: bytes) -> str:
    """The root digest written at the head of manifest.json's bytes (not checked against the files)."""
    end = len(_HEAD) + len(_DIGEST_PLACEHOLDER)
    if not data.startswith(_HEAD) or len(data) < end or not data[len(_HEAD):end].startswith(b"sha256:"):
        raise ManifestError("not a dumb-pypi manifest (no root digest at its head)")
    return data[len(_HEAD):end].decode("ascii", "replace")


def read_root_digest(directory: str) -> str:
    """The root digest written at the head of a tree's manifest.json."""
    try:
        with open(os.path.join(directory, MANIFEST_NAME), "rb") as f:
            return root_digest_in(f.read(len(_HEAD) + len(_DIGEST_PLACEHOLDER)))
    except (OSError, ManifestError):
        raise DumbPypiError(f"{directory}/{MANIFEST_NAME}: no root digest") from None


class CachedLines(NamedTuple):
    """What a partial rebuild keeps of a manifest beside the tree (the
    state): manifest.json has the JSON lines, but not their sizes, nor the
    root digest lines, which would take parsing every line to make again."""

    root_digest: str
    digest_text: bytes | memoryview
    json_sizes: array[int]
    digest_sizes: array[int]


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
    """The manifest of the tree a partial rebuild updates: its lines, read
    where they are (mapped), never parsed as a whole."""

    def __init__(self, whole: ManifestLines) -> None:
        self.whole = whole
        self._json, self._digest = memoryview(whole.json_text), memoryview(whole.digest_text)
        self._json_starts = _Starts(whole.json_sizes)
        self._digest_starts = _Starts(whole.digest_sizes)
        self.count = len(whole.digest_sizes)

    @classmethod
    def open(cls, directory: str, cached: CachedLines) -> OldManifest | None:
        """The manifest in `directory`, if it is the one `cached` describes."""
        data = map_file(os.path.join(directory, MANIFEST_NAME), mmap.ACCESS_COPY)  # ACCESS_COPY: see below
        size = sum(cached.json_sizes)
        start = len(_HEAD) + len(_DIGEST_PLACEHOLDER) + len(_FILES)
        if size < 1 or len(data) != start + size - 1 + len(_END) or data[:len(_HEAD)] != _HEAD or \
                data[len(_HEAD):len(_HEAD) + len(_DIGEST_PLACEHOLDER)] != cached.root_digest.encode() or \
                data[-len(_END):] != _END:
            return None
        view = memoryview(data)
        view[start + size - 1] = ord(",")  # the last line's comma, back (in this process's copy only)
        return cls(ManifestLines(None, view[start:start + size], cached.digest_text, cached.json_sizes,
                                 cached.digest_sizes))

    def _line(self, line: int) -> memoryview:
        return self._digest[self._digest_starts[line]:self._digest_starts[line + 1] - 1]

    def path(self, line: int) -> str:
        return _digest_line_path(self._line(line))

    def entry(self, line: int) -> Entry:
        sha256, size, _ = bytes(self._line(line)).split(b" ", 2)
        return make_entry(bytes.fromhex(sha256.decode()), int(size))

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

    def entries(self, spans: Iterable[tuple[int, int]]) -> Manifest:
        return {self.path(line): self.entry(line) for low, high in spans for line in range(low, high)}

    def _lines(self, low: int, high: int) -> ManifestLines:
        whole, json_at, digest_at = self.whole, self._json_starts, self._digest_starts
        return ManifestLines(None, self._json[json_at[low]:json_at[high]], self._digest[digest_at[low]:digest_at[high]],
                             whole.json_sizes[low:high], whole.digest_sizes[low:high])

    def merge(self, replaced: list[tuple[int, int]], files: Manifest) -> Iterator[ManifestLines]:
        """The lines outside the `replaced` spans, merged with those of
        `files` (none of whose paths is kept), in path order."""
        kept = []
        start = 0
        for low, high in sorted(replaced):
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
                    yield lines_of(files, new[first:done])
                cut = places[done] if done < len(new) and places[done] < high else high
                yield self._lines(low, cut)
                low = cut
        if done < len(new):
            yield lines_of(files, new[done:])
