"""Join the steps: records -> projects -> pages -> tree (+ manifest, tarball)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from dumb_pypi.errors import DumbPypiError
from dumb_pypi.linediff import ListLines
from dumb_pypi.output import MANIFEST_NAME, Manifest, OldManifest, TreeWriter, part_paths
from dumb_pypi.pages import Links, Renderer, Site, Summary, changelog_path
from dumb_pypi.pages.links import pool_path
from dumb_pypi.projects import Project, ProjectStatus
from dumb_pypi.records import Record
from dumb_pypi.state import State, StateWriter
from dumb_pypi.state import discard as discard_state
from dumb_pypi.tarball import DEFAULT_MTIME, write_tarball

__all__ = ["Options", "Result", "StateSource", "build_index", "rebuild_partial"]

_PROJECT_DIRS = ("simple", "pypi", "project")


class Options(NamedTuple):
    output_dir: str
    site: Site
    packages_url: str | None = None
    pool: bool = False
    per_release_json: bool = True
    statuses: Mapping[str, ProjectStatus] = {}
    tarball: str | None = None
    manifest: str | None = None  # a copy of manifest.json outside the tree
    tarball_mtime: int = DEFAULT_MTIME
    jobs: int | None = 1  # processes that write the project pages; None: as many as useful (2 at most)


class StateSource(NamedTuple):
    """What a build needs to leave a state (see state.py) behind."""

    settings: str  # state.settings_key() of this build
    listing: ListLines  # the package list, each line's key set
    files: Callable[[str, int], list[Record]]  # a project's files (so many), in index order, parsed again


class Result(NamedTuple):
    projects: int
    files: int
    written: int  # files created or changed in the tree
    root_digest: str | None  # None: nothing changed, nothing was written


def _check_pool_files(projects: list[Project]) -> None:
    """Every file must be at hand, and match its record, before anything is written."""
    for project in projects:
        for record in project.files:
            where = record.origin or record.path or record.filename
            if record.path is None or record.sha256 is None or record.size is None:
                raise DumbPypiError(f"{where}: --pool needs the file itself, not just its name")
            try:
                actual = os.path.getsize(record.path)
            except OSError as ex:
                raise DumbPypiError(f"{where}: {ex.strerror or ex}") from None
            if actual != record.size:
                raise DumbPypiError(f"{where}: the file has {actual} bytes but its record says {record.size}")


def _copy_pool_files(writer: TreeWriter, project: Project) -> None:
    for record in project.files:
        # Checked by _check_pool_files before anything was written; narrows the types.
        assert record.path is not None and record.sha256 is not None and record.size is not None
        path = pool_path(record)
        writer.copy(path, record.path, record.sha256, record.size)
        if record.metadata is not None:
            writer.write(path + ".metadata", record.metadata.encode("utf-8"))


def build_index(projects: list[Project], options: Options, state: StateSource | None = None) -> Result:
    """Write the index of `projects` in full. With `state` (the package
    list), also leave the state a partial rebuild starts from."""
    _check_options(projects, options)
    writer = TreeWriter(options.output_dir)
    files = {project.name: project.files for project in projects}
    renderer = _renderer(options)
    totals = _Totals(len(projects), sum(len(project.files) for project in projects),
                     any(record.upload_timestamp for project in projects for record in project.files))
    summaries = (renderer.summary(project) for project in projects)  # one at a time: memory
    return _build(writer, renderer, projects, summaries, totals, options, state, files.__getitem__, kept=None)


def rebuild_partial(previous: State, changed: set[str], projects: list[Project], options: Options,
                    state: StateSource) -> Result:
    """Write again only the pages of the `changed` projects (now `projects`;
    a changed project that is not there is gone) and the root pages; the rest
    of the tree, the other projects' share of the root pages and the manifest
    lines come from `previous`."""
    _check_options(projects, options)
    if not changed and state.listing.text == previous.listing.text:  # the tree and its state are up to date
        _copy_outputs(options, lambda: part_paths(previous.manifest.whole))
        return Result(len(previous.names), len(previous.stamps), 0, None)
    renderer = _renderer(options)
    # Everything is read from the old tree before anything in it is written.
    summaries, first_page = previous.summaries(changed, [renderer.summary(project) for project in projects])
    kept_pages = [changelog_path(number) for number in range(1, first_page)]
    drop, old = _split_manifest(previous, changed, kept_pages)
    writer = TreeWriter(options.output_dir, old=old)
    files = {project.name: project.files for project in projects}
    totals = _Totals(sum(len(summary.names) for summary in summaries),
                     sum(len(summary.timestamps) for summary in summaries),
                     any(any(summary.timestamps) for summary in summaries))

    def files_of(name: str) -> list[Record]:  # unchanged projects: parsed again (the feed needs a few)
        if name in files:
            return files[name]
        return state.files(name, previous.file_count(name))

    return _build(writer, renderer, projects, summaries, totals, options, state, files_of,
                  kept=(previous.manifest, drop), kept_pages=kept_pages)


def _renderer(options: Options) -> Renderer:
    return Renderer(Links(options.packages_url, options.pool), options.site, per_release_json=options.per_release_json)


def _check_options(projects: list[Project], options: Options) -> None:
    if not options.pool and options.packages_url is None:
        raise DumbPypiError("--packages-url is required unless --pool copies the files into the tree")
    if options.pool:
        _check_pool_files(projects)


def _split_manifest(previous: State, changed: set[str],
                    kept_pages: list[str]) -> tuple[list[tuple[int, int]], Manifest]:
    """The spans of the previous manifest's lines that are made again (the
    changed projects' and the root pages' but `kept_pages`), and the entries
    of those lines."""
    manifest = previous.manifest
    # "<path>\0" is the first string after <path>; a project's paths sort together,
    # from "<dir>/<name>/" up to "<dir>/<name>0" ('0' follows '/').
    spans = [manifest.span(path, path + "\0") for path in previous.root_paths if path not in kept_pages]
    spans += [manifest.span(f"{directory}/{name}/", f"{directory}/{name}0")
              for name in changed for directory in _PROJECT_DIRS]
    return spans, {manifest.path(line): manifest.entry(line) for low, high in spans for line in range(low, high)}


class _Totals(NamedTuple):
    projects: int
    files: int
    timestamped: bool  # some file has an upload time


def _build(writer: TreeWriter, renderer: Renderer, projects: list[Project], summaries: Iterable[Summary],
           totals: _Totals, options: Options, state: StateSource | None,
           files_of: Callable[[str], list[Record]], kept: tuple[OldManifest, list[tuple[int, int]]] | None,
           kept_pages: Sequence[str] = ()) -> Result:
    """Write `projects`, then the root pages from `summaries` (every
    project's, in index order) but the changelog's `kept_pages` (its first
    ones), then the manifest (with the `kept` lines of what is left alone:
    the old manifest and the spans of it made again) and the state."""
    state_writer = None
    try:
        if not writer.fresh:
            discard_state(options.output_dir)  # from here on the tree no longer matches it
        # Dependency order: files, then the pages that link to them, then the root.
        _write_projects(projects, options, renderer, writer)
        if state is not None:
            state_writer = StateWriter(options.output_dir, state.settings, state.listing)
            summaries = map(state_writer.add_summary, summaries)
        root_paths = list(kept_pages)
        for path, data in renderer.root_pages(summaries, totals.files, totals.timestamped, files_of,
                                              first_page=len(kept_pages) + 1):
            writer.write(path, data)
            root_paths.append(path)
        if state_writer is not None:
            state_writer.end_summaries(root_paths)
        digest = writer.finish(kept, state_writer)
        if state_writer is not None:
            state_writer.finish(digest)
    except BaseException:
        writer.abandon()  # the old tree stays as it was; no temporary files left in it
        if state_writer is not None:
            state_writer.abandon()
        raise

    _copy_outputs(options, writer.listed)
    return Result(totals.projects, totals.files, writer.changed, digest)


def _copy_outputs(options: Options, paths: Callable[[], list[str]]) -> None:
    """The manifest's copy and the tarball, of the finished tree (`paths()`: all but the manifest)."""
    if options.manifest:
        _copy(os.path.join(options.output_dir, MANIFEST_NAME), options.manifest)
    if options.tarball:
        write_tarball(options.output_dir, [*paths(), MANIFEST_NAME], options.tarball, mtime=options.tarball_mtime)


def _write_project(project: Project, options: Options, renderer: Renderer, writer: TreeWriter) -> None:
    if options.pool:
        _copy_pool_files(writer, project)
    for path, text in renderer.project_pages(project):
        writer.write(path, text.encode("utf-8"))


def _weight(project: Project) -> int:
    # About what a project costs to render and write, in file rows: its own
    # pages weigh more than a release page, which weighs more than one file's rows.
    return 6 + 2 * len({record.version for record in project.files}) + len(project.files)


# The default --jobs forks workers only for more work than this (~100 small
# projects): below it, a fork costs more than it saves.
_AUTO_MIN_WEIGHT = 1000


def _jobs(options: Options, weight: int) -> int:
    if options.jobs == 1 or (options.jobs is None and weight < _AUTO_MIN_WEIGHT):
        return 1  # without importing workers (signal, ...): a partial rebuild's case
    from dumb_pypi import workers

    if not workers.CAN_FORK:
        return 1
    return workers.default_jobs() if options.jobs is None else options.jobs


def _write_projects(projects: list[Project], options: Options, renderer: Renderer, writer: TreeWriter) -> None:
    """Every project's files and pages, shared out between `options.jobs`
    processes (this one included); returns once all are written."""
    weights = [_weight(project) for project in projects]
    jobs = _jobs(options, sum(weights))
    if jobs > 1:
        from dumb_pypi import workers

        own, *others = workers.split(projects, weights, jobs)
    else:
        own, others = projects, []
    if not others:
        for project in own:
            _write_project(project, options, renderer, writer)
        return

    def work(share: Iterable[Project]) -> tuple[str, int]:  # in a worker process
        writer.become_worker()
        log = writer.log_entries()
        for project in share:
            _write_project(project, options, renderer, writer)
        writer.end_log()
        return log, writer.changed

    with workers.Pool[tuple[str, int]]() as pool:
        for share in others:
            pool.start(share, work)
        # Manifest entries go to files, not memory, while the workers run (see log_entries()).
        own_log = writer.log_entries()
        for project in own:
            _write_project(project, options, renderer, writer)
        writer.end_log()
        for log, count in pool.results():
            writer.merge_log(log, count)
        writer.merge_log(own_log, 0)


def _copy(source: str, destination: str) -> None:
    import shutil

    tmp = destination + ".tmp"
    shutil.copyfile(source, tmp)
    os.replace(tmp, destination)
