"""Fixtures of the browser suite: one headless Chromium per test module (none
is left running while the other suites run), a fresh tab per test (and a
screenshot of it when the test fails), the example index served by
`python -m http.server` on 127.0.0.1.

Figures the tests measure (timings, sizes) are printed at the end of the run
and written to ARTIFACTS/figures.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from browser.webui_fixture import Site, build_bare_index, build_index
from support.browser import Browser, Page, artifacts_dir, launch, require_browser
from support.servers import http_server

FIGURES: dict[str, object] = {}

_FAILED = pytest.StashKey[bool]()  # the test (its call) failed


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("browser figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")
        (artifacts_dir() / "figures.json").write_text(json.dumps(FIGURES, indent=1) + "\n")


@pytest.fixture
def figure() -> Callable[[str, object], None]:
    """figure(name, value): report a measured figure at the end of the run."""
    return FIGURES.__setitem__


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The artifacts directory, without the failure screenshots of earlier runs."""
    directory = artifacts_dir()
    for stale in directory.glob("failed-*.png"):
        stale.unlink()
    return directory


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Browser]:
    executable = require_browser()
    with launch(tmp_path_factory.mktemp("chromium"), executable) as started:
        yield started


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new tab (desktop size); screenshot ARTIFACTS/failed-<test>.png if the test fails."""
    tab = browser.new_page()
    try:
        yield tab
        if request.node.stash.get(_FAILED, False) and tab.url.startswith("http"):
            tab.screenshot(f"failed-{request.node.name}")
    finally:
        tab.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("webui")
    tree = build_index(work)
    second = work / "second"
    second.mkdir()
    (second / "sub").symlink_to(tree)
    build_bare_index(work)
    (second / "bare").symlink_to(work / "bare")
    with ExitStack() as servers:
        first = servers.enter_context(http_server(tree, work / "http.log"))
        other = servers.enter_context(http_server(second, work / "http-second.log"))
        yield Site(tree, first.url, first, f"{other.url}/sub", f"{other.url}/bare")

