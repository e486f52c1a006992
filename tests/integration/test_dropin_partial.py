"""dumb-pypi 1.15's partial-rebuild contract, restated as tests of our CLI.

dumb-pypi 1.15's own suite pins what `--previous-package-list(-json)` does
(tests/main_test.py: test_build_repo_partial_rebuild,
test_build_repo_partial_rebuild_new_version_only,
test_build_repo_partial_rebuild_no_changes_at_all): it compares the two lists
and writes only the pages of the projects whose files changed, the root pages
when anything changed (simple/index.html only when a project came or went),
and nothing at all when nothing changed. A cron job that rsyncs only what
changed relies on that. We must do exactly that in an output directory that
holds no state of ours: an empty one, and one that 1.15 built from the
previous list. With our state, the partial rebuild is ours: the same tree as a
full build.

As in 1.15's tests, the lists are written into the output directory itself.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from support.cli import cli_env, run_cli
from support.trees import read_tree

COMMON = ["--packages-url", "../../pool/"]


def _line(filename: str, timestamp: int | None = None) -> dict[str, object]:
    return {"filename": filename} if timestamp is None else {"filename": filename, "upload_timestamp": timestamp}


# 1.15's test_build_repo_partial_rebuild: (previous list, new list)
PARTIAL = (
    [_line("a-0.0.1.tar.gz", 1), _line("a-0.0.2.tar.gz", 1),
     _line("b-0.0.1.tar.gz", 1), _line("b-0.0.2.tar.gz", 2),
     _line("c-0.0.1.tar.gz", 1), _line("c-0.0.2.tar.gz", 2)],
    [_line("a-0.0.1.tar.gz", 1), _line("a-0.0.2.tar.gz", 1),  # a is unchanged
     _line("b-0.0.1.tar.gz", 1), _line("b-0.0.2.tar.gz", 2),  # b has a new version, as an sdist and two wheels
     _line("b-0.0.3.tar.gz", 3), _line("b-0.0.3-py39-none-any.whl", 3), _line("b-0.0.3-py310-none-any.whl", 3),
     _line("c-0.0.1.tar.gz", 1), _line("c-0.0.2.tar.gz", 999),  # c 0.0.2's upload time changed
     _line("d-0.0.1.tar.gz", 1)],  # d is new
)
# test_build_repo_partial_rebuild_new_version_only
NEW_VERSION = ([_line("a-0.0.1.tar.gz"), _line("b-0.0.1.tar.gz")],
               [_line("a-0.0.1.tar.gz"), _line("b-0.0.1.tar.gz"), _line("b-0.0.2.tar.gz")])
# test_build_repo_partial_rebuild_no_changes_at_all
NO_CHANGES = ([_line("a-0.0.1.tar.gz"), _line("b-0.0.1.tar.gz"), _line("c-0.0.1.tar.gz")],) * 2
SCENARIOS = {"partial rebuild": PARTIAL, "new version only": NEW_VERSION, "no changes at all": NO_CHANGES}

LISTS = {"previous-packages", "packages"}
STARTS = ["empty", "built by 1.15"]


def _write_lists(out: Path, scenario: str) -> None:
    previous, new = SCENARIOS[scenario]
    for name, lines in zip(("previous-packages", "packages"), (previous, new)):
        (out / name).write_text("".join(json.dumps(line) + "\n" for line in lines))


def _ref_env() -> dict[str, str]:
    # 1.15's package is also called dumb_pypi: keep this checkout off its path.
    return {k: v for k, v in cli_env().items() if k != "PYTHONPATH"}


def _run_1_15(reference_venv: Path, *args: str | Path) -> None:
    subprocess.run([str(reference_venv / "bin" / "dumb-pypi"), *map(str, args)], check=True, capture_output=True,
                   timeout=120, env=_ref_env())


def _snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """path -> (inode, mtime, bytes) of every file: a file written again, even
    with the same bytes, gets another inode (atomic replace) or mtime."""
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            found[path.relative_to(root).as_posix()] = (stat.st_ino, stat.st_mtime_ns, path.read_bytes())
    return found


def _partial(program: str, out: Path, reference_venv: Path | None) -> set[str]:
    """Run a partial rebuild from out/previous-packages to out/packages
    (`program`: "ours" or "1.15"); the paths it wrote (new or written again)."""
    before = _snapshot(out)
    args: list[str | Path] = ["--previous-package-list-json", out / "previous-packages", "--package-list-json", out / "packages",
            "--output-dir", out, *COMMON]
    if program == "ours":
        run_cli(*args)
    else:
        assert reference_venv is not None
        _run_1_15(reference_venv, *args)
    after = _snapshot(out)
    return {path for path, seen in after.items() if before.get(path) != seen}


@pytest.fixture(params=STARTS)
def start(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _prepare(out: Path, scenario: str, start: str, request: pytest.FixtureRequest) -> Path | None:
    """The output directory as the run starts: empty but for the two lists,
    or what 1.15 built from the previous list; the 1.15 venv when used."""
    out.mkdir()
    _write_lists(out, scenario)
    if start == "empty":
        return None
    reference_venv: Path = request.getfixturevalue("reference_venv")
    _run_1_15(reference_venv, "--package-list-json", out / "previous-packages", "--output-dir", out, *COMMON)
    return reference_venv


def _project(path: str) -> str | None:
    """The project whose page `path` is (simple/<p>/..., pypi/<p>/..., project/<p>/...), None for a root page."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] in ("simple", "pypi", "project") else None


def _changelog_files(page: Path) -> list[str]:
    """The file links of a changelog page, in order: the text of each link to a distribution file."""
    return [text for text in re.findall(r"<a\s[^>]*>([^<]+)</a>", page.read_text())
            if text.endswith((".tar.gz", ".whl"))]


def test_partial_rebuild(tmp_path: Path, start: str, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "out"
    _prepare(out, "partial rebuild", start, request)
    written = _partial("ours", out, None)
    # a is unchanged: none of its pages is written (in an empty directory: it has none).
    assert {_project(path) for path in written} - {None} == {"b", "c", "d"}, sorted(written)
    assert {"simple/b/index.html", "pypi/b/json", "pypi/b/0.0.3/json",  # b has a new version
            "simple/c/index.html", "pypi/c/json",  # c's upload time changed
            "simple/d/index.html", "pypi/d/json", "pypi/d/0.0.1/json",  # d is new
            "simple/index.html",  # a project came
            "index.html", "changelog/page1.html"} <= written, sorted(written)


def test_partial_rebuild_changelog_order(tmp_path: Path, start: str, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "out"
    _prepare(out, "partial rebuild", start, request)
    _partial("ours", out, None)
    # 1.15 checks the changelog's links in order: newest first; among files
    # uploaded at the same time, by project, version, wheels first, then by
    # filename in natural order (py39 before py310). Our changelog links the
    # files relative to changelog/ (1.15 wrote the simple pages' relative URL
    # there unchanged) and links each project too: the files' order is the fact.
    assert _changelog_files(out / "changelog" / "page1.html") == [
        "c-0.0.2.tar.gz",  # uploaded at 999
        "b-0.0.3-py39-none-any.whl", "b-0.0.3-py310-none-any.whl", "b-0.0.3.tar.gz",  # at 3
        "b-0.0.2.tar.gz",  # at 2
        "a-0.0.1.tar.gz", "a-0.0.2.tar.gz", "b-0.0.1.tar.gz", "c-0.0.1.tar.gz", "d-0.0.1.tar.gz",  # at 1
    ]


def test_partial_rebuild_new_version_only(tmp_path: Path, start: str, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "out"
    _prepare(out, "new version only", start, request)
    written = _partial("ours", out, None)
    # No project came or went: simple/index.html is not written again.
    assert "simple/index.html" not in written, sorted(written)
    assert {_project(path) for path in written} - {None} == {"b"}, sorted(written)
    # Every page of the changed project, its old release's too.
    assert {"simple/b/index.html", "pypi/b/json", "pypi/b/0.0.1/json", "pypi/b/0.0.2/json",
            "index.html", "changelog/page1.html"} <= written, sorted(written)


def test_partial_rebuild_no_changes_at_all(tmp_path: Path, start: str, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "out"
    _prepare(out, "no changes at all", start, request)
    before = _snapshot(out)
    written = _partial("ours", out, None)
    assert written == set()
    assert _snapshot(out) == before  # nothing written, nothing removed
    if start == "empty":
        assert sorted(path.name for path in out.iterdir()) == sorted(LISTS)


def _allowed_extras(written_by_1_15: set[str]) -> set[str]:
    """What we write beside the paths 1.15 writes: each written project's
    PEP 691 page and web page, the JSON root page with the HTML one, and our
    root files, when anything is written at all."""
    extras = set()
    for project in {_project(path) for path in written_by_1_15} - {None}:
        extras |= {f"simple/{project}/index.json", f"project/{project}/index.html"}
    if "simple/index.html" in written_by_1_15:
        extras.add("simple/index.json")
    if written_by_1_15:
        extras |= {"feed.xml", "manifest.json", ".dumb-pypi-state", "static/style.css", "static/index.js"}
    return extras


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_we_write_what_1_15_writes(tmp_path: Path, scenario: str, start: str, reference_venv: Path,
                                   request: pytest.FixtureRequest) -> None:
    # The same start, given to 1.15 and to us: the paths each writes.
    ref_out, our_out = tmp_path / "ref", tmp_path / "ours"
    _prepare(ref_out, scenario, start, request)
    _prepare(our_out, scenario, start, request)
    by_1_15 = _partial("1.15", ref_out, reference_venv)
    ours = _partial("ours", our_out, None)
    assert by_1_15 <= ours, sorted(by_1_15 - ours)
    assert ours - by_1_15 <= _allowed_extras(by_1_15), sorted(ours - by_1_15 - _allowed_extras(by_1_15))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_with_our_state_a_partial_rebuild_gives_the_full_build(tmp_path: Path, scenario: str) -> None:
    # Our own path: the directory holds the state of our build of the
    # previous list; the partial rebuild's tree is the full build's, byte for byte.
    out, full = tmp_path / "out", tmp_path / "full"
    out.mkdir()
    full.mkdir()
    _write_lists(out, scenario)
    _write_lists(full, scenario)
    run_cli("--package-list-json", out / "previous-packages", "--output-dir", out, *COMMON)
    assert (out / ".dumb-pypi-state").is_file()
    run_cli("--previous-package-list-json", out / "previous-packages", "--package-list-json", out / "packages",
            "--output-dir", out, *COMMON)
    run_cli("--package-list-json", full / "packages", "--output-dir", full, *COMMON)
    assert read_tree(out) == read_tree(full)
