"""The web UI's renderer in a second process, started first thing.

A partial rebuild takes about a tenth of a second, and starting Jinja2 (its
import and the templates) would be half of it; the pages it renders are
few. So the command line forks this renderer before anything else when it
sees a partial rebuild coming: it imports Jinja2 on the other core while the
build parses its flags, reads the inputs and the last build's state, then
renders the few pages it is asked for. A full build renders in its own
processes instead (render.WebUI in each).

Requests and answers are pickled over two pipes: records in, markup out
(pages with rows as their frames: the rows stay in the build's process).
The renderer is the build's grandchild, so that nobody has to wait for it
to end: it ends when the build closes its pipes (or ends, however it ends).
"""

from __future__ import annotations

import os
import sys
from typing import IO, TYPE_CHECKING, Any, NoReturn

from dumb_pypi.errors import DumbPypiError

if TYPE_CHECKING:
    from collections.abc import Callable, Container

    from dumb_pypi.pages.webui import ProjectRows, Site
    from dumb_pypi.projects import Project
    from dumb_pypi.records import Record

__all__ = ["RemoteWebUI"]


class RemoteWebUI:
    """A WebPages whose pages a forked process renders; close() ends it."""

    def __init__(self, compiled: Callable[[str], dict[str, bytes]]) -> None:
        """Fork the renderer; it imports what it needs at once and waits
        for start(). `compiled(output_dir)`, called in the renderer: the
        templates an earlier build there compiled (see render.WebUI)."""
        sys.stdout.flush()
        sys.stderr.flush()
        requests_read, requests_write = os.pipe()
        answers_read, answers_write = os.pipe()
        self._pid: int | None = os.fork()
        if self._pid == 0:
            os.close(requests_write)
            os.close(answers_read)
            if os.fork() == 0:
                _serve(os.fdopen(requests_read, "rb"), os.fdopen(answers_write, "wb"), compiled)
            os._exit(0)  # the renderer (this process's child) is left to init: close() does not wait for it
        os.close(requests_read)
        os.close(answers_write)
        self._requests = os.fdopen(requests_write, "wb")
        self._answers = os.fdopen(answers_read, "rb")

    def _send(self, method: str, *args: object) -> None:
        import pickle  # here, as signal below: the fork comes first, the renderer imports its own

        try:
            pickle.dump((method, args), self._requests, pickle.HIGHEST_PROTOCOL)
            self._requests.flush()
        except OSError:
            raise DumbPypiError("the web UI's renderer process ended before it answered") from None

    def _ask(self, method: str, *args: object) -> Any:
        import pickle

        self._send(method, *args)
        try:
            kind, value = pickle.load(self._answers)
        except (OSError, EOFError, pickle.UnpicklingError):
            raise DumbPypiError("the web UI's renderer process ended before it answered") from None
        if kind == "error":
            raise DumbPypiError(value)
        if kind == "crash":
            raise RuntimeError(f"the web UI's renderer process failed:\n{value}")
        return value

    def start(self, site: Site, templates: str | None, output_dir: str) -> None:
        """Make the renderer's web UI (see render.WebUI); does not wait for it."""
        self._send("start", site, templates, output_dir)

    def project(self, project: Project, urls: list[str], names: Container[str]) -> str:
        from dumb_pypi.records import required_projects

        # Of the index's projects, the page needs those its requirements name (all of
        # them would make a message larger than a pipe holds: a wait for the renderer).
        required = {name for record in project.files for name in required_projects(record.requires_dist or ())}
        return str(self._ask("project", project, urls, {name for name in required if name in names}))

    def project_rows(self, project: Project, changelog_urls: list[str]) -> ProjectRows:
        rows: ProjectRows = self._ask("project_rows", project, changelog_urls)
        return rows

    def home_frame(self, count: int) -> tuple[str, str]:
        before, after = self._ask("home_frame", count)
        return before, after

    def changelog_frame(self, number: int, count: int, timestamped: bool) -> tuple[str, str]:
        before, after = self._ask("changelog_frame", number, count, timestamped)
        return before, after

    def feed(self, releases: list[Record]) -> str:
        return str(self._ask("feed", releases))

    def static_files(self) -> list[tuple[str, bytes]]:
        files: list[tuple[str, bytes]] = self._ask("static_files")
        return files

    def compiled_templates(self) -> dict[str, bytes]:
        compiled: dict[str, bytes] = self._ask("compiled_templates")
        return compiled

    def close(self) -> None:
        """End the renderer (it stops at its next read or write); again: nothing."""
        if self._pid is None:
            return
        for pipe in (self._requests, self._answers):
            try:
                pipe.close()
            except OSError:
                pass
        os.waitpid(self._pid, 0)  # the process between: it ended at once
        self._pid = None


def _serve(requests: IO[bytes], answers: IO[bytes], compiled: Callable[[str], dict[str, bytes]]) -> NoReturn:
    """In the renderer's process: import the renderer, then answer until the build closes the pipe."""
    import pickle
    import signal

    code = 1
    try:
        # Ctrl-C: the build stops this process; and when the build ends, however it
        # ends, the pipe it writes to is closed: this process ends then.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        from dumb_pypi.pages.webui.render import WebUI

        webui: WebUI | None = None
        failed: tuple[str, object] = ("crash", "start() comes first")
        while True:
            try:
                method, args = pickle.load(requests)
            except (EOFError, OSError):
                break
            if method == "start":  # no answer: the build goes on meanwhile
                site, templates, output_dir = args
                try:
                    webui = WebUI(site, templates, compiled(output_dir))
                except DumbPypiError as ex:  # a template of --templates does not compile: said at the first page
                    failed = ("error", str(ex))
                except Exception:  # noqa: BLE001 - a bug: said at the first page
                    failed = ("crash", _traceback())
                continue
            try:
                answer = failed if webui is None else ("ok", getattr(webui, method)(*args))
            except DumbPypiError as ex:
                answer = ("error", str(ex))
            except Exception:  # noqa: BLE001 - a bug: its traceback goes to the build
                answer = ("crash", _traceback())
            pickle.dump(answer, answers, pickle.HIGHEST_PROTOCOL)
            answers.flush()
        code = 0
    finally:
        os._exit(code)  # never run the build's code from here on (its finally blocks, atexit hooks)


def _traceback() -> str:
    import traceback

    return traceback.format_exc()
