"""The pages people read: home with search, one page per project, the
changelog and an Atom feed of releases. Plain f-strings, no template engine
(the generator's only dependency is `packaging`): every value from input goes
through escape(), and only this module's own markup is left unescaped."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import NamedTuple, Union

from dumb_pypi.pages.markup import escape
from dumb_pypi.projects import Project
from dumb_pypi.records import Record

__all__ = [
    "CHANGELOG_ENTRIES_PER_PAGE", "FEED_ENTRIES", "Bytes", "Site", "WebUI", "changelog_path", "changelog_row",
    "home_row",
]

CHANGELOG_ENTRIES_PER_PAGE = 5000  # as in dumb-pypi 1.15
FEED_ENTRIES = 100
Bytes = Union[bytes, memoryview]  # UTF-8 text, maybe cut from a page of the build before
_FEED_NAMESPACE = bytes.fromhex("6f4bd1b00d5f4bb49a435c3e3c0c2a51")  # a UUID


def _feed_uuid(name: str) -> str:
    """The RFC 4122 version 5 UUID of `name` in the feed's namespace: what
    uuid.uuid5() gives, without importing uuid (~2.5 ms at every start)."""
    digest = bytearray(hashlib.sha1(_FEED_NAMESPACE + name.encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122 variant
    hexed = digest.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


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
    """The project's line on the home page."""
    latest = project.latest
    name = escape(project.name)
    summary = f' <span class="muted">{escape(latest.summary)}</span>' if latest.summary else ""
    return (f'<a href="project/{name}/" data-name="{name}"><strong>{name}</strong> '
            f'{escape(latest.version or "")}{summary}</a>\n')


def changelog_row(record: Record, url: str) -> str:
    yanked = ' <span class="yanked">yanked</span>' if record.yanked_reason is not None else ""
    return (f'<tr><td><a href="{escape(url)}">{escape(record.filename)}</a>{yanked}</td>'
            f'<td><a href="../project/{record.name}/">{record.name}</a></td><td>{_uploaded(record)}</td>'
            f'<td>{escape(record.uploaded_by or "")}</td></tr>\n')


def changelog_path(number: int) -> str:
    """Changelog page `number` (from 1), from the tree's root."""
    return f"changelog/page{number}.html"


def _iso(timestamp: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


_STYLE = """\
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2430; background: #fafbfc; }
header { background: #24364f; color: #fff; padding: 12px 0; }
header a { color: #fff; text-decoration: none; }
.width { max-width: 1100px; margin: 0 auto; padding: 0 16px; }
header .width { display: flex; align-items: center; gap: 16px; }
header h1 { font-size: 20px; margin: 0; }
header nav { margin-left: auto; display: flex; gap: 14px; font-size: 14px; }
.logo { height: 32px; }
main { padding: 20px 0 40px; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 13px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
.yanked { color: #a33; font-weight: 600; }
.muted { color: #667085; }
.hash { word-break: break-all; }
.nowrap { white-space: nowrap; }
#search { width: 100%; box-sizing: border-box; padding: 8px 10px; font-size: 16px; border: 1px solid #c5ccd8; border-radius: 4px; }
.projects a { display: block; padding: 8px 10px; border-bottom: 1px solid #e3e7ee; color: inherit; text-decoration: none; background: #fff; }
.projects a:hover { background: #eef3ff; }
.pagination { margin: 12px 0; }
"""

# Filters the list already on the home page: search works from any static host.
_SEARCH_SCRIPT = """\
(function () {
  // Works from a plain static host: filters the list already on the page.
  var search = document.getElementById("search");
  var rows = document.getElementById("projects").getElementsByTagName("a");
  function normalize(text) { return text.toLowerCase().replace(/[-_.\\s]+/g, "-"); }
  function filter() {
    var words = normalize(search.value).split("-").filter(Boolean);
    for (var i = 0; i < rows.length; i++) {
      var name = rows[i].getAttribute("data-name");
      var shown = words.every(function (word) { return name.indexOf(word) !== -1; });
      rows[i].style.display = shown ? "" : "none";
    }
  }
  search.addEventListener("input", filter);
  if (search.value) { filter(); }
})();
"""

_TABLE_START = "<tbody>\n"
_TABLE_END = "</tbody>\n</table>\n"
_HOME_ROWS_START = '<div class="projects" id="projects">\n'
_HOME_ROWS_END = "</div>\n<script>"


class WebUI:
    def __init__(self, site: Site) -> None:
        self.site = site
        # The frame's parts that come from the site, escaped once for every page.
        self._title = escape(site.title)
        self._logo = ""
        if site.logo:
            width = f' width="{site.logo_width}"' if site.logo_width else ""
            self._logo = f'<img class="logo" src="{escape(site.logo)}" alt=""{width}>'
        self._generated = f'<p class="muted">Generated on {escape(site.generated)}.</p>' if site.generated else ""

    def _frame(self, root: str, title: str = "") -> tuple[str, str]:
        """The frame every page shares: (before, after) its content.
        `root`: the way back to the tree's root; `title`: escaped, before the site's."""
        head = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{title}{self._title}</title>\n'
            f'<link rel="alternate" type="application/atom+xml" title="{self._title}: releases" href="{root}feed.xml">\n'
            f'<style>\n{_STYLE}</style>\n</head>\n<body>\n<header><div class="width">\n'
            f'{self._logo}<h1><a href="{root}index.html">{self._title}</a></h1>\n'
            f'<nav><a href="{root}index.html">Projects</a><a href="{root}changelog/page1.html">Changelog</a>'
            f'<a href="{root}feed.xml">Feed</a><a href="{root}simple/">Simple index</a></nav>\n'
            '</div></header>\n<main class="width">\n'
        )
        return head, f"{self._generated}</main>\n</body>\n</html>\n"

    def _around(self, rows: Bytes, root: str, before: str, after: str, title: str = "") -> tuple[bytes, int]:
        """A whole page whose content is `before`, the `rows` (UTF-8 markup),
        `after`; and where the rows start in it."""
        head, tail = self._frame(root, title)
        start = (head + before).encode()
        return b"".join((start, rows, (after + tail).encode())), len(start)

    def home(self, rows: Bytes, count: int) -> tuple[bytes, int]:
        """The home page, from the home_row()s of `count` projects (UTF-8), and where they start in it."""
        search = (f'<p><input id="search" type="search" placeholder="Filter {count} projects" autofocus '
                  'aria-label="Filter projects"></p>\n')
        return self._around(rows, "", search + _HOME_ROWS_START, f"{_HOME_ROWS_END}\n{_SEARCH_SCRIPT}</script>\n")

    def project(self, project: Project, base: str, tails: list[str]) -> str:
        # Newest version first for people (wheels first within a version, as in the index).
        releases: dict[str | None, list[str]] = {}
        for record, tail in zip(project.files, tails):
            releases.setdefault(record.version, []).append(_project_row(record, base + tail))
        rows = "".join(row for release in reversed(releases.values()) for row in release)
        name = escape(project.name)
        latest = project.latest
        about = ""
        if project.status:
            reason = f": {escape(project.status.reason)}" if project.status.reason else ""
            about += f'<p class="yanked">Project status: {escape(project.status.status)}{reason}</p>'
        if latest.summary:
            about += f"<p>{escape(latest.summary)}</p>"
        if latest.version:
            about += f"<p><code>pip install {name}=={escape(latest.version)}</code></p>"
        head, tail = self._frame("../../", title=f"{name} · ")
        return head + (
            f"<h2>{name}</h2>\n{about}"
            f'<p class="muted"><a href="../../simple/{name}/">Simple API page</a> · '
            f'<a href="../../pypi/{name}/json">JSON</a></p>\n<table>\n'
            "<thead><tr><th>Version</th><th>File</th><th>Requires-Python</th><th>Size</th><th>Uploaded</th>"
            f"<th>SHA-256</th></tr></thead>\n{_TABLE_START}{rows}{_TABLE_END}") + tail

    def changelog_page(self, number: int, count: int, rows: Bytes) -> tuple[str, bytes, int]:
        """(path, page, where the rows start in it) of changelog page `number`
        (from 1) of `count`; `rows`: its changelog_row()s, newest first (UTF-8)."""
        back = ' href="page1.html"', f' href="page{number - 1}.html"'
        on = f' href="page{number + 1}.html"', f' href="page{count}.html"'
        first, previous = back if number != 1 else ("", "")
        following, last = on if number != count else ("", "")
        pagination = (f'<p class="pagination">\n<a{first}>&laquo;</a>\n<a{previous}>&larr;</a>\n'
                      f'Page {number}/{count}\n<a{following}>&rarr;</a>\n<a{last}>&raquo;</a>\n</p>\n\n')
        before = (f"<h2>Changelog</h2>\n{pagination}<table>\n"
                  "<thead><tr><th>File</th><th>Project</th><th>Uploaded</th><th>By</th></tr></thead>\n"
                  f"{_TABLE_START}")
        return (changelog_path(number),
                *self._around(rows, "../", before, f"{_TABLE_END}{pagination}", title="Changelog · "))

    def feed(self, newest_files: Iterable[Record]) -> str:
        """An Atom feed of the newest releases (one entry per project version)."""
        entries: list[str] = []
        stamps: list[str] = []
        seen: set[tuple[str, str | None]] = set()
        for record in newest_files:
            key = (record.name, record.version)
            if key in seen:
                continue
            seen.add(key)
            stamp = _iso(record.upload_timestamp if record.upload_timestamp is not None else self.site.epoch)
            stamps.append(stamp)
            # Stable ids: a reader shows a release once, however often we rebuild.
            entry_id = _feed_uuid(f"{record.name}=={record.version}")
            name, version = escape(record.name), escape(record.version or "unknown")
            author = f"<author><name>{escape(record.uploaded_by)}</name></author>" if record.uploaded_by else ""
            entries.append(
                f"<entry>\n<title>{name} {version}</title>\n<id>urn:uuid:{entry_id}</id>\n"
                f'<updated>{stamp}</updated>\n<link rel="alternate" href="project/{name}/"/>\n'
                f"{author}<summary>{escape(record.summary) if record.summary else f'{name} {version}'}</summary>\n"
                "</entry>\n")
            if len(entries) == FEED_ENTRIES:
                break
        updated = max(stamps, default=_iso(self.site.epoch))
        feed_id = _feed_uuid("feed:" + self.site.title)
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
                f"<title>{self._title}: releases</title>\n<id>urn:uuid:{feed_id}</id>\n<updated>{updated}</updated>\n"
                '<link rel="alternate" href="index.html"/>\n<link rel="self" href="feed.xml"/>\n'
                f"<author><name>{self._title}</name></author>\n<generator>dumb-pypi</generator>\n"
                f'{"".join(entries)}</feed>\n')
