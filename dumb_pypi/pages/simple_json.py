"""PEP 691 JSON pages at api-version 1.4 (PEP 700 versions, size, upload-time;
PEP 714 core-metadata; PEP 592 yanked; PEP 792 project status)."""

from __future__ import annotations

import time
from typing import Any

from dumb_pypi.encoding import dumps
from dumb_pypi.projects import Project
from dumb_pypi.records import Record

__all__ = ["API_VERSION", "project_page", "root_page", "upload_time"]

API_VERSION = "1.4"
# PEP 700 made `size` mandatory; a page with a file of unknown size (a plain
# package list) honestly says 1.0, which has no such field.
_API_VERSION_WITHOUT_SIZES = "1.0"


def upload_time(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def root_page(names: list[str]) -> str:
    return dumps({"meta": {"api-version": API_VERSION}, "projects": [{"name": name} for name in names]})


def _metadata_value(core_metadata: str) -> Any:
    algorithm, sep, digest = core_metadata.partition("=")
    return {algorithm: digest} if sep else True


def file_entry(record: Record, url: str) -> dict[str, Any]:
    algorithm, _, digest = (record.hash or "").partition("=")
    entry: dict[str, Any] = {
        "filename": record.filename,
        "url": url,
        "hashes": {algorithm: digest} if digest else {},
    }
    if record.requires_python:
        entry["requires-python"] = record.requires_python
    if record.core_metadata:
        entry["core-metadata"] = entry["dist-info-metadata"] = _metadata_value(record.core_metadata)
    entry["yanked"] = False if record.yanked_reason is None else (record.yanked_reason or True)
    if record.size is not None:
        entry["size"] = record.size
    if record.upload_timestamp is not None:
        entry["upload-time"] = upload_time(record.upload_timestamp)
    return entry


def project_page(project: Project, base: str, tails: list[str]) -> str:
    files = [file_entry(record, base + tail) for record, tail in zip(project.files, tails)]
    sized = all(record.size is not None for record in project.files)
    page: dict[str, Any] = {
        "meta": {"api-version": API_VERSION if sized else _API_VERSION_WITHOUT_SIZES},
        "name": project.name,
        "versions": project.versions,
        "files": files,
    }
    if project.status is not None:
        status: dict[str, str] = {"status": project.status.status}
        if project.status.reason:
            status["reason"] = project.status.reason
        page["project-status"] = status
    return dumps(page)
