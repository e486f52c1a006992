"""PEP 503 HTML pages (with PEP 592, 629, 658/714 and 792 attributes).

Pages are built with plain string formatting: they are small, fixed in shape
(PEP 833 froze the HTML form) and there are tens of thousands of them.
"""

from __future__ import annotations

from dumb_pypi.pages.markup import escape
from dumb_pypi.projects import Project

__all__ = ["REPOSITORY_VERSION", "project_page", "root_page"]

REPOSITORY_VERSION = "1.4"

_HEAD = (
    "<!DOCTYPE html>\n<html>\n<head>\n"
    f'<meta name="pypi:repository-version" content="{REPOSITORY_VERSION}">\n'
)


def root_page(names: list[str]) -> str:
    links = "".join(f'<a href="{name}/">{name}</a><br>\n' for name in names)
    return f"{_HEAD}<title>Simple index</title>\n</head>\n<body>\n{links}</body>\n</html>\n"


def project_page(project: Project, base: str, tails: list[str]) -> str:
    """The page pip reads: one link per file, newest last (as PyPI does)."""
    name = project.name
    head = [_HEAD]
    if project.status is not None:
        head.append(f'<meta name="pypi:project-status" content="{escape(project.status.status)}">\n')
        if project.status.reason:
            head.append(f'<meta name="pypi:project-status-reason" content="{escape(project.status.reason)}">\n')
    lines = []
    for record, tail in zip(project.files, tails):
        href = escape(base + tail)
        if record.hash:
            href += "#" + record.hash
        attributes = ""
        if record.requires_python:
            attributes += f' data-requires-python="{escape(record.requires_python)}"'
        if record.core_metadata:
            value = escape(record.core_metadata)
            # PEP 714's name, plus PEP 658's for older pip and rules_python.
            attributes += f' data-core-metadata="{value}" data-dist-info-metadata="{value}"'
        if record.yanked_reason is not None:
            # Always valued: pip ignores a bare data-yanked.
            attributes += f' data-yanked="{escape(record.yanked_reason)}"'
        lines.append(f'<a href="{href}"{attributes}>{escape(record.filename)}</a><br>\n')
    return (
        f"{''.join(head)}<title>Links for {name}</title>\n</head>\n<body>\n"
        f"<h1>Links for {name}</h1>\n{''.join(lines)}</body>\n</html>\n"
    )
