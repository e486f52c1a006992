"""The simple API pages, read back the way clients read them."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from dumb_pypi.pages import simple_html, simple_json
from dumb_pypi.projects import Project, ProjectStatus, group_projects
from dumb_pypi.records import Record, record_from_filename

HOSTILE = '<b>"it\'s" & </a><script>'


class Anchors(HTMLParser):
    """Each <a>'s attributes (unescaped, as pip's parser sees them) and text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[dict[str, str | None], str]] = []
        self.meta: dict[str, str | None] = {}
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append((dict(attrs), ""))
            self._open = True
        elif tag == "meta":
            values = dict(attrs)
            self.meta[values.get("name") or ""] = values.get("content")

    def handle_endtag(self, tag: str) -> None:
        self._open = self._open and tag != "a"

    def handle_data(self, data: str) -> None:
        if self._open:
            attrs, text = self.links[-1]
            self.links[-1] = (attrs, text + data)


def _project(*records: Record, status: ProjectStatus | None = None) -> Project:
    (project,) = group_projects(records, {records[0].name: status} if status else None)
    return project


def _parse(page: str) -> Anchors:
    parser = Anchors()
    parser.feed(page)
    return parser


def test_attributes_survive_hostile_values() -> None:
    project = _project(
        record_from_filename("a-2.0.tar.gz", yanked_reason=HOSTILE, requires_python=HOSTILE),
        record_from_filename("a-1.0-py3-none-any.whl", hash="sha256=" + "ab" * 32, core_metadata="sha256=" + "cd" * 32,
                             yanked_reason=""),
        record_from_filename(f"a-3.0{HOSTILE.replace('/', '')}.zip"),
        status=ProjectStatus("deprecated", HOSTILE))
    page = simple_html.project_page(project, "../../files/", ["a-1.0-py3-none-any.whl", "a-2.0.tar.gz", "x.zip"])
    parsed = _parse(page)
    assert parsed.meta["pypi:project-status-reason"] == HOSTILE
    assert parsed.meta["pypi:repository-version"] == simple_html.REPOSITORY_VERSION
    (wheel, wheel_text), (sdist, _), (zipped, zipped_text) = parsed.links
    assert wheel["href"] == "../../files/a-1.0-py3-none-any.whl#sha256=" + "ab" * 32
    assert wheel["data-yanked"] == ""  # valued: pip ignores a bare data-yanked
    assert wheel["data-core-metadata"] == wheel["data-dist-info-metadata"] == "sha256=" + "cd" * 32
    assert wheel_text == "a-1.0-py3-none-any.whl"
    assert sdist["data-yanked"] == HOSTILE and sdist["data-requires-python"] == HOSTILE
    assert "data-yanked" not in zipped and zipped_text == project.files[2].filename


def test_root_page_lists_every_project() -> None:
    parsed = _parse(simple_html.root_page(["a", "b-c"]))
    assert [(attrs["href"], text) for attrs, text in parsed.links] == [("a/", "a"), ("b-c/", "b-c")]
    assert json.loads(simple_json.root_page(["a", "b-c"]))["projects"] == [{"name": "a"}, {"name": "b-c"}]


@pytest.mark.parametrize(("sizes", "api_version"), [((10, 20), "1.4"), ((10, None), "1.0")])
def test_json_api_version_follows_sizes(sizes: tuple[int | None, int | None], api_version: str) -> None:
    project = _project(record_from_filename("a-1.0.tar.gz", size=sizes[0], upload_timestamp=1700000000),
                       record_from_filename("a-1.10.tar.gz", size=sizes[1], yanked_reason="x"))
    page = json.loads(simple_json.project_page(project, "../../f/", ["a-1.0.tar.gz", "a-1.10.tar.gz"]))
    assert page["meta"]["api-version"] == api_version
    assert page["versions"] == ["1.0", "1.10"]  # PEP 440 order, not string order
    first, second = page["files"]
    assert first["upload-time"] == "2023-11-14T22:13:20Z" and first["yanked"] is False and first["hashes"] == {}
    assert second["yanked"] == "x" and first["url"] == "../../f/a-1.0.tar.gz"


def test_feed_ids_stay_what_they_were() -> None:
    # A feed reader shows a release once, however often the index is rebuilt: its id never changes.
    from dumb_pypi.pages.webui.views import feed_uuid as _feed_uuid

    assert _feed_uuid("alpha==1.0") == "588f42f5-47f0-5d76-804a-e3cfda16cd35"
    assert _feed_uuid("feed:My Private PyPI") == "79e8ae91-a99f-5135-a2bd-3666fd06eb8e"
