"""Errors the backend raises; each names the offending input and the reason."""

from __future__ import annotations


class DumbPypiPantsError(Exception):
    """Root of this backend's errors."""


class NotADistributionError(DumbPypiPantsError):
    """A `pypi_index` dependency that yields no wheel or sdist."""


class ConflictingFilesError(DumbPypiPantsError):
    """Two inputs share a filename but differ in content."""


class DumbPypiSourcesNotFound(DumbPypiPantsError):
    """The `dumb_pypi` package this backend runs cannot be located."""


class DumbPypiFailed(DumbPypiPantsError):
    """A `dumb_pypi` process refused its input."""
