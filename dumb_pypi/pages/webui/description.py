"""A project's Markdown description as HTML that is safe to put in a page.

markdown-it-py, CommonMark with raw HTML off: HTML in the text comes out as
text, and links with schemes other than http(s), mailto and the like
(javascript:, vbscript:, file:, data: but for images) are refused by its
link validation. Imported only for a project that has such a description.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

__all__ = ["render_markdown"]

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")


def render_markdown(text: str) -> Markup:
    return Markup(_MARKDOWN.render(text))
