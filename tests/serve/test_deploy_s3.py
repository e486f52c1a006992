"""`dumb-pypi deploy SRC s3://...` against SeaweedFS's S3 API on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import REPO, cli_env, run_cli
from support.indexes import MATRIX_DISTS, Dist, Index, build_index
from support.servers import S3Server
from support.tools import missing
from support.trees import manifest

pytestmark = pytest.mark.serve

sys.path.insert(0, str(REPO))  # the in-process tests call the deploy code directly

from dumb_pypi.deploy.s3 import PENDING, deploy_s3, make_client, parse_s3_url
from dumb_pypi.deploy.source import open_source
from dumb_pypi.serve.policy import cache_control, content_type

JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The matrix index with one wheel rebuilt (yanky 1.0, new bytes), one project
    removed (tampered) and one added (newcomer)."""
    dists = [
        Dist(d.name, d.version, d.requires_dist, d.requires_python, d.yanked, code='VERSION = "1.0 rebuilt"\n')
        if (d.name, d.version) == ("yanky", "1.0")
        else d
        for d in MATRIX_DISTS
        if d.name != "tampered"
    ]
    return build_index(tmp_path_factory.mktemp("changed"), (*dists, Dist("newcomer", "0.1")))


@pytest.fixture(scope="module")
def one_wheel(tmp_path_factory: pytest.TempPathFactory) -> Index:
    """The matrix index with only yanky 1.0 rebuilt (new bytes, same name)."""
    dists = [
        Dist(d.name, d.version, d.requires_dist, d.requires_python, d.yanked, code='VERSION = "1.0 rebuilt"\n')
        if (d.name, d.version) == ("yanky", "1.0")
        else d
        for d in MATRIX_DISTS
    ]
    return build_index(tmp_path_factory.mktemp("one-wheel"), dists)


@pytest.fixture(scope="module")
def client(s3: S3Server) -> Any:
    try:
        import boto3  # noqa: F401
    except ImportError:
        missing("boto3 (for the test's Python)")
    os.environ.update(s3.env)
    return make_client(s3.endpoint)


@pytest.fixture(scope="module")
def bucket(client: Any) -> str:
    # One bucket (SeaweedFS gives each its own volumes); each test its own prefix.
    name = f"dumb-pypi-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def base() -> str:
    return uuid.uuid4().hex[:8]


def _objects(client: Any, bucket: str, prefix: str) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            found[key[len(prefix):]] = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return found


def _cli_deploy(s3: S3Server, src: Path, dest: str, *extra: str) -> str:
    result = run_cli("deploy", str(src), dest, "--endpoint-url", s3.endpoint, *extra, env=cli_env(**s3.env))
    return result.stdout


def _uploaded(summary: str) -> tuple[int, int, int]:
    match = re.search(r"uploaded (\d+) of (\d+) objects .* removed (\d+) stale", summary)
    assert match, summary
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def test_first_deploy_then_one_changed_wheel(
    s3: S3Server, client: Any, bucket: str, base: str, index: Index, one_wheel: Index, changed: Index
) -> None:
    dest = f"s3://{bucket}/{base}/pypi"
    first = _cli_deploy(s3, index.tarball, dest)
    files = manifest(index.tree)
    assert _uploaded(first) == (len(files), len(files), 0)
    stored = _objects(client, bucket, f"{base}/pypi/")
    assert set(stored) == set(files) | {"manifest.json"}
    for path in files:
        assert stored[path] == (index.tree / path).read_bytes()
        head = client.head_object(Bucket=bucket, Key=f"{base}/pypi/{path}")
        assert head["ContentType"] == content_type(path), path
        assert head["CacheControl"] == cache_control(path), path
    assert client.head_object(Bucket=bucket, Key=f"{base}/pypi/simple/app/index.json")["ContentType"] == JSON_ACCEPT
    assert client.head_object(Bucket=bucket, Key=f"{base}/pypi/simple/app/index.html")["ContentType"] == "text/html"

    again = _cli_deploy(s3, index.tarball, dest)
    assert "uploaded 0 objects" in again

    rebuilt = _cli_deploy(s3, one_wheel.tarball, dest)
    after_one = manifest(one_wheel.tree)
    differing = {p for p, e in after_one.items() if files.get(p) != e}
    assert _uploaded(rebuilt) == (len(differing), len(after_one), len(set(files) - set(after_one)))
    assert {p for p in differing if p.startswith("packages/")} == {
        p for p in after_one if p.startswith("packages/") and "/yanky-1.0-" in p
    }
    print(f"\nS3 figures: first deploy uploaded {len(files)} of {len(files)} objects; after rebuilding one wheel:"
          f" {rebuilt.strip()}")
    files = after_one

    second = _cli_deploy(s3, changed.tree, dest)
    new_files = manifest(changed.tree)
    differing = {p for p, e in new_files.items() if files.get(p) != e}
    gone = set(files) - set(new_files)
    uploaded, total, removed = _uploaded(second)
    assert (uploaded, total, removed) == (len(differing), len(new_files), len(gone))
    print(f"S3 figures: then one wheel rebuilt + one project added + one removed: {second.strip()}")
    stored = _objects(client, bucket, f"{base}/pypi/")
    assert set(stored) == set(new_files) | {"manifest.json"}
    assert all(stored[p] == (changed.tree / p).read_bytes() for p in new_files)


def test_dry_run_changes_nothing(s3: S3Server, client: Any, bucket: str, base: str, index: Index) -> None:
    out = _cli_deploy(s3, index.tree, f"s3://{bucket}/{base}", "--dry-run")
    assert f"would upload {len(manifest(index.tree))}" in out
    assert _objects(client, bucket, f"{base}/") == {}


def test_missing_bucket_and_missing_boto3_are_named(s3: S3Server, index: Index, tmp_path: Path) -> None:
    result = run_cli("deploy", str(index.tree), "s3://no-such-bucket-here/x", "--endpoint-url", s3.endpoint,
                       env=cli_env(**s3.env), check=False)
    assert result.returncode == 1
    assert "s3://no-such-bucket-here/x/: listing objects failed (NoSuchBucket" in result.stderr
    result = run_cli("deploy", str(index.tree), "s3://bucket/x", "--endpoint-url", "not a url", env=cli_env(**s3.env),
                       check=False)
    assert result.returncode == 1 and "--endpoint-url 'not a url'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    # A Python without boto3: the error says how to get it, before any work.
    blocker = tmp_path / "boto3.py"
    blocker.write_text("raise ImportError('boto3 is blocked for this test')\n")
    env = dict(s3.env, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    import subprocess

    result2 = subprocess.run(
        [sys.executable, "-c", ("import sys; sys.path.insert(0, sys.argv[1]); from dumb_pypi.deploy import main;"
         " sys.exit(main(sys.argv[2:]))"), str(tmp_path), str(index.tree), "s3://bucket/x"],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )
    assert result2.returncode == 1
    assert "S3 deploys need boto3: pip install 'dumb-pypi[s3]'" in result2.stderr
    assert "Traceback" not in result2.stderr


# --- ordering and interruption -----------------------------------------------


class Interrupted(Exception):
    """Stands for a killed deploy process."""


class Watched:
    """A boto3 client that runs `before` ahead of every call that changes the bucket."""

    def __init__(self, client: Any, before: Callable[[str, dict[str, Any]], None]) -> None:
        self._client = client
        self._before = before

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in ("put_object", "delete_objects"):
            return attr

        def call(**kwargs: Any) -> Any:
            self._before(name, kwargs)
            return attr(**kwargs)

        return call


def _served_is_whole(client: Any, bucket: str, prefix: str) -> list[str]:
    """Follow what a client follows, from the root pages down; list every break."""
    problems: list[str] = []

    def fetch(path: str) -> bytes | None:
        try:
            return bytes(client.get_object(Bucket=bucket, Key=prefix + path)["Body"].read())
        except client.exceptions.NoSuchKey:
            problems.append(f"missing {path}")
            return None

    root = fetch("simple/index.json")
    if root is None or fetch("simple/index.html") is None:
        return problems
    for project in json.loads(root)["projects"]:
        name = re.sub(r"[-_.]+", "-", project["name"]).lower()
        page = fetch(f"simple/{name}/index.json")
        if page is None or fetch(f"simple/{name}/index.html") is None:
            continue
        for file in json.loads(page)["files"]:
            path = posixpath.normpath(posixpath.join(f"simple/{name}", file["url"]))
            body = fetch(path)
            if body is not None and hashlib.sha256(body).hexdigest() != file["hashes"]["sha256"]:
                problems.append(f"{path}: bytes do not match the page's sha256")
            if file.get("core-metadata"):
                fetch(path + ".metadata")
    return problems


def _deploy(client: Any, tree: Path, dest: str) -> str:
    with open_source(str(tree)) as verified:
        return str(deploy_s3(verified, parse_s3_url(dest), client, 1, False, lambda line: None))


@pytest.fixture
def ordered_calls(client: Any, bucket: str, base: str, index: Index, changed: Index) -> Iterator[list[str]]:
    prefix = f"{base}/p/"
    _deploy(client, index.tree, f"s3://{bucket}/{prefix}")
    calls: list[str] = []

    def check(name: str, kwargs: dict[str, Any]) -> None:
        problems = _served_is_whole(client, bucket, prefix)
        assert problems == [], (name, calls[-1:] if calls else None, problems)
        keys = [kwargs["Key"]] if name == "put_object" else [o["Key"] for o in kwargs["Delete"]["Objects"]]
        calls.append(f"{name} {','.join(k[len(prefix):] for k in keys)}")  # one entry per request

    _deploy(Watched(client, check), changed.tree, f"s3://{bucket}/{prefix}")
    assert _served_is_whole(client, bucket, prefix) == []
    yield calls


def test_every_moment_of_a_deploy_serves_a_whole_index(ordered_calls: list[str]) -> None:
    """The check runs before each upload and removal (above); here: the order itself."""
    kinds = []
    for call in ordered_calls:
        op, path = call.split(" ", 1)
        if path == PENDING:
            kinds.append("pending" if op == "put_object" else "unpending")
        elif op == "delete_objects":
            kinds.append("remove")
        elif path == "manifest.json":
            kinds.append("manifest")
        elif path.startswith("packages/"):
            kinds.append("file")
        elif "/" not in path or path.startswith("simple/index."):
            kinds.append("root")
        else:
            kinds.append("page")
    order = ["pending", "file", "page", "root", "remove", "manifest", "unpending"]
    ranks = [order.index(kind) for kind in kinds]
    assert ranks == sorted(ranks), kinds
    assert set(kinds) == set(order), kinds  # this change exercises every phase
    assert kinds.count("manifest") == 1


def test_interrupted_anywhere_then_rerun_converges(
    client: Any, bucket: str, base: str, index: Index, changed: Index, ordered_calls: list[str]
) -> None:
    dest = f"s3://{bucket}/{base}/q"
    for stop_at in range(len(ordered_calls)):
        _deploy(client, index.tree, dest)
        count = 0

        def interrupt(name: str, kwargs: dict[str, Any], stop_at: int = stop_at) -> None:
            nonlocal count
            if count == stop_at:
                raise Interrupted
            count += 1

        with pytest.raises(Interrupted):
            _deploy(Watched(client, interrupt), changed.tree, dest)
        assert _served_is_whole(client, bucket, f"{base}/q/") == [], stop_at
        _deploy(client, changed.tree, dest)
        stored = _objects(client, bucket, f"{base}/q/")
        expected = manifest(changed.tree)
        assert set(stored) == set(expected) | {"manifest.json"}, stop_at
        assert all(stored[p] == (changed.tree / p).read_bytes() for p in expected), stop_at


def test_interrupted_deploy_of_another_tree_leaves_no_garbage(
    client: Any, bucket: str, base: str, index: Index, changed: Index
) -> None:
    """Files of a deploy that never finished are removed by the next one."""
    dest = f"s3://{bucket}/{base}/r"
    _deploy(client, index.tree, dest)
    puts = 0

    def interrupt_late(name: str, kwargs: dict[str, Any]) -> None:
        nonlocal puts
        puts += 1
        if puts > 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        _deploy(Watched(client, interrupt_late), changed.tree, dest)
    _deploy(client, index.tree, dest)  # back to the first tree, not the interrupted one
    stored = _objects(client, bucket, f"{base}/r/")
    assert set(stored) == set(manifest(index.tree)) | {"manifest.json"}
