"""A project's page in Chromium: the sections pypi.org shows, the latest
release, an install line that uses this index (contract: webui_contract.py)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from browser.webui_contract import links, rendered, text, times_not_in_utc
from browser.webui_fixture import (
    FILES,
    PYTEST_CLASSIFIERS,
    PYTEST_HOME_PAGE,
    PYTEST_REQUIRES,
    PYTEST_URLS,
    Site,
)
from support.browser import Page

pytestmark = pytest.mark.slow

SAFE_SCHEMES = {"http:", "https:", "mailto:"}


def _section(page: Page, selector: str) -> str:
    """The text of a section that must be there."""
    found = text(page, selector)
    assert found is not None, f"{page.url}: no {selector} element"
    return found


@pytest.mark.parametrize(("project", "latest"), [("pytest", "8.3.1"), ("six", "1.17.0"), ("sparkle", "0.1.0b2")])
def test_latest_is_the_highest_final_release(page: Page, site: Site, project: str, latest: str) -> None:
    """pytest has 9.0.0rc1 (higher, uploaded last) and 7.4.4 (uploaded after
    8.3.1); sparkle has only pre-releases."""
    page.goto(f"{site.url}/project/{project}/")
    assert _section(page, "#latest") == latest
    page.goto(f"{site.url}/index.html")
    row = text(page, f'#projects a[data-name="{project}"]') or ""
    assert re.search(rf"(^|\s){re.escape(latest)}(\s|$)", row), f"the home page's line names another version: {row!r}"


def test_markdown_description_is_rendered_with_raw_html_off(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/project/pytest/")
    description = _section(page, "#description")
    assert "pytest 8.3.1" in description and "9.0.0rc1" not in description, \
        f"not the latest release's description: {description[:200]!r}"
    counts = page.evaluate("""(() => {
      const root = document.querySelector("#description");
      const count = (selector) => root.querySelectorAll(selector).length;
      return {heading: count("h1, h2, h3, h4, h5, h6"), strong: count("strong, b"), code: count("code"),
              pre: count("pre"), li: count("li"),
              docs: [...root.querySelectorAll("a[href]")].filter(
                  (a) => a.href === "https://docs.pytest.org/en/stable/" && a.innerText.trim() === "the documentation"
              ).length};
    })()""")
    least = {"heading": 2, "strong": 1, "code": 3, "pre": 1, "li": 2, "docs": 1}
    assert all(counts[name] >= number for name, number in least.items()), \
        f"Markdown not rendered (elements in #description: {counts}; expected at least {least})"
    raw = page.evaluate("""(() => {
      const root = document.querySelector("#description");
      return {elements: root.querySelectorAll("script, img, iframe, object, embed, style").length,
              handlers: [...root.querySelectorAll("*")].filter((e) => [...e.attributes].some(
                  (attribute) => attribute.name.startsWith("on"))).length,
              ran: [window.__descriptionScriptRan, window.__descriptionHandlerRan, window.__descriptionLinkRan]
                  .filter(Boolean).length};
    })()""")
    assert raw == {"elements": 0, "handlers": 0, "ran": 0}, f"raw HTML from the description got through: {raw}"
    assert "<script>window.__descriptionScriptRan = true</script>" in description, "raw HTML not shown as text"
    assert '<img src="x" onerror=' in description, "raw HTML not shown as text"
    unsafe = [link for link in links(page, "#description") if link["protocol"] not in SAFE_SCHEMES]
    assert unsafe == [], f"links with unsafe schemes in the description: {unsafe}"
    assert "click me" in description


def test_other_description_types_are_shown_as_text(page: Page, site: Site) -> None:
    """six's description is reStructuredText: its characters, not markup."""
    page.goto(f"{site.url}/project/six/")
    description = _section(page, "#description")
    assert "Six: Python 2 and 3 Compatibility Library" in description
    assert '<b>not markup</b> & <script>alert("six")</script>' in description, description
    assert ".. image:: https://img.shields.io/pypi/v/six.svg" in description, description
    assert page.evaluate("document.querySelectorAll('#description b, #description script, #description img').length"
                         ) == 0, "markup from a text/x-rst description became elements"


def test_requirements_link_to_projects_in_this_index(page: Page, site: Site) -> None:
    missing = ("packaging", "exceptiongroup", "tomli", "colorama")  # not in the index
    page.goto(f"{site.url}/project/pytest/")
    requirements = _section(page, "#requirements")
    for requirement in PYTEST_REQUIRES:
        name, _, marker = requirement.partition(";")
        assert name.strip() in requirements, f"{name!r} not in #requirements: {requirements!r}"
        assert marker.strip() in requirements, f"marker {marker!r} not in #requirements: {requirements!r}"
    hrefs = {link["href"] for link in links(page, "#requirements")}
    assert {f"{site.url}/project/pluggy/", f"{site.url}/project/iniconfig/"} <= hrefs, hrefs
    assert not {f"{site.url}/project/{name}/" for name in missing} & hrefs, f"links to pages that do not exist: {hrefs}"

    page.goto(f"{site.url}/project/happy/")  # spelled unlike the normalised names
    requirements = _section(page, "#requirements")
    assert "Six>=1.16" in requirements and 'extra == "plugins"' in requirements, requirements
    hrefs = {link["href"] for link in links(page, "#requirements")}
    assert {f"{site.url}/project/six/", f"{site.url}/project/zope-interface/"} <= hrefs, hrefs


def test_project_urls_are_labelled_links(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/project/pytest/")
    found = links(page, "#urls")
    assert found, "no links in #urls"
    for label, url in PYTEST_URLS.items():
        assert any(link["href"] == url and label in link["text"] for link in found), \
            f"no link labelled {label!r} to {url} in #urls: {found}"
    assert any(link["href"] == PYTEST_HOME_PAGE for link in found), f"no Home-page link in #urls: {found}"
    unsafe = [link for link in links(page) if link["protocol"] not in SAFE_SCHEMES]
    assert unsafe == [], f"links with unsafe schemes (a Project-URL is javascript:): {unsafe}"


def test_license_classifiers_and_requires_python(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/project/pytest/")
    assert "MIT" in _section(page, "#license")
    classifiers = _section(page, "#classifiers")
    for classifier in PYTEST_CLASSIFIERS:
        assert classifier in classifiers, f"{classifier!r} not in #classifiers: {classifiers!r}"
    requires_python = _section(page, "#requires-python")
    assert ">=3.8" in requires_python and ">=3.9" not in requires_python, \
        f"not the latest release's Requires-Python: {requires_python!r}"


def test_every_version_is_listed_with_yanked_marks(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/project/pytest/")
    assert rendered(page, "#versions"), "no #versions section"
    versions = page.evaluate("[...document.querySelectorAll('#versions [data-version]')]"
                             ".map((e) => [e.getAttribute('data-version'), e.innerText.replace(/\\s+/g, ' ')])")
    assert [version for version, _ in versions] == ["9.0.0rc1", "8.3.1", "8.3.0", "8.2.0", "7.4.4"], versions
    for version, shown in versions:
        if version == "8.2.0":
            assert "yanked" in shown.lower() and "Breaks fixtures on Python 3.8" in shown, shown
        else:
            assert "yanked" not in shown.lower(), f"{version} is not yanked: {shown!r}"


def _install_line(page: Page) -> str:
    found = _section(page, "#install")
    match = re.search(r"pip install \S.*?==\S+", found)
    assert match, f"no `pip install ... name==version` in #install: {found!r}"
    return match.group(0)


def test_install_line_uses_this_index(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/project/pytest/")
    assert _install_line(page) == f"pip install --index-url {site.url}/simple/ pytest==8.3.1"
    page.goto(f"{site.prefixed_url}/project/six/")  # the same tree, served under /sub/
    assert _install_line(page) == f"pip install --index-url {site.prefixed_url}/simple/ six==1.17.0"


def test_install_line_installs_the_latest_release(page: Page, site: Site, tmp_path: Path) -> None:
    page.goto(f"{site.url}/project/six/")
    words = shlex.split(_install_line(page))
    assert words[:2] == ["pip", "install"], words
    target = tmp_path / "target"
    served = len(site.server.requests())
    # No configuration, no environment: this index alone (as the line says).
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    result = subprocess.run(
        [sys.executable, "-m", "pip", *words[1:], "--target", str(target), "--isolated", "--no-cache-dir",
         "--disable-pip-version-check", "--no-input", "--retries", "0", "--timeout", "10"],
        capture_output=True, text=True, timeout=120, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "six-1.17.0.dist-info").is_dir(), sorted(path.name for path in target.iterdir())
    downloads = [path for path in site.server.requests()[served:] if path.endswith("/six-1.17.0-py3-none-any.whl")]
    assert downloads, f"the wheel did not come from this index: {site.server.requests()[served:]}"


def test_upload_times_are_shown_in_utc(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/project/pytest/")
    pytest_files = [(filename, release.uploaded) for filename, release in FILES.items() if release.name == "pytest"]
    assert times_not_in_utc(page, pytest_files) == []
