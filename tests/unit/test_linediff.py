"""linediff: comparing two package lists as bytes gives what comparing their
lines one by one gives, whatever the edit and wherever it is."""

from __future__ import annotations

import random
from array import array

import pytest

from dumb_pypi.incremental import linediff
from dumb_pypi.incremental.linediff import KEY_TYPE, ListLines


def _listing(lines: list[str], ending: str = "\n", last_break: bool = True) -> ListLines:
    """A list as a build leaves it: each line keyed by its first word (its "project")."""
    text = ending.join(lines) + (ending if lines and last_break else "")
    listing = linediff.listing(text.encode())
    assert listing is not None
    for i, line in enumerate(lines):
        listing.keys[i] = linediff.project_key(line.split("-")[0]) if line else 0
    return listing


def _line(rng: random.Random) -> str:
    # Some lines end with the whole of others ("pp1-2.zip", "p1-2.zip"): a
    # difference just before a line break must not make two lines one.
    return f"{'p' * rng.randint(1, 3)}{rng.randint(0, 3)}-{rng.randint(0, 9)}.{rng.choice(['zip', 'tar.gz'])}"


def _edit(rng: random.Random, lines: list[str]) -> list[str]:
    new = list(lines)
    for _ in range(rng.randint(0, 4)):
        where = rng.randint(0, len(new))
        kind = rng.choice(["insert", "delete", "replace", "repeat", "move"])
        if kind == "insert" or not new:
            new.insert(where, _line(rng))
        elif kind == "delete":
            del new[min(where, len(new) - 1)]
        elif kind == "replace":
            new[min(where, len(new) - 1)] = _line(rng)
        elif kind == "repeat":
            new.insert(where, rng.choice(new))
        else:
            new.insert(where, new.pop(rng.randrange(len(new))))
    return new


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("last_break", [True, False])
def test_diff_agrees_with_comparing_lines(ending: str, last_break: bool) -> None:
    rng = random.Random(f"{ending!r} {last_break}")
    for _ in range(1000):
        old_lines = [_line(rng) for _ in range(rng.randint(0, 30))]
        new_lines = _edit(rng, old_lines)
        old = _listing(old_lines, ending, last_break)
        text = (ending.join(new_lines) + (ending if new_lines and last_break else "")).encode()
        change = linediff.diff(old, text)
        assert change is not None
        new = change.new
        assert new.text == text
        assert new.sizes == linediff.line_sizes(text) and sum(new.sizes) == len(text)
        assert len(new.keys) == len(new_lines)
        # Every line that is gone or new is named (and a few more may be, never fewer).
        assert set(old_lines) - set(new_lines) <= set(change.gone) <= set(old_lines)
        assert set(new_lines) - set(old_lines) <= set(change.added) <= set(new_lines)
        keys = dict(zip(old_lines, old.keys))
        for line, key in zip(new_lines, new.keys):
            # A line keeps its key, or it is named as added and is to be read again.
            assert key == keys.get(line) or (key == 0 and line in change.added), (old_lines, new_lines)
        every = list(range(len(new_lines)))
        assert list(linediff.lines_at(new, every)) == list(enumerate(new_lines, 1))


def test_only_lines_between_the_first_and_last_difference_are_compared() -> None:
    old = _listing([f"p{i}-1.0.tar.gz" for i in range(1000)])
    new_lines = [f"p{i}-1.0.tar.gz" for i in range(1000)]
    new_lines[10:10] = ["q-1.0.tar.gz"]
    change = linediff.diff(old, ("\n".join(new_lines) + "\n").encode())
    assert change is not None
    assert change.added == ["q-1.0.tar.gz"] and change.gone == []
    assert list(change.new.keys).count(0) == 1 and change.new.keys[10] == 0


def test_line_sizes_count_the_line_breaks() -> None:
    assert list(linediff.line_sizes(b"ab\nc\r\n\nd")) == [3, 3, 1, 1]
    assert list(linediff.line_sizes(b"ab\n")) == [3]
    assert list(linediff.line_sizes(b"")) == []


def test_a_state_that_does_not_match_its_text_is_refused() -> None:
    old = _listing(["a-1.0.tar.gz", "b-1.0.tar.gz"])
    damaged = ListLines(old.text, array(KEY_TYPE, [1]), array(KEY_TYPE, [13]))
    assert linediff.diff(damaged, b"a-1.0.tar.gz\nb-2.0.tar.gz\n") is None


@pytest.mark.parametrize(("text", "plain"), [
    (b"a\nb\n", True), (b"a\r\nb", True), ("caf\u00e9\n".encode(), True), (b"", True),
    (b"a\rb\n", False), (b"a\x0cb\n", False), (b"a\x1eb", False), ("a\u2028b\n".encode(), False),
    ("a\x85b".encode(), False),
])
def test_plain_lists_are_the_ones_split_at_line_feeds(text: bytes, plain: bool) -> None:
    assert linediff.is_plain(text) == plain
    if plain:
        listing = linediff.listing(text)
        assert listing is not None
        assert [line for _, line in linediff.lines_at(listing, range(len(listing.sizes)))] == \
            text.decode().splitlines()
    else:
        assert linediff.listing(text) is None


def test_positions_finds_whole_keys_only() -> None:
    # 0x01000000 then 0x00000001: the bytes of key 1 also appear across the two.
    keys = array(KEY_TYPE, [0x01000000, 1, 7, 1, 0, 0])
    assert linediff.positions(keys, {1}) == [1, 3]
    assert linediff.positions(keys, {0}) == [4, 5]
    assert linediff.positions(keys, {7, 0}) == [2, 4, 5]
    many = set(range(100, 200)) | {7}
    assert linediff.positions(keys, many) == [2]


def test_keys_are_set_and_cleared() -> None:
    listing = _listing(["a-1.0.tar.gz", "b-1.0.tar.gz", "a-2.0.tar.gz"])
    keys = array(KEY_TYPE, bytes(len(listing.keys) * listing.keys.itemsize))

    class Named:  # what set_keys() reads of a record
        def __init__(self, name: str) -> None:
            self.name = name

    named = [(1, Named("a")), (2, Named("b")), (3, Named("a"))]
    assert [r.name for r in linediff.set_keys(keys, named)] == ["a", "b", "a"]  # type: ignore[arg-type]
    assert keys == listing.keys
    linediff.clear_keys(keys, ["a"])
    assert list(keys) == [0, linediff.project_key("b"), 0]


def test_common_length_is_exact() -> None:
    # Across 64 KiB blocks: the bytes before the first difference (or after the last).
    rng = random.Random(3)
    for size in (0, 1, 2, 100, 65535, 65536, 65537, 200_000):
        for _ in range(4):
            a = rng.randbytes(size)
            flipped = bytearray(a)
            if size:
                flipped[rng.randrange(size)] ^= 0xFF
            b = bytes(flipped) + rng.choice([b"", b"x"])
            limit = min(len(a), len(b))
            prefix = next((i for i in range(limit) if a[i] != b[i]), limit)
            suffix = next((i for i in range(limit) if a[-1 - i] != b[-1 - i]), limit)
            assert linediff._common_length(a, b, limit) == prefix
            assert linediff._common_length(a, b, limit, from_end=True) == suffix
