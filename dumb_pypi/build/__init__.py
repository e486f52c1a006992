"""The index step (index.py), and the processes it may run beside its own (workers.py).

For a partial rebuild the command line starts the web UI's renderer in a
process of its own before anything else (early_renderer()): it starts
Jinja2 on the other core while this one imports the rest of the generator
and reads the inputs (see pages/webui/remote.py). Nothing heavy is imported
before that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dumb_pypi.errors import DumbPypiError

if TYPE_CHECKING:
    from dumb_pypi.build.index import Result
    from dumb_pypi.inputs.refusals import Refusals, Warn
    from dumb_pypi.pages.webui.remote import RemoteWebUI
    from dumb_pypi.request import Request

__all__ = ["StrictFailure", "build", "early_renderer"]


class StrictFailure(DumbPypiError):
    """--strict, and an input was refused: nothing was written."""


def early_renderer() -> RemoteWebUI | None:
    """The web UI's renderer, started now in a process of its own, for a
    build that looks like a partial rebuild; give it to build(), and close
    it when done (however the build ends)."""
    import os

    if not hasattr(os, "fork"):
        return None
    from dumb_pypi.pages.webui.remote import RemoteWebUI

    return RemoteWebUI(_compiled_templates)


def _compiled_templates(output_dir: str) -> dict[str, bytes]:  # in the renderer's process
    from dumb_pypi.incremental.state import compiled_templates

    return compiled_templates(output_dir)


def build(request: Request, refusals: Refusals, warn: Warn, early: RemoteWebUI | None = None) -> Result:
    """Build the index `request` asks for (index.build_index()); `early`:
    early_renderer()'s, which it uses if the build is a partial rebuild
    from a package list (and else closes)."""
    if early is not None and (request.previous_list is None or request.sources.only_list() is None):
        early.close()
        early = None
    if early is not None:
        early.start(request.site, request.templates, request.output_dir)
    from dumb_pypi.build.index import build_index

    return build_index(request, refusals, warn, early)
