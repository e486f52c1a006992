"""The changelog in Chromium: newest upload first, times in UTC, and a page
that says so when no time is known (contract: webui_contract.py)."""

from __future__ import annotations

import pytest
from browser.webui_contract import rendered, times_not_in_utc
from browser.webui_fixture import FILES, Site
from support.browser import Page

pytestmark = pytest.mark.slow


def _filenames_in_order(page: Page) -> list[str]:
    """The texts of the links that are filenames of the index, in document order."""
    texts: list[str] = page.evaluate("[...document.querySelectorAll('a[href]')].map((a) => a.innerText.trim())")
    return [shown for shown in texts if shown in FILES]


def test_files_newest_upload_first(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/changelog/page1.html")
    expected = sorted(FILES, key=lambda filename: FILES[filename].uploaded, reverse=True)
    assert _filenames_in_order(page) == expected


def test_upload_times_are_shown_in_utc(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/changelog/page1.html")
    assert times_not_in_utc(page, [(filename, release.uploaded) for filename, release in FILES.items()]) == []


def test_without_upload_times_it_says_so(page: Page, site: Site) -> None:
    """An index from a plain list of filenames knows no upload time."""
    page.goto(f"{site.bare_url}/changelog/page1.html")
    assert sorted(_filenames_in_order(page)) == sorted(FILES), "the changelog does not list every file"
    empty = page.evaluate("[...document.querySelectorAll('td')].filter((td) => !td.innerText.trim()).length")
    assert empty == 0, f"{empty} empty table cells (columns for times that are not known)"
    assert rendered(page, "#no-times"), "no #no-times message saying that no upload time is known"
