"""`dumb-pypi deploy SRC DIR`: release directories, atomic swap, rollback."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import threading
from pathlib import Path

import pytest
from support.cli import run_cli
from support.indexes import MATRIX_DISTS, Dist, Index, build_index
from support.servers import get, run_nginx

pytestmark = pytest.mark.serve


def _serves(dest: Path, tree: Path) -> bool:
    """DEST/current holds exactly `tree`'s manifest files, byte for byte."""
    current = dest / "current"
    files = json.loads((tree / "manifest.json").read_text())["files"]
    return all((current / p).read_bytes() == (tree / p).read_bytes() for p in files) and (
        current / "manifest.json"
    ).read_bytes() == (tree / "manifest.json").read_bytes()


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The matrix index plus one more release of `app`."""
    return build_index(tmp_path_factory.mktemp("second"), (*MATRIX_DISTS, Dist("app", "1.1")))


def test_deploy_swap_rollback_and_prune(index: Index, second: Index, tmp_path: Path) -> None:
    dest = tmp_path / "site"
    first = run_cli("deploy", str(index.tree), str(dest))
    assert "releases/0001-" in first.stdout
    assert os.readlink(dest / "current").startswith("releases/0001-")
    assert _serves(dest, index.tree)

    again = run_cli("deploy", str(index.tarball), str(dest))  # the tarball is the same tree
    assert "nothing to do" in again.stdout
    assert len(os.listdir(dest / "releases")) == 1

    run_cli("deploy", str(second.tarball), str(dest))
    assert os.readlink(dest / "current").startswith("releases/0002-")
    assert _serves(dest, second.tree)
    # Unchanged pool files are hard links to the previous release's.
    old = dest / "releases" / min(os.listdir(dest / "releases"))
    pool = next(p for p in json.loads((index.tree / "manifest.json").read_text())["files"] if p.endswith(".whl"))
    assert (dest / "current" / pool).stat().st_ino == (old / pool).stat().st_ino

    rolled = run_cli("deploy", "--rollback", str(dest))
    assert "to 0001-" in rolled.stdout
    assert _serves(dest, index.tree)
    none_left = run_cli("deploy", "--rollback", str(dest), check=False)
    assert none_left.returncode == 1 and "nothing to roll back to" in none_left.stderr

    # New deploys after a rollback get new numbers; --keep prunes the oldest.
    for tree in (second.tree, index.tree, second.tree):
        run_cli("deploy", str(tree), str(dest), "--keep", "2")
    assert [name[:5] for name in sorted(os.listdir(dest / "releases"))] == ["0004-", "0005-"]
    assert os.readlink(dest / "current").startswith("releases/0005-")
    assert _serves(dest, second.tree)


@pytest.fixture(scope="module")
def growing(tmp_path_factory: pytest.TempPathFactory) -> list[Index]:
    """Releases that only add files (app 1.1, 1.2, 1.3), as a real index grows."""
    extra: tuple[Dist, ...] = ()
    trees = []
    for minor in (1, 2, 3):
        extra += (Dist("app", f"1.{minor}"),)
        trees.append(build_index(tmp_path_factory.mktemp(f"growing{minor}"), (*MATRIX_DISTS, *extra)))
    return trees


def test_readers_never_see_a_broken_index_during_deploys(
    index: Index, growing: list[Index], tmp_path: Path
) -> None:
    """nginx serves DEST/current while deploys swap it; every page -> file chain must resolve."""
    dest = tmp_path / "site"
    run_cli("deploy", str(index.tree), str(dest))
    failures: list[str] = []
    fetched = 0
    done = threading.Event()
    with run_nginx(dest / "current", tmp_path / "nginx") as nginx:

        def reader() -> None:
            nonlocal fetched
            while not done.is_set():
                root = get(f"{nginx.url}/simple/", accept="application/vnd.pypi.simple.v1+json")
                page = get(f"{nginx.url}/simple/app/", accept="application/vnd.pypi.simple.v1+json")
                if root.status != 200 or page.status != 200:
                    failures.append(f"pages: {root.status} {page.status}")
                    continue
                for file in json.loads(page.body)["files"]:
                    url = f"{nginx.url}/simple/app/{file['url']}"
                    for target in (url, url + ".metadata"):
                        status = get(target).status
                        fetched += 1
                        if status != 200:
                            failures.append(f"{target}: {status}")

        thread = threading.Thread(target=reader)
        thread.start()
        try:
            for release in growing:
                run_cli("deploy", str(release.tarball), str(dest), "--keep", "2")
        finally:
            done.set()
            thread.join()
    assert fetched > 0
    assert failures == [], failures[:5]
    assert _serves(dest, growing[-1].tree)


def test_corrupt_or_unsafe_sources_are_refused(index: Index, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(index.tree, broken)
    page = broken / "simple" / "app" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"app", b"ApP"))
    result = run_cli("deploy", str(broken), str(tmp_path / "site"), check=False)
    assert result.returncode == 1
    assert "simple/app/index.html has sha256" in result.stderr
    assert not (tmp_path / "site" / "current").exists()

    (broken / "manifest.json").unlink()
    result = run_cli("deploy", str(broken), str(tmp_path / "site"), check=False)
    assert "has no manifest.json" in result.stderr

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        data = b"owned"
        member = tarfile.TarInfo("../outside.txt")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    result = run_cli("deploy", str(evil), str(tmp_path / "site"), check=False)
    assert result.returncode == 1 and "unsafe path '../outside.txt'" in result.stderr
    assert not (tmp_path / "outside.txt").exists()

    linked = tmp_path / "link.tar.gz"
    with tarfile.open(linked, "w:gz") as archive:
        member = tarfile.TarInfo("simple")
        member.type = tarfile.SYMTYPE
        member.linkname = "/etc"
        archive.addfile(member)
    result = run_cli("deploy", str(linked), str(tmp_path / "site"), check=False)
    assert result.returncode == 1 and "links are refused" in result.stderr

    for args, message in [
        ([str(tmp_path / "nope"), str(tmp_path / "site")], "no such file or directory"),
        ([str(index.tree)], "expected SRC DEST"),
        ([str(index.tree), "ftp://host/x"], "only local directories and s3:// URLs"),
        ([str(index.tree), "s3://"], "expected s3://BUCKET[/PREFIX]"),
        ([str(index.tree), str(tmp_path / "site"), "--keep", "1"], "--keep 1"),
        (["--rollback", str(tmp_path / "never")], "not a deploy directory"),
    ]:
        result = run_cli("deploy", *args, check=False)
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_a_foreign_directory_is_not_taken_over(index: Index, tmp_path: Path) -> None:
    dest = tmp_path / "www"
    dest.mkdir()
    (dest / "index.html").write_text("someone else's site")
    result = run_cli("deploy", str(index.tree), str(dest), check=False)
    assert result.returncode == 1 and "holds 'index.html'" in result.stderr
    assert (dest / "index.html").read_text() == "someone else's site"
