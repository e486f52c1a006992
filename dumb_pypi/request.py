"""What a build is asked to do: the inputs, where the index goes, and how it looks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

from dumb_pypi.output.tarball import DEFAULT_MTIME
from dumb_pypi.pages.webui import templates_digest

if TYPE_CHECKING:
    from dumb_pypi.inputs import Sources
    from dumb_pypi.pages.webui import Site
    from dumb_pypi.projects import ProjectStatus

__all__ = ["Request"]


class Request(NamedTuple):
    sources: Sources
    output_dir: str
    site: Site
    packages_url: str | None = None  # where the files are; None: in the tree's pool (`pool`)
    pool: bool = False  # copy the files into the tree, content-addressed (--pool)
    per_release_json: bool = True
    statuses: Mapping[str, ProjectStatus] = {}
    previous_list: str | None = None  # --previous-package-list(-json): a partial rebuild is asked for
    tarball: str | None = None  # also write the tree as a tar.gz here
    manifest: str | None = None  # also copy manifest.json here
    root_digest: str | None = None  # also write the root digest here
    tarball_mtime: int = DEFAULT_MTIME
    jobs: int | None = 1  # processes that write the project pages; None: as many as useful
    strict: bool = False  # any refused input is an error: nothing is written
    wait: bool = True  # wait for another build of the same output directory to end (else fail)
    templates: str | None = None  # a directory of web UI templates that override ours by name

    def page_settings(self) -> tuple[object, ...]:
        """Everything besides the records that the pages depend on."""
        return (self.packages_url, self.pool, self.per_release_json, tuple(self.site), sorted(self.statuses.items()),
                templates_digest(self.templates))

    def whole_index_wanted(self) -> bool:
        """Whether an output needs the complete index (a tarball, a manifest, a root digest)."""
        return bool(self.tarball or self.manifest or self.root_digest)
