"""Fixtures for the serve and deploy tests: one index, real nginx, real SeaweedFS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.indexes import Index, build_index
from support.servers import Nginx, S3Server, run_nginx, run_seaweedfs


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "serve: nginx config, deploys and S3 (needs .ci/install-serve.sh)")


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    return build_index(tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def nginx(index: Index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    with run_nginx(index.tree, tmp_path_factory.mktemp("nginx")) as server:
        yield server


@pytest.fixture(scope="session")
def nginx_html(index: Index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    with run_nginx(index.tree, tmp_path_factory.mktemp("nginx-html"), "--simple-api", "html") as server:
        yield server


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
