"""Render every page of the index as (path, text) pairs; no I/O here.

Project pages come first, then the root pages that link to them, which is the
order output.py writes them in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dumb_pypi.pages import legacy_json, simple_html, simple_json
from dumb_pypi.pages.links import Links
from dumb_pypi.pages.webui import Site, WebUI
from dumb_pypi.projects import Project
from dumb_pypi.records import Record, dumps, record_to_json

__all__ = ["Links", "Renderer", "Site"]

# A version becomes a directory name (pypi/<p>/<version>/json) only when it is
# plainly safe; a few legacy versions (spaces, "....") get no per-release page.
_SAFE_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]{0,199}$")


def _packages_json(records: list[Record]) -> str:
    """All inputs as JSON lines; joined in chunks to keep the peak memory low."""
    return "".join(
        "".join(dumps(record_to_json(record, include_metadata=False)) + "\n" for record in records[start:start + 4096])
        for start in range(0, len(records), 4096))


class Renderer:
    def __init__(self, links: Links, site: Site, *, per_release_json: bool = True) -> None:
        self.links = links
        self.webui = WebUI(site)
        self.per_release_json = per_release_json

    def project_pages(self, project: Project) -> Iterator[tuple[str, str]]:
        name = project.name
        links = self.links
        tails = [links.tail(record) for record in project.files]
        simple_base = links.base(f"simple/{name}", name)
        yield f"simple/{name}/index.html", simple_html.project_page(project, simple_base, tails)
        yield f"simple/{name}/index.json", simple_json.project_page(project, simple_base, tails)
        json_parts = [legacy_json.file_parts(record) for record in project.files]
        yield f"pypi/{name}/json", legacy_json.project_json(project, links.base(f"pypi/{name}", name), tails,
                                                            json_parts)
        if self.per_release_json:
            yield from self._release_pages(project, tails, json_parts)
        yield f"project/{name}/index.html", self.webui.project(project, links.base(f"project/{name}", name), tails)

    def _release_pages(self, project: Project, tails: list[str],
                       json_parts: list[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        releases: dict[str, tuple[list[Record], list[str], list[tuple[str, str]]]] = {}
        for record, tail, parts in zip(project.files, tails, json_parts):
            if record.version is not None and _SAFE_VERSION_RE.match(record.version):
                files, release_tails, release_parts = releases.setdefault(record.version, ([], [], []))
                files.append(record)
                release_tails.append(tail)
                release_parts.append(parts)
        for version, (files, release_tails, release_parts) in releases.items():
            directory = f"pypi/{project.name}/{version}"
            release = project._replace(files=files)
            yield f"{directory}/json", legacy_json.project_json(
                release, self.links.base(directory, project.name), release_tails, release_parts)

    def root_pages(self, projects: list[Project]) -> Iterator[tuple[str, str]]:
        names = [project.name for project in projects]
        every_file = [record for project in projects for record in project.files]
        # Newest first; ties keep index order (dumb-pypi's changelog order).
        newest_first = sorted(every_file, key=lambda r: -(r.upload_timestamp or 0))
        links = self.links
        yield from self.webui.changelog(
            newest_first, lambda record: links.base("changelog", record.name) + links.tail(record))
        yield "feed.xml", self.webui.feed(newest_first)
        yield "packages.json", _packages_json(every_file)
        yield "simple/index.json", simple_json.root_page(names)
        yield "simple/index.html", simple_html.root_page(names)
        yield "index.html", self.webui.home(projects)
