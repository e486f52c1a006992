"""Fixtures for the Bazel end-to-end tests: real bazel, real checkouts.

Every test runs the real `bazel` on copies of this repository in a temporary
directory, never on the working tree. Downloads are shared through one
repository cache (kept between sessions: it only holds sha256-pinned files);
output bases and disk caches are per session, so every session starts cold
and proves what it claims."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator

import pytest
from support.bazel import EXAMPLE_TARGETS, REPOSITORY_CACHE, Bazel, Checkout, Session, copy_checkout


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bazel: runs the real bazel on example workspaces (slow, needs .ci/install-bazel.sh)"
    )


@pytest.fixture(scope="session")
def bazel_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    if shutil.which("bazel") is None:
        raise AssertionError("bazel is not installed: run .ci/install-bazel.sh")
    REPOSITORY_CACHE.mkdir(parents=True, exist_ok=True)
    root = tmp_path_factory.mktemp("bazel")
    session = Session(root=root, disk_cache=root / "disk_cache", snapshot=copy_checkout(root / "snapshot"))
    yield session
    # One JVM per output base: stop them all at once.
    servers = [Bazel(root, output_base) for output_base in sorted((root / "output_bases").glob("*"))]
    threads = [threading.Thread(target=server.shutdown) for server in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.fixture(scope="session")
def checkout_a(bazel_session: Session) -> Checkout:
    """First checkout: builds both workspaces, filling the session's disk cache."""
    root = bazel_session.checkout("a/main")
    flags = [f"--disk_cache={bazel_session.disk_cache}"]
    example = bazel_session.bazel(root / "tests/e2e/example", "a-example", flags)
    main = bazel_session.bazel(root, "a-main", flags)
    example.build(*EXAMPLE_TARGETS)
    main.build("//:pypi_index")
    return Checkout(root, example, main)


@pytest.fixture(scope="session")
def checkout_b(bazel_session: Session) -> Checkout:
    """Second checkout at another path and depth, no cache: builds everything itself."""
    root = bazel_session.checkout("b/other/clone")
    example = bazel_session.bazel(root / "tests/e2e/example", "b-example")
    main = bazel_session.bazel(root, "b-main")
    example.build(*EXAMPLE_TARGETS)
    main.build("//:pypi_index")
    return Checkout(root, example, main)
