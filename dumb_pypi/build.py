"""Join the steps: records -> projects -> pages -> tree (+ manifest, tarball)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from dumb_pypi import workers
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.output import MANIFEST_NAME, TreeWriter
from dumb_pypi.pages import Links, Renderer, Site
from dumb_pypi.pages.links import pool_path
from dumb_pypi.projects import Project, ProjectStatus
from dumb_pypi.tarball import DEFAULT_MTIME, write_tarball

__all__ = ["Options", "Result", "build_index"]

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


def _carry_over(writer: TreeWriter, unchanged: set[str], projects: list[Project], pool: bool) -> None:
    """Keep the manifest entries of projects a partial rebuild does not render."""
    for path, entry in writer.old.items():
        parts = path.split("/", 2)
        if len(parts) == 3 and parts[0] in _PROJECT_DIRS and parts[1] in unchanged:
            writer.files[path] = entry
    if pool:
        for project in projects:
            if project.name in unchanged:
                for record in project.files:
                    for path in (pool_path(record), pool_path(record) + ".metadata"):
                        if path in writer.old:
                            writer.files[path] = writer.old[path]


def build_index(projects: list[Project], options: Options, changed: set[str] | None = None) -> Result:
    """Write the index of `projects`. With `changed` (the projects whose inputs
    differ from those the existing tree was built from), only those projects
    are rendered again; the root pages always are."""
    if not options.pool and options.packages_url is None:
        raise DumbPypiError("--packages-url is required unless --pool copies the files into the tree")
    if options.pool:
        _check_pool_files(projects)
    renderer = Renderer(Links(options.packages_url, options.pool), options.site,
                        per_release_json=options.per_release_json)
    writer = TreeWriter(options.output_dir)
    try:
        return _write(projects, options, changed, renderer, writer)
    except BaseException:
        writer.abandon()  # the old tree stays as it was; no temporary files left in it
        raise


def _write(projects: list[Project], options: Options, changed: set[str] | None, renderer: Renderer,
           writer: TreeWriter) -> Result:
    rendered = {project.name for project in projects}
    if changed is not None and writer.old:
        if not changed and not options.tarball:
            writer.abandon()
            return Result(len(projects), sum(len(p.files) for p in projects), 0, None)
        rendered &= changed
        _carry_over(writer, {p.name for p in projects} - rendered, projects, options.pool)

    # Dependency order: files, then the pages that link to them, then the root.
    _write_projects([project for project in projects if project.name in rendered], options, renderer, writer)
    for path, text in renderer.root_pages(projects):
        writer.write(path, text.encode("utf-8"))
    digest = writer.finish()

    if options.manifest:
        _copy(os.path.join(options.output_dir, MANIFEST_NAME), options.manifest)
    if options.tarball:
        write_tarball(options.output_dir, [*writer.files, MANIFEST_NAME], options.tarball, mtime=options.tarball_mtime)
    file_count = sum(len(project.files) for project in projects)
    return Result(len(projects), file_count, writer.changed, digest)


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
    if not workers.CAN_FORK:
        return 1
    if options.jobs is None:
        return workers.default_jobs() if weight >= _AUTO_MIN_WEIGHT else 1
    return options.jobs


def _write_projects(projects: list[Project], options: Options, renderer: Renderer, writer: TreeWriter) -> None:
    """Every project's files and pages, shared out between `options.jobs`
    processes (this one included); returns once all are written."""
    weights = [_weight(project) for project in projects]
    own, *others = workers.split(projects, weights, _jobs(options, sum(weights)))
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
    tmp = destination + ".tmp"
    shutil.copyfile(source, tmp)
    os.replace(tmp, destination)

