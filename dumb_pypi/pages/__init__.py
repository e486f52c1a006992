"""Render every page of the index as (path, text) pairs; no I/O here.

Project pages come first, then the root pages that link to them, which is the
order output.py writes them in. The root pages (changelog, feed, packages.json,
the simple and home indexes) are put together from Summaries, each project's
share of them as UTF-8, so a partial rebuild can cut the shares of projects
that did not change from the old pages instead of rendering every record.
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
from dumb_pypi.pages.webui import (
    CHANGELOG_ENTRIES_PER_PAGE,
    Bytes,
    Site,
    WebUI,
    changelog_path,
    changelog_row,
    home_row,
)
from dumb_pypi.projects import Project
from dumb_pypi.records import Record, dumps, record_to_json, utf8_parts

__all__ = [
    "CHANGELOG_ENTRIES_PER_PAGE", "Bytes", "Links", "Renderer", "Site", "Summary", "changelog_order",
    "changelog_page_count", "changelog_path",
]

# A version becomes a directory name (pypi/<p>/<version>/json) only when it is
# plainly safe; a few legacy versions (spaces, "....") get no per-release page.
_SAFE_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,199}$")


class Summary(NamedTuple):
    """The share of the root pages of consecutive projects (in index order),
    as UTF-8: one project's, or in a partial rebuild a run of projects that
    did not change, cut from the pages the build before wrote (state.py)."""

    names: list[str]
    file_counts: Sequence[int]  # per project
    timestamps: Sequence[int]  # per file: upload time, 0 when unknown
    home_rows: Bytes  # a line of the home page per project
    home_sizes: Sequence[int]  # per project
    packages_lines: Bytes  # a line of packages.json per file
    packages_sizes: Sequence[int]  # per project
    changelog_rows: Bytes  # a changelog row per file (but see root_pages' first_page)
    row_sizes: Sequence[int]  # per file: its changelog row's size


def changelog_page_count(file_count: int) -> int:
    return max(1, math.ceil(file_count / CHANGELOG_ENTRIES_PER_PAGE))


def changelog_order(stamps: Sequence[int]) -> list[int]:
    """The files (by index number) in the changelog's order when they have
    upload times (`stamps`, 0: unknown): newest first; ties keep index order
    (dumb-pypi's changelog order)."""
    return sorted(range(len(stamps)), key=lambda i: -stamps[i])


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
        home = home_row(project).encode()
        packages = "".join(dumps(record_to_json(record, include_metadata=False)) + "\n" for record in files).encode()
        rows, row_sizes = utf8_parts([changelog_row(record, base + links.tail(record)) for record in files])
        return Summary([project.name], [len(files)], [record.upload_timestamp or 0 for record in files],
                       home, [len(home)], packages, [len(packages)], rows, row_sizes)

    def root_pages(self, summaries: Iterable[Summary], file_count: int, timestamped: bool,
                   files_of: Callable[[str], list[Record]], first_page: int = 1) -> Iterator[tuple[str, bytes]]:
        """The root pages, in one pass over the summaries (in index order), so
        that a full build never holds every project's. `timestamped`: some file
        has an upload time (the changelog, newest first, then waits for every
        row). `files_of(project)`: its files (the feed asks for the newest
        few). `first_page` > 1 (no timestamps): the changelog pages before it
        are left as they are, and the summaries' rows start with that page's
        (their row sizes do not: they are every file's)."""
        per_page = CHANGELOG_ENTRIES_PER_PAGE
        page_count = changelog_page_count(file_count)
        pages_done = first_page - 1
        names: list[str] = []
        counts: list[int] = []
        home_rows: list[Bytes] = []
        packages: list[Bytes] = []
        stamps: list[int] = []
        rows: list[Bytes] = []  # timestamped: every row; else the rows not on a page yet
        sizes: list[int] = []  # of each row in `rows`
        skip = (first_page - 1) * per_page  # rows on the pages left as they are
        for summary in summaries:
            names += summary.names
            counts += summary.file_counts
            home_rows.append(summary.home_rows)
            packages.append(summary.packages_lines)
            rows.append(summary.changelog_rows)
            sizes += summary.row_sizes
            if skip:
                skipped = min(skip, len(sizes))
                del sizes[:skipped]
                skip -= skipped
            if timestamped:
                stamps += summary.timestamps
                continue
            while len(sizes) >= per_page:  # a page is full: cut the rows where it ends
                text = memoryview(rows[0] if len(rows) == 1 else b"".join(rows))
                cut = sum(sizes[:per_page])
                pages_done += 1
                yield self.webui.changelog_page(pages_done, page_count, text[:cut])
                rows, sizes = [text[cut:]], sizes[per_page:]
        starts = list(itertools.accumulate(counts, initial=0))
        order: Sequence[int] = range(starts[-1])
        if timestamped:
            order = changelog_order(stamps)
            text = memoryview(b"".join(rows))
            at = list(itertools.accumulate(sizes, initial=0))
            rows = [text[at[i]:at[i + 1]] for i in order]
            for start in range(0, len(rows), per_page):
                pages_done += 1
                yield self.webui.changelog_page(pages_done, page_count, b"".join(rows[start:start + per_page]))
            rows = []
        while pages_done < page_count:  # the last page (or the only one, maybe empty)
            pages_done += 1
            yield self.webui.changelog_page(pages_done, page_count, b"".join(rows))
            rows = []

        files: dict[str, list[Record]] = {}

        def numbered_file(i: int) -> Record:
            p = bisect.bisect_right(starts, i) - 1
            if names[p] not in files:
                files[names[p]] = files_of(names[p])
            return files[names[p]][i - starts[p]]

        yield "feed.xml", self.webui.feed(map(numbered_file, order)).encode()
        packages_json = b"".join(packages)
        packages.clear()  # before the next page: memory
        yield "packages.json", packages_json
        del packages_json
        yield "simple/index.json", simple_json.root_page(names).encode()
        yield "simple/index.html", simple_html.root_page(names).encode()
        yield "index.html", self.webui.home(b"".join(home_rows), len(names))
