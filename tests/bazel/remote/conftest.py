"""Fixtures of the remote-execution tests: one BuildGrid cluster per session.

Instances: `main`, served by a worker whose /usr/bin/python3 is this
machine's, and `py313`, served by a worker that imitates an image whose
/usr/bin/python3 is CPython 3.13 (tests/bazel/remote/worker.py --python-at).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bazel.remote.cluster import Cluster, installed
from support.bazel import Session


@pytest.fixture(scope="session")
def remote_cluster(bazel_session: Session) -> Iterator[Cluster]:
    python313 = installed()["DUMB_PYPI_PYTHON313"]
    with Cluster.start(bazel_session.root / "remote-cluster", instances=("main", "py313")) as cluster:
        cluster.add_worker("main", slots=2)
        cluster.add_worker("py313", slots=1, python_at=f"/usr/bin/python3={python313}")
        yield cluster
