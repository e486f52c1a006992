"""What every page must do in Chromium: no console errors, nothing loaded from
elsewhere or broken, safe links, fits a phone's width, screenshots kept
(contract: webui_contract.py)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser.webui_contract import SEARCH, header_lines, links
from browser.webui_fixture import Site
from support.browser import DESKTOP, PHONE, Page

pytestmark = pytest.mark.slow

PAGES = {  # name -> path from the web root
    "home": "index.html",
    "project-pytest": "project/pytest/",
    "project-six": "project/six/",
    "changelog": "changelog/page1.html",
}
SAFE_SCHEMES = {"http:", "https:", "mailto:"}


def _open(page: Page, site: Site, name: str, search: bool = False) -> None:
    page.goto(f"{site.url}/{PAGES[name]}")
    if search and name == "home":  # the search runs too: a query, one key taken back
        page.focus(SEARCH)
        page.type_text("py")
        page.press("Backspace")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("name", PAGES)
def test_no_console_errors(page: Page, site: Site, name: str) -> None:
    _open(page, site, name, search=True)
    page.evaluate("new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50)))")
    assert page.errors == []


@pytest.mark.parametrize("name", PAGES)
def test_loads_only_from_this_index_and_nothing_fails(page: Page, site: Site, name: str) -> None:
    _open(page, site, name, search=True)
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 100))")
    elsewhere = [url for url in page.requests if not url.startswith(f"{site.url}/")]
    assert elsewhere == [], "requests to other servers"
    failed = [failure for failure in page.failed_requests if not failure.startswith(f"{site.url}/favicon.ico:")]
    assert failed == []


@pytest.mark.parametrize("name", PAGES)
def test_links_are_served_and_safe(page: Page, site: Site, name: str) -> None:
    page.goto(f"{site.url}/{PAGES[name]}")
    found = links(page)
    assert found, "no links"
    unsafe = [link for link in found if link["protocol"] not in SAFE_SCHEMES]
    assert unsafe == [], "links with unsafe schemes"
    ours = sorted({link["href"].partition("#")[0] for link in found if link["href"].startswith(f"{site.url}/")})
    broken = [(url, status) for url in ours if (status := _status(url)) != 200]
    assert broken == [], f"links to this index that are not served (of {len(ours)})"


@pytest.mark.parametrize("name", PAGES)
def test_fits_a_phone_width(page: Page, site: Site, name: str) -> None:
    page.set_viewport(PHONE)
    _open(page, site, name)
    overflow = page.horizontal_overflow()
    assert overflow.excess == 0, (f"at {PHONE.width} px the page is {overflow.scroll_width} px wide; "
                                  f"sticking out: {overflow.culprits}")


@pytest.mark.parametrize("name", PAGES)
def test_header_on_one_or_two_lines_on_a_phone(page: Page, site: Site, name: str) -> None:
    page.set_viewport(PHONE)
    _open(page, site, name)
    lines = header_lines(page)
    assert 1 <= lines <= 2, f"the header takes {lines} lines at {PHONE.width} px"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("name", PAGES)
def test_screenshots_at_desktop_and_phone_sizes(page: Page, site: Site, name: str) -> None:
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport(viewport)
        _open(page, site, name)
        path = page.screenshot(f"{name}-{label}")
        width, height = _png_size(path)
        assert width >= viewport.width * viewport.scale and height >= 100, (path, width, height)
