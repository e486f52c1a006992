"""The index step: inputs -> records -> projects -> pages -> the tree (+ manifest, tarball).

build_index() takes the output directory's lock, asks the incremental cache
what to do (incremental.plan(): it reads the inputs, full or partial),
renders the pages of the plan's projects (pages/) and writes them
(output/): files, then the pages that link to them, then the root pages,
then the manifest, with the state the next partial rebuild starts from.
"""

from __future__ import annotations

import functools
import itertools
import marshal
import os
from collections.abc import Callable, Container, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

from dumb_pypi import incremental
from dumb_pypi.build import StrictFailure
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.incremental import STATE_NAME, Plan
from dumb_pypi.inputs.refusals import Refusals, Warn
from dumb_pypi.output.files import copy_file, naming, replace_file
from dumb_pypi.output.lock import locked_tree
from dumb_pypi.output.manifest import MANIFEST_NAME, read_manifest
from dumb_pypi.output.tarball import write_tarball
from dumb_pypi.output.tree import TreeWriter
from dumb_pypi.pages.links import Links, pool_path
from dumb_pypi.pages.renderer import Renderer
from dumb_pypi.pages.rows import RootRows
from dumb_pypi.pages.webui import STATIC_FILES, WebPages
from dumb_pypi.progress import Progress
from dumb_pypi.projects import Project
from dumb_pypi.request import Request

if TYPE_CHECKING:
    from dumb_pypi.pages.webui.remote import RemoteWebUI

__all__ = ["Result", "build_index"]


class Result(NamedTuple):
    kind: str  # of the plan: full, partial or delta
    projects: int
    files: int
    written: int  # files created or changed in the tree
    root_digest: str | None  # None: no manifest was written


def build_index(request: Request, refusals: Refusals, warn: Warn, early: RemoteWebUI | None) -> Result:
    """Build the index `request` asks for (see the module docstring); `early`:
    a web UI renderer already started (for what looked like a partial rebuild)."""
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
        if early is not None and (plan.kind != "partial" or len(plan.projects) > _FEW):
            early.close()  # rendering many pages: in this process and its workers
            early = None
        result, listed = _write(request, plan, early)
        _copy_outputs(request, listed)
    return result


# A partial rebuild that renders at most this many projects does it in the
# renderer process started early (see pages/webui/remote.py).
_FEW = 50


def _check(request: Request) -> None:
    if not request.pool and request.packages_url is None:
        raise DumbPypiError("--packages-url is required unless --pool copies the files into the tree")


def _write(request: Request, plan: Plan, webui: WebPages | None) -> tuple[Result, Callable[[], list[str]]]:
    renderer = Renderer(Links(request.packages_url, request.pool), request.site,
                        per_release_json=request.per_release_json, templates=request.templates,
                        compiled=plan.compiled_templates(), webui=webui)
    writer = TreeWriter(request.output_dir, old=plan.old_entries())
    recorder = plan.recorder(writer.scratch) if plan.recorder is not None else None
    try:
        pages = [*plan.kept_pages]
        kept = {path for path, _ in pages}
        for page in renderer.static_files() if STATIC_FILES[0] not in kept else ():  # before the pages linking them
            writer.write(page.path, page.data)
            pages.append((page.path, page.rows_at))
        writer.flush()
        written = _write_projects(plan.projects, request, renderer, writer, plan.names())
        # The projects' rows in the root pages come with their pages (rendered in the same processes),
        # unless the root pages list projects whose pages are not written (a delta).
        rendered = written if plan.rows_of is plan.projects else (renderer.root_rows(p) for p in plan.rows_of)
        rows = plan.all_rows(rendered)
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
            if recorder is None:
                return None
            return recorder.finish(root_digest, writer.root, renderer.webui.compiled_templates())

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
    # About what a project costs to render and write, in files: fitted to the
    # 71k list (a project's own pages ~220 us, a release page ~34, a file ~29).
    return 8 + len({record.version for record in project.files}) + len(project.files)


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


class _RowsSpool:
    """The rows in the root pages of the projects one process wrote, in a file
    of the tree's temporary folder until the root pages are made: the index's
    rows are never all in memory at once."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()

    def add(self, rows: RootRows) -> None:
        marshal.dump((rows.names, list(rows.file_counts), list(rows.timestamps), bytes(rows.home_rows),
                      list(rows.home_sizes), bytes(rows.packages_lines), list(rows.packages_sizes),
                      bytes(rows.changelog_rows), list(rows.row_sizes), rows.requires), self._file)

    def close(self) -> None:
        with naming(self.path):
            self._file.close()


def _spooled_rows(path: str) -> Iterator[RootRows]:
    with open(path, "rb") as f:
        while True:
            try:
                yield RootRows(*marshal.load(f))
            except EOFError:
                return


def _write_projects(projects: list[Project], request: Request, renderer: Renderer, writer: TreeWriter,
                    names: Container[str]) -> Iterator[RootRows]:
    """Every project's files and pages, shared out between `request.jobs`
    processes (this one included); returns once all are written, with the
    projects' rows in the root pages (rendered with their pages), in order."""
    weights = [_weight(project) for project in projects]
    jobs = _jobs(request, sum(weights))
    progress = Progress("writing pages", sum(_pages(project, request) for project in projects))

    def write(share: Iterable[Project], spool: _RowsSpool) -> str:
        with naming(spool.path):
            for project in share:
                progress.count(_write_project(project, request, renderer, writer, names))
                spool.add(renderer.root_rows(project))
        spool.close()
        return spool.path

    try:
        if jobs == 1:
            own = write(projects, _RowsSpool(writer.scratch("rows")))
            writer.flush()
            return _spooled_rows(own)
        from dumb_pypi.build import workers

        # Many small shares, each taken by whichever process is free: none waits for a slower one.
        chunks = workers.split(projects, weights, min(workers.Queue.MAX, 8 * jobs))
        queue = workers.Queue(len(chunks))

        def write_chunks(numbers: Iterable[int]) -> list[tuple[int, str]]:
            return [(n, write(chunks[n], _RowsSpool(writer.scratch(f"rows-{n}")))) for n in numbers]

        def work(number: int, share: Iterable[int]) -> tuple[str, int, list[tuple[int, str]]]:  # in a worker
            writer.become_worker()
            progress.as_worker(number)
            log = writer.log_entries()
            spools = write_chunks(share)
            writer.end_log()
            return log, writer.changed, spools

        spools: list[tuple[int, str]] = []
        try:
            with workers.Workers[tuple[str, int, list[tuple[int, str]]]]() as processes:
                for number in range(1, jobs):
                    processes.start(queue, functools.partial(work, number))
                # Manifest entries go to files, not memory, while the workers run (see log_entries()).
                own_log = writer.log_entries()
                spools += write_chunks(queue)
                writer.end_log()
                for log, count, theirs in processes.results(progress.show):
                    writer.merge_log(log, count)
                    spools += theirs
                writer.merge_log(own_log, 0)
        finally:
            queue.close()
        return itertools.chain.from_iterable(_spooled_rows(path) for _, path in sorted(spools))
    finally:
        progress.close()
