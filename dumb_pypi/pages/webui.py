"""The pages people read: home with search, one page per project, the
changelog and an Atom feed of releases. Everything from input is escaped by
Jinja's autoescaping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from html import escape  # plain str: rows are joined, then marked safe once
from typing import Any, NamedTuple

import jinja2
from markupsafe import Markup
from markupsafe import escape as markup_escape

from dumb_pypi.projects import Project
from dumb_pypi.records import Record

__all__ = ["CHANGELOG_ENTRIES_PER_PAGE", "FEED_ENTRIES", "Site", "WebUI", "changelog_row", "home_row"]

CHANGELOG_ENTRIES_PER_PAGE = 5000  # as in dumb-pypi 1.15
FEED_ENTRIES = 100
_FEED_NAMESPACE = uuid.UUID("6f4bd1b0-0d5f-4bb4-9a43-5c3e3c0c2a51")


class Site(NamedTuple):
    title: str
    logo: str | None
    logo_width: int
    generated: str | None  # the "Generated on" text; None keeps pages reproducible
    epoch: int  # the time shown where the input gives none (SOURCE_DATE_EPOCH or 0)


def _size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def _uploaded(record: Record) -> str:
    if record.upload_timestamp is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.upload_timestamp))


def _project_row(record: Record, url: str) -> str:
    yanked = ""
    if record.yanked_reason is not None:
        reason = f": {escape(record.yanked_reason)}" if record.yanked_reason else ""
        yanked = f' <span class="yanked" title="{escape(record.yanked_reason)}">yanked{reason}</span>'
    uploaded = _uploaded(record) + (f" by {escape(record.uploaded_by)}" if record.uploaded_by else "")
    return (f'<tr><td>{escape(record.version or "unknown")}{yanked}</td>'
            f'<td><a href="{escape(url)}">{escape(record.filename)}</a></td>'
            f'<td class="mono">{escape(record.requires_python or "")}</td><td class="nowrap">{_size(record.size)}</td>'
            f'<td>{uploaded}</td><td class="mono hash">{escape(record.sha256 or record.hash or "")}</td></tr>\n')


def home_row(project: Project) -> str:
    """The project's line on the home page (Jinja's escaping, as the template had)."""
    latest = project.latest
    name = markup_escape(project.name)
    summary = f' <span class="muted">{markup_escape(latest.summary)}</span>' if latest.summary else ""
    return (f'<a href="project/{name}/" data-name="{name}"><strong>{name}</strong> '
            f'{markup_escape(latest.version or "")}{summary}</a>\n')


def changelog_row(record: Record, url: str) -> str:
    # Built without Jinja: the changelog has a row for every file in the index.
    yanked = ' <span class="yanked">yanked</span>' if record.yanked_reason is not None else ""
    return (f'<tr><td><a href="{escape(url)}">{escape(record.filename)}</a>{yanked}</td>'
            f'<td><a href="../project/{record.name}/">{record.name}</a></td><td>{_uploaded(record)}</td>'
            f'<td>{escape(record.uploaded_by or "")}</td></tr>\n')


def _iso(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class WebUI:
    def __init__(self, site: Site) -> None:
        self.site = site
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("dumb_pypi.pages", "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # templates do not change during a build: no stat() per page
        )
        self._env.globals["site"] = site

    def _render(self, template: str, **context: Any) -> str:
        return self._env.get_template(template).render(**context)

    def home(self, rows: list[str]) -> str:
        """The home page, from one home_row() per project."""
        return self._render("index.html", root="", project_count=len(rows), rows=Markup("".join(rows)))

    def project(self, project: Project, base: str, tails: list[str]) -> str:
        # Newest version first for people (wheels first within a version, as
        # in the index); rows built without Jinja, as for the changelog.
        releases: dict[str | None, list[str]] = {}
        for record, tail in zip(project.files, tails):
            releases.setdefault(record.version, []).append(_project_row(record, base + tail))
        rows = Markup("".join(row for release in reversed(releases.values()) for row in release))
        return self._render("project.html", root="../../", project=project, latest=project.latest, rows=rows)

    def changelog_page(self, number: int, count: int, rows: str) -> tuple[str, str]:
        """(path, page) of changelog page `number` (from 1) of `count`; `rows`:
        its changelog_row()s, newest first."""
        return f"changelog/page{number}.html", self._render(
            "changelog.html", root="../", page_number=number, page_count=count, rows=Markup(rows))

    def feed(self, newest_files: Iterable[Record]) -> str:
        """An Atom feed of the newest releases (one entry per project version)."""
        entries: list[dict[str, Any]] = []
        seen: set[tuple[str, str | None]] = set()
        for record in newest_files:
            key = (record.name, record.version)
            if key in seen:
                continue
            seen.add(key)
            stamp = record.upload_timestamp if record.upload_timestamp is not None else self.site.epoch
            entries.append({
                "name": record.name, "version": record.version or "unknown", "updated": _iso(stamp),
                "author": record.uploaded_by, "summary": record.summary,
                # Stable ids: a reader shows a release once, however often we rebuild.
                "id": f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, f'{record.name}=={record.version}')}",
            })
            if len(entries) == FEED_ENTRIES:
                break
        updated = max((e["updated"] for e in entries), default=_iso(self.site.epoch))
        feed_id = f"urn:uuid:{uuid.uuid5(_FEED_NAMESPACE, 'feed:' + self.site.title)}"
        return self._render("feed.xml", feed_id=feed_id, updated=updated, entries=entries)
