"""The root pages' rows: what each project puts in the pages that list
every project or file (home, changelog, packages.json), and how the
changelog is paged. Rendered by renderer.py; a partial rebuild cuts the rows
of projects that did not change out of the last build's pages
(incremental/state.py), where RootPage.rows_at says they start."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from dumb_pypi.pages.webui import Bytes

__all__ = ["CHANGELOG_ENTRIES_PER_PAGE", "RootPage", "RootRows", "changelog_order", "changelog_page_count",
           "changelog_page_rows", "changelog_path"]


class RootRows(NamedTuple):
    """The rows of consecutive projects (in index order) in the root pages,
    as UTF-8: one project's, or in a partial rebuild a run of projects that
    did not change, cut out of the pages the build before wrote."""

    names: list[str]
    file_counts: Sequence[int]  # per project
    timestamps: Sequence[int]  # per file: upload time, 0 when unknown
    home_rows: Bytes  # a line of the home page per project
    home_sizes: Sequence[int]  # per project
    packages_lines: Bytes  # a line of packages.json per file
    packages_sizes: Sequence[int]  # per project
    changelog_rows: Bytes  # a changelog row per file (but see root_pages' first_page)
    row_sizes: Sequence[int]  # per file: its changelog row's size
    requires: list[str]  # per project: the projects its page links to when they are in the index ("a b")

    def each(self) -> Iterator[RootRows]:
        """This run, one project at a time."""
        home, packages, changelog = memoryview(self.home_rows), memoryview(self.packages_lines), \
            memoryview(self.changelog_rows)
        home_at = packages_at = changelog_at = file_at = 0
        for i, name in enumerate(self.names):
            files = self.file_counts[i]
            row_sizes = self.row_sizes[file_at:file_at + files]
            changelog_size = sum(row_sizes)
            yield RootRows([name], self.file_counts[i:i + 1], self.timestamps[file_at:file_at + files],
                           home[home_at:home_at + self.home_sizes[i]], self.home_sizes[i:i + 1],
                           packages[packages_at:packages_at + self.packages_sizes[i]], self.packages_sizes[i:i + 1],
                           changelog[changelog_at:changelog_at + changelog_size], row_sizes, self.requires[i:i + 1])
            home_at += self.home_sizes[i]
            packages_at += self.packages_sizes[i]
            changelog_at += changelog_size
            file_at += files


CHANGELOG_ENTRIES_PER_PAGE = 5000  # as in dumb-pypi 1.15


def changelog_path(number: int) -> str:
    """Changelog page `number` (from 1), from the tree's root."""
    return f"changelog/page{number}.html"


class RootPage(NamedTuple):
    path: str
    data: bytes
    rows_at: int  # where the projects' rows start in `data` (they run for the sum of their sizes)


def changelog_page_count(file_count: int) -> int:
    return max(1, math.ceil(file_count / CHANGELOG_ENTRIES_PER_PAGE))


def changelog_page_rows(number: int) -> range:
    """The places (from 0, in the changelog's order) of the rows on changelog page `number`."""
    return range((number - 1) * CHANGELOG_ENTRIES_PER_PAGE, number * CHANGELOG_ENTRIES_PER_PAGE)


def changelog_order(stamps: Sequence[int]) -> list[int]:
    """The files (by index number) in the changelog's order when they have
    upload times (`stamps`, 0: unknown): newest first; ties keep index order
    (dumb-pypi's changelog order)."""
    return sorted(range(len(stamps)), key=lambda i: -stamps[i])


