"""Remote execution (REAPI) with a real BuildGrid 0.9.1 on 127.0.0.1.

Bazel builds //:pypi_index and the example workspace with `--config=remote`
(.bazelrc): every spawn runs on the test worker, none here. A second clone at
another path, with a fresh output base, gets only remote cache hits. The
tarballs equal the local builds' byte for byte. A worker whose
/usr/bin/python3 is another version fails each action with one line instead
of answering under the same key.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bazel.remote.cluster import Cluster
from support.bazel import EXAMPLE_TARGETS, Bazel, BuildResult, Checkout, Session, read_json_stream, sha256_file

pytestmark = [pytest.mark.bazel, pytest.mark.slow]

WORKSPACES = {"main": ("", ("//:pypi_index",)), "example": ("tests/e2e/example", EXAMPLE_TARGETS)}


@dataclass
class RemoteBuild:
    bazel: Bazel
    result: BuildResult
    spawns: list[dict[str, Any]]

    def info_line(self) -> str:
        return [line for line in self.result.stderr.splitlines() if " process" in line and line.startswith("INFO:")][-1]


def remote_flags(cluster: Cluster, instance: str = "main") -> list[str]:
    return ["--config=remote", f"--remote_executor={cluster.executor}", f"--remote_instance_name={instance}"]


def build_remotely(session: Session, cluster: Cluster, root: Path, name: str, tmp: Path) -> dict[str, RemoteBuild]:
    builds = {}
    for which, (subdir, targets) in WORKSPACES.items():
        bz = session.bazel(root / subdir, f"{name}-{which}", remote_flags(cluster))
        log = tmp / f"{name}-{which}.exec.json"
        result = bz.build(*targets, flags=[f"--execution_log_json_file={log}"])
        builds[which] = RemoteBuild(bz, result, read_json_stream(log))
        print(f"{name} {which}: {builds[which].info_line()} tarball sha256 {sha256_file(bz.bin('pypi_index.tar.gz'))}")
    return builds


@pytest.fixture(scope="module")
def first_clone(
    bazel_session: Session, remote_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, RemoteBuild]:
    root = bazel_session.checkout("remote/first")
    return build_remotely(bazel_session, remote_cluster, root, "remote-first", tmp_path_factory.mktemp("logs"))


def test_every_spawn_runs_remotely(first_clone: dict[str, RemoteBuild], remote_cluster: Cluster) -> None:
    for which, build in first_clone.items():
        processes = build.result.processes
        assert set(processes) <= {"internal", "remote"}, (which, processes, remote_cluster.logs())
        assert processes.get("remote", 0) > 0, (which, processes)
        assert build.spawns and all(s.get("runner") == "remote" for s in build.spawns), which
        # One action per built wheel: PyWheelDist spawns are as many as wheels, each writing wheel and record.
        wheels = [s for s in build.spawns if s.get("mnemonic") == "PyWheelDist"]
        assert wheels and all(len(s["actualOutputs"]) == 2 for s in wheels), which


def test_remote_tarballs_equal_local_builds(first_clone: dict[str, RemoteBuild], checkout_a: Checkout) -> None:
    for which, build in first_clone.items():
        local = getattr(checkout_a, which)
        for output in ("pypi_index.tar.gz", "pypi_index.manifest.json", "pypi_index.root_digest"):
            assert sha256_file(build.bazel.bin(output)) == sha256_file(local.bin(output)), (which, output)


def test_second_clone_gets_only_remote_cache_hits(
    bazel_session: Session, remote_cluster: Cluster, first_clone: dict[str, RemoteBuild], tmp_path: Path
) -> None:
    root = bazel_session.checkout("remote/second/clone/elsewhere")
    second = build_remotely(bazel_session, remote_cluster, root, "remote-second", tmp_path)
    for which, build in second.items():
        processes = build.result.processes
        assert set(processes) <= {"internal", "remote cache hit"}, (which, processes)
        assert build.result.executed == 0 and processes.get("remote cache hit", 0) > 0, (which, processes)
        assert build.spawns and all(s.get("remoteCacheHit") for s in build.spawns), which
        assert sha256_file(build.bazel.bin("pypi_index.tar.gz")) == sha256_file(
            first_clone[which].bazel.bin("pypi_index.tar.gz")
        )


def _python_version(python: str) -> str:
    return subprocess.run(
        [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_worker_with_another_python_fails_each_action_in_one_line(
    bazel_session: Session, remote_cluster: Cluster, tmp_path: Path
) -> None:
    """The py313 worker's /usr/bin/python3 is 3.13: actions declared for this machine's Python fail there.

    The key of such an action is the same on both instances (it says 3.11);
    what changed is that a 3.13 interpreter refuses to produce a result under
    it, so the shared action cache only ever holds what a 3.11 produced.
    `--noremote_accept_cached` makes the py313 worker run it even where the
    cache already holds the result of the main instance's 3.11 worker.
    """
    declared = _python_version("/usr/bin/python3").rsplit(".", 1)[0]
    worker = _python_version(remote_cluster.tools["DUMB_PYPI_PYTHON313"])
    assert not worker.startswith(declared + "."), "the imitated worker image must run another Python"
    root = bazel_session.checkout("remote/py313")
    bz = bazel_session.bazel(root, "remote-py313", remote_flags(remote_cluster, "py313"))
    result = bz.build("//:dumb_pypi_whl", check=False, flags=["--noremote_accept_cached"])
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("dumb-pypi: ")]
    expected = (
        f"dumb-pypi: this action expects Python {declared} (the version its Python toolchain declares), "
        f"but /usr/bin/python3 is Python {worker}: point the toolchain at a Python {declared} or declare {worker}"
    )
    assert lines == [expected], result.stderr[-3000:]
    print(f"py313 worker, toolchain declaring {declared}: {lines[0]}")

    # Declared as what the worker runs, the same wheel builds there, under
    # another action key than the one declared for this machine's Python.
    logs = {}
    for version in (declared, "3.13"):
        log = tmp_path / f"{version}.exec.json"
        # This machine's version is what dumb_pypi_dependencies() declares by default.
        toolchain = ["--extra_toolchains=//tests/bazel:worker_python_3_13"] if version == "3.13" else []
        instance = "py313" if version == "3.13" else "main"
        out = bazel_session.bazel(root, f"remote-keys-{version}", remote_flags(remote_cluster, instance)).build(
            "//:dumb_pypi_whl", flags=[*toolchain, f"--execution_log_json_file={log}"]
        )
        assert out.returncode == 0
        [spawn] = [s for s in read_json_stream(log) if s.get("mnemonic") == "PyWheelDist"]
        logs[version] = spawn
    # The action key is a digest of the command line, the inputs and the
    # environment: the two spawns differ in exactly the declared version.
    args = {v: s["commandArgs"] for v, s in logs.items()}
    at = args[declared].index("--python") + 1
    assert (args[declared][at], args["3.13"][at]) == (declared, "3.13")
    assert args[declared][:at] + args[declared][at + 1 :] == args["3.13"][:at] + args["3.13"][at + 1 :]
    assert logs[declared]["inputs"] == logs["3.13"]["inputs"]
    assert logs[declared]["environmentVariables"] == logs["3.13"]["environmentVariables"]


def test_an_action_imports_the_pinned_dependencies_on_a_worker(first_clone: dict[str, RemoteBuild]) -> None:
    """jinja2 and MarkupSafe's pure fallback import on the worker from the action's inputs alone."""
    main = first_clone["main"].bazel
    result = main.build("//tests/bazel:generator_imports")
    assert result.processes.get("remote") == 1 and result.executed == 1, result.processes
    report = json.loads(main.bin("tests/bazel/generator_imports.json").read_text())
    assert (report["jinja2"], report["markupsafe_escape"]) == ("3.1.6", "markupsafe._native")
