"""`dumb-pypi deploy SRC s3://...` against SeaweedFS's S3 API on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import subprocess
import sys
import time
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

from dumb_pypi.deploy.s3 import PENDING, deploy_s3
from dumb_pypi.deploy.s3_lock import LOCK, DeployLock
from dumb_pypi.deploy.s3_store import Bucket, ConditionalWritesUnsupported, connect, parse_s3_url
from dumb_pypi.deploy.source import DeployError, open_source
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
    """boto3, another S3 client than the deploy's, to read what the deploy did."""
    try:
        import boto3
    except ImportError:
        missing("boto3 (for the test's Python)")
    os.environ.update(s3.env)
    return boto3.client("s3", endpoint_url=s3.endpoint)


@pytest.fixture(scope="module")
def endpoint(s3: S3Server) -> str:
    os.environ.update(s3.env)  # the deploy's credentials, as a user's shell would have them
    return s3.endpoint


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


def test_missing_bucket_and_missing_client_are_named(s3: S3Server, index: Index, tmp_path: Path) -> None:
    result = run_cli("deploy", str(index.tree), "s3://no-such-bucket-here/x", "--endpoint-url", s3.endpoint,
                       env=cli_env(**s3.env), check=False)
    assert result.returncode == 1
    assert "s3://no-such-bucket-here/x/: reading manifest.json failed (NoSuchBucket" in result.stderr, result.stderr
    result = run_cli("deploy", str(index.tree), "s3://bucket/x", "--endpoint-url", "not a url", env=cli_env(**s3.env),
                       check=False)
    assert result.returncode == 1 and "--endpoint-url 'not a url'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    # A Python without the S3 client: the error says how to get it, before any work.
    blocker = tmp_path / "obstore.py"
    blocker.write_text("raise ImportError('obstore is blocked for this test')\n")
    env = dict(s3.env, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO}")
    import subprocess

    result2 = subprocess.run(
        [sys.executable, "-c", ("import sys; sys.path.insert(0, sys.argv[1]); from dumb_pypi.deploy import main;"
         " sys.exit(main(sys.argv[2:]))"), str(tmp_path), str(index.tree), "s3://bucket/x"],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )
    assert result2.returncode == 1
    assert "S3 deploys need obstore: pip install 'dumb-pypi[s3]'" in result2.stderr
    assert "Traceback" not in result2.stderr


def test_a_profile_from_the_aws_config_files_is_used(
    s3: S3Server, client: Any, bucket: str, base: str, index: Index, tmp_path: Path
) -> None:
    """No keys in the environment: botocore reads AWS_PROFILE's keys, as boto3 and the AWS CLI do."""
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[deployer]\naws_access_key_id = {s3.env['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {s3.env['AWS_SECRET_ACCESS_KEY']}\n"
    )
    env = {k: v for k, v in s3.env.items() if not k.startswith("AWS_ACCESS_KEY") and not k.startswith("AWS_SECRET")}
    env.update(AWS_SHARED_CREDENTIALS_FILE=str(credentials), AWS_PROFILE="deployer")
    base_env = cli_env(**env)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        base_env.pop(key, None)
    # The endpoint from AWS_ENDPOINT_URL, as boto3 takes it, instead of --endpoint-url.
    out = run_cli("deploy", str(index.tree), f"s3://{bucket}/{base}", env=dict(base_env, AWS_ENDPOINT_URL=s3.endpoint))
    assert _uploaded(out.stdout)[0] == len(manifest(index.tree))
    base_env["AWS_PROFILE"] = "nobody"
    result = run_cli("deploy", str(index.tree), f"s3://{bucket}/{base}", "--endpoint-url", s3.endpoint,
                     env=base_env, check=False)
    assert result.returncode == 1 and "AWS credentials: The config profile (nobody) could not be found" \
        in result.stderr, result.stderr


def test_a_no_op_deploy_reads_two_objects_and_writes_none(
    endpoint: str, bucket: str, base: str, index: Index
) -> None:
    dest = f"s3://{bucket}/{base}"
    _deploy(endpoint, index.tree, dest)
    calls: list[str] = []
    assert "uploaded 0 objects" in _deploy(endpoint, index.tarball, dest, lambda op, paths: calls.append(op))
    assert calls == ["read manifest.json", "read .deploy-pending.json"]


def test_verify_repairs_what_changed_behind_the_deploys_back(
    client: Any, endpoint: str, bucket: str, base: str, index: Index
) -> None:
    dest = f"s3://{bucket}/{base}"
    _deploy(endpoint, index.tree, dest)
    files = manifest(index.tree)
    gone, altered = "simple/app/index.html", "simple/app/index.json"
    client.delete_object(Bucket=bucket, Key=f"{base}/{gone}")
    original = (index.tree / altered).read_bytes()
    client.put_object(Bucket=bucket, Key=f"{base}/{altered}", Body=bytes(len(original)))  # same size, other bytes
    # Trusting the manifest, a deploy finds nothing to do; --verify looks at every object.
    assert "uploaded 0 objects" in _deploy(endpoint, index.tree, dest)
    assert "uploaded 2 of" in _deploy(endpoint, index.tree, dest, verify=True)
    stored = _objects(client, bucket, f"{base}/")
    assert set(stored) == set(files) | {"manifest.json"}
    assert stored[altered] == original and stored[gone] == (index.tree / gone).read_bytes()
    assert "uploaded 0 of" in _deploy(endpoint, index.tree, dest, verify=True)


def test_a_file_that_does_not_match_the_manifest_stops_the_deploy(
    client: Any, endpoint: str, bucket: str, base: str, index: Index, changed: Index, tmp_path: Path
) -> None:
    """Each file is checked as it is read; pages that link to a bad file never go up."""
    import shutil

    dest = f"s3://{bucket}/{base}"
    _deploy(endpoint, index.tree, dest)
    before = _objects(client, bucket, f"{base}/")
    tree = tmp_path / "tree"
    shutil.copytree(changed.tree, tree)
    wheel = next(p for p in manifest(tree) if p.startswith("packages/") and "newcomer" in p)
    (tree / wheel).write_bytes(b"not the wheel the pages describe")
    with pytest.raises(DeployError, match=f"{re.escape(wheel)} has 32 bytes, the manifest says"):
        _deploy(endpoint, tree, dest)
    after = _objects(client, bucket, f"{base}/")
    assert {p: after[p] for p in before} == before  # every page and file served before is as it was
    assert _served_is_whole(client, bucket, f"{base}/") == []


# --- ordering and interruption -----------------------------------------------


class Interrupted(Exception):
    """Stands for a killed deploy process."""


class Watched:
    """The deploy's Bucket, with `before(op, paths)` ahead of every call."""

    def __init__(self, bucket: Bucket, before: Callable[[str, list[str]], None]) -> None:
        self._bucket = bucket
        self._before = before
        self.url = bucket.url

    def read(self, relpath: str) -> bytes | None:
        self._before(f"read {relpath}", [relpath])
        return self._bucket.read(relpath)

    def listing(self) -> Any:
        self._before("list", [])
        return self._bucket.listing()

    def put(self, relpath: str, *args: Any) -> None:
        self._before("put", [relpath])
        self._bucket.put(relpath, *args)

    def delete(self, relpaths: list[str]) -> None:
        if list(relpaths) != [LOCK]:  # the lock is not the index's (a lock left behind: see the lease's test)
            self._before("delete", list(relpaths))
        self._bucket.delete(relpaths)

    # The deploy lock's requests, passed on unwatched.
    def create(self, relpath: str, body: bytes) -> str | None:
        return self._bucket.create(relpath, body)

    def replace(self, relpath: str, body: bytes, etag: str) -> str | None:
        return self._bucket.replace(relpath, body, etag)

    def etag(self, relpath: str) -> str | None:
        return self._bucket.etag(relpath)


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


def _deploy(endpoint: str, tree: Path, dest: str, before: Callable[[str, list[str]], None] | None = None,
            verify: bool = False) -> str:
    """Deploy in this process, one request at a time, `before` ahead of each."""
    url = parse_s3_url(dest)
    bucket: Any = connect(url, endpoint)
    if before is not None:
        bucket = Watched(bucket, before)
    with open_source(str(tree)) as source:
        return deploy_s3(source, bucket, 1, lambda line: None, verify=verify)


def _writes(check: Callable[[str, list[str]], None]) -> Callable[[str, list[str]], None]:
    """`check`, for the calls that change the bucket only."""
    return lambda op, paths: check(op, paths) if op in ("put", "delete") else None


@pytest.fixture
def ordered_calls(
    client: Any, endpoint: str, bucket: str, base: str, index: Index, changed: Index
) -> Iterator[list[str]]:
    prefix = f"{base}/p/"
    _deploy(endpoint, index.tree, f"s3://{bucket}/{prefix}")
    calls: list[str] = []

    def check(op: str, paths: list[str]) -> None:
        problems = _served_is_whole(client, bucket, prefix)
        assert problems == [], (op, calls[-1:] if calls else None, problems)
        calls.append(f"{op} {','.join(paths)}")  # one entry per call

    _deploy(endpoint, changed.tree, f"s3://{bucket}/{prefix}", _writes(check))
    assert _served_is_whole(client, bucket, prefix) == []
    yield calls


def test_every_moment_of_a_deploy_serves_a_whole_index(ordered_calls: list[str]) -> None:
    """The check runs before each upload and removal (above); here: the order itself."""
    kinds = []
    for call in ordered_calls:
        op, path = call.split(" ", 1)
        if path == PENDING:
            kinds.append("pending" if op == "put" else "unpending")
        elif op == "delete":
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


def test_interrupted_anywhere_then_any_deploy_converges(
    client: Any, endpoint: str, bucket: str, base: str, index: Index, changed: Index, ordered_calls: list[str]
) -> None:
    """Stopped before any write: the index served stays whole, and the next
    deploy (of the same tree, or back to the first) leaves exactly its tree,
    with neither garbage nor bytes the interrupted deploy wrote over."""
    dest = f"s3://{bucket}/{base}/q"
    for stop_at in range(len(ordered_calls)):
        _deploy(endpoint, index.tree, dest)
        count = 0

        def interrupt(op: str, paths: list[str], stop_at: int = stop_at) -> None:
            nonlocal count
            if count == stop_at:
                raise Interrupted
            count += 1

        with pytest.raises(Interrupted):
            _deploy(endpoint, changed.tree, dest, _writes(interrupt))
        assert _served_is_whole(client, bucket, f"{base}/q/") == [], stop_at
        target = changed if stop_at % 2 == 0 else index
        _deploy(endpoint, target.tree, dest)
        stored = _objects(client, bucket, f"{base}/q/")
        expected = manifest(target.tree)
        assert set(stored) == set(expected) | {"manifest.json"}, stop_at
        assert all(stored[p] == (target.tree / p).read_bytes() for p in expected), stop_at


def test_progress_on_a_terminal_only(s3: S3Server, bucket: str, base: str, index: Index) -> None:
    """On a terminal: `uploading done/total (rate/s)`, rewritten in place; in a log: nothing."""
    total = len(manifest(index.tree))
    leader, follower = os.openpty()
    command = [sys.executable, "-m", "dumb_pypi", "deploy", str(index.tree), f"s3://{bucket}/{base}/tty",
               "--endpoint-url", s3.endpoint]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, env=cli_env(**s3.env), cwd=REPO) as proc:
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(timeout=120) == 0
    os.close(leader)
    text = seen.decode()
    assert re.search(rf"\rdumb-pypi: uploading {total}/{total} \([\d,]+/s\)\x1b\[K\r?\n", text), text
    logged = _cli_deploy(s3, index.tree, f"s3://{bucket}/{base}/log")
    assert "uploaded" in logged
    result = run_cli("deploy", str(index.tree), f"s3://{bucket}/{base}/log2", "--endpoint-url", s3.endpoint,
                     env=cli_env(**s3.env))
    assert "\r" not in result.stderr and "dumb-pypi: uploading" not in result.stderr


# --- one deploy at a time -----------------------------------------------------


def _exactly(client: Any, bucket: str, prefix: str, tree: Path) -> bool:
    """The prefix holds `tree` and nothing else (no lock, no pending note)."""
    stored, expected = _objects(client, bucket, prefix), manifest(tree)
    return set(stored) == set(expected) | {"manifest.json"} and all(
        stored[path] == (tree / path).read_bytes() for path in [*expected, "manifest.json"])


def _start_deploy(s3: S3Server, tree: Path, dest: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dumb_pypi", "deploy", str(tree), dest, "--endpoint-url",
                             s3.endpoint, *extra], env=cli_env(**s3.env), cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_deploy_waits_for_the_one_writing_the_prefix(
    s3: S3Server, client: Any, endpoint: str, bucket: str, base: str, index: Index, changed: Index
) -> None:
    dest = f"s3://{bucket}/{base}"
    _cli_deploy(s3, index.tree, dest)
    with DeployLock(connect(parse_s3_url(dest), endpoint), lambda line: None, wait=False):  # another deploy
        refused = _start_deploy(s3, changed.tree, dest, "--no-wait")
        _, err = refused.communicate(timeout=120)
        assert refused.returncode == 1 and "another run is writing" in err and "Traceback" not in err, err
        waiting = _start_deploy(s3, changed.tree, dest)
        assert waiting.stderr is not None
        assert "waiting for it to finish" in waiting.stderr.readline()
        time.sleep(1.0)
        assert waiting.poll() is None, "it went on while the lock was held"
        assert LOCK in _objects(client, bucket, f"{base}/")
    _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert _exactly(client, bucket, f"{base}/", changed.tree)


def test_two_deploys_started_together_leave_one_whole_tree(
    s3: S3Server, client: Any, bucket: str, base: str, index: Index, one_wheel: Index, changed: Index
) -> None:
    # Without the lock, each uploads what differs from the manifest both started
    # from, and the prefix ends as a mix under the last one's manifest.
    dest = f"s3://{bucket}/{base}"
    _cli_deploy(s3, index.tree, dest)
    runs = [_start_deploy(s3, tree.tree, dest) for tree in (changed, one_wheel)]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert any(_exactly(client, bucket, f"{base}/", tree.tree) for tree in (changed, one_wheel))
    assert _served_is_whole(client, bucket, f"{base}/") == []


def test_a_lock_left_by_a_killed_deploy_is_taken_over(
    client: Any, endpoint: str, bucket: str, base: str, index: Index
) -> None:
    dest = f"s3://{bucket}/{base}"
    client.put_object(Bucket=bucket, Key=f"{base}/{LOCK}", Body=b'{"owner": "a-killed-deploy:1", "beat": 1}')
    lines: list[str] = []
    started = time.monotonic()
    with open_source(str(index.tree)) as source:
        summary = deploy_s3(source, connect(parse_s3_url(dest), endpoint), 8, lines.append, lease=1.0)
    assert time.monotonic() - started >= 1.0
    assert "now serves" in summary
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"dumb-pypi deploy: another run is writing s3://{bucket}/{base}/; waiting"), lines
    assert lines[1].startswith(f"dumb-pypi deploy: took over s3://{bucket}/{base}/{LOCK}, unchanged for 1 s"), lines
    assert _exactly(client, bucket, f"{base}/", index.tree)


class _Stalled(Watched):
    """A Bucket whose lock heartbeats hang until `resume` is set (a deploy stopped, say, in a debugger)."""

    def __init__(self, bucket: Bucket) -> None:
        import threading

        super().__init__(bucket, lambda op, paths: None)
        self.resume = threading.Event()

    def replace(self, relpath: str, body: bytes, etag: str) -> str | None:
        self.resume.wait()
        return super().replace(relpath, body, etag)


def test_a_deploy_whose_lock_was_taken_over_stops(client: Any, endpoint: str, bucket: str, base: str) -> None:
    url = parse_s3_url(f"s3://{bucket}/{base}")
    stalled = _Stalled(connect(url, endpoint))
    first = DeployLock(stalled, lambda line: None, wait=False, lease=1.0)  # type: ignore[arg-type]
    # The second waits a lease for a heartbeat that hangs, then takes the lock over.
    with first, DeployLock(connect(url, endpoint), lambda line: None, wait=True, lease=1.0) as second:
        stalled.resume.set()  # the first one's next heartbeat finds the lock is not its own
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                first.check()
            except DeployError as error:
                assert "another deploy took over .deploy-lock.json" in str(error)
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first deploy never noticed")
        second.check()  # the second one holds it
        assert LOCK in _objects(client, bucket, f"{base}/")
    assert LOCK not in _objects(client, bucket, f"{base}/")  # the holder removed it; the first one left it alone


def test_a_store_without_conditional_writes_deploys_with_a_warning(
    client: Any, endpoint: str, bucket: str, base: str, index: Index
) -> None:
    class NoConditionalWrites(Watched):
        def create(self, relpath: str, body: bytes) -> str | None:
            raise ConditionalWritesUnsupported(f"{self.url}: the store does not do conditional writes"
                                               " (NotImplemented: A header you provided implies functionality"
                                               " that is not implemented)")

    dest = f"s3://{bucket}/{base}"
    lines: list[str] = []
    store: Any = NoConditionalWrites(connect(parse_s3_url(dest), endpoint), lambda *_: None)
    with open_source(str(index.tree)) as source:
        summary = deploy_s3(source, store, 8, lines.append)
    assert "now serves" in summary
    assert len(lines) == 1 and lines[0].startswith(f"dumb-pypi deploy: warning: s3://{bucket}/{base}/: the store"
                                                   " does not do conditional writes (NotImplemented"), lines
    assert _exactly(client, bucket, f"{base}/", index.tree)


def test_a_501_to_a_conditional_put_is_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a store without conditional writes answers (a loopback stand-in:
    501 NotImplemented to a PUT with If-None-Match) is ConditionalWritesUnsupported."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class NoConditionalPuts(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_PUT(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            body = b""
            if "If-None-Match" in self.headers:
                body = (b"<Error><Code>NotImplemented</Code><Message>A header you provided implies"
                        b" functionality that is not implemented</Message></Error>")
            self.send_response(501 if body else 200)
            self.send_header("ETag", '"0"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "dumb-pypi-test")
    server = ThreadingHTTPServer(("127.0.0.1", 0), NoConditionalPuts)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        store = connect(parse_s3_url("s3://bucket/prefix"), f"http://127.0.0.1:{server.server_port}")
        with pytest.raises(ConditionalWritesUnsupported, match=r"does not do conditional writes \(NotImplemented: "):
            store.create(LOCK, b"{}")
        store.put("simple/index.html", b"", "text/html", "no-cache", None)  # a plain PUT works
    finally:
        server.shutdown()
