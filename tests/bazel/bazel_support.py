"""Bazel test harness: workspaces, sessions and checkouts (the fixtures are in conftest.py).

A module of its own, not conftest.py: test files import these names, and
`from conftest import` would get whichever suite's conftest was loaded last.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import copy_checkout, executed, parse_processes

REPOSITORY_CACHE = Path(os.environ.get("DUMB_PYPI_BAZEL_REPO_CACHE", "/tmp/dumb-pypi-bazel-repo-cache"))


@dataclass
class BuildResult:
    returncode: int
    stdout: str
    stderr: str
    processes: dict[str, int] = field(default_factory=dict)

    @property
    def executed(self) -> int:
        """Spawns that ran on this machine: everything but cache hits and internal ones."""
        return executed(self.processes)


@dataclass
class Bazel:
    """One workspace driven with one output base."""

    workspace: Path
    output_base: Path
    flags: Sequence[str] = ()

    def run(self, *args: str, check: bool = True) -> BuildResult:
        command, *rest = args
        argv = [
            "bazel",
            "--nohome_rc",
            f"--output_base={self.output_base}",
            "--max_idle_secs=120",
            command,
            f"--repository_cache={REPOSITORY_CACHE}",
            *self.flags,
            *rest,
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON"))}
        proc = subprocess.run(argv, check=False, cwd=self.workspace, env=env, capture_output=True, text=True, timeout=900)
        result = BuildResult(proc.returncode, proc.stdout, proc.stderr, parse_processes(proc.stderr))
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed in {self.workspace}:\n{proc.stderr[-6000:]}")
        return result

    def build(self, *targets: str, check: bool = True, flags: Sequence[str] = ()) -> BuildResult:
        return self.run("build", *flags, "--", *targets, check=check)

    def bin(self, path: str) -> Path:
        """An output of the last build in this workspace, by its path under bazel-bin."""
        return self.workspace / "bazel-bin" / path

    def shutdown(self) -> None:
        subprocess.run(
            ["bazel", "--nohome_rc", f"--output_base={self.output_base}", "shutdown"],
            check=False,
            cwd=self.workspace,
            capture_output=True,
            timeout=120,
        )


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def clean_env() -> dict[str, str]:
    """The environment for pip/uv: no pip/uv configuration can add another index."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON", "VIRTUAL_ENV"))}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    return env


def find_uv() -> str:
    candidates = [Path(sys.executable).parent / "uv", shutil.which("uv")]
    for c in candidates:
        if c and Path(c).exists():
            return str(c)
    raise AssertionError("uv is not installed: run .ci/install-bazel.sh (it installs uv into the test venv)")


@dataclass
class Session:
    """Paths shared by the whole test session."""

    root: Path
    disk_cache: Path
    # One copy of the working tree taken at session start: every checkout is
    # copied from it, so all of them hold the same sources even while the
    # working tree changes.
    snapshot: Path

    def checkout(self, name: str) -> Path:
        return copy_checkout(self.root / name, self.snapshot)

    def bazel(self, workspace: Path, name: str, flags: Sequence[str] = ()) -> Bazel:
        return Bazel(workspace, self.root / "output_bases" / name, flags)


@dataclass
class Checkout:
    """A checkout with the example indexes built once per session."""

    root: Path
    example: Bazel
    main: Bazel


EXAMPLE_TARGETS = ("//:pypi_index", "//:bucket_index")


def read_json_stream(path: Path) -> list[dict]:
    """Bazel's --execution_log_json_file: concatenated JSON objects, not an array."""
    text = path.read_text()
    decoder = json.JSONDecoder()
    objects, i = [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return objects
        obj, i = decoder.raw_decode(text, i)
        objects.append(obj)
