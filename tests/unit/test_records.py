"""Record JSON: a superset of dumb-pypi 1.15's JSON line, validated strictly."""

from __future__ import annotations

from typing import Any

import pytest

from dumb_pypi.errors import InvalidInput
from dumb_pypi.records import record_from_json, record_to_json

RICH: dict[str, Any] = {
    "filename": "Greet-1.2.0-py3-none-any.whl", "hash": "sha256=" + "ab" * 32, "size": 1234,
    "requires_python": ">=3.9", "requires_dist": ["packaging>=21"], "summary": "Hi", "core_metadata": "sha256=" + "cd" * 32,
    "upload_timestamp": 1700000000, "uploaded_by": "ci", "yanked_reason": "broken", "metadata": "Name: greet\n",
}


def test_round_trip() -> None:
    record = record_from_json(RICH)
    assert (record.name, record.version, record.packagetype) == ("greet", "1.2.0", "bdist_wheel")
    assert record_to_json(record) == RICH
    assert record_from_json(record_to_json(record)) == record
    assert "metadata" not in record_to_json(record, include_metadata=False)


@pytest.mark.parametrize(("line", "yanked_reason"), [
    ({}, None), ({"yanked_reason": ""}, None),  # 1.15: an empty reason is not a yank
    ({"yanked_reason": None}, None), ({"yanked": True}, ""), ({"yanked": False}, None),
    ({"yanked": True, "yanked_reason": "bad"}, "bad"),
])
def test_yanked_as_in_1_15(line: dict[str, Any], yanked_reason: str | None) -> None:
    record = record_from_json({"filename": "a-1.0.tar.gz", **line})
    assert record.yanked_reason == yanked_reason
    assert record_from_json(record_to_json(record)).yanked_reason == yanked_reason


def test_name_and_version_keys_do_not_move_a_file() -> None:
    # Only the filename decides the simple/ path, as in 1.15.
    record = record_from_json({"filename": "a-1.0.tar.gz", "name": "other", "version": "9"})
    assert (record.name, record.version) == ("a", "1.0")


def test_hash_is_normalised() -> None:
    assert record_from_json({"filename": "a-1.0.tar.gz", "hash": "sha256=" + "AB" * 32}).hash == "sha256=" + "ab" * 32


@pytest.mark.parametrize("line", [
    [], "a-1.0.tar.gz", {}, {"filename": 3}, {"filename": "a-1.0.tar.gz", "hash": "sha1=" + "ab" * 20},
    {"filename": "a-1.0.tar.gz", "hash": "sha256"}, {"filename": "a-1.0.tar.gz", "hash": "sha256=xyz"},
    {"filename": "a-1.0.tar.gz", "size": True}, {"filename": "a-1.0.tar.gz", "size": -1},
    {"filename": "a-1.0.tar.gz", "size": 1.5}, {"filename": "a-1.0.tar.gz", "requires_dist": "x"},
    {"filename": "a-1.0.tar.gz", "requires_dist": [1]}, {"filename": "a-1.0.tar.gz", "typo": 1},
    {"filename": "a-1.0.tar.gz", "yanked": False, "yanked_reason": "x"},
    {"filename": "a-1.0.tar.gz", "upload_timestamp": "yesterday"},
])
def test_invalid_lines(line: Any) -> None:
    with pytest.raises(InvalidInput):
        record_from_json(line)
