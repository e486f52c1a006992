"""The pages people read: home with search, one page per project, the
changelog, an Atom feed, and their stylesheet and script.

render.py renders them from Jinja2 templates (templates/), views.py makes
the values the templates get, remote.py runs a renderer in a second process.
Jinja2 is imported only where pages are rendered: this module does not.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple, Protocol, Union

if TYPE_CHECKING:
    from collections.abc import Container

    from dumb_pypi.pages.webui.render import WebUI
    from dumb_pypi.projects import Project
    from dumb_pypi.records import Record

__all__ = ["STATIC_FILES", "Bytes", "ProjectRows", "Site", "WebPages", "templates_digest", "web_ui"]

Bytes = Union[bytes, memoryview]  # UTF-8 text, maybe cut from a page of the build before
STATIC_FILES = ("static/style.css", "static/index.js")


class Site(NamedTuple):
    title: str
    logo: str | None = None
    logo_width: int = 0
    generated: str | None = None  # the "Generated on" time; None keeps pages reproducible
    epoch: int = 0  # the time shown where the input gives none (SOURCE_DATE_EPOCH or 0)
    url: str | None = None  # where the tree is served (--site-url); None: pages work it out themselves


class ProjectRows(NamedTuple):
    """A project's rows in the web UI's root pages."""

    home: str  # its line on the home page
    changelog: list[str]  # a changelog row per file
    requires: list[str]  # the projects its page links to when they are in the index


class WebPages(Protocol):
    """What renders the web UI: records in, markup out (render.WebUI, remote.RemoteWebUI).
    The pages with rows come as frames, (before, after) their rows: the rows
    of projects that did not change are copied from the last build's pages."""

    def project(self, project: Project, urls: list[str], names: Container[str]) -> str:
        """The page of `project`; `urls`: its files' links (seen from the page); `names`: the index's projects."""
    def project_rows(self, project: Project, changelog_urls: list[str]) -> ProjectRows: ...
    def home_frame(self, count: int) -> tuple[str, str]: ...
    def changelog_frame(self, number: int, count: int, timestamped: bool) -> tuple[str, str]: ...
    def feed(self, releases: list[Record]) -> str:
        """The Atom feed of the newest releases: the first file of each, newest first."""
    def static_files(self) -> list[tuple[str, bytes]]: ...
    def compiled_templates(self) -> dict[str, bytes]: ...


def web_ui(site: Site, templates: str | None = None, compiled: dict[str, bytes] | None = None) -> WebUI:
    """A renderer of the web UI in this process (see render.WebUI)."""
    from dumb_pypi.pages.webui.render import WebUI

    return WebUI(site, templates, compiled)


def templates_digest(directory: str | None) -> str | None:
    """A digest of the override templates (a changed one changes every page)."""
    if directory is None:
        return None
    import hashlib

    digest = hashlib.sha256()
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            digest.update(os.path.relpath(path, directory).encode("utf-8", "surrogateescape") + b"\0")
            with open(path, "rb") as f:
                digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()
