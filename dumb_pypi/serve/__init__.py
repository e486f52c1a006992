"""Serving a generated tree: content types, cache policy and the nginx config."""

from __future__ import annotations

__all__: list[str] = []
