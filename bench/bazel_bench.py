#!/usr/bin/env python3
"""Benchmark of the Bazel rules on a generated workspace of many wheels.

    python bench/bazel_bench.py [--wheels 500] [--dir /tmp/dumb-pypi-bench] [--json OUT] [--compare REV]

Generates a workspace with N `py_wheel_dist` targets (one package each) and
one `pypi_index` over all of them, then measures with the real bazel:

* cold build (fresh output base, no cache): wall time and actions executed;
* no-op rebuild: median wall time of five (target: under 1 s) and actions
  executed (0), with the flags given (none by default); also, as diagnostics
  that do not count for the target, with --noexperimental_check_output_files
  (how much of it is Bazel checking the output tree) and with --watchfs
  (how much is Bazel scanning the source tree for changes; README's Bazel
  section recommends it);
* one wheel's source changed: actions executed (target: at most 2: that
  wheel's action, which also writes its record, and the index) and wall
  time, the median of three such changes.

`--compare REV` also measures the rules as they are at git revision REV
(e.g. `main`, or the commit before a change), in a workspace and output base
of their own, and prints both side by side. After the two cold builds, the
two take turns build by build, so that the load of a shared machine weighs
on both alike.

Prints one line per figure, the Bazel flags every build used (`--bazel-flag`
plus the `build` lines of the rules' .bazelrc, which the workspace imports)
and, with --json, writes them as JSON. Exits 1 when a target is missed.

    python bench/bazel_bench.py --bazel-flag=--watchfs   # everything with --watchfs
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' helpers: the same checkout copy and log parsing
from support.bazel import copy_checkout, executed, parse_processes

# The rules' own three-line setup (docs/rules.md).
WORKSPACE = """\
workspace(name = "bench")

local_repository(name = "dumb_pypi", path = {repo!r})

load("@dumb_pypi//rules:repositories.bzl", "dumb_pypi_dependencies")

dumb_pypi_dependencies()
"""

# Rules from before that setup (--compare with an older revision) needed
# Bazel 4.2.3's repositories and their toolchain spelled out.
LEGACY_WORKSPACE = """\
workspace(name = "bench")

local_repository(name = "dumb_pypi", path = {repo!r})

local_repository(name = "rules_cc", path = {repo!r} + "/third_party/bazel/rules_cc")

local_repository(name = "remote_coverage_tools", path = {repo!r} + "/third_party/bazel/remote_coverage_tools")

local_repository(name = "rules_java", path = "/usr/share/bazel/rules/java")

load("@dumb_pypi//rules:repositories.bzl", "dumb_pypi_dependencies")

dumb_pypi_dependencies()

register_toolchains("@dumb_pypi//third_party/python:toolchain")
"""

PACKAGE_BUILD = """\
load("@dumb_pypi//rules:defs.bzl", "py_wheel_dist")

py_wheel_dist(
    name = "whl",
    srcs = ["__init__.py"],
    distribution = "bench-{i:04d}",
    requires = {requires!r},
    strip_prefix = "/pkgs",
    version = "1.0.{i}",
    visibility = ["//visibility:public"],
)
"""

ROOT_BUILD = """\
load("@dumb_pypi//rules:defs.bzl", "pypi_index")

pypi_index(
    name = "pypi_index",
    dists = [{dists}],
    title = "bench",
)
"""


def copy_rules(rules: Path, revision: str | None) -> None:
    """The rules and generator of the working tree, or of git `revision`, at `rules`."""
    if rules.exists():
        shutil.rmtree(rules)
    if revision is None:
        copy_checkout(rules)
        return
    rules.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(rules)], input=archive, check=True)


def generate(root: Path, rules: Path, wheels: int) -> None:
    """The workspace at `root`, using the rules copied to `rules`."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    template = WORKSPACE if (rules / "rules/private/workspace_deps.bzl").exists() else LEGACY_WORKSPACE
    (root / "WORKSPACE").write_text(template.format(repo=str(rules)))
    (root / ".bazelrc").write_text(f"import {rules}/.bazelrc\n")
    (root / ".bazelversion").write_text((rules / ".bazelversion").read_text())
    for i in range(wheels):
        # Under one directory, as in a monorepo: Bazel 4.2.3 re-plants one exec
        # root symlink per top-level entry on every build (~1 s for 500).
        pkg = root / "pkgs" / f"bench_{i:04d}"
        pkg.mkdir(parents=True)
        # Each wheel depends on the previous one, like a real monorepo.
        requires = [f"bench-{i - 1:04d}>=1"] if i else []
        (pkg / "BUILD").write_text(PACKAGE_BUILD.format(i=i, requires=requires))
        (pkg / "__init__.py").write_text(f'"""Generated package {i}."""\n\nVALUE = {i}\n')
    dists = ", ".join(f'"//pkgs/bench_{i:04d}:whl"' for i in range(wheels))
    (root / "BUILD").write_text(ROOT_BUILD.format(dists=dists))


def build(root: Path, output_base: Path, flags: list[str]) -> tuple[float, int]:
    argv = ["bazel", "--nohome_rc", f"--output_base={output_base}", "build", *flags, "//:pypi_index"]
    start = time.monotonic()
    proc = subprocess.run(argv, check=False, cwd=root, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"bazel build failed:\n{proc.stderr[-4000:]}")
    return elapsed, executed(parse_processes(proc.stderr))


def rc_build_flags(rc: Path) -> list[str]:
    """The `build` flags of a .bazelrc (what the generated workspace imports)."""
    flags = []
    for line in rc.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words[:1] == ["build"]:
            flags += words[1:]
    return flags


@dataclass
class Setup:
    """One generated workspace and its output base, built with one copy of the rules."""

    label: str
    work: Path
    rules: Path

    @property
    def workspace(self) -> Path:
        return self.work / "workspace"

    @property
    def output_base(self) -> Path:
        return self.work / "output_base"

    def prepare(self, wheels: int) -> None:
        self.shutdown()
        if self.output_base.exists():
            # A previous run's outputs (Bazel leaves them read-only).
            subprocess.run(["chmod", "-R", "u+w", str(self.output_base)], check=True)
            shutil.rmtree(self.output_base)
        generate(self.workspace, self.rules, wheels)
        # Start the server first, so the cold figure is the build, not the JVM.
        subprocess.run(
            ["bazel", "--nohome_rc", f"--output_base={self.output_base}", "info", "output_base"],
            cwd=self.workspace,
            capture_output=True,
            check=True,
        )

    def build(self, flags: list[str]) -> tuple[float, int]:
        return build(self.workspace, self.output_base, flags)

    def shutdown(self) -> None:
        if self.output_base.exists():
            subprocess.run(
                ["bazel", "--nohome_rc", f"--output_base={self.output_base}", "shutdown"],
                check=False,
                cwd=self.work,
                capture_output=True,
            )


def interleaved(setups: list[Setup], rounds: int, flags: list[str]) -> dict[str, list[tuple[float, int]]]:
    """`rounds` builds of every setup, taking turns, so that the machine's load
    weighs on each the same."""
    results: dict[str, list[tuple[float, int]]] = {s.label: [] for s in setups}
    for _ in range(rounds):
        for setup in setups:
            results[setup.label].append(setup.build(flags))
    return results


def measure(setups: list[Setup], wheels: int, flags: list[str]) -> dict[str, dict[str, float | int]]:
    """Every figure for every setup; after the cold builds, the setups take turns."""
    for setup in setups:
        setup.prepare(wheels)
    figures: dict[str, dict[str, float | int]] = {s.label: {} for s in setups}
    for setup in setups:
        cold_s, cold_n = setup.build(flags)
        figures[setup.label].update(cold_build_seconds=round(cold_s, 2), cold_build_actions=cold_n)
        print(f"  {setup.label}: cold build {cold_s:.1f} s, {cold_n} actions", flush=True)
    # The median of five: one no-op build is at the mercy of other processes.
    for label, runs in interleaved(setups, 5, flags).items():
        figures[label].update(
            noop_rebuild_seconds=round(statistics.median(t for t, _ in runs), 2),
            noop_rebuild_actions=max(n for _, n in runs),
        )
    # Diagnostics: without Bazel stat-ing every output file (the index tree
    # alone holds ~7 files per wheel), and with --watchfs (inotify instead of
    # stat-ing every source file); the first build of each registers the change.
    watchfs_flags = flags if "--watchfs" in flags else [*flags, "--watchfs"]
    for key, extra in (
        ("noop_rebuild_seconds_without_output_check", [*flags, "--noexperimental_check_output_files"]),
        ("noop_rebuild_seconds_with_watchfs", watchfs_flags),
    ):
        interleaved(setups, 1, extra)
        for label, runs in interleaved(setups, 5, extra).items():
            figures[label][key] = round(statistics.median(t for t, _ in runs), 2)
    # The median of three edits of one wheel's source, each a new change.
    edits: dict[str, list[tuple[float, int]]] = {s.label: [] for s in setups}
    for n in range(3):
        for setup in setups:
            changed = setup.workspace / "pkgs" / f"bench_{wheels // 2:04d}" / "__init__.py"
            changed.write_text(changed.read_text() + f"CHANGED_{n} = True\n")
            edits[setup.label].append(setup.build(flags))
    for label, runs in edits.items():
        figures[label].update(
            one_wheel_changed_actions=max(n for _, n in runs),
            one_wheel_changed_seconds=round(statistics.median(t for t, _ in runs), 2),
        )
    for setup in setups:
        setup.shutdown()
    return figures


def side_by_side(before: str, after: str, figures: dict[str, dict[str, float | int]]) -> str:
    """A markdown table: one row per figure, one column per run."""
    rows = [f"| | {before} | {after} |", "|---|---|---|"]
    for key in figures[after]:
        rows.append(f"| {key} | {figures[before][key]} | {figures[after][key]} |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=int, default=500)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/dumb-pypi-bazel-bench"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--compare", metavar="REV", help="also measure the rules at git revision REV, first")
    parser.add_argument(
        "--bazel-flag",
        action="append",
        default=[],
        dest="flags",
        help="extra flag for every build, e.g. --noexperimental_check_output_files",
    )
    args = parser.parse_args(argv)

    # Copies of the rules and generator: edits to the working tree while the
    # benchmark runs must not invalidate its actions.
    setups = [Setup("working tree", args.dir / "after", args.dir / "after" / "dumb_pypi")]
    copy_rules(setups[0].rules, None)
    if args.compare:
        setups.insert(0, Setup(args.compare, args.dir / "before", args.dir / "before" / "dumb_pypi"))
        copy_rules(setups[0].rules, args.compare)
    figures = measure(setups, args.wheels, args.flags)

    after = figures["working tree"]
    report = {
        "wheels": args.wheels,
        **after,
        "bazel_flags": args.flags,
        "bazelrc_build_flags": rc_build_flags(args.dir / "after" / "dumb_pypi" / ".bazelrc"),
        # Other processes on the machine skew every figure: say how busy it was.
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    if args.compare:
        report["before"] = {"revision": args.compare, **figures[args.compare]}
    for key, value in report.items():
        if key != "before":
            print(f"{key}: {value}")
    if args.compare:
        print(side_by_side(args.compare, "working tree", figures))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    missed = []
    if after["one_wheel_changed_actions"] > 2:
        missed.append(f"changing one wheel re-ran {after['one_wheel_changed_actions']} actions (target: at most 2)")
    if after["noop_rebuild_seconds"] >= 1.0 or after["noop_rebuild_actions"]:
        missed.append(
            f"no-op rebuild took {after['noop_rebuild_seconds']:.2f} s and ran {after['noop_rebuild_actions']} "
            "actions (target: under 1 s, 0)"
        )
    for m in missed:
        print("MISSED:", m, file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
