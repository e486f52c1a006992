"""Read every kind of input into Records.

Inputs: a package list (one filename per line), JSON lines, real files (paths
and `--package-dir`), and record lists written by the Bazel and Pants rules.
An input that cannot be indexed is passed to `refuse(origin, reason)` and the
rest go on; the caller decides whether a refusal is fatal.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dumb_pypi.errors import DumbPypiError, InvalidInput
from dumb_pypi.records import Record, check_filename, record_from_filename, record_from_json

__all__ = ["DIST_SUFFIXES", "Refuse", "list_lines", "package_files", "package_list", "package_list_json", "parse_lines",
           "read_lines", "read_list", "record_list"]

Refuse = Callable[[str, str], None]

# What --package-dir picks up; anything else there is not a distribution.
DIST_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".egg", ".exe", ".msi", ".rpm", ".dmg")
_INSPECTABLE = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip")


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
    (linediff.is_plain() tells when splitting at "\n" gives the same lines.)"""
    return text.decode("utf-8").splitlines()


def read_lines(path: str) -> list[str]:
    """The lines of `path` ("-": standard input), without line endings."""
    return list_lines(read_list(path))


def _display(path: str) -> str:
    return "<stdin>" if path == "-" else path


def package_list(path: str, refuse: Refuse, lines: list[str] | None = None) -> Iterator[Record]:
    """One filename per line; blank lines are skipped."""
    lines = read_lines(path) if lines is None else lines
    return (record for _, record in parse_lines(path, enumerate(lines, 1), refuse, json_lines=False))


def package_list_json(path: str, refuse: Refuse, lines: list[str] | None = None) -> Iterator[Record]:
    """One JSON object per line, with dumb-pypi 1.15's keys (and ours)."""
    lines = read_lines(path) if lines is None else lines
    return (record for _, record in parse_lines(path, enumerate(lines, 1), refuse, json_lines=True))


def parse_lines(path: str, numbered: Iterable[tuple[int, str]], refuse: Refuse, *,
                json_lines: bool) -> Iterator[tuple[int, Record]]:
    """(line number, record) for each line of a package list (`json_lines`:
    a JSON-lines list) given as (line number, text); blank lines are skipped."""
    source = _display(path)
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


def _file_record(path: str, refuse: Refuse, origin: str | None = None, **fields: Any) -> Record | None:
    from dumb_pypi import inspect  # zipfile, tarfile, email: not needed for package lists

    origin = origin or path
    try:
        filename = os.path.basename(path)
        if filename.lower().endswith(_INSPECTABLE):
            return inspect.inspect_file(path, origin=origin, **fields)
        # Legacy formats (eggs, installers) carry no metadata we can trust, but
        # they are still distribution files: index them by name, hash and size.
        check_filename(filename)
        sha256, size = inspect.sha256_and_size(path)
        return record_from_filename(filename, hash=f"sha256={sha256}", size=size, path=path, origin=origin, **fields)
    except OSError as ex:
        refuse(origin, ex.strerror or str(ex))
    except DumbPypiError as ex:
        refuse(origin, str(ex))
    return None


def package_files(paths: list[str], directories: list[str], refuse: Refuse) -> Iterator[Record]:
    """Real files: the given paths, and every distribution file in the directories."""
    for path in paths:
        if not os.path.isfile(path):
            refuse(path, "no such file")
            continue
        record = _file_record(path, refuse)
        if record is not None:
            yield record
    for directory in directories:
        if not os.path.isdir(directory):
            raise DumbPypiError(f"--package-dir {directory}: no such directory")
        for root, dirs, files in os.walk(directory):
            dirs.sort()
            for name in sorted(files):
                if name.startswith(".") or name.endswith(".metadata"):
                    continue
                path = os.path.join(root, name)
                if not name.lower().endswith(DIST_SUFFIXES):
                    refuse(path, "not a distribution file (unknown extension)")
                    continue
                record = _file_record(path, refuse)
                if record is not None:
                    yield record


def record_list(path: str, refuse: Refuse) -> Iterator[Record]:
    """The build systems' input: a JSON array of {"record", "file", "origin"}."""
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as ex:
        raise DumbPypiError(f"cannot read {path}: {ex.strerror or ex}") from None
    except ValueError as ex:
        raise DumbPypiError(f"{path}: malformed JSON: {ex}") from None
    if not isinstance(entries, list):
        raise DumbPypiError(f"{path}: expected a JSON array of records")
    for index, entry in enumerate(entries):
        origin = f"{path}[{index}]"
        try:
            if not isinstance(entry, dict) or not isinstance(entry.get("record"), str):
                raise InvalidInput("expected an object with a 'record' path")
            origin = entry.get("origin") or entry["record"]
            file_path = entry.get("file")
            if file_path is not None and not isinstance(file_path, str):
                raise InvalidInput("'file' must be a path or null")
            with open(entry["record"], encoding="utf-8") as f:
                data = json.load(f)
            record = record_from_json(data, origin=origin, path=file_path)
            if file_path is not None and os.path.basename(file_path) != record.filename:
                raise InvalidInput(f"record is for {record.filename} but the file is {os.path.basename(file_path)}")
            yield record
        except OSError as ex:
            refuse(origin, ex.strerror or str(ex))
        except ValueError as ex:  # InvalidInput and malformed JSON alike
            refuse(origin, str(ex))
