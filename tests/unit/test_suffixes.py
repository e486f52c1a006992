"""The Bazel rules accept the distribution files `dumb-pypi record` can read:
rules/private/record.bzl spells the same suffixes as dumb_pypi/records/filenames.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dumb_pypi.records.filenames import READABLE_SUFFIXES

RECORD_BZL = Path(__file__).resolve().parents[2] / "rules" / "private" / "record.bzl"


def starlark_list(source: str, name: str) -> list[str]:
    """The value of a top-level `NAME = [...]` of string literals in a Starlark file."""
    match = re.search(rf"^{name} = (\[.*?\])$", source, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no top-level list {name} = [...]"
    value = ast.literal_eval(match.group(1))
    assert isinstance(value, list) and all(isinstance(item, str) for item in value), value
    return value


def test_starlark_list_is_read() -> None:
    source = 'load(":x.bzl", "y")\n\nNAMES = [\n    ".a",\n    ".b",  # a comment\n]\nOTHER = [".c"]\n'
    assert starlark_list(source, "NAMES") == [".a", ".b"]
    assert starlark_list(source, "OTHER") == [".c"]


def test_record_bzl_accepts_what_the_record_step_reads() -> None:
    assert starlark_list(RECORD_BZL.read_text(), "DIST_EXTENSIONS") == list(READABLE_SUFFIXES)
