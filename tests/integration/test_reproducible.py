"""Reproducibility: the same inputs give the same bytes, whatever the output
path, input order, clock, time zone or locale; a partial rebuild gives the full
build; and the API pages match a reviewed golden tree.

Refresh the golden tree after an intended change of output:
    DUMB_PYPI_UPDATE_GOLDEN=1 python -m pytest tests/integration/test_reproducible.py
and review the diff of tests/integration/golden/expected/.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tarfile
from pathlib import Path

import pytest
from support.cli import cli_env, run_cli
from support.distributions import make_sdist, make_wheel
from support.trees import read_tree

GOLDEN = Path(__file__).parent / "golden"
# The API surfaces clients read are compared byte for byte; the web UI by path only,
# so a template change does not need a golden refresh.
GOLDEN_CONTENT = ("simple/", "pypi/", "packages.json")




def _root_digest(tree: Path) -> str:
    digest: str = json.loads((tree / "manifest.json").read_text())["root_digest"]
    return digest


def test_golden_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli("--package-list-json", GOLDEN / "input.jsonl", "--packages-url", "https://files.example.com/pkgs/",
            "--output-dir", out, "--title", "Golden <index>", "--generate-timestamp",
            env=cli_env(SOURCE_DATE_EPOCH="1700000000"))
    tree = read_tree(out)
    paths = "".join(f"{path}\n" for path in tree)
    expected = GOLDEN / "expected"
    if os.environ.get("DUMB_PYPI_UPDATE_GOLDEN"):
        shutil.rmtree(expected, ignore_errors=True)
        for path, data in tree.items():
            if path.startswith(GOLDEN_CONTENT):
                (expected / path).parent.mkdir(parents=True, exist_ok=True)
                (expected / path).write_bytes(data)
        (GOLDEN / "paths.txt").write_text(paths)
    assert paths == (GOLDEN / "paths.txt").read_text(), "the tree's paths changed (see module docstring)"
    golden = read_tree(expected)
    assert golden, "no golden files: run with DUMB_PYPI_UPDATE_GOLDEN=1"
    for path, data in golden.items():
        assert tree[path].decode() == data.decode(), f"{path} differs from golden/expected/{path}"
    assert {p for p in tree if p.startswith(GOLDEN_CONTENT)} == set(golden)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("dists")
    files = [make_wheel(str(directory), f"pkg{i}", f"1.{j}", requires_python=">=3.8", requires_dist=["other>=1"])
             for i in range(6) for j in range(3)]
    files.append(make_sdist(str(directory), "pkg0", "2.0"))
    return [Path(f) for f in files]


def test_same_bytes_whatever_the_path_order_clock_and_locale(dists: list[Path], tmp_path: Path) -> None:
    results = []
    for attempt, (tz, lang) in enumerate([("UTC", "C.UTF-8"), ("Asia/Kolkata", "de_DE.UTF-8")]):
        shuffled = [str(p) for p in dists]
        random.Random(attempt).shuffle(shuffled)
        work = tmp_path / f"run{attempt}" / ("deeper" * attempt)
        work.mkdir(parents=True)
        run_cli(*shuffled, "--pool", "--output-dir", work / "out", "--tarball", work / "index.tar.gz",
                "--manifest", work / "manifest.json", cwd=work, env=cli_env(TZ=tz, LANG=lang, LC_ALL=lang))
        results.append(work)
    first, second = results
    assert read_tree(first / "out") == read_tree(second / "out")
    assert (first / "index.tar.gz").read_bytes() == (second / "index.tar.gz").read_bytes()
    assert (first / "manifest.json").read_bytes() == (first / "out" / "manifest.json").read_bytes()
    # The manifest says what is in the tree, and its root digest is computed as documented.
    manifest = json.loads((first / "manifest.json").read_text())
    tree = read_tree(first / "out")
    del tree["manifest.json"]
    assert {p: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in tree.items()} == manifest["files"]
    lines = "".join(f"{e['sha256']} {e['size']} {p}\n" for p, e in sorted(manifest["files"].items()))
    assert manifest["root_digest"] == "sha256:" + hashlib.sha256(lines.encode()).hexdigest()


def test_tarball_holds_the_tree_and_nothing_personal(dists: list[Path], tmp_path: Path) -> None:
    run_cli(*dists, "--pool", "--output-dir", tmp_path / "out", "--tarball", tmp_path / "t.tar.gz")
    raw = (tmp_path / "t.tar.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header mtime
    with tarfile.open(tmp_path / "t.tar.gz") as archive:
        members = archive.getmembers()
        names = [m.name.rstrip("/") for m in members]
        assert names == sorted(names, key=lambda n: n.split("/"))  # a directory right before its children
        assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
        assert len({m.mtime for m in members}) == 1
        contents = {m.name: archive.extractfile(m).read() for m in members if m.isfile()}  # type: ignore[union-attr]
    assert contents == read_tree(tmp_path / "out")


def test_partial_rebuild_equals_full_build(tmp_path: Path, huge_list: list[str]) -> None:
    # A slice of real names: old list, then a new one with files added and removed.
    old = huge_list[1000:3000]
    new = huge_list[1100:2900] + huge_list[5000:5200]
    (tmp_path / "old.txt").write_text("\n".join(old) + "\n")
    (tmp_path / "new.txt").write_text("\n".join(new) + "\n")
    common = ["--packages-url", "https://files.example.com/"]
    run_cli("--package-list", tmp_path / "old.txt", "--output-dir", tmp_path / "partial", *common)
    run_cli("--package-list", tmp_path / "new.txt", "--previous-package-list", tmp_path / "old.txt",
            "--output-dir", tmp_path / "partial", *common)
    run_cli("--package-list", tmp_path / "new.txt", "--output-dir", tmp_path / "full", *common)
    assert _root_digest(tmp_path / "partial") == _root_digest(tmp_path / "full")
    assert read_tree(tmp_path / "partial") == read_tree(tmp_path / "full")


def test_rebuild_without_changes_touches_nothing(dists: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli(*dists, "--pool", "--output-dir", out)
    manifest = (out / "manifest.json").read_bytes()
    # Unchanged files keep their mtime, so mtime-based syncs (rsync) send nothing
    # but the manifest, which is rewritten (with the same bytes) on every build.
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    run_cli(*dists, "--pool", "--output-dir", out)
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "manifest.json"}
    assert before == after
    assert (out / "manifest.json").read_bytes() == manifest
