"""The client matrix: real pip, uv, pex, poetry and pdm against nginx-served indexes.

Prints the client x case table at the end of the run (and writes it to
$DUMB_PYPI_MATRIX_TABLE when set).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from clients.runners import CASES, CLIENTS
from support.distributions import make_wheel
from support.indexes import Index, build_index
from support.servers import Nginx, run_nginx
from support.tools import SERVE_HOME

# (format, client, case) -> "pass" | "FAIL" | "n/a: reason"
RESULTS: dict[tuple[str, str, str], str] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clients: the client x case matrix (needs .ci/install-serve.sh)")
    config.addinivalue_line("markers", "clients_fast: the matrix cells of the fast clients (pip, uv)")


@pytest.fixture(scope="session")
def matrix_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The fixture projects; `tampered`'s served wheel is swapped for other bytes
    after indexing, so its index hash no longer matches what is downloaded."""
    workdir = tmp_path_factory.mktemp("matrix")
    # pip and its build tools, for `pex --pip-version` (see runners.pex_pip_version).
    index = build_index(workdir, extra_wheels=sorted((SERVE_HOME / "pex-pip" / "wheels").glob("*.whl")))
    (workdir / "impostor").mkdir()
    impostor = make_wheel(str(workdir / "impostor"), "tampered", "1.0", modules={"tampered.py": "TAMPERED = True\n"})
    served = next(index.tree.glob("packages/*/*/*/tampered-1.0-py3-none-any.whl"))
    shutil.copyfile(impostor, served)
    return index


def selected_pairs(session: pytest.Session) -> list[tuple[str, str]]:
    """The (client, format) pairs whose cells this run will check."""
    pairs = []
    for item in session.items:
        spec = getattr(item, "callspec", None)
        if spec is not None and {"fmt", "client"} <= set(spec.params):
            pair = (spec.params["client"], spec.params["fmt"])
            if pair not in pairs:
                pairs.append(pair)
    return pairs


@pytest.fixture(scope="session")
def servers(
    matrix_index: Index, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[tuple[str, str], Nginx]]:
    """One nginx per (client, format), so each client's requests have a log of
    their own: 'json' negotiates (JSON to clients that ask), 'html' never sends JSON."""
    with contextlib.ExitStack() as stack:
        started = {}
        for client, fmt in selected_pairs(request.session):
            extra = ("--simple-api", "html") if fmt == "html" else ()
            prefix = tmp_path_factory.mktemp(f"nginx-{client}-{fmt}")
            started[(client, fmt)] = stack.enter_context(run_nginx(matrix_index.tree, prefix, *extra))
        yield started


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    spec = getattr(item, "callspec", None)
    if spec is None or not {"fmt", "client", "case"} <= set(spec.params):
        return
    key = (spec.params["fmt"], spec.params["client"], spec.params["case"])
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            RESULTS[key] = "n/a"
        elif report.passed:
            RESULTS[key] = "pass"
        elif report.skipped:
            RESULTS[key] = "skip"
        else:
            RESULTS[key] = "FAIL"


def matrix_table(cases: list[str], clients: list[str]) -> str:
    lines = ["| client | " + " | ".join(cases) + " |", "|---|" + "---|" * len(cases)]
    for client in clients:
        if not any(key[1] == client for key in RESULTS):
            continue  # not selected in this run
        cells = []
        for case in cases:
            json_result = RESULTS.get(("json", client, case), "-")
            html_result = RESULTS.get(("html", client, case), "-")
            cells.append(f"{json_result} / {html_result}")
        lines.append(f"| {client} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    table = matrix_table(list(CASES), list(CLIENTS))
    terminalreporter.write_sep("=", "client x case (JSON-negotiating nginx / HTML-only nginx)")
    terminalreporter.write(table)
    target = os.environ.get("DUMB_PYPI_MATRIX_TABLE")
    if target:
        Path(target).write_text(table)
