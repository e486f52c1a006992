"""Which lines of a package list changed since the last build.

The state keeps the list a tree was built from as bytes, with two numbers
per line: its size, and the key of the project it named (0: none, or a
project whose lines are read again at every build: refused lines and the
lines of projects with conflicting files). A partial rebuild compares the
new list with the old one as bytes: the lines before the first difference
and after the last one are the same lines, and are never split, decoded or
parsed. Only the lines in between are compared one by one; every line of a
project that changed there is then found by its key and read again.

Keys are 32-bit hashes of project names. Two projects may share one: then
both are read again whenever either changes, which costs time, never output.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from dumb_pypi.records import Record

__all__ = ["KEY_TYPE", "ListDiff", "ListLines", "clear_keys", "diff", "is_plain", "line_sizes", "lines_at", "listing",
           "positions", "project_key", "project_lines", "set_keys"]

KEY_TYPE = "I"  # array type of keys and sizes: 32 bits
_KEY_BYTES = array(KEY_TYPE).itemsize


class ListLines(NamedTuple):
    """A package list as the state keeps it."""

    text: bytes
    keys: array[int]  # per line: project_key() of the project it names, or 0
    sizes: array[int]  # per line: its size in bytes, line break included


class ListDiff(NamedTuple):
    gone: list[str]  # lines of the old list that the new one does not have
    added: list[str]  # lines of the new list that the old one does not have
    new: ListLines  # the new list; the keys of added lines are 0


def project_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=_KEY_BYTES).digest(), "little") or 1


def is_plain(text: bytes) -> bool:
    """Whether the lines of `text` are the ones inputs.list_lines() gives
    (str.splitlines()) when only "\\n" is looked for (and a "\\r" before it
    dropped): no other line break."""
    if b"\r" in text and text.count(b"\r") != text.count(b"\r\n"):
        return False
    if any(byte in text for byte in (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e")):
        return False
    return text.isascii() or not any(byte in text for byte in ("\x85".encode(), "\u2028".encode(), "\u2029".encode()))


def line_sizes(text: bytes) -> array[int]:
    """The size of each line of `text` (a plain one), line break included."""
    parts = text.split(b"\n")
    sizes = array(KEY_TYPE, [len(part) + 1 for part in parts])
    if parts[-1]:
        sizes[-1] -= 1  # the last line has no line break
    else:
        sizes.pop()
    return sizes


def listing(text: bytes) -> ListLines | None:
    """`text` as the state keeps it (keys all 0 for now), if it is plain."""
    if not is_plain(text):
        return None
    sizes = line_sizes(text)
    return ListLines(text, array(KEY_TYPE, bytes(len(sizes) * _KEY_BYTES)), sizes)


def _common_length(a: bytes, b: bytes, limit: int, from_end: bool = False) -> int:
    """How many bytes (at most `limit`) `a` and `b` start with in common, or
    end with (`from_end`): blocks compared, then halves of the first block that differs."""

    def same(low: int, high: int) -> bool:  # bytes low..high-1, counted from the start or from the end
        if from_end:
            return a[len(a) - high:len(a) - low] == b[len(b) - high:len(b) - low]
        return a[low:high] == b[low:high]

    low, high = 0, limit
    block = 1 << 16
    while low + block <= high and same(low, low + block):
        low += block
    high = min(high, low + block)
    while low < high:  # `low` bytes agree; they differ before `high`, if anywhere
        middle = (low + high + 1) // 2
        if same(low, middle):
            low = middle
        else:
            high = middle - 1
    return low


def diff(old: ListLines, text: bytes) -> ListDiff | None:
    """How `text` (a plain list, valid UTF-8) differs from `old`; None if
    `old` does not describe its text (a damaged state)."""
    a, b = old.text, text
    start = a.rfind(b"\n", 0, _common_length(a, b, min(len(a), len(b)))) + 1  # the first line that may differ
    same_end = _common_length(a, b, min(len(a), len(b)) - start, from_end=True)
    # The first line that starts after a line break both texts end with.
    end = (a.find(b"\n", len(a) - same_end) + 1 or len(a)) if same_end else len(a)
    shift = len(b) - len(a)
    first = a.count(b"\n", 0, start)
    old_middle = a[start:end].decode("utf-8").splitlines()
    new_text = b[start:end + shift]
    new_middle = new_text.decode("utf-8").splitlines()
    stop = first + len(old_middle)
    if not len(old.keys) == len(old.sizes) >= stop:
        return None
    known = dict(zip(old_middle, old.keys[first:stop]))  # equal lines name the same project
    still = set(new_middle)
    keys = old.keys[:first]
    keys.extend(array(KEY_TYPE, [known.get(line, 0) for line in new_middle]))
    keys.extend(old.keys[stop:])
    sizes = old.sizes[:first]
    sizes.extend(line_sizes(new_text))
    sizes.extend(old.sizes[stop:])
    return ListDiff([line for line in old_middle if line not in still],
                    [line for line in new_middle if line not in known], ListLines(b, keys, sizes))


def positions(keys: array[int], wanted: set[int]) -> list[int]:
    """The lines (0-based, in order) whose key is in `wanted`."""
    if len(wanted) > 64:
        return [i for i, key in enumerate(keys) if key in wanted]
    return _search(keys.tobytes(), wanted)


def _search(raw: bytes, wanted: set[int], limit: int | None = None) -> list[int]:
    """positions() in the keys' bytes; with `limit`: the first `limit` of them (one key wanted)."""
    found: list[int] = []
    for key in wanted:  # each a search in C over the keys' bytes
        pattern = key.to_bytes(_KEY_BYTES, sys.byteorder)
        at = raw.find(pattern)
        while at >= 0:
            if at % _KEY_BYTES:  # across two keys
                at = raw.find(pattern, at + 1)
                continue
            found.append(at // _KEY_BYTES)
            if len(found) == limit:
                break
            at = raw.find(pattern, at + _KEY_BYTES)
    found.sort()
    return found


def lines_at(listing: ListLines, wanted: Sequence[int]) -> Iterator[tuple[int, str]]:
    """(line number, line) of the `wanted` lines (0-based, in order)."""
    text, sizes = listing.text, listing.sizes
    offset = done = 0
    for i in wanted:
        offset += sum(sizes[done:i])
        done = i
        line = text[offset:offset + sizes[i]]
        if line.endswith(b"\n"):
            line = line[:-2] if line.endswith(b"\r\n") else line[:-1]
        yield i + 1, line.decode("utf-8")


def project_lines(listing: ListLines) -> Callable[[str, int | None], Iterator[tuple[int, str]]]:
    """For a list whose keys are set: a function that gives the (line number,
    line) of a project's lines (and of any project that shares its key), the
    first `limit` of them if not None (the search over all lines then stops early)."""
    raw = listing.keys.tobytes()  # once, for every project asked for
    return lambda name, limit: lines_at(listing, _search(raw, {project_key(name)}, limit))


def set_keys(keys: array[int], records: Iterable[tuple[int, Record]]) -> list[Record]:
    """Set the key of each line that gave a record (line number, record) to
    its project's; returns the records."""
    known: dict[str, int] = {}
    result = []
    for number, record in records:
        key = known.get(record.name)
        if key is None:
            key = known[record.name] = project_key(record.name)
        keys[number - 1] = key
        result.append(record)
    return result


def clear_keys(keys: array[int], names: Iterable[str]) -> None:
    """The lines of these projects are read again at every build."""
    for i in positions(keys, {project_key(name) for name in names}):
        keys[i] = 0
