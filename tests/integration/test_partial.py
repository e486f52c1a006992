"""Partial rebuilds (--previous-package-list) from the state a build leaves.

Each step changes the list in some way and rebuilds the same tree in place;
after every step the tree, its state, and what is said on stderr must be
exactly what a full build of the new list gives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_cli
from support.trees import read_tree

from dumb_pypi import cli, records
from dumb_pypi.incremental.state import STATE_NAME
from dumb_pypi.pages.renderer import Renderer
from dumb_pypi.pages.rows import RootPage

COMMON = ["--packages-url", "https://files.example.com/"]




def _line(filename: str, **fields: object) -> str:
    return json.dumps({"filename": filename, **fields}, sort_keys=True)


BASE = [
    _line("alpha-1.0.tar.gz", upload_timestamp=1_500_000_000, uploaded_by="ann"),
    _line("alpha-1.1-py3-none-any.whl", upload_timestamp=1_600_000_000, requires_python=">=3.8"),
    _line("beta-0.1.tar.gz", upload_timestamp=1_400_000_000, yanked_reason="broken"),
    _line("gamma-2.0.zip"),
    "not json at all",
    _line("-20160920.193125.zip"),  # no project name: refused
    _line("delta-1.0.tar.gz", hash="sha256=" + "a" * 64, upload_timestamp=1_700_000_000),
    _line("delta-1.0.tar.gz", hash="sha256=" + "b" * 64),  # same file, other content: refused
]

STEPS = {
    "add a file to a project": BASE + [_line("alpha-2.0.tar.gz", upload_timestamp=1_800_000_000)],
    "add a project, newest of all": BASE + [_line("epsilon-0.1.tar.gz", upload_timestamp=1_900_000_000)],
    "add a file that requires projects": BASE + [_line("alpha-2.0-py3-none-any.whl", requires_dist=[
        "Beta[x]>=0.1; python_version>'3'", "zeta", "gamma (>=2)"])],
    "remove a file": [line for line in BASE if "alpha-1.0" not in line],
    "remove a project": [line for line in BASE if "beta" not in line],
    "change a line's content": [line.replace('"ann"', '"bob"') for line in BASE],
    "reorder the lines": list(reversed(BASE)),
    "change the first and the last line": [_line("alpha-0.9.tar.gz"), *BASE[1:-1], _line("delta-1.0.tar.gz")],
    "add a blank line": [*BASE[:3], "", *BASE[3:]],
    "repeat a line": [*BASE[:3], BASE[0], *BASE[3:]],
    "nothing changes": BASE,
}


@pytest.mark.parametrize("step", STEPS)
def test_partial_rebuild_gives_the_full_build(tmp_path: Path, step: str) -> None:
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text("\n".join(BASE) + "\n")
    new.write_text("\n".join(STEPS[step]) + "\n")
    run_cli("--package-list-json", old, "--output-dir", tmp_path / "partial", *COMMON)
    assert (tmp_path / "partial" / STATE_NAME).is_file()
    partial = run_cli("--package-list-json", new, "--previous-package-list-json", old,
                      "--output-dir", tmp_path / "partial", *COMMON)
    full = run_cli("--package-list-json", new, "--output-dir", tmp_path / "full", *COMMON)
    assert read_tree(tmp_path / "partial") == read_tree(tmp_path / "full")  # the state too: it is deterministic
    if step == "add a file that requires projects":  # linked where they are in the index
        page = (tmp_path / "partial" / "project" / "alpha" / "index.html").read_text()
        assert 'href="../beta/"' in page and 'href="../gamma/"' in page and 'href="../zeta/"' not in page
    # Every refused line is named again, with the new list's line numbers.
    assert partial.stderr == full.stderr
    assert "not json at all" not in partial.stderr and "malformed JSON" in partial.stderr
    assert "-20160920.193125.zip" in partial.stderr and "with different content" in partial.stderr


@pytest.mark.parametrize(("ending", "where"), [("\n", "end"), ("\n", "scattered"), ("\r\n", "scattered")])
def test_partial_rebuild_parses_only_what_changed(tmp_path: Path, huge_list: list[str],
                                                  monkeypatch: pytest.MonkeyPatch, ending: str, where: str) -> None:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    lines = huge_list[:3000]
    old.write_bytes((ending.join(lines) + ending).encode())
    added = [*lines, "zzz_added-1.0-py3-none-any.whl"]
    if where == "scattered":  # near both ends: every line in between is compared, few are parsed
        added[2:2] = ["aaa_added-1.0.tar.gz"]
        added[2990] = "zzz_replaced-1.0.tar.gz"
    new.write_bytes((ending.join(added) + ending).encode())
    out = tmp_path / "out"
    assert cli.main(["--package-list", str(old), "--output-dir", str(out), *COMMON]) == 0
    parsed: list[str] = []
    real = records.record_from_filename

    def counting(filename: str, **fields: Any) -> records.Record:
        parsed.append(filename)
        return real(filename, **fields)

    monkeypatch.setattr(records, "record_from_filename", counting)
    monkeypatch.setattr("dumb_pypi.inputs.lists.record_from_filename", counting)
    unchanged = (out / "simple" / lines[0].split("-")[0].lower() / "index.html").stat().st_mtime_ns
    assert cli.main(["--package-list", str(new), "--previous-package-list", str(old), "--output-dir", str(out),
                     *COMMON]) == 0
    # The new line, plus the few lines of the projects the feed shows (parsed
    # again from the state for it): nowhere near the 3,000 of the list.
    assert "zzz_added-1.0-py3-none-any.whl" in parsed
    assert len(parsed) < 300, len(parsed)
    assert (out / "simple" / "zzz-added" / "index.html").is_file()
    assert (out / "simple" / lines[0].split("-")[0].lower() / "index.html").stat().st_mtime_ns == unchanged
    monkeypatch.undo()
    run_cli("--package-list", new, "--output-dir", tmp_path / "full", *COMMON)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_the_feed_reads_unchanged_projects_whole(tmp_path: Path) -> None:
    # alpha is not changed, but the feed shows it: read again from the list,
    # where its first two lines are one file given twice.
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    lines = [BASE[0], BASE[0], *BASE[1:]]
    old.write_text("\n".join(lines) + "\n")
    new.write_text("\n".join([*lines, _line("epsilon-0.1.tar.gz")]) + "\n")
    run_cli("--package-list-json", old, "--output-dir", tmp_path / "partial", *COMMON)
    run_cli("--package-list-json", new, "--previous-package-list-json", old, "--output-dir", tmp_path / "partial",
            *COMMON)
    run_cli("--package-list-json", new, "--output-dir", tmp_path / "full", *COMMON)
    assert "<title>alpha 1.1</title>" in (tmp_path / "partial" / "feed.xml").read_text()
    assert read_tree(tmp_path / "partial") == read_tree(tmp_path / "full")


def test_a_list_with_other_line_breaks_is_built_in_full(tmp_path: Path) -> None:
    # A form feed also ends a line (str.splitlines()): such a list leaves no
    # state, and --previous-package-list builds it in full, as 1.15 would.
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_bytes(b"alpha-1.0.tar.gz\x0cbeta-1.0.tar.gz\n")
    new.write_bytes(b"alpha-1.0.tar.gz\x0cbeta-1.0.tar.gz\ngamma-1.0.tar.gz\n")
    out = tmp_path / "out"
    run_cli("--package-list", old, "--output-dir", out, *COMMON)
    assert not (out / STATE_NAME).exists()
    run_cli("--package-list", new, "--previous-package-list", old, "--output-dir", out, *COMMON)
    run_cli("--package-list", new, "--output-dir", tmp_path / "full", *COMMON)
    assert (out / "simple" / "beta" / "index.html").is_file() and (out / "simple" / "gamma" / "index.html").is_file()
    assert read_tree(out) == read_tree(tmp_path / "full")


ROOT_PAGES = ("index.html", "feed.xml", "packages.json", "simple/index.html", "simple/index.json",
              "changelog/page1.html")


def _old_tree(tmp_path: Path, change: str) -> tuple[Path, Path, Path]:
    """A tree built from the old list, then changed as `change` says; the old and new lists."""
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("alpha-1.0.tar.gz\nbeta-1.0.tar.gz\n")
    new.write_text("alpha-1.0.tar.gz\nbeta-1.0.tar.gz\ngamma-1.0.tar.gz\n")
    out = tmp_path / "out"
    run_cli("--package-list", old, "--output-dir", out, *COMMON)
    if change == "manifest changed":
        # The tree was written since by something that kept no state (its digest differs).
        manifest = (out / "manifest.json").read_text()
        digest = json.loads(manifest)["root_digest"]
        (out / "manifest.json").write_text(manifest.replace(digest, "sha256:" + "0" * 64))
    if change == "state damaged":
        (out / STATE_NAME).write_bytes((out / STATE_NAME).read_bytes()[:1000])
    if change == "root page edited":
        page = out / "changelog" / "page1.html"
        page.write_text(page.read_text().replace("<tbody>", "<tbodx>"))  # same size
    if change == "no state":
        (out / STATE_NAME).unlink()
    return out, old, new


@pytest.mark.parametrize("change", ["other settings", "manifest changed", "state damaged", "root page edited"])
def test_a_state_that_does_not_match_means_a_full_build(tmp_path: Path, change: str) -> None:
    # A tree of ours whose pages may all be stale (another flag, a page written since): built again in full.
    out, old, new = _old_tree(tmp_path, change)
    title = ["--title", "Other"] if change == "other settings" else []
    run_cli("--package-list", new, "--previous-package-list", old, "--output-dir", out, *title, *COMMON)
    run_cli("--package-list", new, "--output-dir", tmp_path / "full", *title, *COMMON)
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_without_a_state_only_what_changed_is_written(tmp_path: Path) -> None:
    # dumb-pypi 1.15's contract: the changed projects' pages and the root pages; the rest is left alone.
    out, old, new = _old_tree(tmp_path, "no state")
    before = read_tree(out)
    run_cli("--package-list", new, "--previous-package-list", old, "--output-dir", out, *COMMON)
    run_cli("--package-list", new, "--output-dir", tmp_path / "full", *COMMON)
    after, full = read_tree(out), read_tree(tmp_path / "full")
    assert not (out / STATE_NAME).exists()  # the next build with a previous list works the same way
    written = {path for path in after if after[path] != before.get(path)}
    assert {path for path in written if not path.startswith(("pypi/gamma/", "simple/gamma/", "project/gamma/"))} \
        == {*ROOT_PAGES, "manifest.json"}
    assert all(after[path] == full[path] for path in written if path != "manifest.json")
    assert all(after[path] == before[path] for path in after if path.startswith(("simple/alpha/", "project/beta/")))
    assert after == {path: data for path, data in full.items() if path != STATE_NAME}


@pytest.mark.parametrize("timestamps", [False, True])
def test_changelog_pages_cut_between_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timestamps: bool) -> None:
    # Pages of 7 rows over projects of 1..6 files: page ends fall inside projects.
    monkeypatch.setattr("dumb_pypi.pages.rows.CHANGELOG_ENTRIES_PER_PAGE", 7)
    lines = [_line(f"p{p}-1.{f}.tar.gz", **({"upload_timestamp": 1_000_000 + 37 * p * f % 101} if timestamps else {}))
             for p in range(1, 9) for f in range(p % 6 + 1)]
    listing = tmp_path / "list.jsonl"
    listing.write_text("\n".join(lines) + "\n")
    assert cli.main(["--package-list-json", str(listing), "--output-dir", str(tmp_path / "out"), *COMMON]) == 0
    pages = sorted((tmp_path / "out" / "changelog").glob("page*.html"), key=lambda p: int(p.stem[4:]))
    rows = [[row for row in page.read_text().split("\n") if row.startswith("<tr><td><a")] for page in pages]
    assert len(pages) == -(-len(lines) // 7) and all(len(page) == 7 for page in rows[:-1]) and rows[-1]
    shown = [row.split('">')[1].split("<")[0] for page in rows for row in page]
    names = sorted(json.loads(line)["filename"] for line in lines)  # index order here: one version per file
    expected = [json.loads(line)["filename"] for line in lines]
    if timestamps:
        stamp = {json.loads(line)["filename"]: json.loads(line)["upload_timestamp"] for line in lines}
        expected = sorted(expected, key=lambda name: -stamp[name])  # stable: ties keep index order
    assert sorted(shown) == names and shown == expected


PAGED = {  # project -> its files' versions; with pages of 7 rows, page ends fall inside projects
    f"p{p}": [f"1.{f}" for f in range(p % 6 + 1)] for p in range(1, 9)
}
PAGED_STEPS = {
    "add a file to the last project": {**PAGED, "p8": [*PAGED["p8"], "2.0"]},
    "add a project at the end": {**PAGED, "p9": ["0.1"]},
    "add a file in the middle": {**PAGED, "p5": [*PAGED["p5"], "2.0"]},
    "remove a project in the middle": {p: v for p, v in PAGED.items() if p != "p4"},
    "one page more": {**PAGED, "p9": ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]},
    "one page less": {p: v for p, v in PAGED.items() if p not in ("p5", "p6")},
}


def _paged_list(path: Path, projects: dict[str, list[str]], timestamps: bool) -> Path:
    path.write_text("".join(
        _line(f"{p}-{v}.tar.gz", **({"upload_timestamp": 1_000_000 + 37 * int(p[1:]) * i % 101} if timestamps else {}))
        + "\n" for p, versions in projects.items() for i, v in enumerate(versions)))
    return path


@pytest.mark.parametrize("timestamps", [False, True])
@pytest.mark.parametrize("step", PAGED_STEPS)
def test_partial_rebuild_over_changelog_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str,
                                              timestamps: bool) -> None:
    # Without upload times, the pages before the first change are kept as
    # they are and the rest are cut from the old pages' rows.
    monkeypatch.setattr("dumb_pypi.pages.rows.CHANGELOG_ENTRIES_PER_PAGE", 7)
    old = _paged_list(tmp_path / "old.jsonl", PAGED, timestamps)
    new = _paged_list(tmp_path / "new.jsonl", PAGED_STEPS[step], timestamps)
    out, full = tmp_path / "out", tmp_path / "full"
    assert cli.main(["--package-list-json", str(old), "--output-dir", str(out), *COMMON]) == 0
    rendered: list[int] = []
    real = Renderer._changelog_page

    def counting(self: Renderer, number: int, count: int, rows: bytes, timestamped: bool) -> RootPage:
        rendered.append(number)
        return real(self, number, count, rows, timestamped)

    monkeypatch.setattr(Renderer, "_changelog_page", counting)
    assert cli.main(["--package-list-json", str(new), "--previous-package-list-json", str(old),
                     "--output-dir", str(out), *COMMON]) == 0
    monkeypatch.setattr(Renderer, "_changelog_page", real)
    assert cli.main(["--package-list-json", str(new), "--output-dir", str(full), *COMMON]) == 0
    assert read_tree(out) == read_tree(full)
    # Page 1 (p1, p2, part of p3) comes before every change; the steps that
    # add a file keep the number of pages (26 files, then 27: 4 pages).
    kept = not timestamps and step.startswith("add")
    assert (1 not in rendered) == kept and rendered and rendered == sorted(rendered)
