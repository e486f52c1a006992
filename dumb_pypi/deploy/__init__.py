"""`dumb-pypi deploy SRC DEST`: publish a built tree without ever showing a broken index.

SRC is a tree written by dumb-pypi (with its manifest.json) or its tarball.
DEST is a local directory (release directories + an atomic `current`
symlink; `--rollback` goes back one release) or `s3://BUCKET/PREFIX` (only
the objects whose manifest entries changed, leaves before pages before the
root, stale ones last; `--verify` checks every object too).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dumb_pypi.deploy.source import DeployError, open_source
from dumb_pypi.errors import DumbPypiError, describe

__all__ = ["add_arguments", "main", "run"]

PROG = "dumb-pypi deploy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "locations",
        nargs="+",
        metavar="SRC_DEST",
        help="SRC: a built tree or its .tar.gz; DEST: a directory or s3://BUCKET/PREFIX (with --rollback: DEST only)",
    )
    parser.add_argument("--rollback", action="store_true", help="directory DEST: serve the release before the current one")
    parser.add_argument("--keep", type=int, default=5, help="directory DEST: releases to keep (default 5, at least 2)")
    parser.add_argument("--endpoint-url", help="S3 DEST: endpoint of an S3-compatible store (default: AWS)")
    parser.add_argument("--jobs", type=int, default=64, help="S3 DEST: uploads in flight at once (default 64)")
    parser.add_argument("--verify", action="store_true",
                        help="S3 DEST: list every object and upload again what is missing or has other bytes"
                             " (by default the destination's manifest.json is trusted)")
    parser.add_argument("--dry-run", action="store_true", help="S3 DEST: print what would change, change nothing")
    parser.add_argument("--no-wait", action="store_true",
                        help="if another deploy is writing DEST, fail at once instead of waiting")


def _run(args: argparse.Namespace) -> str:
    if args.rollback:
        if len(args.locations) != 1:
            raise DeployError("--rollback takes DEST only (e.g. dumb-pypi deploy --rollback /srv/pypi)")
        if args.locations[0].startswith("s3://"):
            raise DeployError("--rollback works for directory deploys only; for S3, deploy the older tarball again")
        from dumb_pypi.deploy.directory import rollback_directory

        return rollback_directory(Path(args.locations[0]), wait=not args.no_wait)
    if len(args.locations) != 2:
        raise DeployError(f"expected SRC DEST, got {len(args.locations)} argument(s): {' '.join(args.locations)}")
    src, dest = args.locations
    if args.keep < 2:
        raise DeployError(f"--keep {args.keep}: keep at least 2 releases, or there is nothing to roll back to")
    if args.jobs < 1:
        raise DeployError(f"--jobs {args.jobs}: must be at least 1")
    if dest.startswith("s3://"):
        from dumb_pypi.deploy.s3 import deploy_s3
        from dumb_pypi.deploy.s3_store import connect, parse_s3_url

        bucket = connect(parse_s3_url(dest), args.endpoint_url)  # before any work: the S3 client may be missing
        with open_source(src) as tree:
            return deploy_s3(tree, bucket, args.jobs, _log, dry_run=args.dry_run, verify=args.verify,
                             wait=not args.no_wait)
    if "://" in dest:
        raise DeployError(f"DEST {dest!r}: only local directories and s3:// URLs are supported")
    if args.endpoint_url or args.dry_run or args.verify:
        raise DeployError("--endpoint-url, --dry-run and --verify apply to s3:// destinations only")
    from dumb_pypi.deploy.directory import deploy_directory

    with open_source(src) as tree:
        return deploy_directory(tree, Path(dest), args.keep, wait=not args.no_wait)


def _log(line: str) -> None:
    print(line, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        print(_run(args))
    except DumbPypiError as error:  # DeployError, another deploy holding DEST (--no-wait), ...
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"{PROG}: error: {describe(error)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=f"{PROG} [options] SRC DEST\n       {PROG} --rollback DEST",
        description=__doc__.splitlines()[0],
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
