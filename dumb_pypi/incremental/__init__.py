"""The incremental cache, behind one door: plan() says what a build renders
and writes, given the inputs and what the last build left in the output
directory. The build then does the same work for every kind of plan:

* full: every input is read; every page is rendered; the tree writer still
  leaves files whose bytes did not change alone. A build from one package
  list leaves a state (state.py) for the next one.
* partial (--previous-package-list, and the state matches the tree): only
  the lines of the list that changed are parsed (linediff.py), only the
  changed projects' pages are rendered; the other projects' rows in the
  root pages and the other lines of the manifest are cut out of the old
  ones. The result is byte for byte what a full build gives.
* delta (--previous-package-list, no state of ours: a tree dumb-pypi 1.15
  built, or an empty directory): dumb-pypi 1.15's contract (a state that
  does not match, after a changed flag or template, means a full build). Both lists are
  read; only the pages of the projects whose lines differ are written, and
  the root pages when anything changed; nothing at all when nothing did;
  nothing is removed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterable, Iterator
from typing import NamedTuple

from dumb_pypi.incremental import linediff
from dumb_pypi.incremental.linediff import ListLines
from dumb_pypi.incremental.state import STATE_NAME, State, StateWriter, has_state, load, settings_key
from dumb_pypi.inputs import read_records
from dumb_pypi.inputs.lists import list_lines, parse_lines, read_list
from dumb_pypi.inputs.refusals import Refuse, Warn
from dumb_pypi.output.manifest import Manifest, ManifestLines, chunked_lines, read_manifest
from dumb_pypi.pages.rows import RootRows, changelog_path
from dumb_pypi.pages.webui import STATIC_FILES
from dumb_pypi.projects import Project, group_projects
from dumb_pypi.records import Record, record_to_json
from dumb_pypi.request import Request

__all__ = ["STATE_NAME", "Plan", "plan"]

# The directories that hold a project's pages: <dir>/<project>/...
_PROJECT_DIRS = ("simple", "pypi", "project")
# Root pages that change only when the set of project names does (as in 1.15).
_NAME_PAGES = ("simple/index.html", "simple/index.json")

# (line number, line) pairs -> (line number, record) pairs; `report`: name the refused lines.
_Parse = Callable[[Iterable[tuple[int, str]], bool], Iterator[tuple[int, Record]]]


class Totals(NamedTuple):
    """Of the whole index, after the build."""

    projects: int
    files: int
    timestamped: bool  # some file has an upload time


class Plan:
    """What to render and write: a full build's plan (see the subclasses)."""

    kind = "full"

    def __init__(self, projects: list[Project],
                 recorder: Callable[[Callable[[str], str]], StateWriter] | None = None) -> None:
        self.projects = projects  # whose pages are rendered and written
        self.rows_of = projects  # whose rows in the root pages are rendered (see all_rows())
        self.totals = Totals(len(projects), sum(len(project.files) for project in projects),
                             any(record.upload_timestamp for project in projects for record in project.files))
        self.recorder = recorder  # recorder(scratch) makes the writer of the state this build leaves
        self.first_page = 1  # of the changelog: the pages before it are left as they are
        # Root pages left as they are: (path, where their rows start): the changelog's
        # before first_page, the static files (a partial rebuild's settings, templates included, are the last's).
        self.kept_pages: list[tuple[str, int]] = []
        self.up_to_date = False  # nothing to write at all
        self._files = {project.name: project.files for project in projects}

    def old_entries(self) -> Manifest | None:
        """What the tree has at the paths this build may write or remove (None: its manifest says)."""
        return None

    def names(self) -> Container[str]:
        """Every project of the index, once built."""
        return self._files

    def compiled_templates(self) -> dict[str, bytes]:
        """The web UI's templates as the last build compiled them (it saves a partial rebuild that work)."""
        return {}

    def all_rows(self, rendered: Iterable[RootRows]) -> Iterable[RootRows]:
        """Every project's rows in the root pages, in index order, given the rendered rows of `rows_of`."""
        return rendered

    def files_of(self, name: str) -> list[Record]:
        """A project's files (the feed asks for the newest few)."""
        return self._files[name]

    def writes(self, path: str) -> bool:
        """Whether root page `path` is written."""
        return True

    def manifest(self, written: Manifest) -> Iterable[ManifestLines] | None:
        """The lines of the new manifest, given the files written (None: no manifest)."""
        return chunked_lines(written)


class _Partial(Plan):
    kind = "partial"

    def __init__(self, previous: State, changed: set[str], projects: list[Project], listing: ListLines,
                 reparse: Callable[[str, int], list[Record]],
                 recorder: Callable[[Callable[[str], str]], StateWriter]) -> None:
        super().__init__(projects, recorder)
        self.previous = previous
        self.changed = changed
        self.totals = Totals(*previous.totals(changed, projects))
        self.up_to_date = not changed and listing.text == previous.listing.text
        self.first_page = previous.first_changelog_page(changed, projects)
        self.kept_pages = [(path, previous.pages[path]) for path in
                           [*map(changelog_path, range(1, self.first_page)), *STATIC_FILES]]
        manifest = previous.manifest
        # "<path>\0" is the first string after <path>; a project's paths sort together,
        # from "<dir>/<name>/" up to "<dir>/<name>0" ('0' follows '/').
        kept = {path for path, _ in self.kept_pages}
        self.replaced = [manifest.span(path, path + "\0") for path in previous.pages if path not in kept]
        self.replaced += [manifest.span(f"{directory}/{name}/", f"{directory}/{name}0")
                          for name in changed for directory in _PROJECT_DIRS]
        self._reparse = reparse

    def old_entries(self) -> Manifest:
        return self.previous.manifest.entries(self.replaced)

    def compiled_templates(self) -> dict[str, bytes]:
        return self.previous.compiled

    def names(self) -> Container[str]:
        gone = self.changed - self._files.keys()
        return {*(name for name in self.previous.names if name not in gone), *self._files}

    def all_rows(self, rendered: Iterable[RootRows]) -> list[RootRows]:
        return self.previous.rows(self.changed, list(rendered), self.first_page)

    def files_of(self, name: str) -> list[Record]:
        if name in self._files:
            return self._files[name]
        return self._reparse(name, self.previous.file_count(name))  # unchanged: parsed again

    def manifest(self, written: Manifest) -> Iterator[ManifestLines]:
        return self.previous.manifest.merge(self.replaced, written)


class _Delta(Plan):
    kind = "delta"

    def __init__(self, projects: list[Project], changed: set[str], names_changed: bool, output_dir: str) -> None:
        super().__init__(projects)
        self.projects = [project for project in projects if project.name in changed]
        self.up_to_date = not changed
        self._names_changed = names_changed
        # A tree of ours keeps a true manifest: the old one plus what is written.
        self._old = read_manifest(output_dir)

    def old_entries(self) -> Manifest:
        return {}  # nothing is removed

    def writes(self, path: str) -> bool:
        return self._names_changed or path not in _NAME_PAGES

    def manifest(self, written: Manifest) -> Iterable[ManifestLines] | None:
        return None if self._old is None else chunked_lines({**self._old, **written})


def plan(request: Request, refuse: Refuse, warn: Warn) -> Plan:
    """Read the inputs and say what the build must do (see the module docstring)."""
    only = request.sources.only_list()
    if only is None or request.pool:
        return Plan(_group(request, read_records(request.sources, refuse, warn), refuse))
    path, json_lines = only
    text = read_list(path)

    def parse(numbered: Iterable[tuple[int, str]], report: bool = True) -> Iterator[tuple[int, Record]]:
        return parse_lines(path, numbered, refuse if report else _ignore, json_lines=json_lines)

    settings = settings_key(json_lines, request.page_settings())
    if request.previous_list is not None:
        previous = load(request.output_dir, settings) if linediff.is_plain(text) else None
        if previous is not None:
            partial = _partial(request, previous, text, parse, refuse, settings)
            if partial is not None:
                return partial
        elif not request.whole_index_wanted() and not has_state(request.output_dir):
            # No state of ours: 1.15's contract. One that does not match (a changed
            # flag or template, a page written since) is a tree of ours to rebuild in full.
            return _delta(request, text, json_lines, parse, refuse)
    listing = linediff.listing(text)  # None: line breaks other than "\n", "\r\n": no state then
    numbered = parse(enumerate(list_lines(text), 1), True)
    if listing is None:
        return Plan(_group(request, [record for _, record in numbered], refuse))
    projects, conflicted = _group_keyed(request, listing, numbered, refuse)
    linediff.clear_keys(listing.keys, conflicted)  # their lines are read again at every build
    return Plan(projects, _recorder(settings, listing))


def _ignore(origin: str, reason: str) -> None:
    pass


def _group(request: Request, records: list[Record], refuse: Refuse) -> list[Project]:
    def refuse_duplicate(record: Record, reason: str) -> None:
        refuse(record.origin or record.filename, reason)

    return group_projects(records, request.statuses, refuse=refuse_duplicate)


def _group_keyed(request: Request, listing: ListLines, numbered: Iterable[tuple[int, Record]],
                 refuse: Refuse) -> tuple[list[Project], set[str]]:
    """The projects of the lines `numbered`, each line keyed to its project in
    `listing`; and the projects with conflicting files."""
    conflicted: set[str] = set()

    def refuse_duplicate(record: Record, reason: str) -> None:
        conflicted.add(record.name)
        refuse(record.origin or record.filename, reason)

    records = linediff.set_keys(listing.keys, numbered)
    return group_projects(records, request.statuses, refuse=refuse_duplicate), conflicted


def _recorder(settings: str, listing: ListLines) -> Callable[[Callable[[str], str]], StateWriter]:
    return lambda scratch: StateWriter(settings, listing, scratch)


def _partial(request: Request, previous: State, text: bytes, parse: _Parse, refuse: Refuse,
             settings: str) -> Plan | None:
    """The partial rebuild from `previous` to the list `text`; None: the state's list is damaged."""
    change = linediff.diff(previous.listing, text)
    if change is None:
        return None
    # Lines the old list had were parsed before: they name their projects again.
    changed = {record.name for _, record in parse(enumerate([*change.gone, *change.added], 1), False)}
    read = linediff.positions(change.new.keys, {linediff.project_key(name) for name in changed} | {0})
    numbered = list(parse(linediff.lines_at(change.new, read), True))
    changed.update(record.name for _, record in numbered)
    # A project that comes or goes changes the pages that link to it (their requirements).
    present = {record.name for _, record in numbered}
    dependents = previous.dependents({name for name in changed if previous.has(name) != (name in present)}) - changed
    if dependents:
        more = linediff.positions(change.new.keys, {linediff.project_key(name) for name in dependents})
        numbered = sorted([*numbered, *parse(linediff.lines_at(change.new, more), True)], key=lambda pair: pair[0])
        read = [*read, *more]
        changed |= dependents
    for i in read:
        change.new.keys[i] = 0
    listing = change.new
    projects, conflicted = _group_keyed(request, listing, numbered, refuse)
    linediff.clear_keys(listing.keys, conflicted)
    return _Partial(previous, changed, projects, listing, _reparser(listing, parse),
                    _recorder(settings, listing))


def _reparser(listing: ListLines, parse: _Parse) -> Callable[[str, int], list[Record]]:
    """For a list whose keys are set: a function that gives a project's
    files (it has `count`), parsed again from its lines."""
    lines_of = linediff.project_lines(listing)

    def files(name: str, count: int) -> list[Record]:
        # Its first `count` lines are usually its `count` files; if not (a
        # line given twice, another project with the same key), all of them.
        for limit in (count, None):
            records = [record for _, record in parse(lines_of(name, limit), False) if record.name == name]
            if limit is None or len({record.filename for record in records}) == count:
                break
        return group_projects(records)[0].files

    return files


def _delta(request: Request, text: bytes, json_lines: bool, parse: _Parse, refuse: Refuse) -> Plan:
    """dumb-pypi 1.15's partial rebuild: both lists read in full, compared project by project."""
    assert request.previous_list is not None
    projects = _group(request, [record for _, record in parse(enumerate(list_lines(text), 1), True)], refuse)
    old_text = read_list(request.previous_list)
    old_projects = group_projects(
        [record for _, record in parse_lines(request.previous_list, enumerate(list_lines(old_text), 1), _ignore,
                                             json_lines=json_lines)], request.statuses, refuse=lambda r, why: None)

    def files(project: Project) -> set[str]:
        return {repr(sorted(record_to_json(record).items())) for record in project.files}

    old = {project.name: files(project) for project in old_projects}
    changed = {project.name for project in projects if old.get(project.name) != files(project)}
    names_changed = set(old) != {project.name for project in projects}
    if names_changed:
        changed |= set(old) - {project.name for project in projects}  # gone: only the root pages change
    return _Delta(projects, changed, names_changed, os.path.abspath(request.output_dir))
