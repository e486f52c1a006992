"""dumb-pypi: a static, reproducible PyPI index for build systems."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "2.0.0"
