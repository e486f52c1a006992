"""The same wheels and sdists, indexed by the Pants backend and by the Bazel
rule, give the same tree: same paths, same sha256s, same root digest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.bazel import IGNORED, copy_checkout
from support.pants import Built

pytestmark = [pytest.mark.pants, pytest.mark.bazel]

REPO = Path(__file__).resolve().parents[2]
# What a Bazel workspace needs of this repository to load @dumb_pypi//rules.
BAZEL_SIDE = (".bazelignore", ".bazelrc", ".bazelversion", "BUILD", "MODULE.bazel", "WORKSPACE", "rules", "third_party")
REPOSITORY_CACHE = Path(os.environ.get("DUMB_PYPI_BAZEL_REPO_CACHE", "/tmp/dumb-pypi-bazel-repo-cache"))

WORKSPACE = """\
workspace(name = "pants_cross_check")

local_repository(name = "dumb_pypi", path = "../../..")

load("@dumb_pypi//rules:repositories.bzl", "dumb_pypi_dependencies")

dumb_pypi_dependencies()
"""

BUILD = """\
load("@dumb_pypi//rules:defs.bzl", "pypi_index")

pypi_index(
    name = "index",
    dists = glob(["dists/*"]),
    title = "Example index",
)
"""


def bazel_checkout(dest: Path, dumb_pypi: Path, dists: list[Path]) -> Path:
    """A copy of the repository's Bazel side, with the `dumb_pypi` the Pants run
    used, and a workspace indexing `dists`."""
    shutil.copytree(dumb_pypi, dest / "dumb_pypi", ignore=IGNORED)
    copy_checkout(dest, entries=BAZEL_SIDE)
    # Under tests/e2e, which the repository's .bazelignore leaves to nested workspaces.
    workspace = dest / "tests/e2e/pants_cross_check"
    (workspace / "dists").mkdir(parents=True)
    for dist in dists:
        shutil.copyfile(dist, workspace / "dists" / dist.name)
    (workspace / "WORKSPACE").write_text(WORKSPACE)
    (workspace / "BUILD").write_text(BUILD)
    shutil.copy2(REPO / "tests/e2e/example/.bazelrc", workspace / ".bazelrc")
    shutil.copy2(REPO / "tests/e2e/example/.bazelversion", workspace / ".bazelversion")
    return workspace


def test_pants_and_bazel_build_the_same_index(example_built: Built, pip_env: dict[str, str], tmp_path: Path) -> None:
    if shutil.which("bazel") is None:
        pytest.fail("bazel is not installed: run .ci/install-bazel.sh")
    inputs = example_built.inputs()
    assert len(inputs) == 6, sorted(inputs)
    workspace = bazel_checkout(tmp_path / "checkout", example_built.pants.dumb_pypi, list(inputs.values()))
    output_base = tmp_path / "output_base"
    REPOSITORY_CACHE.mkdir(parents=True, exist_ok=True)
    startup = ["bazel", "--nohome_rc", f"--output_base={output_base}", "--max_idle_secs=60"]
    try:
        proc = subprocess.run(
            [*startup, "build", f"--repository_cache={REPOSITORY_CACHE}", "//:index"],
            cwd=workspace,
            env=pip_env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-6000:]
        bazel_manifest = json.loads((workspace / "bazel-bin/index.manifest.json").read_text())
    finally:
        subprocess.run([*startup, "shutdown"], cwd=workspace, capture_output=True, timeout=120, check=False)

    pants_manifest = json.loads((example_built.dist / "index.manifest.json").read_text())
    assert sorted(pants_manifest["files"]) == sorted(bazel_manifest["files"])
    assert pants_manifest["files"] == bazel_manifest["files"]
    assert pants_manifest["root_digest"] == bazel_manifest["root_digest"]
