"""Faults the generator meets in production: two runs at once, a full disk, a
read-only file system, I/O errors at any write, a kill mid-update, inputs
that vanish. Each gives one line on stderr (never a traceback), and leaves
the tree exactly what its manifest says, with nothing of the failed run left
over, so the next run that fits succeeds.

The full-disk and read-only tests mount a small tmpfs: they run as root
(CI does) and are skipped with the reason otherwise.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import cli_env, run_cli
from support.data import read_huge_list
from support.trees import read_tree

from dumb_pypi import cli
from dumb_pypi.output.tree import TreeWriter

pytestmark = pytest.mark.slow

COMMON = ["--packages-url", "https://files.example.com/"]
HIDDEN = (".dumb-pypi-state",)  # ours, outside the manifest


def exactly_as_manifest(out: Path) -> None:
    """Every file in `out` is in its manifest with that sha256, and every file the manifest lists is there."""
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {path: entry["sha256"] for path, entry in manifest["files"].items()}
    present = {path: hashlib.sha256(data).hexdigest() for path, data in read_tree(out).items()
               if path not in ("manifest.json", *HIDDEN)}
    assert present == listed
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert not leftovers and not (out / ".dumb-pypi-tmp").exists(), leftovers


def one_line_error(stderr: str, *words: str) -> None:
    """One line says what went wrong, naming a path (refused inputs are named each on a line of their own)."""
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("dumb-pypi: refused ")]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    assert lines[0].startswith(("dumb-pypi: error: ", "dumb-pypi deploy: error: ")), stderr
    assert all(word in lines[0] for word in words) and "/" in lines[0], stderr


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Package lists: the first 3,000 lines of the 71k list, the next 3,000, and all of it."""
    work = tmp_path_factory.mktemp("lists")
    names = read_huge_list()
    made = {"small": names[:3000], "other": names[3000:6000], "huge": names}
    for name, lines in made.items():
        (work / f"{name}.txt").write_text("\n".join(lines) + "\n")
    return {name: work / f"{name}.txt" for name in made}


def _build(listing: Path, out: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_cli("--package-list", listing, "--output-dir", out, *COMMON, *args, check=False)


@pytest.fixture(scope="module")
def indexes(lists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Deploy sources, built once: the trees of the small and other lists (3,600
    files, ~8 MB each), the small one's tarball; `huge_index` is the 71k tree."""
    work = tmp_path_factory.mktemp("indexes")
    assert _build(lists["small"], work / "small", "--tarball", work / "small.tar.gz").returncode == 0
    assert _build(lists["other"], work / "other").returncode == 0
    return {"small": work / "small", "small.tar.gz": work / "small.tar.gz", "other": work / "other"}


@pytest.fixture(scope="module")
def huge_index(lists: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tree of the 71k list: 86k files, a deploy that takes seconds."""
    tree = tmp_path_factory.mktemp("huge") / "huge"
    assert _build(lists["huge"], tree).returncode == 0
    return tree


# One run at a time per output directory.

def _hold_lock(directory: Path) -> int:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_second_run_waits_for_the_first_and_says_so(lists: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _build(lists["small"], out).returncode == 0
    fd = _hold_lock(out)  # another run is writing
    try:
        second = subprocess.Popen([sys.executable, "-m", "dumb_pypi", "--package-list", str(lists["other"]),
                                   "--output-dir", str(out), *COMMON], env=cli_env(), stderr=subprocess.PIPE,
                                  text=True)
        assert second.stderr is not None
        said = second.stderr.readline()
        assert "another run is writing" in said and str(out) in said and "waiting" in said, said
        time.sleep(0.5)
        assert second.poll() is None  # still waiting
    finally:
        os.close(fd)
    assert second.wait(timeout=120) == 0
    second.stderr.close()
    exactly_as_manifest(out)
    assert _build(lists["other"], tmp_path / "full").returncode == 0
    assert read_tree(out) == read_tree(tmp_path / "full")


def test_no_wait_fails_at_once(lists: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _build(lists["small"], out).returncode == 0
    before = read_tree(out)
    fd = _hold_lock(out)
    try:
        started = time.monotonic()
        result = _build(lists["other"], out, "--no-wait")
        assert time.monotonic() - started < 30
    finally:
        os.close(fd)
    assert result.returncode == 1
    one_line_error(result.stderr, "another run is writing", str(out), "--no-wait")
    assert read_tree(out) == before


@pytest.mark.parametrize("fresh", [True, False], ids=["new directory", "existing directory"])
def test_two_runs_started_together_both_finish(lists: dict[str, Path], tmp_path: Path, fresh: bool) -> None:
    out = tmp_path / "out"
    if not fresh:
        assert _build(lists["small"], out).returncode == 0
    runs = [subprocess.Popen([sys.executable, "-m", "dumb_pypi", "--package-list", str(lists[name]),
                              "--output-dir", str(out), *COMMON], env=cli_env(), stderr=subprocess.PIPE, text=True)
            for name in ("small", "other")]
    errors = [run.communicate(timeout=300)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    assert "Traceback" not in "".join(errors)
    assert sum("waiting for it to finish" in error for error in errors) <= 1
    exactly_as_manifest(out)
    finals = {}
    for name in ("small", "other"):
        assert _build(lists[name], tmp_path / name).returncode == 0
        finals[name] = read_tree(tmp_path / name)
    assert read_tree(out) in finals.values()


def test_deploy_to_a_directory_waits_too(lists: dict[str, Path], tmp_path: Path) -> None:
    tree, dest = tmp_path / "tree", tmp_path / "dest"
    assert _build(lists["small"], tree).returncode == 0
    run_cli("deploy", tree, dest)
    with open(dest / ".deploy.lock", "w") as lock:  # another deploy is running
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = run_cli("deploy", "--no-wait", tree, dest, check=False)
        assert result.returncode == 1 and "another run is writing" in result.stderr, result.stderr
        second = subprocess.Popen([sys.executable, "-m", "dumb_pypi", "deploy", str(tree), str(dest)],
                                  env=cli_env(), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        assert second.stderr is not None
        assert "waiting for it to finish" in second.stderr.readline()
    assert second.wait(timeout=120) == 0
    second.stderr.close()


# A full disk, a read-only file system.

@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 40 MB tmpfs, mounted for the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _everything(root: Path) -> dict[str, bytes]:
    """Every file under `root`, hidden ones too."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("previous", [False, True], ids=["full", "with --previous-package-list"])
def test_a_full_disk_leaves_the_old_index(lists: dict[str, Path], small_disk: Path, previous: bool) -> None:
    out = small_disk / "out"
    assert _build(lists["small"], out).returncode == 0
    before = _everything(small_disk)
    previous_flags: list[str | Path] = ["--previous-package-list", lists["small"]] if previous else []
    result = _build(lists["huge"], out, *previous_flags)
    assert result.returncode == 1
    one_line_error(result.stderr, "No space left on device")
    assert _everything(small_disk) == before  # the old index exactly; nothing of the failed run left
    exactly_as_manifest(out)
    # The next run that fits succeeds, partial (from the state) and full.
    assert _build(lists["other"], out, "--previous-package-list", lists["small"]).returncode == 0
    exactly_as_manifest(out)
    assert _build(lists["small"], out).returncode == 0
    exactly_as_manifest(out)


def test_a_full_disk_never_makes_a_new_directory(lists: dict[str, Path], small_disk: Path) -> None:
    result = _build(lists["huge"], small_disk / "out")
    assert result.returncode == 1
    one_line_error(result.stderr, "No space left on device")
    assert list(small_disk.iterdir()) == []


def test_a_deploy_that_does_not_fit_leaves_the_served_release(indexes: dict[str, Path], small_disk: Path) -> None:
    dest = small_disk / "dest"
    run_cli("deploy", indexes["other"], dest)
    _fill(small_disk, leave=1 << 20)  # the small tree shares no file with it: ~8 MB more
    before = _everything(small_disk)
    result = run_cli("deploy", indexes["small"], dest, check=False)
    assert result.returncode == 1
    one_line_error(result.stderr, "No space left on device")
    # The release being written is gone with its space; `current` still serves the old one.
    assert _everything(small_disk) == before
    assert run_cli("deploy", indexes["other"], dest).stdout.startswith(f"deploy: {dest} already serves")


def test_a_tarball_source_that_does_not_fit_in_tmpdir(indexes: dict[str, Path], tmp_path: Path,
                                                      small_disk: Path) -> None:
    # A tarball SRC is extracted to a temporary folder (TMPDIR): when that is full,
    # the deploy stops with one line, and neither the folder nor a half release is left.
    dest = tmp_path / "dest"
    run_cli("deploy", indexes["other"], dest)
    served = read_tree(dest / "current")
    _fill(small_disk, leave=1 << 20)  # the small tarball's files take ~8 MB
    result = run_cli("deploy", indexes["small.tar.gz"], dest, env={**cli_env(), "TMPDIR": str(small_disk)},
                     check=False)
    assert result.returncode == 1
    one_line_error(result.stderr, "No space left on device")
    assert [path.name for path in small_disk.iterdir()] == ["filler"]
    assert read_tree(dest / "current") == served
    assert [path.name for path in (dest / "releases").iterdir()] == [os.readlink(dest / "current").split("/")[1]]


def test_a_tarball_that_does_not_fit_leaves_the_old_one(lists: dict[str, Path], tmp_path: Path,
                                                         small_disk: Path) -> None:
    tarball = small_disk / "index.tar.gz"
    assert _build(lists["small"], tmp_path / "small", "--tarball", tarball).returncode == 0
    _fill(small_disk, leave=64 << 10)  # another tarball of 3,000 files (~500 kB) no longer fits
    before = _everything(small_disk)
    result = _build(lists["other"], tmp_path / "other", "--tarball", tarball)
    assert result.returncode == 1
    one_line_error(result.stderr, f"{tarball}: No space left on device")
    assert _everything(small_disk) == before  # the old tarball; no partial one beside it


def test_a_read_only_file_system(lists: dict[str, Path], small_disk: Path) -> None:
    out = small_disk / "out"
    assert _build(lists["small"], out).returncode == 0
    before = _everything(small_disk)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = _build(lists["other"], out)
    assert result.returncode == 1
    one_line_error(result.stderr, "Read-only file system")
    assert _everything(small_disk) == before


def _fill(disk: Path, leave: int = 0) -> None:
    """Take the free blocks of `disk` but about `leave` bytes; with none left,
    what remains is slack in the last blocks of files."""
    with open(disk / "filler", "wb", buffering=0) as filler:
        if leave:
            free = os.statvfs(disk)
            filler.write(bytes(max(0, free.f_bavail * free.f_frsize - leave)))
            return
        for size in (1 << 20, 4096, 1):
            try:
                while filler.write(bytes(size)):
                    pass
            except OSError as ex:
                assert ex.errno == errno.ENOSPC, ex


def test_a_journal_that_does_not_fit_stops_the_update(small_disk: Path) -> None:
    # On a full disk, a write can be short: it keeps what fits in the file's
    # last block and reports no error. A journal written short describes only
    # some of the files its batch then moves in; they would outlive the undo.
    out = small_disk / "out"
    writer = TreeWriter(str(out))
    writer.finish([])
    before = _everything(small_disk)
    writer = TreeWriter(str(out))
    writer.write("first.html", b"1")
    writer.flush()  # the journal's first block, mostly free
    for number in range(200):  # one batch: a journal write of a few kB
        writer.write(f"page-{number:03}/index.html", b"x")
    _fill(small_disk)
    with pytest.raises(OSError) as raised:
        writer.flush()
    assert raised.value.errno == errno.ENOSPC
    writer.abandon()
    (small_disk / "filler").unlink()
    assert _everything(small_disk) == before


# An I/O error at any write; a kill at any moment.

class _Failing:
    """os.replace, failing with EIO at its `at`-th call (once)."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.calls = 0
        self.real = os.replace

    def __call__(self, source: str, destination: str) -> None:
        self.calls += 1
        if self.calls == self.at:
            raise OSError(errno.EIO, os.strerror(errno.EIO), destination)
        self.real(source, destination)


@pytest.mark.parametrize("at", [1, 2, 5, 20, 60])
def test_an_io_error_at_any_write_leaves_the_old_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], at: int) -> None:
    names = read_huge_list()
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("\n".join(names[:300]) + "\n")
    new.write_text("\n".join(names[100:400]) + "\n")
    out = tmp_path / "out"
    assert cli.main(["--package-list", str(old), "--output-dir", str(out), *COMMON]) == 0
    before = _everything(out)
    failing = _Failing(at)
    monkeypatch.setattr(os, "replace", failing)
    capsys.readouterr()
    assert cli.main(["--package-list", str(new), "--output-dir", str(out), "--jobs", "1", *COMMON]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "Input/output error" in err and "Traceback" not in err, err
    assert failing.calls >= at
    assert _everything(out) == before
    assert cli.main(["--package-list", str(new), "--output-dir", str(out), *COMMON]) == 0
    exactly_as_manifest(out)


def test_a_killed_update_then_the_old_list_gives_the_old_index(lists: dict[str, Path], tmp_path: Path) -> None:
    # The case: 3,000 lines, then the 71k list, killed; then the 3,000 lines again.
    old_tree = tmp_path / "old"
    assert _build(lists["small"], old_tree).returncode == 0
    expected = read_tree(old_tree)
    killed = 0
    for moment in (0.3, 0.8, 1.5, 2.5):
        out = tmp_path / f"out{moment}"
        assert _build(lists["small"], out).returncode == 0
        proc = subprocess.Popen([sys.executable, "-m", "dumb_pypi", "--package-list", str(lists["huge"]),
                                 "--output-dir", str(out), *COMMON], env=cli_env(), stderr=subprocess.DEVNULL)
        time.sleep(moment)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        result = _build(lists["small"], out)
        assert result.returncode == 0, result.stderr
        assert read_tree(out) == expected
        exactly_as_manifest(out)
    assert killed >= 3, "the build finished before most kills: the test proved little"


def test_a_killed_deploy_leaves_the_served_release(indexes: dict[str, Path], huge_index: Path, tmp_path: Path) -> None:
    small, huge, dest = indexes["small"], huge_index, tmp_path / "dest"
    run_cli("deploy", small, dest)
    served = read_tree(dest / "current")
    proc = subprocess.Popen([sys.executable, "-m", "dumb_pypi", "deploy", str(huge), str(dest)], env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((dest / "releases").glob(".staging-*/pypi")) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the new release is half-written
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list((dest / "releases").glob(".staging-*")), "the deploy finished before the kill: the test proved little"
    assert read_tree(dest / "current") == served
    # The next deploy drops what the killed one left.
    assert run_cli("deploy", small, dest).stdout.startswith(f"deploy: {dest} already serves")
    assert not list((dest / "releases").glob(".staging-*"))


# Inputs that vanish.

def test_inputs_that_are_not_there_are_named(tmp_path: Path) -> None:
    result = run_cli("--package-list", tmp_path / "missing.txt", "--output-dir", tmp_path / "out", *COMMON,
                     check=False)
    assert result.returncode == 1
    one_line_error(result.stderr, "missing.txt", "No such file or directory")
    result = run_cli("--package-dir", tmp_path / "nowhere", "--pool", "--output-dir", tmp_path / "out", check=False)
    assert result.returncode == 1
    one_line_error(result.stderr, "nowhere", "no such directory")
    assert not (tmp_path / "out").exists()
