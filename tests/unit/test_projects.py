"""Grouping and ordering, over the whole 71k real list."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from dumb_pypi.errors import InvalidFilename
from dumb_pypi.projects import group_projects
from dumb_pypi.records import Record, record_from_filename


def test_whole_list_groups_and_sorts(huge_list: list[str]) -> None:
    records = []
    for filename in huge_list:
        try:
            records.append(record_from_filename(filename))
        except InvalidFilename:
            pass
    projects = group_projects(records, refuse=lambda record, reason: None)
    assert [p.name for p in projects] == sorted({r.name for r in records})
    assert sum(len(p.files) for p in projects) == len({(r.name, r.filename) for r in records})
    for project in projects:
        versions = []
        for record in project.files:
            try:
                versions.append(Version(record.version or ""))
            except InvalidVersion:
                continue
        assert versions == sorted(versions), project.name  # PEP 440 versions keep PEP 440 order


def test_same_file_twice() -> None:
    refused: list[tuple[Record, str]] = []
    a = record_from_filename("a-1.0.tar.gz", hash="sha256=" + "ab" * 32, origin="one")
    projects = group_projects([a, a._replace(origin="two"), a._replace(hash="sha256=" + "cd" * 32, origin="three")],
                              refuse=lambda record, reason: refused.append((record, reason)))
    assert [len(p.files) for p in projects] == [1] and projects[0].files[0].origin == "one"
    assert [(r.origin, "one" in reason) for r, reason in refused] == [("three", True)]


def test_wheels_before_sdist_within_a_version() -> None:
    files = ["a-1.0.tar.gz", "a-1.0-py3-none-any.whl", "a-0.9.zip", "a-1.0-1-py3-none-any.whl"]
    (project,) = group_projects([record_from_filename(f) for f in files])
    assert [r.filename for r in project.files] == ["a-0.9.zip", "a-1.0-1-py3-none-any.whl",
                                                   "a-1.0-py3-none-any.whl", "a-1.0.tar.gz"]
