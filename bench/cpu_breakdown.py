#!/usr/bin/env python3
"""Where a full build's CPU time goes, step by step, on one package list.

generator_bench.py times whole builds; this says what they are made of. It
runs the generator's steps in this process, one after the other, and times
each with time.process_time():
  * reading the list into records, and grouping them into projects;
  * rendering each kind of page (every page of every project, nothing
    written), and each project's rows in the root pages;
then it runs one real full build with `--jobs 1` (a child process; user +
system CPU from wait4) and reports what is left of it: writing and hashing
the files, the root pages, the manifest. The sum of the table is a full
build's CPU, whatever number of processes later shares it.

    python bench/cpu_breakdown.py                    # ../shared/bench list
    python bench/cpu_breakdown.py --list L --workdir /dev/shm --json out.json

It imports dumb_pypi from the running interpreter: run it with the
development venv (.ci/install.sh), whose editable install is this checkout.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from generator_bench import DEFAULT_LIST, at_hand, timed  # the script's own folder is first on sys.path

from dumb_pypi.inputs.lists import list_lines, parse_lines, read_list
from dumb_pypi.pages.links import Links
from dumb_pypi.pages.renderer import Renderer
from dumb_pypi.pages.webui import Site
from dumb_pypi.projects import group_projects

T = TypeVar("T")


def _cpu(step: Callable[[], T]) -> tuple[T, float]:
    start = time.process_time()
    result = step()
    return result, time.process_time() - start


def _kind(path: str) -> str:
    """The kind of page at `path`: its directory's first part and its name ("pypi/<p>/<v>/json": a release's)."""
    parts = path.split("/")
    return "pypi/<p>/<version>/json" if len(parts) == 4 else f"{parts[0]}/<p>/{parts[-1]}"


def _timed_pages(pages: Iterator[tuple[str, str]], spent: dict[str, float], counts: dict[str, int]) -> None:
    """Consume a project's pages, the CPU of each (the generator renders a page when asked for it) to its kind."""
    while True:
        start = time.process_time()
        try:
            path, _ = next(pages)
        except StopIteration:
            return
        kind = _kind(path)
        spent[kind] += time.process_time() - start
        counts[kind] += 1


def _one_process_build(package_list: str, work: str) -> float:
    """User + system CPU of a real full build in one process (`--jobs 1`), into `work`."""
    return timed([sys.executable, "-m", "dumb_pypi", "--package-list", package_list, "--output-dir",
                  os.path.join(work, "index"), "--packages-url", "../../pool/", "--no-generate-timestamp",
                  "--jobs", "1"]).cpu_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", default=DEFAULT_LIST, help="package list (default: %(default)s)")
    parser.add_argument("--workdir", help="where the build writes (default: a temporary directory); a build's "
                        "system CPU depends on the file system: generator_bench.py's figures are on tmpfs")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dumb-pypi-cpu-", dir=args.workdir)
    try:
        return _breakdown(at_hand(args.list, work), work, args.json)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _breakdown(package_list: str, work: str, json_out: str | None) -> int:
    text, read = _cpu(lambda: read_list(package_list))
    records, parse = _cpu(lambda: [record for _, record in parse_lines(
        package_list, enumerate(list_lines(text), 1), lambda origin, reason: None, json_lines=False)])
    projects, group = _cpu(lambda: group_projects(records))
    site = Site(title="bench")
    renderer, setup = _cpu(lambda: Renderer(Links("../../pool/", False), site))
    names = {project.name for project in projects}
    spent: dict[str, float] = collections.defaultdict(float)
    counts: dict[str, int] = collections.defaultdict(int)
    for project in projects:
        _timed_pages(renderer.project_pages(project, names), spent, counts)
        _, rows = _cpu(lambda: renderer.root_rows(project))  # noqa: B023 - called at once
        spent["rows in the root pages"] += rows
        counts["rows in the root pages"] += 1
    steps = {"read the list": (read, 1), "parse lines into records": (parse, len(records)),
             "group into projects": (group, len(projects)), "start the renderer (Jinja2)": (setup, 1),
             **{kind: (spent[kind], counts[kind]) for kind in sorted(spent, key=spent.__getitem__, reverse=True)}}
    measured = sum(seconds for seconds, _ in steps.values())
    total = _one_process_build(package_list, work)
    steps["the rest: write and hash files, root pages, manifest"] = (total - measured, 0)

    print(f"list: {package_list}: {len(records)} files in {len(projects)} projects; one full build's CPU by step")
    print(f"{'':54}{'CPU (s)':>9}{'share':>8}{'count':>9}{'us each':>9}")
    for step, (seconds, count) in steps.items():
        each = f"{seconds / count * 1e6:9.1f}" if count > 1 else ""
        print(f"{step:54}{seconds:9.2f}{seconds / total:8.0%}{count if count > 1 else '':>9}{each}")
    print(f"{'a full build in one process (--jobs 1), user + system':54}{total:9.2f}")
    cores = os.cpu_count() or 1
    print(f"on {cores} cores no schedule of this work takes less than {total / cores:.2f} s")
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"list": os.path.abspath(package_list), "total_cpu_seconds": total, "cores": cores,
                       "steps": {step: {"cpu_seconds": seconds, "count": count}
                                 for step, (seconds, count) in steps.items()}}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
