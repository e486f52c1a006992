"""The legacy JSON API (/pypi/<project>/json and /pypi/<project>/<version>/json)
with the keys dumb-pypi 1.15 wrote and those poetry and pdm read."""

from __future__ import annotations

import time
from typing import Any

from dumb_pypi.encoding import dumps, json_string
from dumb_pypi.records import Record

__all__ = ["file_parts", "page", "release_files"]


def _python_version(record: Record) -> str | None:
    if record.is_wheel:
        parts = record.filename[:-4].split("-")
        return parts[-3] if len(parts) >= 5 else None
    return "source" if record.packagetype == "sdist" else None


def file_json(record: Record, url: str) -> dict[str, Any]:
    algorithm, _, digest = (record.hash or "").partition("=")
    entry: dict[str, Any] = {
        "filename": record.filename,
        "url": url,
        "packagetype": record.packagetype,
        "python_version": _python_version(record),
        "requires_python": record.requires_python,
        "digests": {algorithm: digest} if digest else {},
        "size": record.size,
        "yanked": record.yanked_reason is not None,
        "yanked_reason": record.yanked_reason or None,
    }
    if record.upload_timestamp is not None:
        moment = time.gmtime(record.upload_timestamp)
        entry["upload_time"] = time.strftime("%Y-%m-%dT%H:%M:%S", moment)
        entry["upload_time_iso_8601"] = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", moment)
    return entry


def _info(latest: Record) -> dict[str, Any]:
    return {
        "name": latest.name,
        "version": latest.version,
        "summary": latest.summary,
        "requires_dist": list(latest.requires_dist) if latest.requires_dist is not None else None,
        "requires_python": latest.requires_python,
        "platform": "UNKNOWN",
        "yanked": latest.yanked_reason is not None,
        "yanked_reason": latest.yanked_reason or None,
    }


def file_parts(record: Record) -> tuple[str, str]:
    """A file's JSON object as what comes before and after its URL: encoded once
    per file for both the project page and its release's page, whose URLs may differ."""
    entry = file_json(record, "")
    del entry["filename"], entry["url"]
    return f'{{"filename":{json_string(record.filename)},"url":', "," + dumps(entry)[1:]


def release_files(files: list[Record], base: str, tails: list[str],
                  parts: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Each version's files as JSON objects, linked from `base` (in file order)."""
    releases: dict[str, list[str]] = {}
    for record, tail, (head, rest) in zip(files, tails, parts):
        if record.version is not None:
            releases.setdefault(record.version, []).append(f"{head}{json_string(base + tail)}{rest}")
    return releases


def page(latest: Record, releases: dict[str, list[str]]) -> str:
    """A project's page (every version in `releases`), or a release's (one version):
    `latest` says what "info" describes; the files are release_files()'."""
    latest_files = releases.get(latest.version, []) if latest.version is not None else []
    release_parts = ",".join(f"{json_string(version)}:[{','.join(files)}]" for version, files in releases.items())
    return f'{{"info":{dumps(_info(latest))},"releases":{{{release_parts}}},"urls":[{",".join(latest_files)}]}}'
