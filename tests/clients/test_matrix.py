"""Every client, every case, from an index served by `dumb-pypi nginx-config`.

Each (client, format) runs a few real commands once (see `Scenarios`); each
cell of the matrix is one test that checks what those commands did, from
their result and from the nginx access log (which page types were sent,
which files were fetched).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from clients.runners import CASES, CLIENTS, INSTALL, LOCK, RESOLVE, Run
from support.indexes import Index
from support.servers import Nginx

pytestmark = pytest.mark.clients

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("text/html", "application/vnd.pypi.simple.v1+html")

# Cells a client cannot pass by design, with the reason; strict xfail, so the
# test fails (and the table must change) the day the client gains the feature.
KNOWN_LIMITS = {
    ("pex", "json", "api-form"): "pex builds with its vendored pip 20.3.4, which asks for HTML only",
    ("pex", "json", "pep658"): "pex's vendored pip 20.3.4 predates PEP 658 and downloads wheels to resolve",
    ("pex", "html", "pep658"): "pex's vendored pip 20.3.4 predates PEP 658 and downloads wheels to resolve",
    ("pex-pip", "html", "pep658"): (
        "pex3 lock takes artifact hashes from the PEP 691 JSON API only; over HTML it downloads each wheel to hash it"
    ),
}

# The fixture projects; other projects in the index (pip, setuptools, wheel,
# packaging) are there only for pex to bootstrap its pip, with its own pip.
FIXTURE_PAGES = re.compile(r"/simple/(app|dep-name-pkg|yanky|pyreq|tampered)/")
FIXTURE_FILES = re.compile(r"/(app|dep_name_pkg|yanky|pyreq|tampered)-[^/]*$")

SLOWEST_FIRST = ("pex-pip", "pex", "poetry", "pdm", "pip", "uv")
# Clients that install from requirement lines with --hash values.
HASH_PINNING = ("pip", "uv", "pex", "pex-pip")

_LOG = re.compile(r'^(\S+) (\S+) (\d{3}) "([^"]*)"')


@dataclass
class Hit:
    method: str
    path: str
    status: int
    content_type: str


@dataclass
class Outcome:
    run: Run
    hits: list[Hit]


class Scenarios:
    """Runs each client's commands once, clients side by side, and remembers what happened.

    Every (client, format) has its own nginx, so the commands of one pair run
    in order (its access log is sliced per command) while pairs run in
    parallel threads: the clients mostly wait on subprocesses.
    """

    def __init__(self, servers: dict[tuple[str, str], Nginx], index: Index, workdir: Path, jobs: int) -> None:
        self.servers = servers
        self.index = index
        self.workdir = workdir
        self.done: dict[tuple[str, str, str], Outcome] = {}
        self.pool = ThreadPoolExecutor(max_workers=jobs)
        # Slowest clients first, so the last one to finish is a quick one.
        order = sorted(servers, key=lambda pair: SLOWEST_FIRST.index(pair[0]))
        self.pending: dict[tuple[str, str], Future[None]] = {
            pair: self.pool.submit(self._run_pair, *pair) for pair in order
        }

    def get(self, client: str, fmt: str, name: str) -> Outcome:
        self.pending[(client, fmt)].result()  # re-raises what went wrong in that pair
        return self.done[(client, fmt, name)]

    def _run_pair(self, client: str, fmt: str) -> None:
        names = ["main", "pinned", "tampered", "resolve"]
        if client in HASH_PINNING:
            names.append("require-hashes")
        for name in names:
            self._run_one(client, fmt, name)
        if LOCK[client] is RESOLVE[client]:  # poetry and pdm: resolving is locking
            self.done[(client, fmt, "lock")] = self.done[(client, fmt, "resolve")]
        else:
            self._run_one(client, fmt, "lock")

    def _run_one(self, client: str, fmt: str, name: str) -> None:
        server = self.servers[(client, fmt)]
        before = len(server.log_lines())
        run = self._run(client, f"{server.url}/simple/", name, self.workdir / client / fmt / name)
        hits = [self._hit(line) for line in server.log_lines()[before:]]
        self.done[(client, fmt, name)] = Outcome(run, hits)

    def _run(self, client: str, url: str, name: str, work: Path) -> Run:
        if name == "main":
            return INSTALL[client](url, ["app", "yanky", "pyreq"], work)
        if name == "pinned":
            return INSTALL[client](url, ["yanky==2.0"], work)
        if name == "tampered":
            return INSTALL[client](url, ["tampered"], work)
        if name == "resolve":
            return RESOLVE[client](url, ["app"], work)
        if name == "lock":
            return LOCK[client](url, ["app"], work)
        if name == "require-hashes":
            return self._require_hashes(client, url, work)
        raise AssertionError(name)

    def _require_hashes(self, client: str, url: str, work: Path) -> Run:
        """pip/uv/pex with --require-hashes and the right hashes must install."""
        lines = []
        for wheel in ("app-1.0-py3-none-any.whl", "dep_name_pkg-1.0-py3-none-any.whl"):
            digest = hashlib.sha256(self.index.wheels[wheel].read_bytes()).hexdigest()
            name = wheel.split("-")[0].replace("_", "-")
            lines.append(f"{name}==1.0 --hash=sha256:{digest}\n")
        work.mkdir(parents=True, exist_ok=True)
        requirements = work / "requirements.txt"
        requirements.write_text("".join(lines))
        install: Callable[..., Run] = INSTALL[client]
        # pex has no --require-hashes flag; it checks the --hash values it is given.
        flags = [] if client.startswith("pex") else ["--require-hashes"]
        return install(url, [], work, *flags, "-r", str(requirements))

    @staticmethod
    def _hit(line: str) -> Hit:
        match = _LOG.match(line)
        assert match, line
        return Hit(match.group(1), match.group(2), int(match.group(3)), match.group(4))


@pytest.fixture(scope="session")
def scenarios(
    servers: dict[tuple[str, str], Nginx], matrix_index: Index, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scenarios]:
    jobs = int(os.environ.get("DUMB_PYPI_MATRIX_JOBS", "3"))
    scenarios = Scenarios(servers, matrix_index, tmp_path_factory.mktemp("clients"), jobs)
    yield scenarios
    scenarios.pool.shutdown(wait=True)


def _ok(outcome: Outcome) -> Run:
    assert outcome.run.returncode == 0, outcome.run.output[-3000:]
    return outcome.run


def _check_api_form(s: Scenarios, client: str, fmt: str) -> None:
    pages = [
        hit
        for name in ("main", "resolve")
        for hit in s.get(client, fmt, name).hits
        if FIXTURE_PAGES.fullmatch(hit.path)
    ]
    assert pages, "the client fetched no project page"
    for hit in pages:
        assert hit.status == 200, hit
        if fmt == "json":
            assert hit.content_type == JSON_TYPE, hit
        else:
            assert hit.content_type in HTML_TYPES, hit


def _check_non_normalized(s: Scenarios, client: str, fmt: str) -> None:
    installed = _ok(s.get(client, fmt, "main")).installed
    assert installed.get("app") == "1.0" and installed.get("dep-name-pkg") == "1.0", installed


def _check_yanked(s: Scenarios, client: str, fmt: str) -> None:
    assert _ok(s.get(client, fmt, "main")).installed.get("yanky") == "1.0"
    assert _ok(s.get(client, fmt, "pinned")).installed.get("yanky") == "2.0"


def _check_requires_python(s: Scenarios, client: str, fmt: str) -> None:
    assert _ok(s.get(client, fmt, "main")).installed.get("pyreq") == "1.0"


def _check_pep658(s: Scenarios, client: str, fmt: str) -> None:
    outcome = s.get(client, fmt, "resolve")
    _ok(outcome)
    fetched = [hit.path.rsplit("/", 1)[1] for hit in outcome.hits if FIXTURE_FILES.search(hit.path)]
    assert "app-1.0-py3-none-any.whl.metadata" in fetched, fetched
    assert "dep_name_pkg-1.0-py3-none-any.whl.metadata" in fetched, fetched
    assert [f for f in fetched if f.endswith(".whl")] == [], fetched


def _check_hashes(s: Scenarios, client: str, fmt: str) -> None:
    tampered = s.get(client, fmt, "tampered")
    assert tampered.run.returncode != 0, tampered.run.output[-2000:]
    assert re.search(r"hash", tampered.run.output, re.IGNORECASE), tampered.run.output[-2000:]
    # It failed on the bytes, not for want of a file.
    assert any(h.path.endswith("/tampered-1.0-py3-none-any.whl") and h.status == 200 for h in tampered.hits)
    if client in HASH_PINNING:
        installed = _ok(s.get(client, fmt, "require-hashes")).installed
        assert installed.get("app") == "1.0", installed


def _check_lock_hashes(s: Scenarios, client: str, fmt: str) -> None:
    run = _ok(s.get(client, fmt, "lock"))
    assert run.lock is not None and run.lock.is_file(), run.output[-2000:]
    served = {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in s.index.tree.glob("packages/**/*.whl")}
    recorded = set()
    for line in run.lock.read_text().splitlines():
        if "content" in line:  # poetry's and pdm's digest of pyproject.toml
            continue
        recorded.update(re.findall(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", line))
    assert recorded, run.lock.read_text()[:2000]
    assert recorded <= set(served), f"hashes not of any served file: {recorded - set(served)}"
    assert {served[h] for h in recorded} >= {"app-1.0-py3-none-any.whl", "dep_name_pkg-1.0-py3-none-any.whl"}


CHECKS = {
    "api-form": _check_api_form,
    "non-normalized-dep": _check_non_normalized,
    "yanked": _check_yanked,
    "requires-python": _check_requires_python,
    "pep658": _check_pep658,
    "hash-check": _check_hashes,
    "lock-hashes": _check_lock_hashes,
}


# pip and uv finish in seconds: they are the fast subset for every CI run.
FAST = ("pip", "uv")


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    "client", [pytest.param(c, marks=[pytest.mark.clients_fast] if c in FAST else []) for c in CLIENTS]
)
@pytest.mark.parametrize("fmt", ["json", "html"])
def test_cell(scenarios: Scenarios, fmt: str, client: str, case: str, request: pytest.FixtureRequest) -> None:
    reason = KNOWN_LIMITS.get((client, fmt, case))
    if reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    CHECKS[case](scenarios, client, fmt)
