"""The dumb-pypi command line.

`dumb-pypi [flags]` builds an index and takes every flag of dumb-pypi 1.15.
`dumb-pypi record FILE` describes one distribution file (the per-file step of
the Bazel and Pants rules).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from dumb_pypi import __version__
from dumb_pypi.errors import DumbPypiError, describe
from dumb_pypi.inputs.refusals import PROG, Refusals, warn

if TYPE_CHECKING:
    import argparse

    from dumb_pypi.pages.webui.remote import RemoteWebUI
    from dumb_pypi.projects import ProjectStatus

# The index step's modules (pages, the writer) are imported inside
# _build(): `dumb-pypi record` runs once per file in Bazel and Pants, and
# importing them would be most of its time. Even argparse waits: a partial
# rebuild starts its web UI renderer before it (see build.early_renderer()).

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Generate a static PyPI index (PEP 503 HTML, PEP 691 JSON, the legacy JSON API and a web UI).\n"
            "Other commands: `dumb-pypi record FILE` (describe one file), "
            "`dumb-pypi nginx-config`, `dumb-pypi deploy`."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sources = parser.add_argument_group("inputs (at least one)")
    sources.add_argument("--package-list", metavar="PATH", help="file names, one per line ('-': stdin)")
    sources.add_argument("--package-list-json", metavar="PATH", help="one JSON object per line ('-': stdin)")
    sources.add_argument("--package-dir", metavar="DIR", action="append", default=[],
                         help="index every wheel and sdist in DIR (repeatable)")
    sources.add_argument("paths", nargs="*", metavar="FILE", help="distribution files to index")
    sources.add_argument("--record-list", metavar="PATH", action="append", default=[],
                         help="JSON list of records written by the Bazel or Pants rules (repeatable)")
    previous = parser.add_mutually_exclusive_group()
    previous.add_argument("--previous-package-list", metavar="PATH",
                          help="the list the existing output was built from (partial rebuild)")
    previous.add_argument("--previous-package-list-json", metavar="PATH",
                          help="the JSON list the existing output was built from (partial rebuild)")
    parser.add_argument("--output-dir", required=True, help="where the index is written")
    parser.add_argument("--packages-url", help="URL of the files (absolute, or relative to simple/<project>/)")
    parser.add_argument("--pool", action="store_true",
                        help="copy the files into the tree under packages/<sha256 prefix>/ (content-addressed)")
    parser.add_argument("--title", default="My Private PyPI", help="site title (for the web interface)")
    # dumb-pypi 1.15 scripts may abbreviate --title as --t; --tarball made that ambiguous.
    parser.add_argument("--t", dest="title", help=argparse.SUPPRESS)
    parser.add_argument("--logo", help="URL of a logo for the web interface")
    parser.add_argument("--logo-width", type=int, default=0, help="width of the logo, in pixels")
    parser.add_argument("--templates", metavar="DIR",
                        help="web UI templates that replace ours by name (see docs/webui.md)")
    parser.add_argument("--site-url", metavar="URL",
                        help="where the index is served (for install lines; by default each page works it out)")
    stamp = parser.add_mutually_exclusive_group()
    stamp.add_argument("--generate-timestamp", action="store_true", dest="generate_timestamp",
                       help="write 'Generated on <time>' into the web pages (SOURCE_DATE_EPOCH or now)")
    stamp.add_argument("--no-generate-timestamp", action="store_false", dest="generate_timestamp",
                       help="no time in any page (the default: builds are reproducible)")
    parser.add_argument("--no-per-release-json", action="store_true",
                        help="skip the per-release JSON API (/pypi/<project>/<version>/json)")
    parser.add_argument("--project-status", metavar="NAME=STATUS[:REASON]", action="append", default=[],
                        help="PEP 792 status of a project: active, archived, quarantined or deprecated")
    parser.add_argument("--tarball", metavar="PATH", help="also write the tree as a deterministic tar.gz")
    parser.add_argument("--manifest", metavar="PATH", help="also write a copy of manifest.json here")
    parser.add_argument("--root-digest", metavar="PATH", help="also write the tree's root digest here (one line)")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) when any input is refused")
    parser.add_argument("--no-wait", action="store_true",
                        help="if another run is writing the same output directory, fail at once instead of waiting")
    parser.add_argument("--jobs", "-j", type=_positive_int, metavar="N",
                        help="processes that write the project pages (default: 2 when 2 cores are available; "
                             "1 = everything in this process); the output is the same for any N")
    return parser


def _positive_int(value: str) -> int:
    import argparse

    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {value!r}")
    return number


def _record_parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(prog=f"{PROG} record", description="Describe one wheel or sdist as a JSON record.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="the wheel or sdist")
    parser.add_argument("--output", "-o", help="where to write the record (default: stdout)")
    parser.add_argument("--filename", help="the file's published name, when the path's name differs")
    parser.add_argument("--yanked-reason", help="mark the file yanked (PEP 592), with this reason ('' for none)")
    parser.add_argument("--upload-time", type=int, metavar="EPOCH", help="upload time, in seconds since 1970")
    parser.add_argument("--uploaded-by", help="who published the file")
    return parser


def _source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise DumbPypiError(f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds") from None


def _statuses(values: list[str]) -> dict[str, ProjectStatus]:
    if not values:
        return {}
    from dumb_pypi.projects import PROJECT_STATUSES, ProjectStatus
    from dumb_pypi.records.filenames import canonical_name

    statuses = {}
    for value in values:
        name, sep, rest = value.partition("=")
        status, _, reason = rest.partition(":")
        if not sep or status not in PROJECT_STATUSES:
            raise DumbPypiError(f"--project-status {value!r}: expected NAME=STATUS[:REASON] with STATUS one of "
                                f"{', '.join(sorted(PROJECT_STATUSES))}")
        statuses[canonical_name(name)] = ProjectStatus(status, reason or None)
    return statuses


def _build(argv: Sequence[str]) -> int:
    from dumb_pypi.build import early_renderer

    # --previous-package-list[-json], or a prefix of it (argparse takes those)
    early = early_renderer() if any(arg.startswith("--prev") for arg in argv) else None
    try:
        return _build_with(argv, early)
    finally:
        if early is not None:
            early.close()


def _build_with(argv: Sequence[str], early: RemoteWebUI | None) -> int:
    from dumb_pypi.build import StrictFailure, build
    from dumb_pypi.inputs import Sources
    from dumb_pypi.output.tarball import DEFAULT_MTIME
    from dumb_pypi.pages.webui import Site
    from dumb_pypi.request import Request

    parser = _build_parser()
    args = parser.parse_args(argv)
    sources = Sources(args.package_list, args.package_list_json, args.package_dir, args.paths, args.record_list)
    if sources.empty():
        parser.error("give the packages: --package-list, --package-list-json, --package-dir, FILE... or --record-list")
    if not args.pool and args.packages_url is None:
        parser.error("--packages-url is required (or --pool, to copy the files into the tree)")
    epoch = _source_date_epoch()
    generated = None
    if args.generate_timestamp:
        generated = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch if epoch is not None else time.time()))
    request = Request(
        sources=sources, output_dir=args.output_dir,
        site=Site(title=args.title, logo=args.logo, logo_width=args.logo_width, generated=generated, epoch=epoch or 0,
                  url=args.site_url),
        packages_url=args.packages_url, pool=args.pool, per_release_json=not args.no_per_release_json,
        statuses=_statuses(args.project_status),
        previous_list=args.previous_package_list or args.previous_package_list_json,
        tarball=args.tarball, manifest=args.manifest, root_digest=args.root_digest,
        tarball_mtime=epoch if epoch is not None else DEFAULT_MTIME, jobs=args.jobs, strict=args.strict,
        wait=not args.no_wait, templates=args.templates,
    )
    refusals = Refusals()
    try:
        result = build(request, refusals, warn, early)
    except StrictFailure as ex:
        print(f"{PROG}: {ex}", file=sys.stderr)
        return 1
    if refusals.count:
        print(f"{PROG}: indexed {result.files} files in {result.projects} projects; refused {refusals.count}",
              file=sys.stderr)
    return 0


def _record(argv: Sequence[str]) -> int:
    args = _record_parser().parse_args(argv)
    from dumb_pypi.encoding import dumps
    from dumb_pypi.inputs.files import inspect_file
    from dumb_pypi.output.files import replace_file
    from dumb_pypi.records import record_to_json

    record = inspect_file(args.file, filename=args.filename, yanked_reason=args.yanked_reason,
                          upload_timestamp=args.upload_time, uploaded_by=args.uploaded_by, warn=warn)
    text = dumps(record_to_json(record)) + "\n"
    if args.output:
        replace_file(args.output, text.encode())
    else:
        sys.stdout.write(text)
    return 0


def _lazy(module: str) -> Callable[[Sequence[str]], int]:
    """A subcommand whose module is imported only when it runs."""

    def run(argv: Sequence[str]) -> int:
        entry: Callable[[list[str]], int] = importlib.import_module(module).main
        return entry(list(argv))

    return run


_COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "record": _record,
    "nginx-config": _lazy("dumb_pypi.serve.nginx"),
    "deploy": _lazy("dumb_pypi.deploy"),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _COMMANDS.get(argv[0]) if argv else None
    try:
        return command(argv[1:]) if command else _build(argv)
    except DumbPypiError as ex:
        print(f"{PROG}: error: {ex}", file=sys.stderr)
        return 1
    except OSError as ex:  # a full disk, a read-only tree, a file gone: named, never a traceback
        print(f"{PROG}: error: {describe(ex)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
