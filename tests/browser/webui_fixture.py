"""The index the browser tests read: real wheels with the metadata pypi.org
shows, built into an index by this checkout's CLI the way the Bazel and Pants
rules do it (one `dumb-pypi record` per file, with its upload time and yank,
then one index step with --pool).

The projects are chosen for what the tests check:
* `six`: the summary "Python 2 and 3 compatibility utilities" (search `compat`
  finds it by its summary); a reStructuredText description (shown as text).
* `py`, `pytest`, `PyYAML`, `happy`: search `py` ranks the exact name, then
  the prefix matches, then the rest (`happy`, and summaries that say Python).
* `pytest`: a Markdown description with raw HTML and a javascript: link,
  requirements on projects in this index (`pluggy`, `iniconfig`) and not
  (`packaging`, ...), Project-URLs (one with a javascript: URL), license,
  classifiers, a yanked release, a release candidate newer than the newest
  final release, and a backport uploaded after that final release.
* `sparkle`: only pre-releases (the newest pre-release is its latest).
* `happy`: requirements spelled unlike the projects' normalised names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from support.cli import run_cli
from support.distributions import make_wheel
from support.servers import Server

__all__ = ["FILES", "PROJECTS", "RELEASES", "Release", "Site", "build_bare_index", "build_index", "normalise"]

DAY = 86_400


@dataclass(frozen=True)
class Release:
    name: str  # as written in METADATA
    version: str
    uploaded: int  # epoch seconds
    summary: str
    yanked: str | None = None  # the yank reason ('' for none); None: not yanked
    requires_python: str | None = None
    requires_dist: Sequence[str] = ()
    fields: Sequence[tuple[str, str]] = ()
    description: str = ""
    uploaded_by: str | None = None


SIX_SUMMARY = "Python 2 and 3 compatibility utilities"
SIX_FIELDS = (
    ("Home-page", "https://github.com/benjaminp/six"),
    ("Author", "Benjamin Peterson"),
    ("License", "MIT"),
    ("Description-Content-Type", "text/x-rst"),
    ("Classifier", "Development Status :: 5 - Production/Stable"),
    ("Classifier", "License :: OSI Approved :: MIT License"),
    ("Classifier", "Programming Language :: Python :: 2"),
    ("Classifier", "Programming Language :: Python :: 3"),
    ("Classifier", "Topic :: Utilities"),
)
# reStructuredText: shown as text, markup from it as characters.
SIX_DESCRIPTION = """\
Six: Python 2 and 3 Compatibility Library
=========================================

Six provides simple utilities for wrapping over differences between Python 2
and Python 3. <b>not markup</b> & <script>alert("six")</script>

.. image:: https://img.shields.io/pypi/v/six.svg
"""

PYTEST_SUMMARY = "pytest: simple powerful testing with Python"
PYTEST_REQUIRES = (
    "iniconfig", "packaging", "pluggy<2,>=1.5", 'exceptiongroup>=1.0.0rc8; python_version < "3.11"',
    'tomli>=1; python_version < "3.11"', 'colorama; sys_platform == "win32"',
)
PYTEST_CLASSIFIERS = (
    "Development Status :: 6 - Mature",
    "Intended Audience :: Developers",
    "License :: OSI Approved :: MIT License",
    "Operating System :: POSIX",
    "Programming Language :: Python :: 3 :: Only",
    "Topic :: Software Development :: Testing",
)
PYTEST_URLS = {  # Project-URL label -> URL (the page links them)
    "Changelog": "https://docs.pytest.org/en/stable/changelog.html",
    "Source": "https://github.com/pytest-dev/pytest",
    "Tracker": "https://github.com/pytest-dev/pytest/issues",
}
PYTEST_HOME_PAGE = "https://docs.pytest.org/en/latest/"
UNSAFE_URL = "javascript:alert(document.domain)"
PYTEST_FIELDS = (
    ("Home-page", PYTEST_HOME_PAGE),
    ("License", "MIT"),
    *(("Classifier", classifier) for classifier in PYTEST_CLASSIFIERS),
    *(("Project-URL", f"{label}, {url}") for label, url in PYTEST_URLS.items()),
    ("Project-URL", f"Funding, {UNSAFE_URL}"),
    ("Description-Content-Type", "text/markdown"),
)


def _pytest_description(version: str) -> str:
    """Markdown, with raw HTML and links a page must not make live."""
    return f"""\
# pytest {version}

The `pytest` framework makes it **easy** to write small tests, yet scales to
support complex functional testing. See [the documentation](https://docs.pytest.org/en/stable/).

## Features

- Detailed info on failing `assert` statements
- Auto-discovery of test modules and functions

```python
def test_answer():
    assert inc(3) == 5
```

<script>window.__descriptionScriptRan = true</script>
<img src="x" onerror="window.__descriptionHandlerRan = true">
[click me](javascript:window.__descriptionLinkRan=true)
"""


T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
RELEASES: tuple[Release, ...] = (
    Release("six", "1.16.0", T0 - 900 * DAY, SIX_SUMMARY, requires_python=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*",
            fields=SIX_FIELDS, description=SIX_DESCRIPTION),
    Release("six", "1.17.0", T0 + 30 * DAY, SIX_SUMMARY, requires_python=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*",
            fields=SIX_FIELDS, description=SIX_DESCRIPTION, uploaded_by="benjaminp"),
    Release("py", "1.11.0", T0 - 700 * DAY, "library with cross-python path, ini-parsing, io, code, log facilities",
            requires_python=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*"),
    Release("pytest", "8.2.0", T0 + 10 * DAY, PYTEST_SUMMARY, yanked="Breaks fixtures on Python 3.8",
            requires_python=">=3.8", requires_dist=PYTEST_REQUIRES, fields=PYTEST_FIELDS,
            description=_pytest_description("8.2.0")),
    Release("pytest", "8.3.0", T0 + 20 * DAY, PYTEST_SUMMARY, requires_python=">=3.8",
            requires_dist=PYTEST_REQUIRES, fields=PYTEST_FIELDS, description=_pytest_description("8.3.0")),
    Release("pytest", "8.3.1", T0 + 40 * DAY + 3723, PYTEST_SUMMARY, requires_python=">=3.8",
            requires_dist=PYTEST_REQUIRES, fields=PYTEST_FIELDS, description=_pytest_description("8.3.1"),
            uploaded_by="pytest-bot"),
    # A backport, uploaded after the newest final release: not the latest.
    Release("pytest", "7.4.4", T0 + 45 * DAY, PYTEST_SUMMARY, requires_python=">=3.7",
            requires_dist=PYTEST_REQUIRES, fields=PYTEST_FIELDS, description=_pytest_description("7.4.4")),
    # Newer than the newest final release, and newest uploaded: still not the latest.
    Release("pytest", "9.0.0rc1", T0 + 50 * DAY, PYTEST_SUMMARY, requires_python=">=3.9",
            requires_dist=PYTEST_REQUIRES, fields=PYTEST_FIELDS, description=_pytest_description("9.0.0rc1")),
    Release("pluggy", "1.5.0", T0 + 5 * DAY, "plugin and hook calling mechanisms for python",
            requires_python=">=3.8"),
    Release("iniconfig", "2.0.0", T0 - 300 * DAY, "brain-dead simple config-ini parsing", requires_python=">=3.7"),
    Release("PyYAML", "6.0.2", T0 + 25 * DAY, "YAML parser and emitter for Python", requires_python=">=3.8"),
    Release("happy", "1.0.0", T0 + 35 * DAY, "Make your shell prompt cheerful",
            requires_dist=("Six>=1.16", "zope.interface>=5; extra == \"plugins\"")),
    Release("zope.interface", "6.4", T0 + 15 * DAY, "Interfaces for Python", requires_python=">=3.7"),
    Release("sparkle", "0.1.0a1", T0 + 1 * DAY, "Sparkline charts for terminals (experimental)"),
    Release("sparkle", "0.1.0b2", T0 + 2 * DAY, "Sparkline charts for terminals (experimental)"),
)


def normalise(name: str) -> str:
    """PEP 503: what the index calls a project (the home page's data-name)."""
    return re.sub(r"[-_.]+", "-", name).lower()


PROJECTS = {normalise(release.name): release.name for release in RELEASES}  # normalised -> as written


@dataclass(frozen=True)
class Site:
    """The example index, served three ways."""
    tree: Path  # its web root on disk
    url: str  # served at "http://127.0.0.1:PORT" (no trailing slash)
    server: Server  # that server (server.requests(): the paths it served)
    prefixed_url: str  # the same tree under a path: "http://127.0.0.1:PORT2/sub"
    bare_url: str  # an index of the same filenames from a plain list (no upload times): "http://127.0.0.1:PORT2/bare"


def _filename(release: Release) -> str:
    return f"{release.name.replace('-', '_').replace('.', '_')}-{release.version}-py3-none-any.whl"


FILES = {_filename(release): release for release in RELEASES}


def _record(wheel: str, release: Release, output: Path) -> None:
    flags = ["--upload-time", str(release.uploaded)]
    if release.yanked is not None:
        flags += ["--yanked-reason", release.yanked]
    if release.uploaded_by:
        flags += ["--uploaded-by", release.uploaded_by]
    run_cli("record", wheel, "--output", output, *flags)


def build_index(work: Path) -> Path:
    """Wheels into work/dists, records, then the index tree work/tree."""
    dists = work / "dists"
    dists.mkdir()
    entries, jobs = [], []
    for i, release in enumerate(RELEASES):
        wheel = make_wheel(str(dists), release.name, release.version, summary=release.summary,
                           requires_python=release.requires_python, requires_dist=release.requires_dist,
                           fields=release.fields, description=release.description)
        assert Path(wheel).name == _filename(release), wheel
        record = work / f"{i}.record.json"
        jobs.append((wheel, release, record))
        entries.append({"record": str(record), "file": wheel, "origin": f"//browser:{release.name}-{release.version}"})
    with ThreadPoolExecutor(2) as pool:  # each is a process of its own
        list(pool.map(lambda job: _record(*job), jobs))
    (work / "records.json").write_text(json.dumps(entries))
    tree = work / "tree"
    run_cli("--record-list", work / "records.json", "--pool", "--output-dir", tree, "--title", "Acme packages",
            "--strict")
    return tree


def build_bare_index(work: Path) -> Path:
    """An index from a plain list of filenames (dumb-pypi 1.15 style): no
    upload time is known for any file."""
    listing = work / "bare.txt"
    listing.write_text("".join(f"{name}\n" for name in FILES))
    tree = work / "bare"
    run_cli("--package-list", listing, "--packages-url", "https://files.example.invalid/", "--output-dir", tree)
    return tree
