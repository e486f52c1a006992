"""What each path of a generated tree is served as: Content-Type and caching.

One table for every host: the nginx config is generated from it and the S3
deploy sets each object's headers from it, so both serve the same bytes with
the same headers.
"""

from __future__ import annotations

import posixpath

__all__ = [
    "EXTENSION_TYPES",
    "IMMUTABLE_CACHE",
    "JSON_TYPE",
    "LEGACY_JSON_TYPE",
    "PAGE_CACHE",
    "TEXT_HTML_TYPE",
    "V1_HTML_TYPE",
    "cache_control",
    "content_type",
    "is_pool_path",
]

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
V1_HTML_TYPE = "application/vnd.pypi.simple.v1+html"
TEXT_HTML_TYPE = "text/html"
LEGACY_JSON_TYPE = "application/json"

# Pool files never change under their content-addressed path.
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# Index pages change on every deploy: keep them fresh, but allow short reuse.
PAGE_CACHE = "public, max-age=60, must-revalidate"

# Extension -> type for every kind of file the generator writes. Checked
# longest suffix first (".tar.gz" before ".gz").
EXTENSION_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".json": LEGACY_JSON_TYPE,
    ".xml": "application/atom+xml",
    ".css": "text/css",
    ".js": "application/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    # PEP 658 sidecars are the core metadata: RFC 822 style text.
    ".metadata": "text/plain; charset=utf-8",
    ".whl": "application/zip",
    ".zip": "application/zip",
    ".egg": "application/zip",
    ".tar.gz": "application/gzip",
    ".tgz": "application/gzip",
    ".tar.bz2": "application/x-bzip2",
    ".tar.xz": "application/x-xz",
    ".tar": "application/x-tar",
    ".exe": "application/octet-stream",
}
DEFAULT_TYPE = "application/octet-stream"


def is_pool_path(path: str) -> bool:
    """True for content-addressed files (packages/ab/cd/<rest>/<file>)."""
    return path.startswith("packages/") and path.count("/") >= 4


def content_type(path: str) -> str:
    """The Content-Type a static host must send for `path` (tree-relative)."""
    name = posixpath.basename(path)
    if path.startswith("simple/") and name == "index.json":
        return JSON_TYPE
    if path.startswith("simple/") and name == "index.html":
        # Browsers render text/html; pip and uv accept it for the HTML API.
        return TEXT_HTML_TYPE
    if path.startswith("pypi/") and name == "json":
        return LEGACY_JSON_TYPE
    lowered = name.lower()
    for suffix in sorted(EXTENSION_TYPES, key=len, reverse=True):
        if lowered.endswith(suffix):
            return EXTENSION_TYPES[suffix]
    return DEFAULT_TYPE


def cache_control(path: str) -> str:
    """The Cache-Control header for `path`: long for the pool, short otherwise."""
    return IMMUTABLE_CACHE if is_pool_path(path) else PAGE_CACHE
