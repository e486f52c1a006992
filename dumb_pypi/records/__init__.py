"""Record: everything the index says about one distribution file.

A record's JSON form is a superset of a dumb-pypi 1.15 `--package-list-json`
line, so JSON lines, `dumb-pypi record` output and `packages.json` are
interchangeable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from dumb_pypi.errors import InvalidFilename, InvalidInput
from dumb_pypi.records.filenames import canonical_name, parse_filename, split_at_name

__all__ = [
    "HASH_ALGORITHMS", "Record", "check_filename", "record_from_filename", "record_from_json", "record_to_json",
    "required_project", "required_projects",
]

# The algorithms pip and uv both accept in a URL fragment; uv rejects others.
HASH_ALGORITHMS = frozenset(("md5", "sha256", "sha384", "sha512", "blake2b"))
# Characters that can never be part of a file name we link to or write.
_FORBIDDEN_RE = re.compile(r"[/\\\x00-\x1f\x7f]")


class Record(NamedTuple):
    filename: str
    name: str  # PEP 503 canonical project name
    version: str | None  # None when the filename carries none (a few legacy files)
    packagetype: str  # sdist, bdist_wheel, bdist_egg, ...
    hash: str | None = None  # "algo=hexdigest"
    size: int | None = None
    requires_python: str | None = None
    requires_dist: tuple[str, ...] | None = None
    summary: str | None = None
    core_metadata: str | None = None  # PEP 658 value: "sha256=<hex>" (or dumb-pypi's pass-through)
    metadata: str | None = None  # the core metadata text itself, for the .metadata sidecar
    upload_timestamp: int | None = None
    uploaded_by: str | None = None
    yanked_reason: str | None = None  # None: not yanked; "": yanked without a reason
    path: str | None = None  # where the file's bytes are, when we have them; never published
    origin: str | None = None  # the input this came from, for error messages

    @property
    def sha256(self) -> str | None:
        if self.hash and self.hash.startswith("sha256="):
            return self.hash[7:]
        return None

    @property
    def is_wheel(self) -> bool:
        return self.packagetype == "bdist_wheel"


def check_filename(filename: str) -> None:
    """Refuse names that could escape a directory or break a link."""
    if not filename or filename in (".", ".."):
        raise InvalidFilename("empty file name")
    if _FORBIDDEN_RE.search(filename):
        raise InvalidFilename("a file name may not contain '/', '\\' or control characters")
    if len(filename.encode("utf-8", "surrogateescape")) > 255:
        raise InvalidFilename("file name is longer than 255 bytes")


# One string object per distinct version: "1.0.0" is shared by thousands of files.
_versions: dict[str, str] = {}


def record_from_filename(filename: str, *, metadata_name: str | None = None, **fields: Any) -> Record:
    """A record for `filename`; name and version are read from the filename
    (where its project's name has dashes, `metadata_name` says where it ends)."""
    check_filename(filename)
    parsed = parse_filename(filename)
    if metadata_name is not None and canonical_name(parsed.name) != canonical_name(metadata_name):
        parsed = split_at_name(filename, metadata_name) or parsed
    version = parsed.version
    if version is not None:
        version = _versions.setdefault(version, version)
    return Record(filename, canonical_name(parsed.name), version, parsed.packagetype, **fields)


# JSON key -> (expected type, Record field). `name`/`version` in a record are
# the metadata's spelling; the index uses the filename's (`name` only says
# where a name with dashes ends).
_STR = (str,)
_JSON_FIELDS: dict[str, tuple[tuple[type, ...], str | None]] = {
    "filename": (_STR, None),
    "hash": (_STR, "hash"),
    "size": ((int,), "size"),
    "requires_python": (_STR, "requires_python"),
    "requires_dist": ((list,), "requires_dist"),
    "summary": (_STR, "summary"),
    "core_metadata": (_STR, "core_metadata"),
    "metadata": (_STR, "metadata"),
    "upload_timestamp": ((int,), "upload_timestamp"),
    "uploaded_by": (_STR, "uploaded_by"),
    "yanked_reason": (_STR, "yanked_reason"),
    "yanked": ((bool,), None),
    "name": (_STR, None),
    "version": (_STR, None),
}


def _check_hash(value: str) -> str:
    algorithm, sep, digest = value.partition("=")
    if not sep or not digest:
        raise InvalidInput(f"hash {value!r} is not of the form 'algorithm=hexdigest'")
    if algorithm not in HASH_ALGORITHMS:
        raise InvalidInput(f"hash algorithm {algorithm!r} is not one pip and uv accept ({', '.join(sorted(HASH_ALGORITHMS))})")
    if not all(c in "0123456789abcdef" for c in digest.lower()):
        raise InvalidInput(f"hash digest {digest!r} is not hexadecimal")
    return f"{algorithm}={digest.lower()}"


def record_from_json(data: Any, *, origin: str | None = None, path: str | None = None) -> Record:
    """Validate one JSON object (a JSON line or a record file) into a Record."""
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object")
    fields: dict[str, Any] = {}
    for key, value in data.items():
        spec = _JSON_FIELDS.get(key)
        if spec is None:
            raise InvalidInput(f"unknown key {key!r}")
        types, field = spec
        if value is None:
            continue
        # bool is an int subclass; a size of `true` is still wrong.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise InvalidInput(f"{key!r} must be {' or '.join(t.__name__ for t in types)}, not {type(value).__name__}")
        if field is not None:
            fields[field] = value
    filename = data.get("filename")
    if not isinstance(filename, str):
        raise InvalidInput("missing 'filename'")
    if "hash" in fields:
        fields["hash"] = _check_hash(fields["hash"])
    if "requires_dist" in fields:
        if not all(isinstance(item, str) for item in fields["requires_dist"]):
            raise InvalidInput("'requires_dist' must be a list of strings")
        fields["requires_dist"] = tuple(fields["requires_dist"])
    if fields.get("size", 0) < 0:
        raise InvalidInput("'size' must not be negative")
    # dumb-pypi 1.15: an empty yanked_reason means "not yanked"; `"yanked": true`
    # yanks without a reason.
    if not fields.get("yanked_reason"):
        fields["yanked_reason"] = "" if data.get("yanked") is True else None
    elif data.get("yanked") is False:
        raise InvalidInput("'yanked' is false but 'yanked_reason' is set")
    name = data.get("name")
    return record_from_filename(filename, metadata_name=name if isinstance(name, str) else None, path=path,
                                origin=origin, **fields)


def record_to_json(record: Record, *, include_metadata: bool = True) -> dict[str, Any]:
    """The JSON form of a record; only set fields, in a fixed key order."""
    out: dict[str, Any] = {"filename": record.filename}
    if "-" in (record.version or "") and canonical_name(parse_filename(record.filename).name) != record.name:
        out["name"] = record.name  # the filename alone would not say where the name ends
    for key in ("hash", "size", "requires_python", "requires_dist", "summary", "core_metadata",
                "upload_timestamp", "uploaded_by"):
        value = getattr(record, key)
        if value is not None:
            out[key] = list(value) if key == "requires_dist" else value
    if record.yanked_reason is not None:
        if record.yanked_reason:
            out["yanked_reason"] = record.yanked_reason
        else:
            out["yanked"] = True
    if include_metadata and record.metadata is not None:
        out["metadata"] = record.metadata
    return out


def required_project(requirement: str) -> str | None:
    """The project a Requires-Dist value names ("Foo[x] >= 1; python_version < '3'": "foo"), if any."""
    name = requirement.split(";")[0]
    for stop in "[(<>=!~ @":
        name = name.split(stop)[0]
    try:
        return canonical_name(name.strip()) if name.strip() else None
    except ValueError:
        return None


def required_projects(requirements: Iterable[str]) -> list[str]:
    """The projects `requirements` name, canonical, sorted."""
    return sorted({name for name in map(required_project, requirements) if name})
