"""PEP 503 HTML pages (with PEP 592, 629, 658/714 and 792 attributes).

Built from Html templates (markup.py), not Jinja2: they are small, fixed in
shape (PEP 833 froze the HTML form) and there are tens of thousands of them.
"""

from __future__ import annotations

from dumb_pypi.pages.markup import Html, Markup, join
from dumb_pypi.projects import Project

__all__ = ["REPOSITORY_VERSION", "project_page", "root_page"]

REPOSITORY_VERSION = "1.4"

_HEAD = Html('<!DOCTYPE html>\n<html>\n<head>\n<meta name="pypi:repository-version" content="{}">\n')(
    REPOSITORY_VERSION)
_ROOT = Html("{}<title>Simple index</title>\n</head>\n<body>\n{}</body>\n</html>\n")
_ROOT_LINK = Html('<a href="{0}/">{0}</a><br>\n')
_STATUS = Html('<meta name="pypi:project-status" content="{}">\n')
_STATUS_REASON = Html('<meta name="pypi:project-status-reason" content="{}">\n')
_PROJECT = Html("{}<title>Links for {}</title>\n</head>\n<body>\n<h1>Links for {}</h1>\n{}</body>\n</html>\n")
_LINK = Html('<a href="{}"{}>{}</a><br>\n')
_REQUIRES_PYTHON = Html(' data-requires-python="{}"')
# PEP 714's name, plus PEP 658's for older pip and rules_python.
_CORE_METADATA = Html(' data-core-metadata="{0}" data-dist-info-metadata="{0}"')
_YANKED = Html(' data-yanked="{}"')  # always valued: pip ignores a bare data-yanked
_NOTHING = Markup("")


def root_page(names: list[str]) -> str:
    return _ROOT(_HEAD, _ROOT_LINK.each(names))


def project_page(project: Project, base: str, tails: list[str]) -> str:
    """The page pip reads: one link per file, newest last (as PyPI does)."""
    head = [_HEAD]
    if project.status is not None:
        head.append(_STATUS(project.status.status))
        if project.status.reason:
            head.append(_STATUS_REASON(project.status.reason))
    links = []
    for record, tail in zip(project.files, tails):
        attributes = []
        if record.requires_python:
            attributes.append(_REQUIRES_PYTHON(record.requires_python))
        if record.core_metadata:
            attributes.append(_CORE_METADATA(record.core_metadata))
        if record.yanked_reason is not None:
            attributes.append(_YANKED(record.yanked_reason))
        href = base + tail + ("#" + record.hash if record.hash else "")
        links.append(_LINK(href, join(attributes) if attributes else _NOTHING, record.filename))
    return _PROJECT(join(head), project.name, project.name, join(links))
