"""The web UI pages, read back with real HTML and XML parsers: every value
from input comes back as the same text, and no markup from input gets through."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from dumb_pypi.pages.links import Links
from dumb_pypi.pages.renderer import Renderer
from dumb_pypi.pages.webui import Site
from dumb_pypi.projects import Project, ProjectStatus, group_projects
from dumb_pypi.records import record_from_filename

HOSTILE = '<u>"it\'s" & </a><script>'
LOGO = 'https://logo.example/l.png?a=1&b="2"<'
ATOM = "{http://www.w3.org/2005/Atom}"


class Page(HTMLParser):
    """The tags, attribute values and text of a page, as a browser reads them."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text = ""
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [value for _, value in attrs if value is not None]

    def handle_data(self, data: str) -> None:
        self.text += data


def _hostile_project() -> Project:
    (project,) = group_projects([
        record_from_filename("a-2.0.tar.gz", requires_python=HOSTILE, summary=HOSTILE, requires_dist=(HOSTILE,),
                             uploaded_by=HOSTILE, upload_timestamp=1_700_000_000),
        record_from_filename("a-1.0-py3-none-any.whl", hash="sha256=" + "ab" * 32, uploaded_by=HOSTILE,
                             upload_timestamp=1_600_000_000, yanked_reason=HOSTILE),
    ], {"a": ProjectStatus("deprecated", HOSTILE)})
    return project


def _pages() -> dict[str, str]:
    site = Site(title=HOSTILE, logo=LOGO, logo_width=40, generated=HOSTILE, epoch=0)
    renderer = Renderer(Links("https://files.example/", pool=False), site)
    project = _hostile_project()
    pages = dict(renderer.project_pages(project, {"a"}))
    pages.update((page.path, page.data.decode()) for page in renderer.root_pages(
        [renderer.root_rows(project)], len(project.files), True, lambda name: project.files))
    return pages


def test_html_pages_show_input_as_text_never_as_markup() -> None:
    pages = _pages()
    html = {path: Page(text) for path, text in pages.items() if path.endswith(".html")}
    assert {"index.html", "project/a/index.html", "changelog/page1.html"} <= set(html)
    for path, page in html.items():
        assert "u" not in page.tags, path  # no page of ours uses <u>: it could only come from input
        # The web UI's own script is the only one.
        assert page.tags.count("script") == (0 if path.startswith("simple/") else 1), path
        if not path.startswith("simple/"):  # the web UI's frame: title, logo, "Generated on"
            assert HOSTILE in page.text and f"Generated on {HOSTILE} UTC." in page.text, path
            assert LOGO in page.attributes, path
    project = html["project/a/index.html"]
    assert f"Project status: deprecated: {HOSTILE}" in project.text
    assert f"yanked: {HOSTILE}" in project.text and HOSTILE in project.attributes  # the yank's title
    assert f"2023-11-14 22:13 by {HOSTILE}" in project.text
    assert f"Requires Python{HOSTILE}" in project.text and HOSTILE in project.text.split("Requirements")[1]
    assert f"a 2.0 {HOSTILE}" in html["index.html"].text  # the summary beside the project's name
    # The frame's three (<title>, heading, "Generated on"), then both files' uploader.
    assert html["changelog/page1.html"].text.count(HOSTILE) == 3 + 2


def test_feed_is_xml_with_input_as_text() -> None:
    feed = ET.fromstring(_pages()["feed.xml"])
    assert feed.findtext(f"{ATOM}title") == f"{HOSTILE}: releases"
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == HOSTILE
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["a 2.0", "a 1.0"]  # newest first
    assert [entry.findtext(f"{ATOM}author/{ATOM}name") for entry in entries] == [HOSTILE, HOSTILE]
    assert [entry.findtext(f"{ATOM}summary") for entry in entries] == [HOSTILE, "a 1.0"]
