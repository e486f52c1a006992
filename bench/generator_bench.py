#!/usr/bin/env python3
"""Benchmark: our generator against dumb-pypi 1.15, side by side, on one list.

Measures, each as the median of --runs interleaved runs (so both tools see the
same machine load):
  * full build of the list into a new directory: wall time; CPU time, user
    + system of every process (divided by the machine's cores, the least
    wall time any schedule of that work could take: see cpu_breakdown.py
    for what it is made of); and peak memory, both as the main process's
    ru_maxrss (which does not see worker processes) and as the peak of the
    sum of PSS (/proc/<pid>/smaps_rollup) over the whole process tree,
    sampled every 20 ms in one extra full build per tool (sampling costs
    CPU, so the timed runs do not sample);
  * partial rebuild after adding one file (--previous-package-list): wall
    time and peak RSS (one process each);
  * the partial floor: reading and comparing both lists, then rewriting and
    hashing the pages that list every project or file (PARTIAL_FLOOR_SCRIPT);
  * the floor: a plain Python loop that writes the same files (same paths,
    same number of bytes) as our full build, nothing else.
and prints the ratios against the issue's targets.

    python bench/generator_bench.py                       # ../shared/bench list
    python bench/generator_bench.py --list L --runs 3 --json out.json
    python bench/generator_bench.py --compare HEAD~3       # and an earlier commit, side by side

dumb-pypi 1.15 comes from the venv .ci/install.sh makes (created on first use
if missing); --reference points at another `dumb-pypi` executable instead.
Ours is measured the same way, as `pip install` leaves it: this checkout is
installed (not editable) into a venv of its own in the work directory. The
development venv's editable install costs ~15 ms at every start (its import
finder), which users never pay.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LIST = os.path.join(ROOT, "..", "shared", "bench", "package-list-huge.txt")
# The same list, kept in the repository for the tests: used where ../shared is not.
VENDORED_LIST = os.path.join(ROOT, "tests", "data", "package-list-huge.txt.gz")
EXTRA_FILE = "zzz-bench-added-1.0.0-py3-none-any.whl"

# The floor: write every file of a finished tree again, as plainly as Python can.
FLOOR_SCRIPT = """
import os, sys
listing, out = sys.argv[1], sys.argv[2]
with open(listing) as f:
    entries = [line.rstrip("\\n").split("\\t") for line in f]
made = set()
for size, path in entries:
    directory = os.path.join(out, os.path.dirname(path))
    if directory not in made:
        os.makedirs(directory, exist_ok=True)
        made.add(directory)
    with open(os.path.join(out, path), "wb") as f:
        f.write(b"x" * int(size))
"""

# The partial floor: what any partial rebuild of our tree must do at least.
# Read both lists and compare them; then rewrite (temporary file, rename) and
# hash each page that lists every project or file and that the added file
# changed (given: those our partial rebuild changed), as plainly as Python can.
PARTIAL_FLOOR_SCRIPT = """
import hashlib, os, sys
new, old, tree, *pages = sys.argv[1:]
with open(new) as f, open(old) as g:
    changed = set(f.read().splitlines()).symmetric_difference(g.read().splitlines())
for page in pages:
    path = os.path.join(tree, page)
    with open(path, "rb") as f:
        data = f.read()
    hashlib.sha256(data).digest()
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
"""


def at_hand(package_list: str, work: str) -> str:
    """The list to read: `package_list`, or when that is the default and
    ../shared is missing, the repository's copy, unpacked into `work`."""
    if package_list != DEFAULT_LIST or os.path.exists(DEFAULT_LIST):
        return package_list
    unpacked = os.path.join(work, "package-list-huge.txt")
    with gzip.open(VENDORED_LIST, "rb") as source, open(unpacked, "wb") as copy:
        shutil.copyfileobj(source, copy)
    return unpacked


ROOT_PAGES = ("manifest.json", "packages.json", "index.html", "simple/index.html", "simple/index.json", "feed.xml")


def root_page_digests(tree: str) -> dict[str, str]:
    """The pages of `tree` that list every project or file, by content."""
    pages = [*ROOT_PAGES, *(f"changelog/{name}" for name in os.listdir(os.path.join(tree, "changelog")))]
    digests = {}
    for page in sorted(pages):
        with open(os.path.join(tree, page), "rb") as f:
            digests[page] = hashlib.sha256(f.read()).hexdigest()
    return digests


class Run(NamedTuple):
    seconds: float
    max_rss_kib: int  # ru_maxrss: the peak of the main process alone (workers not counted)
    peak_pss_kib: int  # the peak of the sum of PSS over the whole process tree (0: not measured)
    cpu_seconds: float = 0.0  # user + system, of the process and the children it waited for (its workers)


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc/<pid>/stat."""
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rpartition(b")")[2].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(name))
    return tree


def _pss_kib(pid: int) -> int:
    """Proportional set size: shared pages count once across the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(argv: list[str], env: dict[str, str] | None = None, *, sample: bool = False) -> Run:
    """Run a command; its wall time, its own peak RSS (from wait4) and, with
    `sample`, the peak of the summed PSS of it and all its descendants,
    sampled every ~20 ms. Sampling takes CPU (it reads every process's
    /proc/<pid>/stat and smaps_rollup), so timed runs do not sample."""
    sample = sample and os.path.exists("/proc/self/smaps_rollup")
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    tree = [process.pid]
    rescan = 0.0
    while True:
        # Without sampling, wait for the end itself: polling every 20 ms would
        # round a 0.1 s run up to the next poll (up to +20%).
        pid, status, usage = os.wait4(process.pid, os.WNOHANG if sample else 0)
        if pid:
            break
        if sample:
            now = time.perf_counter()
            if now >= rescan:  # finding new processes costs more than reading a known one
                children = _children()
                tree, todo = [], [process.pid]
                while todo:
                    tree.append(todo.pop())
                    todo.extend(children.get(tree[-1], ()))
                rescan = now + 0.1
            peak = max(peak, sum(_pss_kib(p) for p in tree))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(argv)}")
    return Run(seconds, usage.ru_maxrss, peak, usage.ru_utime + usage.ru_stime)


def reference_executable(venv: str) -> str:
    executable = os.path.join(venv, "bin", "dumb-pypi")
    if not os.path.exists(executable):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", "dumb-pypi==1.15.0"], check=True)
    return executable


def installed_ours(work: str, revision: str | None = None) -> str:
    """This checkout's `dumb-pypi` (or, given `revision`, that commit's),
    installed into a venv of its own under `work` (the venv is kept between
    runs; the package is installed again each time)."""
    name = "ours" if revision is None else "compare"
    venv = os.path.join(work, f"{name}-venv")
    pip = [os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    # A copy of the sources: building in place would leave build/ in the checkout.
    source = os.path.join(work, f"{name}-source")
    shutil.rmtree(source, ignore_errors=True)
    os.makedirs(source)
    if revision is None:
        shutil.copytree(os.path.join(ROOT, "dumb_pypi"), os.path.join(source, "dumb_pypi"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(os.path.join(ROOT, name), source)
    else:
        archive = subprocess.run(["git", "-C", ROOT, "archive", revision, "dumb_pypi", "pyproject.toml", "README.md"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", source], input=archive, check=True)
    import tomllib

    with open(os.path.join(source, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    subprocess.run([*pip, "setuptools>=61", "wheel", *dependencies], check=True)  # nothing to do once there
    subprocess.run([*pip, "--no-deps", "--no-build-isolation", "--force-reinstall", source], check=True)
    return os.path.join(venv, "bin", "dumb-pypi")


def tree_listing(root: str, destination: str) -> tuple[int, int]:
    """Write "size<TAB>path" for every file under root; returns (files, bytes)."""
    count = total = 0
    with open(destination, "w") as out:
        for directory, dirs, files in os.walk(root):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(directory, name)
                size = os.path.getsize(path)
                out.write(f"{size}\t{os.path.relpath(path, root)}\n")
                count += 1
                total += size
    return count, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", default=DEFAULT_LIST, help="package list (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--reference", help="a dumb-pypi 1.15 executable (default: the venv .ci/install.sh makes, "
                                            "created here if missing)")
    parser.add_argument("--reference-venv", default=os.environ.get(
        "DUMB_PYPI_REFERENCE", os.path.join(os.path.expanduser("~"), ".cache", "dumb-pypi-reference")))
    parser.add_argument("--workdir", help="where outputs go (default: a temporary directory; same filesystem "
                                          "for every tool)")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--compare", metavar="REV", help="also measure this commit of ours, side by side "
                                                        "(a column of its own; its ratios are printed too)")
    args = parser.parse_args()

    reference = args.reference or reference_executable(args.reference_venv)
    work = args.workdir or tempfile.mkdtemp(prefix="dumb-pypi-bench-")
    os.makedirs(work, exist_ok=True)
    ours = [installed_ours(work)]
    args.list = at_hand(args.list, work)
    new_list = os.path.join(work, "plus-one.txt")
    with open(args.list) as f, open(new_list, "w") as plus_one:
        plus_one.write(f.read().rstrip("\n") + f"\n{EXTRA_FILE}\n")

    # Each imports its own package, from its own venv.
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    tools = {"dumb-pypi 1.15": ([reference], env), "ours": (ours, env)}
    if args.compare:
        tools[f"ours@{args.compare}"] = ([installed_ours(work, args.compare)], env)
    common = ["--packages-url", "../../pool/"]
    full: dict[str, list[Run]] = {name: [] for name in tools}
    partial: dict[str, list[Run]] = {name: [] for name in tools}
    floor: list[Run] = []
    partial_floor: list[Run] = []
    listing = os.path.join(work, "listing.tsv")
    files = size = 0
    for run in range(args.runs):
        for name, (command, env) in tools.items():
            out = os.path.join(work, f"{name.split()[0].replace('@', '-')}-{run}")
            shutil.rmtree(out, ignore_errors=True)
            full[name].append(timed([*command, "--package-list", args.list, "--output-dir", out, *common,
                                     "--no-generate-timestamp"], env))
            before = root_page_digests(out) if name == "ours" else {}
            partial[name].append(timed([*command, "--package-list", new_list, "--previous-package-list", args.list,
                                        "--output-dir", out, *common, "--no-generate-timestamp"], env))
            if name == "ours":
                changed = [page for page, digest in root_page_digests(out).items() if before.get(page) != digest]
                partial_floor.append(timed([sys.executable, "-c", PARTIAL_FLOOR_SCRIPT, new_list, args.list, out,
                                            *changed]))
            if name == "ours" and run == 0:
                files, size = tree_listing(out, listing)
            shutil.rmtree(out)
        floor_out = os.path.join(work, f"floor-{run}")
        floor.append(timed([sys.executable, "-c", FLOOR_SCRIPT, listing, floor_out]))
        shutil.rmtree(floor_out)
    # Memory: one more full build each, sampled (not timed: the sampler takes CPU).
    pss: dict[str, int] = {}
    for name, (command, env) in tools.items():
        out = os.path.join(work, f"{name.split()[0].replace('@', '-')}-memory")
        shutil.rmtree(out, ignore_errors=True)
        pss[name] = timed([*command, "--package-list", args.list, "--output-dir", out, *common,
                           "--no-generate-timestamp"], env, sample=True).peak_pss_kib
        shutil.rmtree(out)

    def median(runs: list[Run]) -> Run:
        return Run(statistics.median(r.seconds for r in runs), int(statistics.median(r.max_rss_kib for r in runs)), 0,
                   statistics.median(r.cpu_seconds for r in runs))

    ref_full = median(full["dumb-pypi 1.15"])._replace(peak_pss_kib=pss["dumb-pypi 1.15"])
    our_full = median(full["ours"])._replace(peak_pss_kib=pss["ours"])
    ref_partial, our_partial = median(partial["dumb-pypi 1.15"]), median(partial["ours"])
    floor_run, partial_floor_run = median(floor), median(partial_floor)
    cores = os.cpu_count() or 1
    figures = {
        "list": os.path.abspath(args.list), "runs": args.runs, "our_files": files, "our_bytes": size,
        "full_seconds": {"reference": ref_full.seconds, "ours": our_full.seconds, "floor": floor_run.seconds},
        "partial_seconds": {"reference": ref_partial.seconds, "ours": our_partial.seconds,
                            "floor": partial_floor_run.seconds},
        "full_cpu_seconds": {"reference": ref_full.cpu_seconds, "ours": our_full.cpu_seconds, "cores": cores},
        "peak_rss_kib": {"reference": ref_full.max_rss_kib, "ours": our_full.max_rss_kib},
        "partial_peak_rss_kib": {"reference": ref_partial.max_rss_kib, "ours": our_partial.max_rss_kib},
        "peak_tree_pss_kib": {"reference": ref_full.peak_pss_kib, "ours": our_full.peak_pss_kib},
        "ratios": {
            "full_speedup": ref_full.seconds / our_full.seconds,
            "partial_speedup": ref_partial.seconds / our_partial.seconds,
            "partial_vs_reference_full": ref_full.seconds / our_partial.seconds,
            "full_vs_floor": our_full.seconds / floor_run.seconds,
            "partial_vs_floor": our_partial.seconds / partial_floor_run.seconds,
            "reference_partial_vs_floor": ref_partial.seconds / partial_floor_run.seconds,
            "rss_ours_over_reference": our_full.max_rss_kib / ref_full.max_rss_kib,
            "partial_rss_ours_over_reference": our_partial.max_rss_kib / ref_partial.max_rss_kib,
            "tree_pss_ours_over_reference": our_full.peak_pss_kib / max(1, ref_full.peak_pss_kib),
        },
    }
    ratios = figures["ratios"]
    with open(args.list) as f:
        line_count = sum(1 for _ in f)
    print(f"list: {args.list} ({line_count} lines), {args.runs} run(s), medians")
    print(f"our tree: {files} files, {size / 1e6:.1f} MB")
    print(f"{'':28}{'dumb-pypi 1.15':>16}{'ours':>10}{'floor':>10}")
    print(f"{'full build (s)':28}{ref_full.seconds:16.2f}{our_full.seconds:10.2f}{floor_run.seconds:10.2f}")
    print(f"{'full build, CPU (s)':28}{ref_full.cpu_seconds:16.2f}{our_full.cpu_seconds:10.2f}")
    print(f"{'partial, +1 file (s)':28}{ref_partial.seconds:16.2f}{our_partial.seconds:10.2f}"
          f"{partial_floor_run.seconds:10.2f}")
    print(f"{'peak RSS, main process (MiB)':28}{ref_full.max_rss_kib / 1024:16.1f}{our_full.max_rss_kib / 1024:10.1f}")
    print(f"{'peak RSS, partial (MiB)':28}{ref_partial.max_rss_kib / 1024:16.1f}{our_partial.max_rss_kib / 1024:10.1f}")
    print(f"{'peak sum of PSS, all (MiB)':28}{ref_full.peak_pss_kib / 1024:16.1f}{our_full.peak_pss_kib / 1024:10.1f}")
    print(f"full build speedup:   {ratios['full_speedup']:.2f}x (target >= 4x)")
    print(f"partial speedup:      {ratios['partial_speedup']:.2f}x against its partial rebuild, "
          f"{ratios['partial_vs_reference_full']:.2f}x against its full build (target >= 10x)")
    print(f"CPU bound:            our full build's CPU (user + system, every process) over {cores} cores is "
          f"{our_full.cpu_seconds / cores:.2f} s, no schedule is faster; 4x allows {ref_full.seconds / 4:.2f} s")
    print(f"full build / floor:   {ratios['full_vs_floor']:.2f}x (target <= 2x)")
    print(f"partial / its floor:  {ratios['partial_vs_floor']:.2f}x; dumb-pypi 1.15's partial is "
          f"{ratios['reference_partial_vs_floor']:.2f}x the floor (10x faster than it would be "
          f"{ratios['reference_partial_vs_floor'] / 10:.2f}x the floor)")
    print(f"peak RSS ours / ref:  {ratios['rss_ours_over_reference']:.2f} (main process only, ru_maxrss; target <= 1)")
    print(f"partial RSS ours/ref: {ratios['partial_rss_ours_over_reference']:.2f} (one process each; target <= 1)")
    print(f"peak PSS ours / ref:  {ratios['tree_pss_ours_over_reference']:.2f} (sum over the process tree, "
          "sampled every 20 ms in a separate run; target <= 1)")
    if args.compare:
        name = f"ours@{args.compare}"
        their_full = median(full[name])._replace(peak_pss_kib=pss[name])
        their_partial = median(partial[name])
        figures[name] = {"full_seconds": their_full.seconds, "full_cpu_seconds": their_full.cpu_seconds,
                         "partial_seconds": their_partial.seconds,
                         "peak_rss_kib": their_full.max_rss_kib, "peak_tree_pss_kib": their_full.peak_pss_kib,
                         "full_speedup": ref_full.seconds / their_full.seconds,
                         "partial_speedup": ref_partial.seconds / their_partial.seconds}
        print(f"side by side, {name}: full {their_full.seconds:.2f} s ({ref_full.seconds / their_full.seconds:.2f}x, "
              f"CPU {their_full.cpu_seconds:.2f} s), "
              f"partial {their_partial.seconds:.3f} s ({ref_partial.seconds / their_partial.seconds:.2f}x), "
              f"peak RSS {their_full.max_rss_kib / 1024:.1f} MiB, peak PSS {their_full.peak_pss_kib / 1024:.1f} MiB; "
              f"this checkout: full {our_full.seconds:.2f} s, partial {our_partial.seconds:.3f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
