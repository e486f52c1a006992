"""HTML with holes that cannot forget to escape.

An Html template is a piece of markup with `{}` holes; filling it escapes
every value that is not already Markup (markupsafe's type, which Jinja2's
autoescaping honours too), and gives Markup. Pages written in code (the
simple API, the hot path) are built from these alone, so no value from the
input reaches a page unescaped.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from markupsafe import Markup, escape

__all__ = ["Html", "Markup", "join"]


def _text(value: object) -> str:
    return value if type(value) is Markup else escape(str(value))


class Html:
    """A template: literal markup with positional holes ("{}", or "{0}" to use one value twice)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._parts = list(string.Formatter().parse(text))
        if any(spec or conversion for _, _, spec, conversion in self._parts):
            raise ValueError(f"{text!r}: holes take no format spec or conversion")

    def __call__(self, *values: object) -> Markup:
        return Markup(self._text.format(*map(_text, values)))

    def each(self, values: Iterable[str]) -> Markup:
        """The template filled once per value (a one-value template), joined."""
        values = list(values)
        joined = "\0".join(values)
        if joined.count("\0") == len(values) - 1:
            # Escaped in one pass: escaping works character by character, and leaves "\0" alone.
            escaped = str(escape(joined)).split("\0") if values else []
        else:
            escaped = [str(escape(value)) for value in values]
        return Markup("".join(map(self._text.format, escaped)))


def join(parts: Iterable[object]) -> Markup:
    """The parts one after another, each escaped unless it is Markup."""
    return Markup("".join(map(_text, parts)))
