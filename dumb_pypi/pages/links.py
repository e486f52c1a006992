"""Where each page links to each file, relative to the page itself.

Links are relative so a tree works under any URL prefix. Pages sit in
directories such as "simple/<p>" or "pypi/<p>/<version>"; the root is "".
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote, urlsplit

from dumb_pypi.records import Record

__all__ = ["Links", "pool_path", "url_quote"]

_URL_SAFE_RE = re.compile(r"^[A-Za-z0-9._~!-]*$")


def url_quote(text: str) -> str:
    """Percent-encode a path segment (most names need nothing: they skip quote())."""
    if _URL_SAFE_RE.match(text):
        return text
    return quote(text, safe="")


def _pool_directory(sha256: str) -> str:
    """Where a file with this content lives: packages/ab/cd/<rest>."""
    return f"packages/{sha256[:2]}/{sha256[2:4]}/{sha256[4:]}"


def pool_path(record: Record) -> str:
    """The content-addressed path of a file: packages/ab/cd/<rest>/<filename>."""
    sha256 = record.sha256
    if sha256 is None:
        raise ValueError(f"{record.filename} has no sha256")
    return f"{_pool_directory(sha256)}/{record.filename}"


def _depth(directory: str) -> int:
    return directory.count("/") + 1 if directory else 0


class Links:
    """File URLs for one tree: into our pool, or under dumb-pypi's `--packages-url`."""

    def __init__(self, packages_url: str | None, pool: bool) -> None:
        self.pool = pool
        url = packages_url or ""
        self._absolute = bool(urlsplit(url).scheme) or url.startswith("/")
        self._url = url.rstrip("/") + "/" if url else ""
        # A relative --packages-url is seen from simple/<p>/ (as in dumb-pypi).
        # When it climbs out of simple/ it names one place for every project.
        probe = posixpath.normpath(posixpath.join("simple/x", url or "."))
        self._shared_target = None if probe.startswith("simple/") or probe == "simple" else probe
        self._cache: dict[int, str] = {}

    def _target(self, project: str) -> str:
        """Where the files are, relative to the tree's root (maybe outside it: "../...")."""
        if self._shared_target is not None:
            return self._shared_target
        return posixpath.normpath(posixpath.join(f"simple/{project}", self._url))

    def base(self, directory: str, project: str) -> str:
        """What precedes a file's tail() on a page in `directory`."""
        if self.pool:
            return "../" * _depth(directory)
        if self._absolute:
            return self._url
        if self._shared_target is not None:
            depth = _depth(directory)
            cached = self._cache.get(depth)
            if cached is None:
                cached = self._cache[depth] = self._relative(self._shared_target, directory)
            return cached
        return self._relative(self._target(project), directory)

    @staticmethod
    def _relative(target: str, directory: str) -> str:
        relative = posixpath.relpath(target, directory or ".")
        return "" if relative == "." else relative + "/"

    def tail(self, record: Record) -> str:
        """The page-independent part of a file's URL."""
        if self.pool:
            return f"{_pool_directory(record.sha256 or '')}/{url_quote(record.filename)}"
        return url_quote(record.filename)

    def metadata_path(self, record: Record) -> str | None:
        """Where in the tree the file's PEP 658 metadata goes (its link plus
        ".metadata"), or None when the link leads out of the tree: the index
        cannot serve it there, so the pages do not offer it."""
        if self.pool:
            return pool_path(record) + ".metadata"
        if self._absolute:
            return None
        target = self._target(record.name)
        if target == ".." or target.startswith("../"):
            return None
        return posixpath.normpath(f"{target}/{record.filename}.metadata")
