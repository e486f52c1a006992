"""The dumb-pypi command line.

`dumb-pypi [flags]` builds an index and takes every flag of dumb-pypi 1.15.
`dumb-pypi record FILE` describes one distribution file (the per-file step of
the Bazel and Pants rules).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from dumb_pypi import __version__
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.records import Record, dumps, record_to_json

if TYPE_CHECKING:
    from dumb_pypi.projects import ProjectStatus

# The index step's modules (pages, the writer) are imported inside
# _build(): `dumb-pypi record` runs once per file in Bazel and Pants, and
# importing them would be most of its time.

__all__ = ["main"]

PROG = "dumb-pypi"


class Refusals:
    """Names each refused input on stderr and counts them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, origin: str, reason: str) -> None:
        self.count += 1
        print(f"{PROG}: refused {origin}: {reason}", file=sys.stderr)


def _terminal_width() -> int:
    """What shutil.get_terminal_size() says, without importing shutil
    (~3 ms, at every start: argparse imports it for each formatter it makes)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0 and sys.__stdout__ is not None:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):  # not a terminal, or no file descriptor
            columns = 0
    return columns or 80


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions kept as written; lines as wide as the terminal (as argparse's default)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _terminal_width() - 2)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Generate a static PyPI index (PEP 503 HTML, PEP 691 JSON, the legacy JSON API and a web UI).\n"
            "Other commands: `dumb-pypi record FILE` (describe one file), "
            "`dumb-pypi nginx-config`, `dumb-pypi deploy`."
        ),
        formatter_class=_Formatter,
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
    parser.add_argument("--jobs", "-j", type=_positive_int, metavar="N",
                        help="processes that write the project pages (default: 2 when 2 cores are available; "
                             "1 = everything in this process); the output is the same for any N")
    return parser


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, not {value!r}")
    return number


def _record_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"{PROG} record", description="Describe one wheel or sdist as a JSON record.",
                                     formatter_class=_Formatter)
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
    from dumb_pypi.filenames import canonical_name
    from dumb_pypi.projects import PROJECT_STATUSES, ProjectStatus

    statuses = {}
    for value in values:
        name, sep, rest = value.partition("=")
        status, _, reason = rest.partition(":")
        if not sep or status not in PROJECT_STATUSES:
            raise DumbPypiError(f"--project-status {value!r}: expected NAME=STATUS[:REASON] with STATUS one of "
                                f"{', '.join(sorted(PROJECT_STATUSES))}")
        statuses[canonical_name(name)] = ProjectStatus(status, reason or None)
    return statuses


def _read_inputs(args: argparse.Namespace, refuse: Callable[[str, str], None],
                 lines: list[str] | None) -> list[Record]:
    from dumb_pypi import inputs

    records: list[Record] = []
    if args.package_list:
        records.extend(inputs.package_list(args.package_list, refuse, lines))
    if args.package_list_json:
        records.extend(inputs.package_list_json(args.package_list_json, refuse, None if args.package_list else lines))
    for path in args.record_list:
        records.extend(inputs.record_list(path, refuse))
    records.extend(inputs.package_files(args.paths, args.package_dir, refuse))
    return records


def _build(argv: Sequence[str]) -> int:
    from dumb_pypi import inputs, linediff, state
    from dumb_pypi.build import Options, StateSource, build_index, rebuild_partial
    from dumb_pypi.pages import Site
    from dumb_pypi.projects import group_projects
    from dumb_pypi.tarball import DEFAULT_MTIME

    parser = _build_parser()
    args = parser.parse_args(argv)
    if not (args.package_list or args.package_list_json or args.package_dir or args.paths or args.record_list):
        parser.error("give the packages: --package-list, --package-list-json, --package-dir, FILE... or --record-list")
    if not args.pool and args.packages_url is None:
        parser.error("--packages-url is required (or --pool, to copy the files into the tree)")
    epoch = _source_date_epoch()
    generated = None
    if args.generate_timestamp:
        generated = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch if epoch is not None else time.time()))
    site = Site(title=args.title, logo=args.logo, logo_width=args.logo_width, generated=generated, epoch=epoch or 0)
    options = Options(
        output_dir=args.output_dir, site=site, packages_url=args.packages_url, pool=args.pool,
        per_release_json=not args.no_per_release_json, statuses=_statuses(args.project_status),
        tarball=args.tarball, manifest=args.manifest, tarball_mtime=epoch if epoch is not None else DEFAULT_MTIME,
        jobs=args.jobs,
    )

    refusals = Refusals()
    conflicted: set[str] = set()

    def refuse_duplicate(record: Record, reason: str) -> None:
        conflicted.add(record.name)
        refusals(record.origin or record.filename, reason)

    list_path = args.package_list or args.package_list_json
    text = inputs.read_list(list_path) if list_path else None
    # One package list and nothing else: the build leaves a state behind,
    # and a partial rebuild (--previous-package-list) starts from it.
    one_list = (text is not None and not (args.package_list and args.package_list_json) and not args.pool
                and not (args.package_dir or args.paths or args.record_list))
    if text is not None and list_path is not None and one_list:
        json_lines = not args.package_list
        settings = state.settings_key(json_lines, options.packages_url, options.per_release_json, tuple(site),
                                      sorted(options.statuses.items()))

        def parse(numbered: Iterable[tuple[int, str]], report: bool = True) -> Iterator[tuple[int, Record]]:
            return inputs.parse_lines(list_path, numbered, refusals if report else _ignore, json_lines=json_lines)

        previous, changes = None, None
        if (args.previous_package_list or args.previous_package_list_json) and linediff.is_plain(text):
            previous = state.load(args.output_dir, settings)
            if previous is not None:
                changes = state.changed_records(previous, text, parse)
        if changes is not None:
            listing: linediff.ListLines | None = changes.listing
            pairs: Iterable[tuple[int, Record]] = changes.records
        else:
            listing = linediff.listing(text)  # None: line breaks other than "\n", "\r\n"; no state then
            pairs = parse(enumerate(inputs.list_lines(text), 1))
        records = [record for _, record in pairs] if listing is None else list(linediff.keyed(listing.keys, pairs))
        del pairs
        projects = group_projects(records, options.statuses, refuse=refuse_duplicate)
        del records
        if listing is not None:
            linediff.clear_keys(listing.keys, conflicted)  # their lines are read again at every build

        source = None if listing is None else StateSource(settings, listing, state.files_reader(listing, parse))
        if args.strict and refusals.count:
            return _strict_failure(refusals)
        if previous is not None and changes is not None and source is not None:
            result = rebuild_partial(previous, changes.names, projects, options, source)
        else:
            result = build_index(projects, options, source)
    else:
        records = _read_inputs(args, refusals, None if text is None else inputs.list_lines(text))
        del text
        projects = group_projects(records, options.statuses, refuse=refuse_duplicate)
        del records
        if args.strict and refusals.count:
            return _strict_failure(refusals)
        result = build_index(projects, options)

    if args.root_digest:
        from dumb_pypi.output import read_root_digest

        _write_text(args.root_digest, (result.root_digest or read_root_digest(args.output_dir)) + "\n")
    if refusals.count:
        print(f"{PROG}: indexed {result.files} files in {result.projects} projects; refused {refusals.count}",
              file=sys.stderr)
    return 0


def _ignore(origin: str, reason: str) -> None:
    pass


def _strict_failure(refusals: Refusals) -> int:
    print(f"{PROG}: {refusals.count} input(s) refused; --strict: nothing written", file=sys.stderr)
    return 1


def _write_text(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _record(argv: Sequence[str]) -> int:
    args = _record_parser().parse_args(argv)
    from dumb_pypi.inspect import inspect_file

    record = inspect_file(args.file, filename=args.filename, yanked_reason=args.yanked_reason,
                          upload_timestamp=args.upload_time, uploaded_by=args.uploaded_by)
    text = dumps(record_to_json(record)) + "\n"
    if args.output:
        _write_text(args.output, text)
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
    except KeyboardInterrupt:
        return 130
