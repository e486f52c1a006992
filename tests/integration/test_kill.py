"""The kill test: SIGKILL a build at any moment; the output directory is never
half-written. Every file in it is whole (the old or the new version of that
path) and every link from simple/index.html resolves, down to the pool files
and their hashes. A rerun then finishes the job exactly."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from support.cli import cli_env, run_cli
from support.distributions import make_wheel
from support.trees import digests

pytestmark = pytest.mark.slow

KILLS = 10  # kill moments spread evenly over one measured build




def _hrefs(page: Path) -> list[str]:
    return re.findall(r'<a href="([^"]*)"', page.read_text(encoding="utf-8"))


def check_consistent(root: Path, old: dict[str, str], new: dict[str, str]) -> None:
    for path, digest in digests(root).items():
        assert digest in (old.get(path), new.get(path)), f"{path} is neither the old nor the new file"
    root_page = root / "simple" / "index.html"
    for href in _hrefs(root_page):
        project_page = root / "simple" / unquote(href) / "index.html"
        assert project_page.is_file(), f"simple/index.html links to missing {href}"
        base = f"simple/{unquote(href)}/"
        for link in _hrefs(project_page):
            url, _, fragment = link.partition("#")
            target = root / unquote(urljoin(base, url))
            assert target.is_file(), f"{project_page} links to missing {url}"
            algorithm, _, digest = fragment.partition("=")
            assert hashlib.new(algorithm, target.read_bytes()).hexdigest() == digest, f"{target} has other bytes"
            assert Path(f"{target}.metadata").is_file(), f"no PEP 658 sidecar for {target}"


def _dists(directory: Path, projects: range, bumped: range) -> None:
    directory.mkdir()
    for i in projects:
        make_wheel(str(directory), f"proj{i:04d}", "2.0" if i in bumped else "1.0", summary=f"project {i}")


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    """(old inputs, new inputs, old tree, new tree). The new inputs drop 40
    projects, add 40 and change the version of 40."""
    work = tmp_path_factory.mktemp("kill")
    _dists(work / "old-dists", range(200), range(0))
    _dists(work / "new-dists", range(40, 240), range(100, 140))
    for name in ("old", "new"):
        run_cli("--package-dir", work / f"{name}-dists", "--pool", "--output-dir", work / f"{name}-tree", "--strict")
    return work / "old-dists", work / "new-dists", work / "old-tree", work / "new-tree"


def _start(dists: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "dumb_pypi", "--package-dir", str(dists), "--pool",
                             "--output-dir", str(out)], env=cli_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _kill_after(proc: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL `proc` after `delay` seconds; False when it had already finished."""
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()
    return not finished


def _timed_build(dists: Path, out: Path) -> float:
    start = time.monotonic()
    proc = _start(dists, out)
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    return time.monotonic() - start


def _updates(old_tree: Path, dists: Path, tmp_path: Path) -> list[tuple[Path, float]]:
    """Two uninterrupted in-place updates of copies of `old_tree` to `dists`:
    each tree and its build time (the faster one is the warm build that kills aim at)."""
    updates = []
    for attempt in range(2):
        full = tmp_path / f"full{attempt}"
        shutil.copytree(old_tree, full)
        updates.append((full, _timed_build(dists, full)))
    return updates


def _moments(duration: float, count: int) -> list[float]:
    # Spread over 90% of the build: a warm build is faster than the measured one.
    return [0.9 * duration * (k + 0.5) / count for k in range(count)]


def test_update_killed_at_any_moment(trees: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    _, new_dists, old_tree, new_tree = trees
    old, new = digests(old_tree), digests(new_tree)
    assert old != new
    updates = _updates(old_tree, new_dists, tmp_path)
    for full, _ in updates:  # an uninterrupted in-place update gives exactly the fresh build
        assert digests(full) == new
    killed = 0
    for k, moment in enumerate(_moments(min(seconds for _, seconds in updates), KILLS)):
        out = tmp_path / f"out{k}"
        shutil.copytree(old_tree, out)
        killed += _kill_after(_start(new_dists, out), moment)
        check_consistent(out, old, new)
        run_cli("--package-dir", new_dists, "--pool", "--output-dir", out)  # the rerun completes the update
        assert digests(out) == new
        assert not (out / ".dumb-pypi-tmp").exists()
        shutil.rmtree(out)
    assert killed >= KILLS // 2, "the build finished before most kills: the test proved little"


def test_killed_update_then_the_old_inputs_again(trees: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    # The killed build replaced some files and added others; its manifest
    # never landed. A build of the old inputs gives the old index exactly.
    old_dists, new_dists, old_tree, _ = trees
    old = digests(old_tree)
    duration = min(seconds for _, seconds in _updates(old_tree, new_dists, tmp_path))
    killed = 0
    for k, moment in enumerate(_moments(duration, 4)):
        out = tmp_path / f"out{k}"
        shutil.copytree(old_tree, out)
        killed += _kill_after(_start(new_dists, out), moment)
        run_cli("--package-dir", old_dists, "--pool", "--output-dir", out)
        # The killed build is undone first: the tree is the old index exactly, nothing of the killed build left.
        assert digests(out) == old
        assert not (out / ".dumb-pypi-tmp").exists()
    assert killed >= 2, "the build finished before most kills: the test proved little"


def _kill_when_written(proc: subprocess.Popen[bytes], staging: Path, files: int) -> bool:
    """SIGKILL `proc` once `files` files exist under `staging`; False when it finished first.

    Progress, not time: how long a build takes varies too much under load for
    a time-based kill to land reliably inside a new directory's short build."""
    while proc.poll() is None:
        if staging.is_dir() and sum(len(names) for _, _, names in os.walk(staging)) >= files:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.002)
    finished = proc.wait() == 0
    if proc.stderr is not None:
        proc.stderr.close()
    return not finished


def test_new_directory_killed_at_any_moment(trees: tuple[Path, Path, Path, Path], tmp_path: Path) -> None:
    _, new_dists, _, new_tree = trees
    new = digests(new_tree)
    killed = 0
    count = KILLS // 2
    for k in range(count):
        out = tmp_path / f"out{k}"
        staging = tmp_path / f".{out.name}.dumb-pypi-staging"
        killed += _kill_when_written(_start(new_dists, out), staging, int(len(new) * (k + 0.5) // count))
        # A new output directory appears complete or not at all.
        assert not out.exists() or digests(out) == new
        run_cli("--package-dir", new_dists, "--pool", "--output-dir", out)
        assert digests(out) == new
        assert not any(p.name.endswith("dumb-pypi-staging") for p in tmp_path.iterdir())
    assert killed >= count - 1, "the build finished before most kills: the test proved little"
