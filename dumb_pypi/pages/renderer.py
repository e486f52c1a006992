"""Every page of the index, rendered; no I/O here.

A project's pages come from its records alone (project_pages()). The root
pages (changelog, feed, packages.json, the simple and home indexes) list
every project: they are put together from each project's RootRows, its rows
in them as UTF-8, so that a partial rebuild can cut the rows of projects that
did not change out of the old pages (where root_pages() says they are)
instead of rendering every record again.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Container, Iterable, Iterator, Sequence

from dumb_pypi.encoding import dumps, utf8_parts
from dumb_pypi.pages import legacy_json, simple_html, simple_json
from dumb_pypi.pages import rows as paging
from dumb_pypi.pages.links import Links
from dumb_pypi.pages.rows import (
    RootPage,
    RootRows,
    changelog_order,
    changelog_page_count,
    changelog_path,
)
from dumb_pypi.pages.webui import Bytes, Site, WebPages, web_ui
from dumb_pypi.projects import Project
from dumb_pypi.records import Record, record_to_json

__all__ = ["Renderer", "newest_releases"]

# A version becomes a directory name (pypi/<p>/<version>/json) only when it is
# plainly safe; a few legacy versions (spaces, "....") get no per-release page.
_SAFE_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,199}$")


class Renderer:
    def __init__(self, links: Links, site: Site, *, per_release_json: bool = True,
                 templates: str | None = None, compiled: dict[str, bytes] | None = None,
                 webui: WebPages | None = None) -> None:
        """`webui`: the web UI's renderer, when there is one already (else one in this process)."""
        self.links = links
        self.site = site
        self.webui = webui if webui is not None else web_ui(site, templates, compiled)
        self.per_release_json = per_release_json

    def _offered(self, project: Project) -> Project:
        """The project as its pages show it: PEP 658 metadata that the index
        cannot serve (its link leads out of the tree) is not offered."""
        links = self.links
        if links.pool or not any(record.metadata is not None for record in project.files):
            return project
        return project._replace(files=[
            record._replace(core_metadata=None) if record.metadata is not None and links.metadata_path(record) is None
            else record for record in project.files])

    def project_pages(self, project: Project, names: Container[str]) -> Iterator[tuple[str, str]]:
        """The pages of `project`; `names`: every project of the index (its page links those it requires)."""
        project = self._offered(project)
        name = project.name
        links = self.links
        tails = [links.tail(record) for record in project.files]
        simple_base = links.base(f"simple/{name}", name)
        yield f"simple/{name}/index.html", simple_html.project_page(project, simple_base, tails)
        yield f"simple/{name}/index.json", simple_json.project_page(project, simple_base, tails)
        yield from self._json_pages(project, tails)
        web_base = links.base(f"project/{name}", name)
        yield f"project/{name}/index.html", self.webui.project(project, [web_base + tail for tail in tails], names)

    def _json_pages(self, project: Project, tails: list[str]) -> Iterator[tuple[str, str]]:
        """/pypi/<project>/json, and each release's /pypi/<project>/<version>/json:
        every file is encoded once, and linked once per distinct link base."""
        files, name = project.files, project.name
        parts = [legacy_json.file_parts(record) for record in files]
        base = self.links.base(f"pypi/{name}", name)
        releases = legacy_json.release_files(files, base, tails, parts)
        yield f"pypi/{name}/json", legacy_json.page(project.latest, releases)
        if not self.per_release_json:
            return
        positions: dict[str, list[int]] = {}
        for i, record in enumerate(files):
            if record.version is not None:
                positions.setdefault(record.version, []).append(i)
        for version, in_release in positions.items():
            if not _SAFE_VERSION_RE.match(version):
                continue
            directory = f"pypi/{name}/{version}"
            release = [files[i] for i in in_release]
            release_base = self.links.base(directory, name)
            objects = {version: releases[version]} if release_base == base else legacy_json.release_files(
                release, release_base, [tails[i] for i in in_release], [parts[i] for i in in_release])
            yield f"{directory}/json", legacy_json.page(project._replace(files=release).latest, objects)

    def root_rows(self, project: Project) -> RootRows:
        links = self.links
        base = links.base("changelog", project.name)
        files = project.files
        web = self.webui.project_rows(project, [base + links.tail(record) for record in files])
        home = web.home.encode()
        packages = "".join(dumps(record_to_json(record, include_metadata=False)) + "\n" for record in files).encode()
        rows, row_sizes = utf8_parts(web.changelog)
        return RootRows([project.name], [len(files)], [record.upload_timestamp or 0 for record in files],
                        home, [len(home)], packages, [len(packages)], rows, row_sizes, [" ".join(web.requires)])

    def static_files(self) -> list[RootPage]:
        """The web UI's stylesheet and script (written before the pages that link them)."""
        return [RootPage(path, data, 0) for path, data in self.webui.static_files()]

    def _changelog_page(self, number: int, count: int, rows: Bytes, timestamped: bool) -> RootPage:
        return RootPage(changelog_path(number), *_framed(self.webui.changelog_frame(number, count, timestamped), rows))

    def root_pages(self, all_rows: Iterable[RootRows], file_count: int, timestamped: bool,
                   files_of: Callable[[str], list[Record]], first_page: int = 1) -> Iterator[RootPage]:
        """The root pages, in one pass over every project's rows (in index
        order), so that a full build never holds them all. `timestamped`: some
        file has an upload time (the changelog, newest first, then waits for
        every row). `files_of(project)`: its files (the feed asks for the
        newest few). `first_page` > 1 (no timestamps): the changelog pages
        before it are left as they are, and the rows' changelog rows start
        with that page's (their row sizes do not: they are every file's)."""
        per_page = paging.CHANGELOG_ENTRIES_PER_PAGE  # looked up here: tests make pages short
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
        for run in all_rows:
            names += run.names
            counts += run.file_counts
            home_rows.append(run.home_rows)
            packages.append(run.packages_lines)
            rows.append(run.changelog_rows)
            sizes += run.row_sizes
            if skip:
                skipped = min(skip, len(sizes))
                del sizes[:skipped]
                skip -= skipped
            if timestamped:
                stamps += run.timestamps
                continue
            while len(sizes) >= per_page:  # a page is full: cut the rows where it ends
                text = memoryview(rows[0] if len(rows) == 1 else b"".join(rows))
                cut = sum(sizes[:per_page])
                pages_done += 1
                yield self._changelog_page(pages_done, page_count, text[:cut], timestamped)
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
                yield self._changelog_page(pages_done, page_count, b"".join(rows[start:start + per_page]), timestamped)
            rows = []
        while pages_done < page_count:  # the last page (or the only one, maybe empty)
            pages_done += 1
            yield self._changelog_page(pages_done, page_count, b"".join(rows), timestamped)
            rows = []

        files: dict[str, list[Record]] = {}

        def numbered_file(i: int) -> Record:
            p = bisect.bisect_right(starts, i) - 1
            if names[p] not in files:
                files[names[p]] = files_of(names[p])
            return files[names[p]][i - starts[p]]

        yield RootPage("feed.xml", self.webui.feed(newest_releases(map(numbered_file, order))).encode(), 0)
        packages_json = b"".join(packages)
        packages.clear()  # before the next page: memory
        yield RootPage("packages.json", packages_json, 0)
        del packages_json
        yield RootPage("simple/index.json", simple_json.root_page(names).encode(), 0)
        yield RootPage("simple/index.html", simple_html.root_page(names).encode(), 0)
        yield RootPage("index.html", *_framed(self.webui.home_frame(len(names)), b"".join(home_rows)))


def _framed(frame: tuple[str, str], rows: Bytes) -> tuple[bytes, int]:
    """A page from its frame and rows (UTF-8), and where the rows start in it."""
    before, after = frame[0].encode(), frame[1].encode()
    return b"".join((before, rows, after)), len(before)


FEED_RELEASES = 100


def newest_releases(newest_files: Iterable[Record]) -> list[Record]:
    """The first file of each of the newest releases (one per project
    version) the feed lists, from `newest_files` (newest first; read as far as it takes)."""
    releases: dict[tuple[str, str | None], Record] = {}
    for record in newest_files:
        releases.setdefault((record.name, record.version), record)
        if len(releases) == FEED_RELEASES:
            break
    return list(releases.values())
