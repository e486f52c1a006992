"""The driver itself (tests/support/browser.py), on small pages made to show
each thing it must notice: real key events, Enter, navigation, console
errors, failed loads, JavaScript off, overflow, screenshots, timing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import browser as driver
from support.browser import PHONE, BrowserMissing, Page
from support.servers import http_server

pytestmark = pytest.mark.slow

_HEAD = '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width, initial-scale=1">' \
        '<link rel="icon" href="data:,"><title>t</title></head><body>'
PAGES = {
    "keys.html": _HEAD + """<form action="next.html"><input id="q" name="q"></form><script>
      window.seen = [];
      for (const type of ["keydown", "keypress", "beforeinput", "input", "keyup"]) {
        document.getElementById("q").addEventListener(type, (e) => window.seen.push(type + ":" + (e.key || e.data)));
      }</script>""",
    "next.html": _HEAD + "next",
    "errors.html": _HEAD + """<img src="missing.png"><script>
      console.error("boom", 42);
      setTimeout(() => { throw new Error("bang"); }, 0);
      setTimeout(() => { alert("hello"); document.title = "after the dialog"; }, 0);</script>""",
    "clean.html": _HEAD + "<p>nothing wrong</p><script>console.log('fine');</script>",
    "script.html": _HEAD + "<script>document.title = 'ran';</script>",
    "wide.html": _HEAD + '<div id="wide" style="width: 600px">wide</div>',
    "scrolling.html": _HEAD + '<div style="overflow-x: auto"><div style="width: 600px">wide</div></div>',
    "slow.html": _HEAD + """<input id="q"><script>
      document.getElementById("q").addEventListener("input", () => {
        const end = performance.now() + 40; while (performance.now() < end) {}
      });</script>""",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("driver-pages")
    for name, html in PAGES.items():
        (root / name).write_text(html)
    with http_server(root, root.parent / "driver-http.log") as server:
        yield server.url


def test_typing_sends_real_key_events(page: Page, pages: str) -> None:
    page.goto(f"{pages}/keys.html")
    page.focus("#q")
    page.type_text("aZ-")
    assert page.evaluate("document.getElementById('q').value") == "aZ-"
    seen = page.evaluate("window.seen")
    assert seen[:5] == ["keydown:a", "keypress:a", "beforeinput:a", "input:a", "keyup:a"], seen
    assert "input:Z" in seen and "input:-" in seen, seen


def test_enter_submits_and_the_navigation_is_awaited(page: Page, pages: str) -> None:
    page.goto(f"{pages}/keys.html")
    page.focus("#q")
    page.type_text("x")
    mark = page.navigation_mark()
    page.press("Enter")
    assert page.wait_for_navigation(mark, timeout=5) == f"{pages}/next.html?q=x"
    mark = page.navigation_mark()
    with pytest.raises(driver.BrowserTimeout):
        page.wait_for_navigation(mark, timeout=0.5)  # nothing opens another page


def test_console_errors_exceptions_dialogs_and_failed_loads_are_collected(page: Page, pages: str) -> None:
    page.goto(f"{pages}/clean.html")
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 50))")
    assert page.errors == [] and page.failed_requests == []
    page.goto(f"{pages}/errors.html")
    page.evaluate("new Promise((resolve) => setTimeout(resolve, 50))")
    assert "console.error: boom 42" in page.errors, page.errors
    assert any("uncaught exception" in error and "bang" in error for error in page.errors), page.errors
    page.wait_for("document.title === 'after the dialog'", what="the page to go on after alert()")
    assert "dialog (alert): hello" in page.errors, page.errors
    assert page.failed_requests == [f"{pages}/missing.png: status 404"]
    with pytest.raises(driver.BrowserError, match="HTTP status 404"):
        page.goto(f"{pages}/no-such-page.html")


def test_javascript_can_be_disabled(page: Page, pages: str) -> None:
    page.goto(f"{pages}/script.html")
    assert page.evaluate("document.title") == "ran"
    page.disable_javascript()
    page.goto(f"{pages}/script.html")
    assert page.evaluate("document.title") == "t"


def test_horizontal_overflow_is_measured_on_a_phone(page: Page, pages: str) -> None:
    page.set_viewport(PHONE)
    page.goto(f"{pages}/wide.html")
    overflow = page.horizontal_overflow()
    assert overflow.excess == 600 + 8 - PHONE.width  # the body's margin
    assert overflow.culprits and overflow.culprits[0].startswith("div#wide"), overflow
    page.goto(f"{pages}/scrolling.html")
    assert page.horizontal_overflow().excess == 0


def test_screenshots_are_pngs_of_the_viewport_width(page: Page, pages: str) -> None:
    page.set_viewport(PHONE)
    page.goto(f"{pages}/clean.html")
    path = page.screenshot("driver-clean-phone")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == PHONE.width
    assert path.parent == driver.artifacts_dir()


def test_keystroke_timing_includes_the_input_handlers(page: Page, pages: str) -> None:
    page.goto(f"{pages}/slow.html")
    page.focus("#q")
    timing = page.time_key("a", "document.getElementById('q').value")
    assert 40 <= timing.handled_ms <= timing.frame_ms < 2000, timing
    assert timing.state == "a"
    page.goto(f"{pages}/keys.html")
    page.focus("#q")
    assert page.time_key("a").handled_ms < 40


def test_a_missing_browser_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DUMB_PYPI_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(BrowserMissing, match="DUMB_PYPI_CHROMIUM"):
        driver.find_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="DUMB_PYPI_CHROMIUM"):
        driver.require_browser()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        driver.require_browser()


def test_the_browser_stops_with_its_helpers(tmp_path: Path) -> None:
    with driver.launch(tmp_path / "profile") as other:
        assert other.version().startswith(("Chrome/", "HeadlessChrome/"))
        process = other.process
    assert process.poll() is not None
    left = []  # running processes of its process group (its helpers), zombies apart
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == process.pid and fields[0] != "Z":
            left.append(stat.parent.name)
    assert left == []


def test_no_host_name_resolves_but_the_loopback(page: Page, pages: str) -> None:
    with pytest.raises(driver.BrowserError, match="ERR_NAME_NOT_RESOLVED"):
        page.goto("http://example.com/")
    page.goto(pages.replace("127.0.0.1", "localhost") + "/clean.html")
