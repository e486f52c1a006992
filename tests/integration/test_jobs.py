"""--jobs: worker processes share out the project pages; the output is the
same bytes for any number of them, and a worker's failure fails the build as
the same one-line error, leaving no trace in the output directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.cli import run_cli
from support.distributions import make_sdist, make_wheel
from support.trees import read_tree

JOBS = ("1", "2", "3")




@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dists")
    for i in range(30):
        for j in range(1 + i % 3):
            make_wheel(str(directory), f"pkg{i:02d}", f"1.{j}", requires_dist=["other>=1"], summary=f"pkg {i}")
        if i % 5 == 0:
            make_sdist(str(directory), f"pkg{i:02d}", "2.0")
    return directory


def test_same_tree_tarball_and_manifest_for_any_jobs(dists: Path, tmp_path: Path) -> None:
    trees = {}
    for jobs in JOBS:
        work = tmp_path / jobs
        run_cli("--package-dir", dists, "--pool", "--output-dir", work / "out", "--tarball", work / "t.tar.gz",
                "--manifest", work / "manifest.json", "--jobs", jobs)
        trees[jobs] = (read_tree(work / "out"), (work / "t.tar.gz").read_bytes(), (work / "manifest.json").read_bytes())
    assert trees["1"][0]["manifest.json"] == trees["1"][2]
    assert trees["2"] == trees["1"]
    assert trees["3"] == trees["1"]


def test_same_tree_for_any_jobs_on_real_names_full_and_partial(tmp_path: Path, huge_list: list[str]) -> None:
    old = huge_list[2000:6000]
    new = huge_list[2100:5900] + huge_list[9000:9400]
    (tmp_path / "old.txt").write_text("\n".join(old) + "\n")
    (tmp_path / "new.txt").write_text("\n".join(new) + "\n")
    common = ["--packages-url", "../../pool/"]
    trees = {}
    for jobs in JOBS:
        out = tmp_path / f"out{jobs}"
        run_cli("--package-list", tmp_path / "old.txt", "--output-dir", out, *common, "--jobs", jobs)
        full = read_tree(out)
        run_cli("--package-list", tmp_path / "new.txt", "--previous-package-list", tmp_path / "old.txt",
                "--output-dir", out, *common, "--jobs", jobs)
        trees[jobs] = (full, read_tree(out))
    assert trees["2"] == trees["1"]
    assert trees["3"] == trees["1"]
    run_cli("--package-list", tmp_path / "new.txt", "--output-dir", tmp_path / "fresh", *common)
    assert trees["2"][1] == read_tree(tmp_path / "fresh")


def _bad_pool_input(dists: Path, tmp_path: Path) -> list[str]:
    """The good wheels, and last (so in a worker's share) a file that cannot be
    copied: a named pipe, which passes the size check before anything is written."""
    fifo = tmp_path / "zzz-1.0.tar.gz"
    os.mkfifo(fifo)
    record = tmp_path / "zzz.record.json"
    record.write_text(json.dumps({"filename": fifo.name, "hash": "sha256=" + "ab" * 32, "size": 0}))
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"record": str(record), "file": str(fifo)}]))
    return ["--package-dir", str(dists), "--record-list", str(records), "--pool"]


@pytest.mark.parametrize("existing", [False, True], ids=["new-dir", "existing-dir"])
def test_worker_error_is_the_same_one_line_error(dists: Path, tmp_path: Path, existing: bool) -> None:
    args = _bad_pool_input(dists, tmp_path)
    errors = {}
    for jobs in JOBS:
        out = tmp_path / f"out{jobs}"
        if existing:
            run_cli("--package-dir", dists, "--pool", "--output-dir", out)
        before = read_tree(out) if existing else None
        result = run_cli(*args, "--output-dir", out, "--jobs", jobs, check=False)
        assert result.returncode == 1, result.stderr
        errors[jobs] = result.stderr.replace(str(out), "OUT")
        if existing:
            assert read_tree(out) == before  # the failing file's project comes before any root page
            assert not (out / ".dumb-pypi-tmp").exists()
        else:
            assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir() if "staging" in p.name) == []
    assert errors["1"].count("\n") == 1 and errors["1"].startswith("dumb-pypi: error: cannot copy "), errors["1"]
    assert errors["2"] == errors["1"]
    assert errors["3"] == errors["1"]
