"""The pages people read: home with search, one page per project, the
changelog, an Atom feed, and their stylesheet and script.

They are Jinja2 templates (templates/), autoescaped: a value from input is
text in every page unless this module marks it as markup (the rows it has
already rendered, a Markdown description). `--templates DIR` overrides any
of them by name; docs/webui.md lists each template and its values.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Container, Iterable
from typing import NamedTuple, Union

import jinja2
from markupsafe import Markup

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.projects import Project
from dumb_pypi.records import Record

from .views import latest_file, project_view, required_names, utc_time

__all__ = ["STATIC_FILES", "Bytes", "Site", "WebUI"]

Bytes = Union[bytes, memoryview]  # UTF-8 text, maybe cut from a page of the build before
STATIC_FILES = ("static/style.css", "static/index.js")
FEED_ENTRIES = 100
_FEED_NAMESPACE = "6f4bd1b0-0d5f-4bb4-9a43-5c3e3c0c2a51"
_ROWS = "\x00rows\x00"  # where a page's rows go, while its frame is rendered


class Site(NamedTuple):
    title: str
    logo: str | None = None
    logo_width: int = 0
    generated: str | None = None  # the "Generated on" time; None keeps pages reproducible
    epoch: int = 0  # the time shown where the input gives none (SOURCE_DATE_EPOCH or 0)
    url: str | None = None  # where the tree is served (--site-url); None: pages work it out themselves


class FeedEntry(NamedTuple):
    name: str
    version: str
    id: str
    updated: str
    author: str | None
    summary: str


def _feed_uuid(name: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.UUID(_FEED_NAMESPACE), name))


def _iso(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class WebUI:
    def __init__(self, site: Site, templates: str | None = None) -> None:
        self.site = site
        ours = jinja2.PackageLoader("dumb_pypi.pages.webui", "templates")
        loader = ours if templates is None else jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates), ours])
        self._env = jinja2.Environment(loader=loader, autoescape=jinja2.select_autoescape(("html", "xml")),
                                       undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                       trim_blocks=True)
        self._env.globals["site"] = site
        # Compiled now: worker processes share them.
        rows = self._env.get_template("rows.html").module
        self._home_row, self._changelog_row = rows.home_row, rows.changelog_row  # type: ignore[attr-defined]
        self._pages = {name: self._env.get_template(name) for name in ("home.html", "project.html",
                                                                       "changelog.html", "feed.xml")}
        self._index_url = None if site.url is None else site.url.rstrip("/") + "/simple/"

    def _render(self, name: str, **values: object) -> str:
        try:
            return self._pages[name].render(**values)
        except jinja2.TemplateError as ex:
            raise DumbPypiError(f"template {name}: {ex}") from None

    def _around(self, name: str, rows: Bytes, **values: object) -> tuple[bytes, int]:
        """Page `name` with its `rows` (UTF-8 markup), and where they start in it."""
        page = self._render(name, rows=Markup(_ROWS), **values)
        before, *after = page.split(_ROWS)
        if len(after) != 1:
            raise DumbPypiError(f"template {name}: it must show {{{{ rows }}}} exactly once")
        start = before.encode()
        return b"".join((start, rows, after[0].encode())), len(start)

    def project(self, project: Project, urls: list[str], names: Container[str]) -> str:
        """The page of `project`, whose files are at `urls` (seen from the page); `names`: the index's projects."""
        index_url = self._index_url or "../../simple/"
        return self._render("project.html", root="../../",
                            project=project_view(project, urls, index_url, self._index_url is not None, names))

    def home_row(self, project: Project) -> str:
        latest = latest_file(project)
        return str(self._home_row({"name": project.name, "version": latest.version or "", "summary": latest.summary}))

    @staticmethod
    def required_names(project: Project) -> list[str]:
        """The projects the page of `project` links to when they are in the index."""
        return required_names(latest_file(project).requires_dist or ())

    def changelog_row(self, record: Record, url: str) -> str:
        return str(self._changelog_row({
            "filename": record.filename, "url": url, "project": record.name, "version": record.version,
            "yanked": record.yanked_reason is not None, "uploaded": utc_time(record.upload_timestamp),
            "uploaded_by": record.uploaded_by}))

    def home(self, rows: Bytes, count: int) -> tuple[bytes, int]:
        """The home page, from the home_row()s of `count` projects (UTF-8), and where they start in it."""
        return self._around("home.html", rows, root="", count=count)

    def changelog_page(self, number: int, count: int, rows: Bytes, timestamped: bool) -> tuple[bytes, int]:
        """Changelog page `number` (from 1) of `count`, and where its rows start
        in it; `rows`: its changelog_row()s, newest first (UTF-8)."""
        def page(n: int) -> str | None:
            return f"page{n}.html" if n != number and 1 <= n <= count else None

        return self._around("changelog.html", rows, root="../", number=number, count=count,
                            timestamped=timestamped, first=page(1), previous=page(number - 1),
                            next=page(number + 1), last=page(count))

    def feed(self, newest_files: Iterable[Record]) -> str:
        """An Atom feed of the newest releases (one entry per project version)."""
        entries: list[FeedEntry] = []
        seen: set[tuple[str, str | None]] = set()
        for record in newest_files:
            key = (record.name, record.version)
            if key in seen:
                continue
            seen.add(key)
            stamp = record.upload_timestamp if record.upload_timestamp is not None else self.site.epoch
            version = record.version or "unknown"
            # Stable ids: a reader shows a release once, however often we rebuild.
            entries.append(FeedEntry(record.name, version, _feed_uuid(f"{record.name}=={record.version}"), _iso(stamp),
                                     record.uploaded_by, record.summary or f"{record.name} {version}"))
            if len(entries) == FEED_ENTRIES:
                break
        updated = max((entry.updated for entry in entries), default=_iso(self.site.epoch))
        return self._render("feed.xml", entries=entries, updated=updated, id=_feed_uuid("feed:" + self.site.title))

    def static_files(self) -> list[tuple[str, bytes]]:
        """The stylesheet and the script, as the templates' directories have them."""
        assert self._env.loader is not None
        return [(path, self._env.loader.get_source(self._env, path)[0].encode()) for path in STATIC_FILES]


def templates_digest(directory: str | None) -> str | None:
    """A digest of the override templates (a changed one changes every page)."""
    if directory is None:
        return None
    import os

    digest = hashlib.sha256()
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, directory).encode("utf-8", "surrogateescape") + b"\0")
            with open(path, "rb") as f:
                digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()
