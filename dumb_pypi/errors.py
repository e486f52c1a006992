"""Every error dumb-pypi reports derives from DumbPypiError.

The CLI prints these as one line and exits non-zero; anything else escaping is
a bug.
"""

from __future__ import annotations

import os

__all__ = ["DumbPypiError", "InvalidDistribution", "InvalidFilename", "InvalidInput", "describe"]


class DumbPypiError(Exception):
    """Root of every error the CLI reports without a traceback."""


class InvalidFilename(DumbPypiError, ValueError):
    """A filename from which no project name can be read."""


class InvalidInput(DumbPypiError, ValueError):
    """A package-list line, JSON line or record that cannot be indexed."""


class InvalidDistribution(DumbPypiError, ValueError):
    """A wheel or sdist file that is unreadable or disagrees with its filename."""


def describe(error: OSError) -> str:
    """An I/O error in one line: the path(s) and the reason ("out/index.html: No space left on device")."""
    reason = error.strerror or str(error)
    paths = [os.fsdecode(path) for path in (error.filename, error.filename2) if path is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason
