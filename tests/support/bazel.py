"""Real Bazel on copies of this checkout: workspaces, sessions, checkouts
(the fixtures are in tests/bazel/conftest.py).

Tests and bench/bazel_bench.py never build in the working tree: its files
change while they run, and every change to dumb_pypi/ rightly invalidates
every record action. They build in copies (`copy_checkout`) and count what
Bazel executed from its summary line (`parse_processes`). No pytest here:
the benchmark imports this module too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.cli import REPO

__all__ = ["CHECKOUT_ENTRIES", "EXAMPLE_TARGETS", "IGNORED", "REPOSITORY_CACHE", "Bazel", "BuildResult", "Checkout",
           "Session", "copy_checkout", "executed", "parse_processes", "read_json_stream", "sha256_file"]

# What a checkout needs to build the rules, the examples and the generator.
CHECKOUT_ENTRIES = [
    ".bazelignore",
    ".bazelrc",
    ".bazelversion",
    "BUILD",
    "MODULE.bazel",
    "WORKSPACE",
    "docs/rules.md",
    "dumb_pypi",
    "pyproject.toml",
    "rules",
    "third_party",
    "tests/bazel",
    "tests/e2e",
]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "bazel-*", "user.bazelrc")


def copy_checkout(dest: Path, source: Path = REPO, entries: Sequence[str] = CHECKOUT_ENTRIES) -> Path:
    """A fresh copy of the repository's Bazel side (`entries` of it) at `dest`."""
    for entry in entries:
        src = source / entry
        if src.is_dir():
            shutil.copytree(src, dest / entry, ignore=IGNORED, symlinks=True)
        else:
            (dest / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / entry)
    return dest


_PROCESSES = re.compile(r"INFO: \d+ process(?:es)?(?:: (.*))?\.$", re.MULTILINE)

# Spawn kinds that did not run a command on this machine.
NOT_EXECUTED = ("internal", "remote cache hit")


def parse_processes(stderr: str) -> dict[str, int]:
    """`INFO: 12 processes: 5 remote cache hit, 7 internal.` -> {kind: count} (last line wins)."""
    matches = _PROCESSES.findall(stderr)
    if not matches:
        return {}
    counts: dict[str, int] = {}
    for part in (matches[-1] or "").split(", "):
        if part:
            number, kind = part.split(" ", 1)
            counts[kind] = int(number)
    return counts


def executed(processes: dict[str, int]) -> int:
    """Spawns that ran on this machine: everything but cache hits and internal ones."""
    return sum(n for kind, n in processes.items() if kind not in NOT_EXECUTED)


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

    def run(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> BuildResult:
        """`bazel COMMAND ARGS...`; `env` (for `bazel run`'s program too) is set after
        PIP_*, UV_* and PYTHON* are dropped from this process's environment."""
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
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "PYTHON"))}
        environ.update(env or {})
        proc = subprocess.run(argv, check=False, cwd=self.workspace, env=environ, capture_output=True, text=True,
                              timeout=900)
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


def read_json_stream(path: Path) -> list[dict[str, Any]]:
    """Bazel's --execution_log_json_file: concatenated JSON objects, not an array."""
    text = path.read_text()
    decoder = json.JSONDecoder()
    objects: list[dict[str, Any]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return objects
        obj, i = decoder.raw_decode(text, i)
        objects.append(obj)
