"""Package lists: one filename per line, or one JSON object per line (dumb-pypi 1.15's inputs)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.inputs.refusals import Refuse
from dumb_pypi.records import Record, record_from_filename, record_from_json

__all__ = ["list_lines", "parse_lines", "read_list"]


def read_list(path: str) -> bytes:
    """The text of `path` ("-": standard input), checked to be UTF-8."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
        if not data.isascii():
            data.decode("utf-8")
    except OSError as ex:
        raise DumbPypiError(f"cannot read {path}: {ex.strerror or ex}") from None
    except UnicodeDecodeError as ex:
        raise DumbPypiError(f"{path} is not UTF-8 text: {ex}") from None
    return data


def list_lines(text: bytes) -> list[str]:
    """The lines of a list's text (from read_list()), without line endings.
    (incremental.linediff.is_plain() tells when splitting at "\\n" gives the same lines.)"""
    return text.decode("utf-8").splitlines()


def parse_lines(path: str, numbered: Iterable[tuple[int, str]], refuse: Refuse, *,
                json_lines: bool) -> Iterator[tuple[int, Record]]:
    """(line number, record) for each line of the list at `path` (`json_lines`:
    a JSON-lines list) given as (line number, text); blank lines are skipped."""
    source = "<stdin>" if path == "-" else path
    for number, line in numbered:
        if not line.strip():
            continue
        if not json_lines:
            try:
                # No origin kept: a bare filename cannot conflict with itself, and
                # 70k origin strings would cost memory for nothing.
                yield number, record_from_filename(line)
            except DumbPypiError as ex:
                refuse(f"{source}:{number} ({line!r})", str(ex))
            continue
        try:
            data = json.loads(line)
        except ValueError as ex:
            refuse(f"{source}:{number}", f"malformed JSON: {ex}")
            continue
        try:
            yield number, record_from_json(data, origin=f"{source}:{number}")
        except DumbPypiError as ex:
            shown = data.get("filename") if isinstance(data, dict) else None
            refuse(f"{source}:{number}" + (f" ({shown!r})" if isinstance(shown, str) else ""), str(ex))
