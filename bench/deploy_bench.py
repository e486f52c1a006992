#!/usr/bin/env python3
"""Benchmark: `dumb-pypi deploy` to S3 against rclone (and `aws s3 sync`), side by side.

    .venv/bin/python bench/deploy_bench.py                        # the 71k list, ~10 min
    .venv/bin/python bench/deploy_bench.py --limit 3000           # its first 3000 lines, a quick check
    .venv/bin/python bench/deploy_bench.py --with-aws --runs 3 --ours-args "--jobs 64" --json out.json

Builds two index trees with our generator: A from the package list
(../shared/bench/package-list-huge.txt, else tests/data/package-list-huge.txt.gz;
--limit N: its first N lines) and B, the same list plus one new project
(about ten objects differ). Then, against one SeaweedFS S3 server on
127.0.0.1 (tests/support/servers.py; .ci/install-serve.sh installs it), each
tool deploys into a bucket of its own (bench-ours, bench-rclone, bench-aws),
under a fresh prefix per run, taking turns command by command so that the
machine's load weighs on each alike:

  1. first deploy: tree A into the empty prefix;
  2. one project added: tree B over it;
  3. nothing changed: tree B again.

For every command: wall seconds, the client's CPU seconds (user + sys) and
peak RSS (its VmHWM, polled: wait4's ru_maxrss would count this process's pages too), the objects
it says it uploaded (ours: its summary line; rclone: its final stats; aws:
its `upload:` lines) and the server's CPU seconds meanwhile. Between
commands (not timed) the prefix is listed: the objects written per that
listing, and whether the prefix then holds exactly the tree (MD5 = ETag).
With --runs N, each figure is the median of N runs. (Our deploy leaves out
the generator's .dumb-pypi-state, which rclone and aws upload: one object.)

The commands (ours as `python -m dumb_pypi`, from a copy of this checkout's
dumb_pypi/ taken at the start, so edits made meanwhile do not leak in; or,
with --ours-rev REV, of git revision REV's; the trees are built with it too):

  ours    dumb-pypi deploy TREE s3://bench-ours/PREFIX --endpoint-url E [--ours-args]
  rclone  rclone sync TREE bench:bench-rclone/PREFIX --transfers 32 --checkers 32
          (2. and 3.: also --checksum --fast-list, its fastest no-op), configured
          by RCLONE_CONFIG_BENCH_* variables
  aws     aws s3 sync TREE s3://bench-aws/PREFIX --endpoint-url E --delete --no-progress

Every tool gets the same environment: the server's credentials, no other
AWS_* or RCLONE_* variable (AWS_CA_BUNDLE breaks Debian's rclone 1.60:
"LoadCustomCABundleError ... unsupported transport") and no proxy. Prints a
markdown table, the commands, the tool versions and the trees' sizes; with
--json, writes everything as JSON. Exits 1 when a deploy left its prefix
different from its tree.

`aws s3 sync` and SeaweedFS (4.x) do not go together: SeaweedFS lists keys
a directory at a time (`0.0.4/json` before `0.0.4.1/json`), not in S3's
byte order, and aws, which walks the two sorted listings side by side,
then deletes and uploads the same keys at once. Its redeploys upload a few
hundred objects too many and leave objects missing (reported as WRONG), so
its figures there say little about aws on S3. rclone sorts listings itself.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the tests' helpers: the same SeaweedFS server
from support.servers import S3Server, run_seaweedfs
from support.tools import tool as serve_tool

DEFAULT_LIST = REPO.parent / "shared" / "bench" / "package-list-huge.txt"
# The same list, kept in the repository for the tests: used where ../shared is not.
VENDORED_LIST = REPO / "tests" / "data" / "package-list-huge.txt.gz"
NEWCOMER = "zzz-bench-newcomer-1.0-py3-none-any.whl"
# The generator's state for partial rebuilds (dumb_pypi/incremental/state.py): not
# part of the index, which our deploy leaves out and rclone and aws upload.
OPTIONAL = {".dumb-pypi-state"}
SCENARIOS = {"first": "first deploy", "added": "one project added", "noop": "nothing changed"}
REMOTE = "bench"  # rclone's remote, defined by RCLONE_CONFIG_BENCH_* variables
# 64 MB each, and every bucket takes several at once: room for a few full runs.
VOLUME_MAX = 200
PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}


@dataclass
class Figures:
    """One command's measurements."""

    wall_s: float
    cpu_s: float
    rss_mib: float
    uploaded: int  # as the tool reports it (ours: falls back to `written`)
    written: int  # objects new or rewritten, per listings before and after
    removed: int  # objects gone, per the same listings
    server_cpu_s: float
    wrong: int  # objects missing, stale or extra afterwards


@dataclass
class Tree:
    path: Path
    md5: dict[str, str]  # relpath -> MD5 hex
    size: int  # bytes of all files


class Bench:
    def __init__(self, server: S3Server, work: Path, ours_dir: Path, ours_args: list[str], aws: str | None) -> None:
        import boto3
        import botocore.config

        self.server = server
        self.work = work
        self.ours_dir = ours_dir
        self.ours_args = ours_args
        self.aws = aws
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            aws_access_key_id=server.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=server.env["AWS_SECRET_ACCESS_KEY"],
            region_name=server.env["AWS_DEFAULT_REGION"],
            config=botocore.config.Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        rclone_conf = work / "rclone.conf"
        rclone_conf.write_text("")
        self.rclone_env = {
            "RCLONE_CONFIG": str(rclone_conf),
            f"RCLONE_CONFIG_{REMOTE.upper()}_TYPE": "s3",
            f"RCLONE_CONFIG_{REMOTE.upper()}_PROVIDER": "SeaweedFS",
            f"RCLONE_CONFIG_{REMOTE.upper()}_ENDPOINT": server.endpoint,
            f"RCLONE_CONFIG_{REMOTE.upper()}_ENV_AUTH": "false",
            f"RCLONE_CONFIG_{REMOTE.upper()}_ACCESS_KEY_ID": server.env["AWS_ACCESS_KEY_ID"],
            f"RCLONE_CONFIG_{REMOTE.upper()}_SECRET_ACCESS_KEY": server.env["AWS_SECRET_ACCESS_KEY"],
            f"RCLONE_CONFIG_{REMOTE.upper()}_REGION": server.env["AWS_DEFAULT_REGION"],
        }
        # Everyone alike: no AWS_* or RCLONE_* of this machine (AWS_CA_BUNDLE
        # breaks rclone 1.60), no proxy between the tools and 127.0.0.1.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "RCLONE_")) and key.lower() not in PROXY_VARIABLES
        }
        self.env.update(server.env, AWS_EC2_METADATA_DISABLED="true", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        self.weed = _weed_pid()

    @staticmethod
    def bucket(tool: str) -> str:
        return f"bench-{tool}"

    def command(self, tool: str, scenario: str, tree: Path, prefix: str) -> list[str]:
        if tool == "ours":
            url = f"s3://{self.bucket(tool)}/{prefix}"
            return [sys.executable, "-m", "dumb_pypi", "deploy", str(tree), url,
                    "--endpoint-url", self.server.endpoint, *self.ours_args]
        if tool == "rclone":
            argv = ["rclone", "sync", str(tree), f"{REMOTE}:{self.bucket(tool)}/{prefix}", "--transfers", "32",
                    "--checkers", "32"]
            if scenario != "first":
                argv += ["--checksum", "--fast-list"]
            # Only the final stats, as one JSON line (the count of transfers).
            return [*argv, "--stats", "1h", "--stats-log-level", "NOTICE", "--use-json-log"]
        assert tool == "aws" and self.aws is not None
        return [self.aws, "s3", "sync", str(tree), f"s3://{self.bucket(tool)}/{prefix}",
                "--endpoint-url", self.server.endpoint, "--delete", "--no-progress"]

    def listing(self, tool: str, prefix: str) -> dict[str, tuple[str, str]]:
        """relpath -> (ETag, LastModified) of every object under the prefix."""
        found: dict[str, tuple[str, str]] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket(tool), Prefix=prefix + "/")
        for page in pages:
            for obj in page.get("Contents", []):
                found[obj["Key"][len(prefix) + 1 :]] = (obj["ETag"].strip('"'), obj["LastModified"].isoformat())
        return found

    def deploy(self, tool: str, scenario: str, tree: Tree, prefix: str,
               before: dict[str, tuple[str, str]]) -> tuple[Figures, dict[str, tuple[str, str]], list[str]]:
        argv = self.command(tool, scenario, tree.path, prefix)
        env = {**self.env, **self.rclone_env} if tool == "rclone" else self.env
        log = self.logs / f"{prefix}-{scenario}-{tool}"
        server_cpu = _cpu_seconds(self.weed)
        wall, cpu, rss_kib, out, err = timed(argv, env, self.ours_dir, log)
        server_cpu = _cpu_seconds(self.weed) - server_cpu
        after = self.listing(tool, prefix)
        written = sum(1 for key, value in after.items() if before.get(key) != value)
        reported = reported_uploads(tool, out, err)
        wrong = mismatches(after, tree.md5)
        log.with_name(log.name + ".wrong").write_text("".join(line + "\n" for line in wrong))
        figures = Figures(
            wall_s=round(wall, 2),
            cpu_s=round(cpu, 2),
            rss_mib=round(rss_kib / 1024, 1),
            uploaded=written if reported is None else reported,
            written=written,
            removed=len(before.keys() - after.keys()),
            server_cpu_s=round(server_cpu, 2),
            wrong=len(wrong),
        )
        return figures, after, argv


def _peak_rss_kib(pid: int, done: threading.Event, peak: list[int]) -> None:
    """Poll the child's VmHWM (its own peak RSS since exec) until it ends.

    Not wait4's ru_maxrss: on Linux that also counts the pages the child
    had at exec, a copy of this (large) process, so every tool would look
    at least as big as the bench itself."""
    while not done.is_set():
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
        except (OSError, ValueError):
            pass
        done.wait(0.02)


def timed(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[float, float, int, str, str]:
    """Run a command, its output to `log`.out/.err; its wall and CPU seconds, peak RSS (KiB) and output."""
    out_path, err_path = log.with_name(log.name + ".out"), log.with_name(log.name + ".err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        done, peak = threading.Event(), [0]
        watcher = threading.Thread(target=_peak_rss_kib, args=(process.pid, done, peak))
        watcher.start()
        # WNOWAIT: the child stays a zombie, its /proc entry readable, until reaped below.
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
        wall = time.perf_counter() - start
        done.set()
        watcher.join()
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    if process.returncode != 0:
        sys.exit(f"failed ({process.returncode}): {shlex.join(argv)}\n{stderr[-4000:]}\n(logs: {log}.*)")
    return wall, usage.ru_utime + usage.ru_stime, peak[0], stdout, stderr


def reported_uploads(tool: str, stdout: str, stderr: str) -> int | None:
    """The objects a tool says it uploaded; None if it did not say."""
    if tool == "ours":
        # "deploy: s3://b/p/: uploaded 10 of 86609 objects (...)", "...; uploaded 0 objects"
        match = re.search(r"uploaded (\d+)", stdout)
        return int(match.group(1)) if match else None
    if tool == "rclone":
        transfers = None
        for line in stderr.splitlines():
            if line.startswith("{") and '"stats"' in line:
                transfers = int(json.loads(line)["stats"]["transfers"])
        return transfers
    return sum(1 for line in stdout.splitlines() if line.startswith("upload:"))


def mismatches(listing: dict[str, tuple[str, str]], md5: dict[str, str]) -> list[str]:
    """Objects missing, extra, or whose ETag is not the file's MD5 (multipart ETags are not checked)."""
    wrong = [f"missing {key}" for key in sorted(md5.keys() - listing.keys() - OPTIONAL)]
    wrong += [f"extra {key}" for key in sorted(listing.keys() - md5.keys() - OPTIONAL)]
    for key, (etag, _) in sorted(listing.items()):
        if key in md5 and "-" not in etag and etag != md5[key]:
            wrong.append(f"stale {key} (ETag {etag}, file's MD5 {md5[key]})")
    return wrong


def _weed_pid() -> int:
    """The SeaweedFS server: this process's child named weed."""
    for children in Path("/proc/self/task").glob("*/children"):
        for pid in children.read_text().split():
            if Path(f"/proc/{pid}/comm").read_text().strip() == "weed":
                return int(pid)
    sys.exit("no weed process among this process's children")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the trees ------------------------------------------------------------------


def snapshot_ours(work: Path, revision: str | None) -> tuple[Path, str]:
    """A copy of this checkout's dumb_pypi/ (or of git `revision`'s), run as
    `python -m dumb_pypi` from the returned directory, and what it is a copy
    of (said now: others may commit while the benchmark runs)."""
    code = work / "ours"
    if code.exists():
        shutil.rmtree(code)

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout

    if revision is None:
        head = git("rev-parse", "--short", "HEAD").strip()
        dirty = git("status", "--porcelain", "dumb_pypi").strip()
        shutil.copytree(REPO / "dumb_pypi", code / "dumb_pypi", ignore=shutil.ignore_patterns("__pycache__"))
        origin = f"working tree at {head}" + (", with uncommitted changes in dumb_pypi/" if dirty else "")
    else:
        commit = git("rev-parse", "--verify", f"{revision}^{{commit}}").strip()
        code.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "dumb_pypi"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
        origin = f"git {revision} = {commit[:12]}"
    found = subprocess.run([sys.executable, "-c", "import dumb_pypi; print(dumb_pypi.__file__)"], cwd=code,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).is_relative_to(code):
        sys.exit(f"python -m dumb_pypi from {code} imports {found}, not the copy")
    return code, origin


def package_lists(work: Path, source: Path, limit: int | None) -> tuple[Path, Path]:
    """List A (the first `limit` lines of `source`) and B (A plus one new project)."""
    if source == DEFAULT_LIST and not source.exists():
        with gzip.open(VENDORED_LIST, "rt") as f:
            lines = f.read().splitlines()
    else:
        lines = source.read_text().splitlines()
    lines = [line for line in lines if line.strip()][:limit]
    list_a, list_b = work / "list-a.txt", work / "list-b.txt"
    list_a.write_text("\n".join(lines) + "\n")
    list_b.write_text("\n".join([*lines, NEWCOMER]) + "\n")
    return list_a, list_b


def build_tree(code: Path, package_list: Path, tree: Path) -> Tree:
    if tree.exists():
        shutil.rmtree(tree)
    subprocess.run(
        [sys.executable, "-m", "dumb_pypi", "--package-list", str(package_list), "--output-dir", str(tree),
         "--packages-url", "../../pool/"],
        cwd=code, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    md5: dict[str, str] = {}
    size = 0
    for directory, _, names in os.walk(tree):
        for name in names:
            data = Path(directory, name).read_bytes()
            md5[os.path.relpath(os.path.join(directory, name), tree)] = hashlib.md5(data).hexdigest()
            size += len(data)
    return Tree(tree, md5, size)


# --- versions and the report ------------------------------------------------------


def versions(code: Path, origin: str, tools: Sequence[str], aws: str | None) -> dict[str, str]:
    def first_line(argv: list[str], cwd: Path = REPO) -> str:
        result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        return (result.stdout.strip() or result.stderr.strip()).splitlines()[0]

    found = {
        "ours": f"{first_line([sys.executable, '-m', 'dumb_pypi', '--version'], code)} ({origin})",
        "rclone": first_line(["rclone", "version"]),
        "seaweedfs": first_line([str(serve_tool("tools", "weed")), "version"]),
        "python": sys.version.split()[0],
    }
    if "aws" in tools and aws is not None:
        found["aws"] = first_line([aws, "--version"])
    return found


def median_figures(runs: list[Figures]) -> Figures:
    def med(name: str) -> Any:
        values = [getattr(run, name) for run in runs]
        value = statistics.median(values)
        return round(value, 2) if isinstance(values[0], float) else int(value)

    return Figures(**{name: med(name) for name in asdict(runs[0])})


ROWS = (
    ("wall_s", "wall (s)", "{:.1f}"),
    ("cpu_s", "client CPU (s)", "{:.1f}"),
    ("rss_mib", "client peak RSS (MiB)", "{:.0f}"),
    ("uploaded", "objects uploaded", "{:d}"),
    ("server_cpu_s", "server CPU (s)", "{:.1f}"),
)


def table(medians: dict[str, dict[str, Figures]], tools: Sequence[str]) -> str:
    others = [tool for tool in tools if tool not in ("ours", "rclone")]
    rows = ["| | ours | rclone | ratio (rclone/ours) |" + "".join(f" {tool} |" for tool in others),
            "|---|---:|---:|---:|" + "---:|" * len(others)]
    for scenario, title in SCENARIOS.items():
        for key, label, fmt in ROWS:
            ours, rclone = getattr(medians["ours"][scenario], key), getattr(medians["rclone"][scenario], key)
            ratio = f"{rclone / ours:.2f}" if ours else "–"
            cells = [fmt.format(ours), fmt.format(rclone), ratio]
            cells += [fmt.format(getattr(medians[tool][scenario], key)) for tool in others]
            rows.append(f"| {title}: {label} | " + " | ".join(cells) + " |")
        if any(medians[tool][scenario].wrong for tool in tools):  # say so next to the figures it spoils
            cells = [str(medians[tool][scenario].wrong) for tool in ("ours", "rclone")] + ["–"]
            cells += [str(medians[tool][scenario].wrong) for tool in others]
            rows.append(f"| {title}: WRONG objects afterwards | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST, help="package list (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="only the list's first N lines (e.g. 3000 for a quick check)")
    parser.add_argument("--runs", type=int, default=1, help="runs of the three scenarios, each in fresh prefixes; "
                                                            "medians are reported (default 1)")
    parser.add_argument("--with-aws", action="store_true", help="also `aws s3 sync` (the aws CLI on PATH)")
    parser.add_argument("--ours-args", default="", help='extra flags for our deploy, e.g. "--jobs 64"')
    parser.add_argument("--ours-rev", metavar="REV", help="our dumb_pypi/ as at git revision REV (e.g. HEAD) "
                                                          "instead of the working tree's")
    parser.add_argument("--workdir", type=Path, help="trees, server data and logs (default: a temporary directory, "
                                                     "removed after a successful run)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    tools = ["ours", "rclone"]
    aws = None
    if args.with_aws:
        aws = _aws_executable()
        if aws is None:
            parser.error("--with-aws: no aws on PATH")
        tools.append("aws")
    if shutil.which("rclone") is None:
        parser.error("rclone is not installed (apt-get install rclone)")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="dumb-pypi-deploy-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    work = work.resolve()
    code, origin = snapshot_ours(work, args.ours_rev)
    list_a, list_b = package_lists(work, args.list, args.limit)
    start = time.monotonic()
    tree_a = build_tree(code, list_a, work / "tree-a")
    tree_b = build_tree(code, list_b, work / "tree-b")
    differ = sum(1 for key, digest in tree_b.md5.items() if tree_a.md5.get(key) != digest)
    differ += len(tree_a.md5.keys() - tree_b.md5.keys())
    print(f"trees: A {len(tree_a.md5)} objects, {tree_a.size} bytes; B {len(tree_b.md5)} objects, {tree_b.size} "
          f"bytes, {differ} differ from A (built in {time.monotonic() - start:.0f} s, {work})", flush=True)

    data = work / "seaweedfs"
    if data.exists():
        shutil.rmtree(data)
    results: dict[str, dict[str, list[Figures]]] = {tool: {s: [] for s in SCENARIOS} for tool in tools}
    commands: dict[str, dict[str, str]] = {tool: {} for tool in tools}
    wrong: list[str] = []
    with run_seaweedfs(data, volume_max=VOLUME_MAX) as server:
        if urllib.parse.urlsplit(server.endpoint).hostname != "127.0.0.1":
            sys.exit(f"refusing a server that is not on 127.0.0.1: {server.endpoint}")
        bench = Bench(server, work, code, shlex.split(args.ours_args), aws)
        for tool in tools:
            bench.client.create_bucket(Bucket=bench.bucket(tool))
        for run in range(args.runs):
            prefix = f"run{run + 1}"
            order = tools[run % len(tools) :] + tools[: run % len(tools)]  # who goes first changes every run
            listings: dict[str, dict[str, tuple[str, str]]] = {tool: {} for tool in tools}
            for scenario, tree in (("first", tree_a), ("added", tree_b), ("noop", tree_b)):
                for tool in order:
                    figures, listings[tool], command = bench.deploy(tool, scenario, tree, prefix, listings[tool])
                    results[tool][scenario].append(figures)
                    commands[tool][scenario] = shlex.join(command)
                    note = ""
                    if figures.wrong:
                        note = (f"  WRONG: {figures.wrong} objects missing, stale or extra afterwards "
                                f"(logs/{prefix}-{scenario}-{tool}.wrong)")
                        wrong.append(f"{prefix} {SCENARIOS[scenario]}: {tool}:{note}")
                    elif figures.uploaded != figures.written:
                        note = f"  (the listing shows {figures.written} written)"
                    print(f"  {prefix} {SCENARIOS[scenario]:>17}: {tool:6} {figures.wall_s:7.1f} s wall, "
                          f"{figures.cpu_s:6.1f} s CPU, {figures.rss_mib:6.0f} MiB, {figures.uploaded:6d} uploaded, "
                          f"server {figures.server_cpu_s:6.1f} s CPU{note}", flush=True)
        found_versions = versions(code, origin, tools, aws)

    medians = {tool: {s: median_figures(runs) for s, runs in scenarios.items()} for tool, scenarios in results.items()}
    print()
    print(f"{len(tree_a.md5)} objects, {tree_a.size / 1e6:.1f} MB in tree A ({list_a}); tree B adds {NEWCOMER}: "
          f"{differ} objects differ. Median of {args.runs} run(s); load average (1 min) now "
          f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs.")
    print()
    print(table(medians, tools))
    print()
    print("Commands (SeaweedFS at " + bench.server.endpoint + "; PREFIX = run1, run2, ...; ours from "
          f"{code}, a copy of dumb_pypi/):")
    for tool in tools:
        for scenario, title in SCENARIOS.items():
            print(f"  {tool} {title}: {commands[tool][scenario]}")
    print("  rclone's environment: " + " ".join(sorted(bench.rclone_env)))
    print()
    for name, version in found_versions.items():
        print(f"{name}: {version}")
    sys.stdout.flush()
    for line in wrong:
        print(line, file=sys.stderr)

    if args.json:
        report = {
            "list": str(args.list if args.list.exists() else VENDORED_LIST),
            "limit": args.limit,
            "runs": args.runs,
            "tree_objects": len(tree_a.md5),
            "tree_bytes": tree_a.size,
            "tree_b_objects": len(tree_b.md5),
            "objects_differing_a_b": differ,
            "versions": found_versions,
            "commands": commands,
            "medians": {tool: {s: asdict(f) for s, f in scenarios.items()} for tool, scenarios in medians.items()},
            "runs_figures": {tool: {s: [asdict(f) for f in runs] for s, runs in scenarios.items()}
                             for tool, scenarios in results.items()},
            "load_average_1min": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
        args.json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    if args.workdir is None and not wrong:
        shutil.rmtree(work)
    return 1 if wrong else 0


def _aws_executable() -> str | None:
    """The aws CLI; through a pyenv shim, the program behind it (the shim costs every call ~0.1 s)."""
    found = shutil.which("aws")
    if found is None:
        return None
    if f"{os.sep}shims{os.sep}" in found and shutil.which("pyenv"):
        real = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True, check=False).stdout.strip()
        if real:
            return real
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
