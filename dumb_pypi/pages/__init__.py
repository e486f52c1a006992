"""Render every page of the index as (path, text) pairs; no I/O here.

Project pages come first, then the root pages that link to them, which is the
order output.py writes them in. The root pages (changelog, feed, packages.json,
the simple and home indexes) are put together from one Summary per project,
its share of them, so a partial rebuild can reuse the summaries of projects
that did not change instead of every record.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from dumb_pypi.pages import legacy_json, simple_html, simple_json
from dumb_pypi.pages.links import Links
from dumb_pypi.pages.webui import CHANGELOG_ENTRIES_PER_PAGE, Site, WebUI, changelog_row, home_row
from dumb_pypi.projects import Project
from dumb_pypi.records import Record, dumps, record_to_json

__all__ = ["Links", "Renderer", "Site", "Summary"]

# A version becomes a directory name (pypi/<p>/<version>/json) only when it is
# plainly safe; a few legacy versions (spaces, "....") get no per-release page.
_SAFE_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,199}$")


class Summary(NamedTuple):
    """A project's share of the root pages, one entry per file in index order."""

    name: str
    home_row: str
    timestamps: list[int]  # upload time, 0 when unknown
    # One string each, not one per file: a partial rebuild loads and saves
    # every project's summary, and 140k small strings cost more than 16k.
    changelog_rows: str  # its changelog rows (each ends with ROW_END)
    packages_lines: str  # its lines of packages.json


ROW_END = "</tr>\n"  # the end of a changelog row; markup from input is escaped, so it cannot hold this


def _rows(text: str) -> list[str]:
    return [row + ROW_END for row in text.split(ROW_END)[:-1]]


class Renderer:
    def __init__(self, links: Links, site: Site, *, per_release_json: bool = True) -> None:
        self.links = links
        self.webui = WebUI(site)
        self.per_release_json = per_release_json

    def project_pages(self, project: Project) -> Iterator[tuple[str, str]]:
        name = project.name
        links = self.links
        tails = [links.tail(record) for record in project.files]
        simple_base = links.base(f"simple/{name}", name)
        yield f"simple/{name}/index.html", simple_html.project_page(project, simple_base, tails)
        yield f"simple/{name}/index.json", simple_json.project_page(project, simple_base, tails)
        json_parts = [legacy_json.file_parts(record) for record in project.files]
        yield f"pypi/{name}/json", legacy_json.project_json(project, links.base(f"pypi/{name}", name), tails,
                                                            json_parts)
        if self.per_release_json:
            yield from self._release_pages(project, tails, json_parts)
        yield f"project/{name}/index.html", self.webui.project(project, links.base(f"project/{name}", name), tails)

    def _release_pages(self, project: Project, tails: list[str],
                       json_parts: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        releases: dict[str, tuple[list[Record], list[str], list[tuple[str, str]]]] = {}
        for record, tail, parts in zip(project.files, tails, json_parts):
            if record.version is not None and _SAFE_VERSION_RE.match(record.version):
                files, release_tails, release_parts = releases.setdefault(record.version, ([], [], []))
                files.append(record)
                release_tails.append(tail)
                release_parts.append(parts)
        for version, (files, release_tails, release_parts) in releases.items():
            directory = f"pypi/{project.name}/{version}"
            release = project._replace(files=files)
            yield f"{directory}/json", legacy_json.project_json(
                release, self.links.base(directory, project.name), release_tails, release_parts)

    def summary(self, project: Project) -> Summary:
        links = self.links
        base = links.base("changelog", project.name)
        files = project.files
        return Summary(
            project.name,
            home_row(project),
            [record.upload_timestamp or 0 for record in files],
            "".join(changelog_row(record, base + links.tail(record)) for record in files),
            "".join(dumps(record_to_json(record, include_metadata=False)) + "\n" for record in files),
        )

    def root_pages(self, summaries: Iterable[Summary], file_count: int, timestamped: bool,
                   files_of: Callable[[str], list[Record]]) -> Iterator[tuple[str, str]]:
        """The root pages, in one pass over the projects' summaries (in index
        order), so that a full build never holds them all. `timestamped`: some
        file has an upload time (the changelog, newest first, then waits for
        every row). `files_of(project)`: its files (the feed asks for the
        newest few)."""
        per_page = CHANGELOG_ENTRIES_PER_PAGE
        page_count = max(1, math.ceil(file_count / per_page))
        pages_done = 0
        names: list[str] = []
        counts: list[int] = []
        home_rows: list[str] = []
        packages: list[str] = []
        stamps: list[int] = []
        rows: list[str] = []  # timestamped: every row; else the projects' rows not on a page yet
        pending = 0  # rows in `rows`
        for summary in summaries:
            names.append(summary.name)
            counts.append(len(summary.timestamps))
            home_rows.append(summary.home_row)
            packages.append(summary.packages_lines)
            if timestamped:
                stamps += summary.timestamps
                rows += _rows(summary.changelog_rows)
                continue
            rows.append(summary.changelog_rows)
            pending += counts[-1]
            while pending >= per_page:  # a page is full: cut the last project's rows where it ends
                over = pending - per_page
                last = _rows(rows.pop())
                rows.append("".join(last[:len(last) - over]))
                pages_done += 1
                yield self.webui.changelog_page(pages_done, page_count, "".join(rows))
                rows = ["".join(last[len(last) - over:])]
                pending = over
        starts = list(itertools.accumulate(counts, initial=0))
        # Newest first; ties keep index order (dumb-pypi's changelog order).
        order: Sequence[int] = range(starts[-1])
        if timestamped:
            order = sorted(order, key=lambda i: -stamps[i])
            rows = [rows[i] for i in order]
            for start in range(0, len(rows), per_page):
                pages_done += 1
                yield self.webui.changelog_page(pages_done, page_count, "".join(rows[start:start + per_page]))
        while pages_done < page_count:  # the last page (or the only one, maybe empty)
            pages_done += 1
            yield self.webui.changelog_page(pages_done, page_count, "".join(rows))
            rows = []

        files: dict[str, list[Record]] = {}

        def numbered_file(i: int) -> Record:
            p = bisect.bisect_right(starts, i) - 1
            if names[p] not in files:
                files[names[p]] = files_of(names[p])
            return files[names[p]][i - starts[p]]

        yield "feed.xml", self.webui.feed(map(numbered_file, order))
        packages_json = "".join(packages)
        packages.clear()  # before the page is encoded: memory
        yield "packages.json", packages_json
        del packages_json
        yield "simple/index.json", simple_json.root_page(names)
        yield "simple/index.html", simple_html.root_page(names)
        yield "index.html", self.webui.home(home_rows)
