"""Unpack an index tarball and serve a tree on 127.0.0.1, for the suites that
install from what a build produced (Bazel, Pants)."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["extract", "pip_install", "static_server"]


def extract(tarball: Path, dest: Path) -> Path:
    """Unpack `tarball` into `dest`, refusing members outside its root."""
    with tarfile.open(tarball) as tar:
        for name in tar.getnames():
            if name.startswith("/") or ".." in name.split("/"):
                raise AssertionError(f"{tarball}: member {name!r} is outside the root")
        if sys.version_info >= (3, 12):
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)
    return dest


def pip_install(python: str | Path, index_url: str, *args: str,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m pip install ARGS` from `index_url` alone: no configuration
    (--isolated), no cache, no version check; the result, not checked."""
    return subprocess.run(
        [str(python), "-m", "pip", "install", "--isolated", "--no-cache-dir", "--disable-pip-version-check",
         "--index-url", index_url, *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """A static HTTP server for `directory` on 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
