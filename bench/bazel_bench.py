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

`--compare REV` first runs the same measurements with the rules as they are
at git revision REV (e.g. `main`, or the commit before a change), in a copy
of their own, then with the working tree's, and prints both side by side:
one run, one machine load, before and after.

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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "bazel"))
from harness import copy_checkout, executed, parse_processes

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


def measure(work: Path, rules: Path, wheels: int, flags: list[str]) -> dict[str, float | int]:
    """Every figure for the rules at `rules`, in a fresh workspace and output base under `work`."""
    workspace, output_base = work / "workspace", work / "output_base"
    if output_base.exists():
        # A previous run's server and outputs (Bazel leaves them read-only).
        subprocess.run(
            ["bazel", "--nohome_rc", f"--output_base={output_base}", "shutdown"],
            check=False,
            cwd=work,
            capture_output=True,
        )
        subprocess.run(["chmod", "-R", "u+w", str(output_base)], check=True)
        shutil.rmtree(output_base)
    generate(workspace, rules, wheels)
    # Start the server first, so the cold figure is the build, not the JVM.
    subprocess.run(
        ["bazel", "--nohome_rc", f"--output_base={output_base}", "info", "output_base"],
        cwd=workspace,
        capture_output=True,
        check=True,
    )

    cold_s, cold_n = build(workspace, output_base, flags)
    print(f"  cold build: {cold_s:.1f} s, {cold_n} actions", flush=True)
    # The median of five: one no-op build is at the mercy of other processes.
    noops = [build(workspace, output_base, flags) for _ in range(5)]
    noop_s = statistics.median(t for t, _ in noops)
    noop_n = max(n for _, n in noops)
    # Diagnostic: the same without Bazel stat-ing every output file (the
    # index tree alone holds ~7 files per wheel).
    unchecked_flags = [*flags, "--noexperimental_check_output_files"]
    build(workspace, output_base, unchecked_flags)
    noop_unchecked_s = statistics.median(build(workspace, output_base, unchecked_flags)[0] for _ in range(5))
    # Diagnostic: with --watchfs (inotify instead of stat-ing every source
    # file); the first build with it registers the watches.
    watchfs_flags = flags if "--watchfs" in flags else [*flags, "--watchfs"]
    build(workspace, output_base, watchfs_flags)
    noop_watchfs_s = statistics.median(build(workspace, output_base, watchfs_flags)[0] for _ in range(5))
    # The median of three edits of one wheel's source, each a new change.
    changed = workspace / "pkgs" / f"bench_{wheels // 2:04d}" / "__init__.py"
    edits = []
    for n in range(3):
        changed.write_text(changed.read_text() + f"CHANGED_{n} = True\n")
        edits.append(build(workspace, output_base, flags))
    one_s = statistics.median(t for t, _ in edits)
    one_n = max(n for _, n in edits)
    subprocess.run(["bazel", "--nohome_rc", f"--output_base={output_base}", "shutdown"], check=False, cwd=workspace)
    return {
        "cold_build_seconds": round(cold_s, 2),
        "cold_build_actions": cold_n,
        "noop_rebuild_seconds": round(noop_s, 2),
        "noop_rebuild_actions": noop_n,
        "noop_rebuild_seconds_without_output_check": round(noop_unchecked_s, 2),
        "noop_rebuild_seconds_with_watchfs": round(noop_watchfs_s, 2),
        "one_wheel_changed_actions": one_n,
        "one_wheel_changed_seconds": round(one_s, 2),
    }


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
    runs = [("working tree", None)]
    if args.compare:
        runs.insert(0, (args.compare, args.compare))
    figures: dict[str, dict[str, float | int]] = {}
    for label, revision in runs:
        work = args.dir / ("before" if revision else "after")
        print(f"rules of the {label}:", flush=True)
        copy_rules(work / "dumb_pypi", revision)
        figures[label] = measure(work, work / "dumb_pypi", args.wheels, args.flags)

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
