"""Drive Debian's Chromium headless over the DevTools protocol, for tests of
the pages people read.

One `Browser` is one Chromium process: headless, its own profile directory,
its DevTools endpoint on a free port of 127.0.0.1 (it picks the port itself and
writes it to DevToolsActivePort in the profile), background networking off, so
it talks to nothing but the servers a test opens. `Browser.new_page()` gives a
`Page` (a tab in its own browser context: no cookies or storage shared with
other pages) that can open a URL, type key by key (real key events: keydown,
beforeinput, input, keyup run the page's handlers), press Enter, evaluate
JavaScript, emulate a phone's viewport, measure horizontal overflow and take
screenshots into the artifacts directory. It records what the page reports:
console errors, uncaught exceptions and dialogs (alert() and friends, which
it dismisses: they would block the page) (`errors`), responses >= 400 and
failed loads (`failed_requests`), every URL requested (`requests`).

Every wait has a timeout and raises `BrowserTimeout` (a `BrowserError`) with
what it was waiting for. `require_browser()` names what is missing: under CI
(any non-empty $CI) a failure, elsewhere a skip with the install command.

The connection is one websocket to the browser endpoint, with the pages
attached as flat sessions; nothing runs in the background: messages are read
while a call or a wait is in progress, and events are handed to their page
then.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM_FLAGS", "DESKTOP", "INSTALL_HINT", "PHONE", "REPO", "Browser", "BrowserError", "BrowserMissing",
    "BrowserTimeout", "JavaScriptError", "KeyTiming", "Overflow", "Page", "ProtocolError", "Viewport",
    "artifacts_dir", "find_chromium", "launch", "require_browser",
]

REPO = Path(__file__).resolve().parents[2]
INSTALL_HINT = "bash .ci/install-browser.sh (Debian's chromium, and websocket-client into .venv)"
# Headless, and nothing but the pages a test opens: no sync, no component or
# safe-browsing updates, no QUIC, no pings, no crash reports, no first-run or
# default-apps work; no host name resolves but 127.0.0.1 and localhost (no DNS
# query leaves the machine, whatever a page links to).
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--disable-breakpad", "--no-pings", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--remote-debugging-port=0",
)
DEFAULT_TIMEOUT = 15.0  # seconds, for one DevTools call or one wait
START_TIMEOUT = 30.0  # for Chromium to open its DevTools endpoint
_MAX_SCREENSHOT_HEIGHT = 8000  # CSS pixels: a full-page screenshot is cut there


@dataclass(frozen=True)
class Viewport:
    width: int
    height: int
    mobile: bool = False  # a phone: <meta name="viewport"> applies, touch-style overlay scrollbars
    scale: float = 1.0  # device pixel ratio (screenshots are this many pixels per CSS pixel)


DESKTOP = Viewport(1280, 900)
PHONE = Viewport(390, 844, mobile=True)


class BrowserError(RuntimeError):
    """Chromium did not do what was asked (it crashed, a page did not load, ...)."""


class BrowserMissing(BrowserError):
    """Chromium or the websocket client is not installed."""


class BrowserTimeout(BrowserError):
    """A DevTools call or a wait did not finish in time."""


class ProtocolError(BrowserError):
    """Chromium answered a DevTools call with an error."""


class JavaScriptError(BrowserError):
    """An expression given to Page.evaluate() threw."""


def find_chromium() -> str:
    """The Chromium executable: $DUMB_PYPI_CHROMIUM, else `chromium` on PATH
    (Debian's wrapper, which execs the browser: its PID is the browser's)."""
    configured = os.environ.get("DUMB_PYPI_CHROMIUM")
    if configured:
        if not os.access(configured, os.X_OK):
            raise BrowserMissing(f"$DUMB_PYPI_CHROMIUM={configured} is not an executable file")
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissing(f"no chromium on PATH; install it: {INSTALL_HINT}")


def _websocket_module() -> Any:
    try:
        import websocket
    except ImportError:
        raise BrowserMissing(f"the websocket-client package is not installed; install it: {INSTALL_HINT}") from None
    return websocket


def require_browser() -> str:
    """The Chromium executable, for a test: when it or websocket-client is
    missing, fail under CI (a test must not pass there without its browser)
    and skip elsewhere, naming the install command."""
    import pytest

    try:
        _websocket_module()
        return find_chromium()
    except BrowserMissing as missing:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests: {missing}", pytrace=False)
        pytest.skip(f"browser tests: {missing}")


def artifacts_dir() -> Path:
    """Where screenshots go: $DUMB_PYPI_TEST_ARTIFACTS, else test-artifacts/browser/
    under the repository (gitignored). Created on first use."""
    configured = os.environ.get("DUMB_PYPI_TEST_ARTIFACTS")
    directory = Path(configured) if configured else REPO / "test-artifacts" / "browser"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class _Connection:
    """One DevTools websocket: calls with ids, events handed to their session's handler."""

    def __init__(self, url: str, timeout: float) -> None:
        self._websocket = _websocket_module()
        self._socket = self._websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        self._ids = itertools.count(1)
        self._replies: dict[int, dict[str, Any]] = {}
        self._unawaited: set[int] = set()  # ids of calls whose replies nobody waits for
        self.handlers: dict[str, Callable[[str, dict[str, Any]], None]] = {}  # sessionId -> on_event(method, params)

    def send(self, method: str, params: dict[str, Any], session: str | None) -> int:
        """Send a call without waiting for its reply; its id."""
        call_id = next(self._ids)
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        try:
            self._socket.send(json.dumps(message))
        except (OSError, self._websocket.WebSocketException) as error:
            raise BrowserError(f"{method}: the DevTools connection is gone ({error}); did Chromium exit?") from None
        return call_id

    def post(self, method: str, params: dict[str, Any], session: str | None) -> None:
        """A call whose reply is dropped (from an event handler, which must not wait)."""
        self._unawaited.add(self.send(method, params, session))

    def call(self, method: str, params: dict[str, Any], session: str | None, timeout: float) -> dict[str, Any]:
        call_id = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while call_id not in self._replies:
            self.read_one(deadline, f"the answer to {method}")
        reply = self._replies.pop(call_id)
        if "error" in reply:
            raise ProtocolError(f"{method}: {reply['error'].get('message')} {reply['error'].get('data', '')}".strip())
        result: dict[str, Any] = reply.get("result", {})
        return result

    def read_one(self, deadline: float, waiting_for: str) -> None:
        """Read one message (a reply is kept, an event handed on); BrowserTimeout at `deadline`."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserTimeout(f"timed out waiting for {waiting_for}")
        self._socket.settimeout(remaining)
        try:
            raw = self._socket.recv()
        except self._websocket.WebSocketTimeoutException:
            raise BrowserTimeout(f"timed out waiting for {waiting_for}") from None
        except (OSError, self._websocket.WebSocketException) as error:
            raise BrowserError(f"the DevTools connection closed while waiting for {waiting_for} ({error}); "
                               "did Chromium exit?") from None
        message = json.loads(raw)
        if "id" in message:
            if message["id"] in self._unawaited:
                self._unawaited.discard(message["id"])
            else:
                self._replies[message["id"]] = message
        elif "method" in message:
            handler = self.handlers.get(message.get("sessionId", ""))
            if handler is not None:
                handler(message["method"], message.get("params", {}))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._socket.close()


@dataclass(frozen=True)
class Overflow:
    """How far the page is wider than the viewport, in CSS pixels."""
    viewport_width: int
    scroll_width: int  # of the document (the wider of <html> and <body>)
    culprits: list[str]  # the outermost elements that stick out on the right, as "tag#id.class (right edge)"

    @property
    def excess(self) -> int:
        return max(0, self.scroll_width - self.viewport_width)


@dataclass(frozen=True)
class KeyTiming:
    """One keystroke, timed inside the page with performance.now()."""
    key: str
    handled_ms: float  # keydown to the end of the `input` event's handlers, with the style and layout they caused
    frame_ms: float  # keydown to the first task after the next animation frame: what a person waits to see
    state: Any  # the snapshot expression's value at that point


# Measures every keystroke in the page: a capturing keydown listener on window
# runs before any of the page's own handlers; a bubbling `input` listener on
# window, added after the page's, runs after them; it forces style and layout,
# then waits for the next frame and the task after it.
_KEY_PROBE = """
(() => {
  if (window.__keyProbe) { return; }
  const probe = window.__keyProbe = {runs: [], snapshot: () => null};
  window.addEventListener("keydown", () => { probe.runs.push({start: performance.now()}); }, true);
  window.addEventListener("input", () => {
    const run = probe.runs[probe.runs.length - 1];
    if (!run || run.handled !== undefined) { return; }
    document.documentElement.getBoundingClientRect();
    run.handled = performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      run.framed = performance.now();
      run.state = probe.snapshot();
    }, 0));
  });
})()
"""

_OVERFLOW = """
((width) => {
  const root = document.documentElement;
  const scroll = Math.max(root.scrollWidth, document.body ? document.body.scrollWidth : 0);
  const culprits = [];
  if (scroll > width && document.body) {
    for (const element of document.body.querySelectorAll("*")) {
      const right = element.getBoundingClientRect().right + window.scrollX;
      const parent = element.parentElement;
      const parentRight = parent ? parent.getBoundingClientRect().right + window.scrollX : 0;
      if (right > width + 0.5 && parentRight <= width + 0.5) {
        const id = element.id ? "#" + element.id : "";
        const classes = typeof element.className === "string" && element.className
          ? "." + element.className.trim().split(/\\s+/).join(".") : "";
        culprits.push(`${element.tagName.toLowerCase()}${id}${classes} (right edge ${Math.round(right)})`);
        if (culprits.length === 5) { break; }
      }
    }
  }
  return {scroll: scroll, culprits: culprits};
})
"""

# key -> (code, windowsVirtualKeyCode, text)
_SPECIAL_KEYS = {
    "Enter": ("Enter", 13, "\r"), "Backspace": ("Backspace", 8, ""), "Tab": ("Tab", 9, "\t"),
    "Escape": ("Escape", 27, ""), "ArrowDown": ("ArrowDown", 40, ""), "ArrowUp": ("ArrowUp", 38, ""),
}
_PUNCTUATION = {  # character -> (code, windowsVirtualKeyCode, shifted)
    " ": ("Space", 32, False), "-": ("Minus", 189, False), "_": ("Minus", 189, True), ".": ("Period", 190, False),
    "=": ("Equal", 187, False), "/": ("Slash", 191, False), ",": ("Comma", 188, False),
}
_SHIFT = 8  # the DevTools modifier bit


def _key_event(key: str) -> dict[str, Any]:
    """keyDown parameters of Input.dispatchKeyEvent for `key`: a name from
    _SPECIAL_KEYS or one character (on a US keyboard where it is there)."""
    if key in _SPECIAL_KEYS:
        code, virtual, text = _SPECIAL_KEYS[key]
        shifted = False
    elif len(key) != 1:
        raise ValueError(f"not a key this driver knows: {key!r}")
    elif key.isascii() and key.isalnum():
        code = f"Key{key.upper()}" if key.isalpha() else f"Digit{key}"
        virtual, text, shifted = ord(key.upper()), key, key.isupper()
    elif key in _PUNCTUATION:
        code, virtual, shifted = _PUNCTUATION[key]
        text = key
    else:  # another character: no physical key, the text alone (as an input method would give it)
        code, virtual, text, shifted = "", 0, key, False
    event: dict[str, Any] = {"key": key, "code": code, "windowsVirtualKeyCode": virtual,
                             "nativeVirtualKeyCode": virtual, "modifiers": _SHIFT if shifted else 0}
    if text:
        event.update(text=text, unmodifiedText=text.lower())
    return event


@dataclass(repr=False)
class Page:
    """One tab, attached over the browser's connection (see the module's docstring)."""
    _connection: _Connection
    _session: str
    _target: str
    _context: str
    timeout: float = DEFAULT_TIMEOUT
    url: str = "about:blank"  # the main frame's URL, as of the last navigation
    viewport: Viewport = DESKTOP
    errors: list[str] = field(default_factory=list)  # console.error/assert, uncaught exceptions, dialogs, error logs
    failed_requests: list[str] = field(default_factory=list)  # "URL: status N" / "URL: net::ERR_..."
    requests: list[str] = field(default_factory=list)  # every URL requested, in order
    _loads: int = 0
    _loader: str | None = None  # the loaderId of the main frame's document
    _loads_at_commit: int = 0  # _loads when that document was committed
    _document_status: int | None = None
    _pending: dict[str, str] = field(default_factory=dict)  # requestId -> URL

    def __repr__(self) -> str:
        return f"<Page {self.url} {self.viewport.width}x{self.viewport.height}>"

    def call(self, method: str, timeout: float | None = None, **params: Any) -> dict[str, Any]:
        """A DevTools call in this page's session; its result."""
        return self._connection.call(method, params, self._session, timeout or self.timeout)

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.loadEventFired":
            self._loads += 1
        elif method == "Page.frameNavigated" and not params["frame"].get("parentId"):
            self.url = params["frame"]["url"]
            self._loader = params["frame"].get("loaderId")
            self._loads_at_commit = self._loads
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", arg.get("type")))) for arg in params["args"])
            self.errors.append(f"console.{params['type']}: {text}")
        elif method == "Page.javascriptDialogOpening":  # alert() and friends would block the page: dismiss them
            self.errors.append(f"dialog ({params.get('type')}): {params.get('message')}")
            self._connection.post("Page.handleJavaScriptDialog", {"accept": False}, self._session)
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            where = f"{details.get('url', '')}:{details.get('lineNumber', 0) + 1}"
            self.errors.append(f"uncaught exception at {where}: {text}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            if entry.get("source") != "network":  # those are in failed_requests, with their URL
                self.errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}".rstrip())
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
            self._pending[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived":
            response = params["response"]
            if params.get("type") == "Document" and params.get("frameId") == self._target:
                self._document_status = response["status"]
            if response["status"] >= 400:
                self.failed_requests.append(f"{response['url']}: status {response['status']}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            url = self._pending.get(params["requestId"], "?")
            self.failed_requests.append(f"{url}: {params.get('errorText')}")

    def _wait(self, done: Callable[[], bool], waiting_for: str, timeout: float | None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not done():
            self._connection.read_one(deadline, waiting_for)

    def navigation_mark(self) -> int:
        """Take before an action that should open another page; give to wait_for_navigation()."""
        return self._loads

    def wait_for_navigation(self, mark: int, timeout: float | None = None) -> str:
        """Wait until a page has loaded since `mark`; its URL."""
        self._wait(lambda: self._loads > mark, "a page to load (load event)", timeout)
        return self.url

    def goto(self, url: str, timeout: float | None = None) -> int:
        """Open `url` and wait for its load event; its HTTP status. A status of
        400 or more, or a failed load, raises BrowserError."""
        mark = self._loads
        self._document_status = None
        result = self.call("Page.navigate", timeout, url=url)
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        loader = result.get("loaderId")
        if loader:  # a new document: wait for its own load event, not a late one of the page before
            self._wait(lambda: self._loader == loader and self._loads > self._loads_at_commit,
                       f"{url} to load (load event)", timeout)
        else:  # the same document (a fragment)
            self.wait_for_navigation(mark, timeout)
        status = self._document_status if self._document_status is not None else 200  # about:, data:
        if status >= 400:
            raise BrowserError(f"{url}: HTTP status {status}")
        return status

    def evaluate(self, expression: str, timeout: float | None = None) -> Any:
        """The value of a JavaScript expression in the page (promises awaited), as JSON gives it."""
        result = self.call("Runtime.evaluate", timeout, expression=expression, returnByValue=True,
                           awaitPromise=True, userGesture=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text", "")
            raise JavaScriptError(f"{expression[:200]!r} threw: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None, what: str | None = None) -> Any:
        """Evaluate `expression` every 25 ms until its value is truthy; that value.
        BrowserTimeout names `what` (else the expression) and the last value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expression, timeout)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserTimeout(f"timed out waiting for {what or expression!r}; last value: {value!r}")
            time.sleep(0.025)

    def focus(self, selector: str) -> None:
        """Focus the element matching the CSS `selector` (it must be there)."""
        found = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
                              " if (e) { e.focus(); } return !!e && document.activeElement === e; })()")
        if not found:
            raise BrowserError(f"{self.url}: no focusable element matches {selector!r}")

    def press(self, key: str) -> None:
        """One key pressed and released, as a keyboard sends it: keydown (with
        the character: keypress, beforeinput, input), then keyup. `key`: one
        character, or Enter, Backspace, Tab, Escape, ArrowDown, ArrowUp."""
        event = _key_event(key)
        self.call("Input.dispatchKeyEvent", type="keyDown", **event)
        up = {name: event[name] for name in ("key", "code", "windowsVirtualKeyCode", "nativeVirtualKeyCode",
                                             "modifiers")}
        self.call("Input.dispatchKeyEvent", type="keyUp", **up)

    def type_text(self, text: str) -> None:
        """Type `text` into the focused element key by key (see press())."""
        for character in text:
            self.press(character)

    def time_key(self, key: str, snapshot: str = "null", timeout: float | None = None) -> KeyTiming:
        """Press `key` (into the focused element) and time, inside the page,
        what it makes the page do: see KeyTiming. `snapshot`: a JavaScript
        expression evaluated once the next frame is shown (its value: `state`)."""
        self.evaluate(_KEY_PROBE)
        runs = self.evaluate(f"(window.__keyProbe.snapshot = () => ({snapshot}), window.__keyProbe.runs.length)")
        self.press(key)
        run = self.wait_for(f"(() => {{ const run = window.__keyProbe.runs[{runs}];"
                            " return run && run.framed !== undefined ? run : null; })()",
                            timeout, what=f"the page's response to the key {key!r} (no input event?)")
        return KeyTiming(key, run["handled"] - run["start"], run["framed"] - run["start"], run.get("state"))

    def set_viewport(self, viewport: Viewport) -> None:
        """Emulate a screen of this size (a phone: mobile=True); the page is laid out again."""
        self.call("Emulation.setDeviceMetricsOverride", width=viewport.width, height=viewport.height,
                  deviceScaleFactor=viewport.scale, mobile=viewport.mobile)
        self.call("Emulation.setTouchEmulationEnabled", enabled=viewport.mobile)
        self.viewport = viewport

    def disable_javascript(self, disabled: bool = True) -> None:
        """Pages loaded from now on run none of their scripts (evaluate() still works)."""
        self.call("Emulation.setScriptExecutionDisabled", value=disabled)

    def horizontal_overflow(self) -> Overflow:
        """How much wider than the viewport the document is, and what sticks out."""
        width = self.viewport.width
        found = self.evaluate(f"{_OVERFLOW}({width})")
        return Overflow(width, int(found["scroll"]), list(found["culprits"]))

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        """A PNG of the page (the whole page, cut at 8000 CSS pixels, or only the
        viewport) as ARTIFACTS/<name>.png; its path."""
        metrics = self.call("Page.getLayoutMetrics")
        view, content = metrics["cssLayoutViewport"], metrics["cssContentSize"]
        width, height = view["clientWidth"], view["clientHeight"]
        if full_page:
            width = max(width, math.ceil(content["width"]))
            height = min(max(height, math.ceil(content["height"])), _MAX_SCREENSHOT_HEIGHT)
        clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=full_page)["data"]
        path = artifacts_dir() / (re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") + ".png")
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Close the tab and drop its browser context."""
        self._connection.handlers.pop(self._session, None)
        with contextlib.suppress(BrowserError):
            self._connection.call("Target.closeTarget", {"targetId": self._target}, None, self.timeout)
            self._connection.call("Target.disposeBrowserContext", {"browserContextId": self._context}, None,
                                  self.timeout)


@dataclass(repr=False)
class Browser:
    """One headless Chromium process; see launch()."""
    process: subprocess.Popen[bytes]
    profile: Path
    port: int  # its DevTools endpoint on 127.0.0.1
    _connection: _Connection
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        return f"<Browser pid {self.pid}, DevTools on 127.0.0.1:{self.port}>"

    @property
    def pid(self) -> int:
        return self.process.pid

    def version(self) -> str:
        return str(self._connection.call("Browser.getVersion", {}, None, self.timeout)["product"])

    def new_page(self, viewport: Viewport = DESKTOP) -> Page:
        """A new tab in a new browser context (no cookies or storage shared),
        with page, runtime, log and network events on, at `viewport`."""
        call = self._connection.call
        context = call("Target.createBrowserContext", {"disposeOnDetach": True}, None, self.timeout)["browserContextId"]
        target = call("Target.createTarget", {"url": "about:blank", "browserContextId": context}, None,
                      self.timeout)["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True}, None,
                       self.timeout)["sessionId"]
        page = Page(self._connection, session, target, context, timeout=self.timeout)
        self._connection.handlers[session] = page._on_event
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.set_viewport(viewport)
        return page

    def close(self) -> None:
        """Stop Chromium and its helper processes (it leads a process group of its own)."""
        self._connection.close()
        _stop(self.process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group whose leader is our Chromium; once the
    browser has exited (or 10 s later), SIGKILL to what is left of the group
    (its helpers linger for a second otherwise); wait until none is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10.0)
    deadline = time.monotonic() + 10.0
    while (process.poll() is None or _group_alive(process.pid)) and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.02)


def _group_alive(group: int) -> bool:
    """Whether a process of the process group `group` still runs (a zombie,
    dead but not yet reaped by init, does not count)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: any process, zombies too
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
            if int(pgrp) == group and state != "Z":
                return True
    return False


def _read_endpoint(process: subprocess.Popen[bytes], profile: Path, log: Path, timeout: float) -> tuple[int, str]:
    """(port, browser websocket path) from DevToolsActivePort, once Chromium has written it."""
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"Chromium exited with status {process.returncode} before opening its DevTools "
                               f"endpoint; the end of its log ({log}):\n{_tail(log)}")
        with contextlib.suppress(OSError, ValueError):
            port, path = active.read_text().split("\n")[:2]
            if path.startswith("/devtools/browser/"):
                return int(port), path
        time.sleep(0.05)
    raise BrowserTimeout(f"Chromium did not open its DevTools endpoint in {timeout:.0f} s; "
                         f"the end of its log ({log}):\n{_tail(log)}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def launch(profile: Path, executable: str | None = None, timeout: float = DEFAULT_TIMEOUT,
           extra_flags: tuple[str, ...] = ()) -> Iterator[Browser]:
    """Start headless Chromium with the empty or new profile directory `profile`
    (its log goes to profile/chromium.log), yield it, stop it by its PID."""
    executable = executable or find_chromium()
    profile.mkdir(parents=True, exist_ok=True)
    log = profile / "chromium.log"
    command = [executable, *CHROMIUM_FLAGS, *extra_flags, f"--user-data-dir={profile / 'data'}",
               f"--window-size={DESKTOP.width},{DESKTOP.height}", "about:blank"]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        port, path = _read_endpoint(process, profile / "data", log, START_TIMEOUT)
        connection = _Connection(f"ws://127.0.0.1:{port}{path}", timeout)
    except BaseException:
        _stop(process)
        raise
    browser = Browser(process, profile, port, connection, timeout)
    try:
        yield browser
    finally:
        browser.close()
