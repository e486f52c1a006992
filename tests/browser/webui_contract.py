"""What the web UI must do in a browser: the contract the tests in
tests/browser check, in Debian's Chromium, headless, at desktop (1280x900)
and phone (390x844, mobile) sizes, against an index built by our CLI from
real wheels (tests/browser/webui_fixture.py) and served over HTTP.

"Rendered" below means Element.checkVisibility({visibilityProperty: true,
opacityProperty: true}) is true: not display:none (itself or an ancestor),
not visibility:hidden, not opacity 0. "Text" is innerText, whitespace
collapsed.

HOME PAGE (index.html)
- `input#search` is the search box. It filters on its `input` events, so
  typing key by key filters as you type.
- `#projects a[data-name]`: one link per project. data-name is the PEP 503
  normalised name (`zope-interface`, `pyyaml`); the link opens the project's
  page, project/<data-name>/. The results shown are those links that are
  rendered, in the order they appear on screen, top to bottom (the DOM's
  order or a CSS `order`, alike).
- A query (case-insensitive) matches a project whose name or summary contains
  it: `compat` shows exactly `six` ("Python 2 and 3 compatibility utilities").
  The empty query (everything typed deleted again) shows every project.
- Order: the exact name first, then the names that start with the query, then
  the rest (`py`: py; then pytest and pyyaml; then happy and the projects whose
  summary says Python).
- `#no-match` is rendered when nothing matches (a visible "no project
  matches" message), and not rendered otherwise: not with an empty query, not
  while something matches, not when the page runs without JavaScript.
- Enter in the search box opens the first result's project page.
- Without JavaScript every project's link is there and rendered: the full list.
- Built from tests/data/package-list-huge.txt.gz (71,408 filenames, 7,858
  projects), index.html is at most 752,196 bytes (its size before the web
  UI's rework, "752 KB"), and a keystroke's filter takes under 50 ms: from
  the keydown to the end of the `input` event's handlers and the style and
  layout they cause, timed in the page with performance.now(); the results
  must be final by the first task after the next frame (no debounced or
  deferred filtering).

PROJECT PAGE (project/<name>/), about the project's latest release
- latest = the highest final (not pre-release) version; the highest
  pre-release only when there is no final release. The home page's line for
  the project names the same version.
- `#latest`: its text is exactly that version.
- `#description`: that release's description. text/markdown is rendered
  (headings, emphasis, code, lists, links) with raw HTML off: raw HTML is shown
  as text, so no element, attribute or script comes from it; a link whose
  scheme is not http, https or mailto is not made a link. Any other content
  type (text/x-rst, text/plain, none) is shown as text: its markup characters
  are shown as characters.
- `#requirements`: each Requires-Dist as written, with its marker. A
  requirement on a project in this index links to that project's page
  (project/<normalised name>/, `Six>=1.16` -> project/six/); none links to a
  project page the index does not have.
- `#urls`: Home-page and each Project-URL as links, each with its label
  ("Source", "Changelog", ...); no link with an unsafe scheme (javascript:).
- `#license`: the License field (or License-Expression).
- `#classifiers`: each classifier.
- `#requires-python`: the latest release's Requires-Python.
- `#versions`: one element `[data-version="V"]` per version (V as in the
  filenames), highest version first. The element of a yanked version says
  "yanked" and the reason when there is one; no other says "yanked".
- `#install`: the line `pip install --index-url <INDEX> <name>==<latest>`,
  where INDEX is computed in the page from its own address: the web root the
  page is served under + "simple/" (http://127.0.0.1:PORT/simple/, or
  http://127.0.0.1:PORT/sub/simple/ when the tree is served under /sub/).
  Pasted into a shell, it installs that release from the index.
- Upload times are `<time datetime="YYYY-MM-DDTHH:MM:SSZ">` elements, and
  "UTC" is said in the element's text or in the header of its table column.

CHANGELOG (changelog/page1.html)
- The files, newest upload first: the filename links, in document order.
- Upload times as on the project page (`<time datetime>`, "UTC" in it or in
  its column's header).
- When no file's upload time is known: `#no-times` is rendered (saying so),
  and the table has no empty cell (no `td` without text).

EVERY PAGE (home, project pages, changelog)
- No console errors: no console.error/console.assert, no uncaught exception,
  no dialog (alert(), confirm(), ...), no other error log (network errors are
  counted below).
- Everything it loads comes from the index's own server, and nothing it loads
  fails (no status >= 400), /favicon.ico apart.
- Every link to the index's own server is served (200); no link's scheme is
  other than http, https or mailto.
- At 390 px (phone): the document is no wider than the viewport (wide tables
  scroll inside their own box) and the text of `header` is on one or two lines.
- Screenshots of each at both sizes are kept (see tests/support/browser.py's
  artifacts_dir()).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from support.browser import Page

__all__ = ["HEADER_LINES", "SEARCH", "SHOWN", "header_lines", "links", "rendered", "settle", "shown", "text",
           "times_not_in_utc"]

SEARCH = "input#search"
T = TypeVar("T")

_RENDERED = "(element) => !!element && element.checkVisibility({visibilityProperty: true, opacityProperty: true})"
# Where each starts (its first box: a link may wrap onto another line), top
# to bottom, then left to right on one line.
SHOWN = f"""[...document.querySelectorAll("#projects a[data-name]")].filter({_RENDERED})
  .map((element) => [element.getClientRects()[0], element.getAttribute("data-name")])
  .sort((a, b) => Math.abs(a[0].top - b[0].top) > 1 ? a[0].top - b[0].top : a[0].left - b[0].left)
  .map((pair) => pair[1])"""


def shown(page: Page) -> list[str]:
    """The data-name of each result shown, in order on screen."""
    names: list[str] = page.evaluate(SHOWN)
    return names


def rendered(page: Page, selector: str) -> bool:
    """Whether the first element matching `selector` is there and rendered."""
    return bool(page.evaluate(f"({_RENDERED})(document.querySelector({json.dumps(selector)}))"))


def text(page: Page, selector: str) -> str | None:
    """The text a person sees in the first element matching `selector`
    (innerText, whitespace collapsed); None if there is no such element.
    As a person would, it scrolls the element into view and waits for a frame
    to be drawn: the home page's rows (content-visibility: auto) are rendered
    only once a frame finds them on screen, and until then their innerText is
    empty (right after the load event, about one run in four here)."""
    found: str | None = page.evaluate(f"""(async () => {{
      const e = document.querySelector({json.dumps(selector)});
      if (!e) {{ return null; }}
      const [x, y] = [window.scrollX, window.scrollY];
      e.scrollIntoView({{block: "nearest"}});
      await new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn)));
      const seen = e.innerText.replace(/\\s+/g, " ").trim();
      window.scrollTo(x, y);
      return seen;
    }})()""")
    return found


_UPLOAD_TIME = """((stamp) => {
  const time = document.querySelector(`time[datetime="${stamp}"]`);
  if (!time) { return null; }
  const cell = time.closest("td, th");
  const table = cell && cell.closest("table");
  const head = table && table.tHead && table.tHead.rows[0];
  const header = head && head.cells[cell.cellIndex] ? head.cells[cell.cellIndex].innerText : "";
  return time.innerText + " | " + header;
})"""


def times_not_in_utc(page: Page, files: Iterable[tuple[str, int]]) -> list[str]:
    """What is wrong with the upload time of each (filename, epoch) on the page:
    no <time datetime> for it, or no "UTC" in its text nor its column's header."""
    problems = []
    for filename, epoch in files:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        shown = page.evaluate(f"{_UPLOAD_TIME}({json.dumps(stamp)})")
        if shown is None:
            problems.append(f'{filename}: no <time datetime="{stamp}">')
        elif "UTC" not in shown:
            problems.append(f"{filename}: neither its time nor its column says UTC ({shown!r})")
    return problems


def links(page: Page, selector: str = "body") -> list[dict[str, str]]:
    """Every `a[href]` inside the first element matching `selector`: its text,
    its href as written (`raw`) and resolved (`href`), and the resolved scheme."""
    found: list[dict[str, str]] = page.evaluate(
        f"(() => {{ const root = document.querySelector({json.dumps(selector)});"
        " if (!root) { return []; }"
        " return [...root.querySelectorAll('a[href]')].map((a) => ({text: a.innerText.replace(/\\s+/g, ' ').trim(),"
        " raw: a.getAttribute('href'), href: a.href, protocol: a.protocol})); })()")
    return found


def settle(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 2.0) -> T:
    """Read until `done` says the value is what is expected, or `timeout`
    seconds have passed; the last value (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value


# How many lines the text (and images, inputs, buttons) of `header` take:
# boxes that overlap vertically are on one line.
HEADER_LINES = """(() => {
  const header = document.querySelector("header");
  if (!header) { return 0; }
  const boxes = [];
  const walker = document.createTreeWalker(header, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (!walker.currentNode.textContent.trim()) { continue; }
    const range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    for (const rect of range.getClientRects()) {
      if (rect.width > 0 && rect.height > 0) { boxes.push([rect.top, rect.bottom]); }
    }
  }
  for (const element of header.querySelectorAll("img, svg, input, button, select")) {
    const rect = element.getBoundingClientRect();
    if (rect.width > 0 && rect.height > 0) { boxes.push([rect.top, rect.bottom]); }
  }
  boxes.sort((a, b) => a[0] - b[0]);
  let lines = 0;
  let bottom = -Infinity;
  for (const [top, lower] of boxes) {
    if (top >= bottom - 1) { lines += 1; bottom = lower; } else { bottom = Math.max(bottom, lower); }
  }
  return lines;
})()"""


def header_lines(page: Page) -> int:
    lines: int = page.evaluate(HEADER_LINES)
    return lines
