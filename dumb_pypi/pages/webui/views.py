"""What the web UI's templates are given: plain values made from the records
(and, for a project page, the core metadata of its latest release)."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Container
from typing import TYPE_CHECKING, NamedTuple

from packaging.version import InvalidVersion, Version

from dumb_pypi.pages.webui import Site
from dumb_pypi.projects import Project
from dumb_pypi.records import Record, required_project

if TYPE_CHECKING:
    from email.message import Message

__all__ = [
    "ChangelogRow",
    "Columns",
    "Feed",
    "FeedEntry",
    "FileView",
    "HomeRow",
    "Install",
    "ProjectView",
    "ReleaseView",
    "Time",
    "changelog_row",
    "feed",
    "feed_uuid",
    "file_size",
    "home_row",
    "latest_file",
    "latest_release",
    "project_view",
    "utc_time",
]


class Time(NamedTuple):
    shown: str  # "2024-05-01 12:00" (the templates say UTC)
    iso: str  # "2024-05-01T12:00:00Z", for <time datetime>


def utc_time(timestamp: int | None) -> Time | None:
    """An upload time as the pages show it."""
    if timestamp is None:
        return None
    moment = time.gmtime(timestamp)
    return Time(time.strftime("%Y-%m-%d %H:%M", moment), time.strftime("%Y-%m-%dT%H:%M:%SZ", moment))


def file_size(size: int | None) -> str | None:
    if size is None:
        return None
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@functools.lru_cache(maxsize=4096)
def _is_prerelease(version: str | None) -> bool:
    try:
        return version is not None and Version(version).is_prerelease
    except InvalidVersion:  # a legacy version: final, as far as anyone can tell
        return False


def latest_release(project: Project) -> str | None:
    """The version a person wants to see as "latest": the newest final
    release with a file that is not yanked; else the newest release."""
    versions = project.versions
    usable = {record.version for record in project.files if record.yanked_reason is None}
    for version in reversed(versions):
        if version in usable and not _is_prerelease(version):
            return version
    for version in reversed(versions):
        if version in usable:
            return version
    return versions[-1] if versions else None


def latest_file(project: Project) -> Record:
    """The file of the latest release (see latest_release()) that says most
    about it: a wheel with its METADATA before an sdist, whose may be dynamic."""
    version = latest_release(project)
    files = [record for record in project.files if record.version == version] or project.files[-1:]
    return max(files, key=lambda r: (r.metadata is not None, r.is_wheel, r.summary is not None,
                                     r.requires_dist is not None))


class HomeRow(NamedTuple):
    """A project's line on the home page."""

    name: str
    version: str
    summary: str | None


class ChangelogRow(NamedTuple):
    """A file's row in the changelog."""

    filename: str
    url: str
    project: str
    version: str | None
    yanked: bool
    uploaded: Time | None
    uploaded_by: str | None


def home_row(project: Project, latest: Record) -> HomeRow:
    """`latest`: the project's latest_file()."""
    return HomeRow(project.name, latest.version or "", latest.summary)


def changelog_row(record: Record, url: str) -> ChangelogRow:
    return ChangelogRow(record.filename, url, record.name, record.version, record.yanked_reason is not None,
                        utc_time(record.upload_timestamp), record.uploaded_by)


class FeedEntry(NamedTuple):
    name: str
    version: str
    id: str  # a UUID: stable, so that a reader shows a release once however often the index is rebuilt
    updated: str
    author: str | None
    summary: str


class Feed(NamedTuple):
    entries: list[FeedEntry]  # newest first
    updated: str
    id: str


_FEED_NAMESPACE = "6f4bd1b0-0d5f-4bb4-9a43-5c3e3c0c2a51"


def feed_uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.UUID(_FEED_NAMESPACE), name))


def _iso(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def feed(releases: list[Record], site: Site) -> Feed:
    """The feed of the newest releases: the first file of each, newest first."""
    entries = []
    for record in releases:
        stamp = record.upload_timestamp if record.upload_timestamp is not None else site.epoch
        version = record.version or "unknown"
        entries.append(FeedEntry(record.name, version, feed_uuid(f"{record.name}=={record.version}"), _iso(stamp),
                                 record.uploaded_by, record.summary or f"{record.name} {version}"))
    updated = max((entry.updated for entry in entries), default=_iso(site.epoch))
    return Feed(entries, updated, feed_uuid("feed:" + site.title))


class FileView(NamedTuple):
    filename: str
    url: str
    packagetype: str
    size: str | None
    uploaded: Time | None
    uploaded_by: str | None
    hash: str | None  # "sha256=<hex>"
    hash_short: str | None  # its first 12 hex digits
    requires_python: str | None
    yanked: bool
    yanked_reason: str


class ReleaseView(NamedTuple):
    version: str
    prerelease: bool
    yanked: bool  # every file of it is
    files: list[FileView]


class Install(NamedTuple):
    index_url: str  # of the simple index: absolute, or relative to the page (the page's script completes it)
    absolute: bool
    requirement: str  # "name==version"


class Columns(NamedTuple):
    """The optional columns of a project's files table: shown when some file has a value."""

    requires_python: bool
    size: bool
    uploaded: bool
    hash: bool


class ProjectView(NamedTuple):
    name: str
    status: str | None
    reason: str | None
    version: str
    prerelease: bool
    summary: str | None
    description: object  # rendered HTML (Markup), or None
    description_text: str | None  # a description that is not Markdown, shown as text
    requires_python: str | None
    requirements: list[tuple[str, str | None]]  # (requirement, link to its project here, or None)
    urls: list[tuple[str, str]]  # (label, url)
    license: str | None
    classifiers: list[str]
    author: str | None
    releases: list[ReleaseView]  # newest first
    columns: Columns
    install: Install
    simple_url: str
    json_url: str


def _metadata(record: Record) -> Message | None:
    if record.metadata is None:
        return None
    from email.parser import Parser  # only for files whose metadata is at hand
    from email.policy import compat32

    return Parser(policy=compat32).parsestr(record.metadata)


def _description(message: Message | None) -> tuple[object, str | None]:
    """(rendered Markdown, or None; text to show as it is, or None)."""
    if message is None:
        return None, None
    payload = message.get_payload()
    text = payload if isinstance(payload, str) and payload.strip() else message.get("Description")
    if not text or not text.strip() or text.strip() == "UNKNOWN":
        return None, None
    content_type = (message.get("Description-Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "text/markdown":
        from dumb_pypi.pages.webui.description import render_markdown

        return render_markdown(text), None
    return None, text


_URL_SCHEMES = ("https://", "http://")


def _urls(message: Message | None) -> list[tuple[str, str]]:
    if message is None:
        return []
    urls = []
    home = message.get("Home-page")
    if home and home.startswith(_URL_SCHEMES):
        urls.append(("Homepage", home))
    for value in message.get_all("Project-URL") or ():
        label, _, url = value.partition(",")
        url = url.strip()
        if url.startswith(_URL_SCHEMES):  # never javascript: and the like
            urls.append((label.strip() or url, url))
    return urls


def _license(message: Message | None) -> str | None:
    if message is None:
        return None
    value = message.get("License-Expression") or message.get("License")
    if value and value.strip() and value.strip() != "UNKNOWN":
        return value.strip().splitlines()[0] if len(value) > 200 else value.strip()
    classifiers = [c.split(" :: ")[-1] for c in message.get_all("Classifier") or () if c.startswith("License ::")]
    return ", ".join(classifiers) or None


def project_view(project: Project, urls: list[str], site: Site, names: Container[str]) -> ProjectView:
    """The values of a project's page; `urls`: each file's link (as seen from the page),
    `names`: the projects in this index (requirements link to theirs)."""
    absolute = site.url is not None
    index_url = site.url.rstrip("/") + "/simple/" if site.url is not None else "../../simple/"
    latest = latest_file(project)
    version = latest.version or ""
    message = _metadata(latest)
    description, description_text = _description(message)
    requirements = []
    for requirement in latest.requires_dist or ():
        name = required_project(requirement)
        requirements.append((requirement, f"../{name}/" if name is not None and name in names else None))
    releases: dict[str, list[FileView]] = {}
    yanked: dict[str, bool] = {}
    for record, url in zip(project.files, urls):
        release = record.version or "unknown"
        releases.setdefault(release, []).append(FileView(
            record.filename, url, record.packagetype, file_size(record.size), utc_time(record.upload_timestamp),
            record.uploaded_by, record.hash, record.hash.partition("=")[2][:12] if record.hash else None,
            record.requires_python, record.yanked_reason is not None,
            record.yanked_reason or ""))
        yanked[release] = yanked.get(release, True) and record.yanked_reason is not None
    return ProjectView(
        name=project.name,
        status=project.status.status if project.status else None,
        reason=project.status.reason if project.status else None,
        version=version,
        prerelease=_is_prerelease(version),
        summary=latest.summary,
        description=description,
        description_text=description_text,
        requires_python=latest.requires_python,
        requirements=requirements,
        urls=_urls(message),
        license=_license(message),
        classifiers=sorted(message.get_all("Classifier") or ()) if message is not None else [],
        author=(message.get("Author") or message.get("Author-email") or None) if message is not None else None,
        releases=[ReleaseView(release, _is_prerelease(release), yanked[release], files)
                  for release, files in reversed(releases.items())],
        columns=Columns(*(any(getattr(record, field) is not None for record in project.files)
                          for field in ("requires_python", "size", "upload_timestamp", "hash"))),
        install=Install(index_url, absolute, f"{project.name}=={version}" if version else project.name),
        simple_url=f"../../simple/{project.name}/",
        json_url=f"../../pypi/{project.name}/json",
    )
