"""The home page's search, typed key by key in Chromium (contract: webui_contract.py)."""

from __future__ import annotations

import pytest
from browser.webui_contract import SEARCH, rendered, settle, shown
from browser.webui_fixture import PROJECTS, Site
from support.browser import BrowserTimeout, Page

pytestmark = pytest.mark.slow


def _search(page: Page, site: Site, query: str) -> None:
    page.goto(f"{site.url}/index.html")
    page.focus(SEARCH)
    page.type_text(query)
    assert page.evaluate(f"document.querySelector({SEARCH!r}).value") == query


def test_typing_a_word_of_a_summary_finds_the_project(page: Page, site: Site) -> None:
    _search(page, site, "compat")
    results = settle(lambda: shown(page), lambda names: names == ["six"])
    assert results == ["six"], f"`compat` (in six's summary, in no name) should show six alone, shows {results}"


def test_exact_name_first_then_prefix_matches_then_the_rest(page: Page, site: Site) -> None:
    _search(page, site, "py")
    prefixed = {"pytest", "pyyaml"}
    results = settle(lambda: shown(page), lambda names: names[:3] == ["py", *sorted(names[1:3])] and
                     set(names[1:3]) == prefixed)
    assert results[:1] == ["py"], f"the exact name first: {results}"
    assert set(results[1:3]) == prefixed, f"then the names that start with `py`: {results}"
    assert "happy" in results[3:], f"then the rest, `happy` (py inside its name) among them: {results}"
    assert "six" in results[3:], f"then the rest, `six` (Python in its summary) among them: {results}"
    assert "iniconfig" not in results and "sparkle" not in results, results


def test_no_match_message_shows_only_when_nothing_matches(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/index.html")
    assert page.evaluate("!!document.querySelector('#no-match')"), "no #no-match element on the home page"
    assert not rendered(page, "#no-match"), "#no-match is shown before anything is typed"
    page.focus(SEARCH)
    page.type_text("zqx")
    assert settle(lambda: rendered(page, "#no-match"), bool), "#no-match is not shown when nothing matches `zqx`"
    assert shown(page) == []
    for _ in "zqx":
        page.press("Backspace")
    page.type_text("six")
    assert settle(lambda: not rendered(page, "#no-match"), bool), "#no-match still shown while `six` matches"
    assert "six" in shown(page)


def test_enter_opens_the_first_result(page: Page, site: Site) -> None:
    _search(page, site, "compat")
    settle(lambda: shown(page), lambda names: names[:1] == ["six"])
    mark = page.navigation_mark()
    page.press("Enter")
    try:
        url = page.wait_for_navigation(mark, timeout=3)
    except BrowserTimeout:
        pytest.fail(f"Enter in the search box (`compat`: six shown? {shown(page)}) opened no page in 3 s")
    assert url == f"{site.url}/project/six/", f"Enter on `compat` should open six's page, opened {url}"


def test_every_project_is_listed_without_javascript(page: Page, site: Site) -> None:
    page.disable_javascript()
    page.goto(f"{site.url}/index.html")
    assert sorted(shown(page)) == sorted(PROJECTS), "the home page without JavaScript must list every project"
    hrefs = page.evaluate("[...document.querySelectorAll('#projects a[data-name]')]"
                          ".map((a) => [a.getAttribute('data-name'), a.href])")
    assert all(href == f"{site.url}/project/{name}/" for name, href in hrefs), hrefs
    assert not rendered(page, "#no-match"), "#no-match is shown on the page without JavaScript"
