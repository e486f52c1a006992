"""Record lists: what the Bazel and Pants rules give the index step."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

from dumb_pypi.errors import DumbPypiError, InvalidInput
from dumb_pypi.inputs.refusals import Refuse
from dumb_pypi.records import Record, record_from_json

__all__ = ["record_list"]


def record_list(path: str, refuse: Refuse) -> Iterator[Record]:
    """The records of a JSON array of {"record": PATH, "file": PATH or null, "origin": LABEL}."""
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
