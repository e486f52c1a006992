"""Escaping text from input for HTML and XML pages."""

from __future__ import annotations

__all__ = ["escape"]


def escape(text: str) -> str:
    """`text` safe in element content and in quoted attribute values: what
    html.escape() gives, without importing html (its entity table: ~1.4 ms
    at every start)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;") \
        .replace("'", "&#x27;")
