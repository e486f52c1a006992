"""The index step: inputs -> records -> projects -> pages -> the tree (+ manifest, tarball).

build() takes the output directory's lock, asks the incremental cache what
to do (incremental.plan(): it reads the inputs, full or partial), renders
the pages of the plan's projects (pages/) and writes them (output/): files,
then the pages that link to them, then the root pages, then the manifest,
with the state the next partial rebuild starts from.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Container, Iterable
from typing import NamedTuple

from dumb_pypi import incremental
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.incremental import STATE_NAME, Plan
from dumb_pypi.inputs.refusals import Refusals, Warn
from dumb_pypi.output.files import copy_file, replace_file
from dumb_pypi.output.lock import locked_tree
from dumb_pypi.output.manifest import MANIFEST_NAME, read_manifest
from dumb_pypi.output.tarball import write_tarball
from dumb_pypi.output.tree import TreeWriter
from dumb_pypi.pages import Links, Renderer
from dumb_pypi.pages.links import pool_path
from dumb_pypi.progress import Progress
from dumb_pypi.projects import Project
from dumb_pypi.request import Request

__all__ = ["Result", "StrictFailure", "build"]


class Result(NamedTuple):
    kind: str  # of the plan: full, partial or delta
    projects: int
    files: int
    written: int  # files created or changed in the tree
    root_digest: str | None  # None: no manifest was written


class StrictFailure(DumbPypiError):
    """--strict, and an input was refused: nothing was written."""


def build(request: Request, refusals: Refusals, warn: Warn) -> Result:
    """Build the index `request` asks for; see the module docstring."""
    _check(request)
    with locked_tree(request.output_dir, wait=request.wait):
        plan = incremental.plan(request, refusals, warn)
        if request.strict and refusals.count:
            raise StrictFailure(f"{refusals.count} input(s) refused; --strict: nothing written")
        if request.pool:
            _check_pool_files(plan.projects)
        if plan.up_to_date:
            _copy_outputs(request, _listed_paths(request.output_dir))
            return Result(plan.kind, plan.totals.projects, plan.totals.files, 0, None)
        result, listed = _write(request, plan)
        _copy_outputs(request, listed)
    return result


def _check(request: Request) -> None:
    if not request.pool and request.packages_url is None:
        raise DumbPypiError("--packages-url is required unless --pool copies the files into the tree")


def _write(request: Request, plan: Plan) -> tuple[Result, Callable[[], list[str]]]:
    renderer = Renderer(Links(request.packages_url, request.pool), request.site,
                        per_release_json=request.per_release_json, templates=request.templates)
    writer = TreeWriter(request.output_dir, old=plan.old_entries())
    recorder = plan.recorder() if plan.recorder is not None else None
    try:
        pages = [*plan.kept_pages]
        for page in renderer.static_files():  # before the pages that link them
            writer.write(page.path, page.data)
            pages.append((page.path, page.rows_at))
        writer.flush()
        _write_projects(plan.projects, request, renderer, writer, plan.names())
        rows = plan.all_rows(renderer.root_rows(project) for project in plan.rows_of)
        if recorder is not None:
            rows = map(recorder.add_rows, rows)
        for page in renderer.root_pages(rows, plan.totals.files, plan.totals.timestamped, plan.files_of,
                                        first_page=plan.first_page):
            if plan.writes(page.path):
                writer.write(page.path, page.data)
            pages.append((page.path, page.rows_at))
        if recorder is not None:
            recorder.end_rows(pages)

        def state(root_digest: str) -> str | None:
            return None if recorder is None else recorder.finish(root_digest, writer.root)

        digest = writer.finish(plan.manifest(writer.files), sink=recorder, sidecar=(STATE_NAME, state))
    except BaseException:
        writer.abandon()  # the old tree stays as it was; no file of this build is left in it
        if recorder is not None:
            recorder.abandon()
        raise
    totals = plan.totals
    return Result(plan.kind, totals.projects, totals.files, writer.changed, digest), writer.listed


def _listed_paths(output_dir: str) -> Callable[[], list[str]]:
    def paths() -> list[str]:
        return sorted(read_manifest(output_dir) or {})

    return paths


def _copy_outputs(request: Request, paths: Callable[[], list[str]]) -> None:
    """The manifest's copy and the tarball, of the finished tree (`paths()`: all but the manifest)."""
    if request.manifest:
        copy_file(os.path.join(request.output_dir, MANIFEST_NAME), request.manifest)
    if request.tarball:
        write_tarball(request.output_dir, [*paths(), MANIFEST_NAME], request.tarball, mtime=request.tarball_mtime)
    if request.root_digest:
        from dumb_pypi.output.manifest import read_root_digest

        replace_file(request.root_digest, (read_root_digest(request.output_dir) + "\n").encode())


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


def _write_project(project: Project, request: Request, renderer: Renderer, writer: TreeWriter,
                   names: Container[str]) -> int:
    """Write the project's files and pages; how many."""
    links = renderer.links
    written = 0
    for record in project.files:
        if request.pool:
            # Checked by _check_pool_files before anything was written; narrows the types.
            assert record.path is not None and record.sha256 is not None and record.size is not None
            writer.copy(pool_path(record), record.path, record.sha256, record.size)
            written += 1
        if record.metadata is not None and record.core_metadata is not None:
            sidecar = links.metadata_path(record)
            if sidecar is not None:
                writer.write(sidecar, record.metadata.encode("utf-8"))
                written += 1
    for path, text in renderer.project_pages(project, names):
        writer.write(path, text.encode("utf-8"))
        written += 1
    return written


def _pages(project: Project, request: Request) -> int:
    """About how many files _write_project() writes for `project` (for the progress line)."""
    versions = len({record.version for record in project.files}) if request.per_release_json else 0
    sidecars = sum(record.core_metadata is not None for record in project.files)
    return 4 + versions + (len(project.files) if request.pool else 0) + sidecars


def _weight(project: Project) -> int:
    # About what a project costs to render and write, in file rows: its own
    # pages weigh more than a release page, which weighs more than one file's rows.
    return 6 + 2 * len({record.version for record in project.files}) + len(project.files)


# The default --jobs forks workers only for more work than this (~100 small
# projects): below it, a fork costs more than it saves.
_AUTO_MIN_WEIGHT = 1000


def _jobs(request: Request, weight: int) -> int:
    if request.jobs == 1 or (request.jobs is None and weight < _AUTO_MIN_WEIGHT):
        return 1  # without importing workers (signal, ...): a partial rebuild's case
    from dumb_pypi.build import workers

    if not workers.CAN_FORK:
        return 1
    return workers.default_jobs() if request.jobs is None else request.jobs


def _write_projects(projects: list[Project], request: Request, renderer: Renderer, writer: TreeWriter,
                    names: Container[str]) -> None:
    """Every project's files and pages, shared out between `request.jobs`
    processes (this one included); returns once all are written."""
    weights = [_weight(project) for project in projects]
    jobs = _jobs(request, sum(weights))
    progress = Progress("writing pages", sum(_pages(project, request) for project in projects))
    try:
        if jobs == 1:
            for project in projects:
                progress.count(_write_project(project, request, renderer, writer, names))
            writer.flush()
            return
        from dumb_pypi.build import workers

        own, *others = workers.split(projects, weights, jobs)

        def work(number: int, share: Iterable[Project]) -> tuple[str, int]:  # in a worker process
            writer.become_worker()
            progress.as_worker(number)
            log = writer.log_entries()
            for project in share:
                progress.count(_write_project(project, request, renderer, writer, names))
            writer.end_log()
            return log, writer.changed

        with workers.Workers[tuple[str, int]]() as processes:
            for number, share in enumerate(others, 1):
                processes.start(share, functools.partial(work, number))
            # Manifest entries go to files, not memory, while the workers run (see log_entries()).
            own_log = writer.log_entries()
            for project in own:
                progress.count(_write_project(project, request, renderer, writer, names))
            writer.end_log()
            for log, count in processes.results(progress.show):
                writer.merge_log(log, count)
            writer.merge_log(own_log, 0)
    finally:
        progress.close()
