"""What the simple pages of a built index advertise, read as a client reads them.

`links(root, base_url)` reads every `simple/<project>/index.html` (PEP 503,
592, 658, 714) and `index.json` (PEP 691) under `root` and returns one `Link`
per file link, with its URL resolved against the URL the page is served at.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["Link", "links"]


@dataclass(frozen=True)
class Link:
    page: str  # "simple/six/index.html"
    filename: str
    url: str  # absolute, without the #sha256= fragment
    sha256: str | None
    core_metadata: str | None  # "sha256=<hex>", "true", or None when not advertised
    dist_info_metadata: str | None  # the same under its older name (PEP 658 before PEP 714)
    yanked: str | None  # the reason ("" for none given), None when not yanked
    upload_time: str | None  # JSON pages only


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open = dict(attrs)
            self.anchors.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.anchors[-1]
            self.anchors[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None


def _html_links(page: str, text: str, page_url: str) -> list[Link]:
    parser = _Anchors()
    parser.feed(text)
    found = []
    for attrs, _text in parser.anchors:
        href = attrs.get("href") or ""
        url, _, fragment = urllib.parse.urljoin(page_url, href).partition("#")
        algorithm, _, digest = fragment.partition("=")
        found.append(Link(
            page=page, filename=urllib.parse.unquote(url.rsplit("/", 1)[-1]), url=url,
            sha256=digest if algorithm == "sha256" else None,
            core_metadata=attrs.get("data-core-metadata"), dist_info_metadata=attrs.get("data-dist-info-metadata"),
            yanked=(attrs["data-yanked"] or "") if "data-yanked" in attrs else None, upload_time=None))
    return found


def _metadata_value(value: object) -> str | None:
    """A JSON `core-metadata` value in the HTML attribute's spelling."""
    if value is None or value is False:
        return None
    if value is True:
        return "true"
    assert isinstance(value, dict), value
    return ",".join(f"{k}={v}" for k, v in sorted(value.items())) or "true"


def _json_links(page: str, text: str, page_url: str) -> list[Link]:
    found = []
    for file in json.loads(text)["files"]:
        yanked = file.get("yanked", False)
        found.append(Link(
            page=page, filename=file["filename"], url=urllib.parse.urljoin(page_url, file["url"]).partition("#")[0],
            sha256=file["hashes"].get("sha256"),
            core_metadata=_metadata_value(file.get("core-metadata")),
            dist_info_metadata=_metadata_value(file.get("dist-info-metadata")),
            yanked=None if yanked is False else ("" if yanked is True else yanked),
            upload_time=file.get("upload-time")))
    return found


def links(root: Path, base_url: str) -> list[Link]:
    """Every file link of every project page under `root/simple/`, HTML and
    JSON, with URLs as a client served from `base_url` (the URL of `root`) sees them."""
    found = []
    for page_path in sorted((root / "simple").glob("*/index.*")):
        page = page_path.relative_to(root).as_posix()
        page_url = f"{base_url.rstrip('/')}/{page_path.parent.relative_to(root).as_posix()}/"
        text = page_path.read_text(encoding="utf-8")
        if page_path.name == "index.html":
            found += _html_links(page, text, page_url)
        elif page_path.name == "index.json":
            found += _json_links(page, text, page_url)
    return found
