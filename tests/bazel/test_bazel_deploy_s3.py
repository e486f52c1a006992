"""`bazel run //:pypi_index.deploy -- s3://...` with nothing installed by hand.

The example workspace (tests/e2e/example: a monorepo that takes the rules
as `@dumb_pypi`) is set up with a Python toolchain whose interpreter is a
venv with `obstore`, `boto3` and `botocore` modules in its site-packages that
raise ImportError, and `PYTHONPATH` points at more of them: the deploy must
take its S3 client from the pins of third_party/deps.bzl (DEPLOY_PINS)
alone, through Bazel's runfiles, and reach SeaweedFS on 127.0.0.1 with the
credentials of the environment or of an AWS profile. The bucket is read back
with boto3 from the test's own venv.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.bazel import Bazel, BuildResult, Session
from support.servers import S3Server, run_seaweedfs
from support.tools import missing

pytestmark = pytest.mark.bazel

TRAPPED = ("obstore", "boto3", "botocore")

# The pure-Python part of the pinned S3 client: on every platform.
PURE_CLIENT = {
    "dumb_pypi_deploy_botocore",
    "dumb_pypi_deploy_jmespath",
    "dumb_pypi_deploy_python_dateutil",
    "dumb_pypi_deploy_six",
    "dumb_pypi_deploy_urllib3",
}


def obstore_repository() -> str | None:
    """The obstore repository third_party/BUILD selects for this machine, if any."""
    system = {"linux": "linux", "darwin": "macos"}.get(sys.platform)
    cpu = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}.get(platform.machine().lower())
    return f"dumb_pypi_deploy_obstore_{system}_{cpu}" if system and cpu else None


def write_traps(directory: Path, where: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for module in TRAPPED:
        (directory / f"{module}.py").write_text(f"raise ImportError({module + ' from ' + where!r})\n")
    return directory


@dataclass
class DeployWorkspace:
    bazel: Bazel
    python: Path  # the toolchain's interpreter: a venv whose site-packages holds the traps
    traps: Path  # PYTHONPATH for every run: more traps
    manifest: dict[str, dict[str, Any]]  # the built index's manifest.json `files`
    fetched_for_index: set[str]  # dumb_pypi_deploy_* repositories after `bazel build //:pypi_index`
    fetched_for_deploy: set[str]  # ... and after `bazel build //:pypi_index.deploy`


def fetched_deploy_repositories(output_base: Path) -> set[str]:
    return {p.name for p in (output_base / "external").glob("dumb_pypi_deploy_*") if p.is_dir()}


@pytest.fixture(scope="module")
def workspace(bazel_session: Session, tmp_path_factory: pytest.TempPathFactory) -> DeployWorkspace:
    root = tmp_path_factory.mktemp("deploy")
    # The toolchain's Python: a venv (3.11, like this one) without pip, whose
    # site-packages would answer `import obstore` with an ImportError.
    venv = root / "toolchain-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python3"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    write_traps(Path(site), "the toolchain's site-packages")
    traps = write_traps(root / "pythonpath", "PYTHONPATH")
    # What that interpreter does without -I -S, with and without PYTHONPATH.
    plain_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    for module in TRAPPED:
        for env, where in ((plain_env, "the toolchain's site-packages"), ({**plain_env, "PYTHONPATH": str(traps)}, "PYTHONPATH")):
            plain = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, text=True,
                                   check=False, env=env)
            assert f"ImportError: {module} from {where}" in plain.stderr, plain.stderr

    checkout = bazel_session.checkout("deploy-s3")
    example = checkout / "tests/e2e/example"
    workspace_file = example / "WORKSPACE"
    text = workspace_file.read_text()
    assert text.count("dumb_pypi_dependencies()") == 1
    workspace_file.write_text(
        text.replace("dumb_pypi_dependencies()", f'dumb_pypi_dependencies(python_interpreter_path = "{python}")'))
    bz = bazel_session.bazel(example, "deploy-s3")
    bz.build("//:pypi_index")
    fetched_for_index = fetched_deploy_repositories(bz.output_base)
    bz.build("//:pypi_index.deploy")
    manifest = json.loads(bz.bin("pypi_index.manifest.json").read_text())["files"]
    return DeployWorkspace(bz, python, traps, manifest, fetched_for_index, fetched_deploy_repositories(bz.output_base))


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="module")
def client(s3: S3Server) -> Any:
    try:
        import boto3
    except ImportError:
        missing("boto3 (for the test's Python)")
    return boto3.client(
        "s3",
        endpoint_url=s3.endpoint,
        aws_access_key_id=s3.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3.env["AWS_SECRET_ACCESS_KEY"],
        region_name=s3.env["AWS_DEFAULT_REGION"],
    )


@pytest.fixture(scope="module")
def bucket(client: Any) -> str:
    name = f"dumb-pypi-bazel-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


@pytest.fixture(autouse=True)
def no_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test passes reaches `bazel run`: no AWS_* of this machine."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)


def stored(client: Any, bucket: str, prefix: str) -> dict[str, str]:
    """Every object under `prefix`: relative key -> sha256 of its bytes."""
    found: dict[str, str] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            found[obj["Key"][len(prefix):]] = hashlib.sha256(body).hexdigest()
    return found


def deploy(ws: DeployWorkspace, s3: S3Server, dest: str, env: dict[str, str], check: bool = True,
           flags: tuple[str, ...] = ()) -> BuildResult:
    """`bazel run //:pypi_index.deploy -- DEST --endpoint-url ...` with `env` and the PYTHONPATH of traps
    (stdout: the deploy's; stderr: Bazel's, then the deploy's)."""
    return ws.bazel.run("run", *flags, "//:pypi_index.deploy", "--", dest, "--endpoint-url", s3.endpoint,
                        check=check, env={**env, "PYTHONPATH": str(ws.traps)})


def assert_holds_the_index(ws: DeployWorkspace, client: Any, bucket: str, prefix: str) -> None:
    objects = stored(client, bucket, prefix)
    assert set(objects) == set(ws.manifest) | {"manifest.json"}
    assert {path: objects[path] for path in ws.manifest} == {path: e["sha256"] for path, e in ws.manifest.items()}


def test_deploy_repositories_are_fetched_for_deploy_targets_only(workspace: DeployWorkspace) -> None:
    assert workspace.fetched_for_index == set()
    expected = set(PURE_CLIENT)
    if obstore_repository():
        expected.add(str(obstore_repository()))
    # obstore's other platforms are never fetched.
    assert workspace.fetched_for_deploy == expected


def test_bazel_run_deploys_to_s3_with_the_pinned_client(
    s3: S3Server, client: Any, bucket: str, workspace: DeployWorkspace
) -> None:
    if obstore_repository() is None:
        pytest.skip(f"no obstore wheel is pinned for {sys.platform} {platform.machine()}")
    result = deploy(workspace, s3, f"s3://{bucket}/env-keys/pypi", s3.env)
    assert "uploaded" in result.stdout, result.stderr[-3000:]
    assert_holds_the_index(workspace, client, bucket, "env-keys/pypi/")
    again = deploy(workspace, s3, f"s3://{bucket}/env-keys/pypi", s3.env)
    assert "uploaded 0 objects" in again.stdout, again.stdout


def test_bazel_run_reads_an_aws_profile_through_the_pinned_botocore(
    s3: S3Server, client: Any, bucket: str, workspace: DeployWorkspace, tmp_path: Path
) -> None:
    """No keys in the environment: AWS_PROFILE and a credentials file, which botocore reads."""
    if obstore_repository() is None:
        pytest.skip(f"no obstore wheel is pinned for {sys.platform} {platform.machine()}")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[bench]\naws_access_key_id = {s3.env['AWS_ACCESS_KEY_ID']}\n"
        f"aws_secret_access_key = {s3.env['AWS_SECRET_ACCESS_KEY']}\n"
    )
    env = {
        "AWS_PROFILE": "bench",
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_DEFAULT_REGION": s3.env["AWS_DEFAULT_REGION"],
    }
    result = deploy(workspace, s3, f"s3://{bucket}/profile/pypi", env)
    assert "uploaded" in result.stdout, result.stderr[-3000:]
    assert_holds_the_index(workspace, client, bucket, "profile/pypi/")
    # The profile is what botocore read: one it cannot find stops the deploy.
    unknown = deploy(workspace, s3, f"s3://{bucket}/no-profile/pypi", {**env, "AWS_PROFILE": "nobody"}, check=False)
    assert unknown.returncode != 0
    assert "nobody" in unknown.stderr
    assert "Traceback" not in unknown.stderr, unknown.stderr[-3000:]
    assert stored(client, bucket, "no-profile/") == {}


def older_python() -> Path | None:
    """A CPython 3.9 or 3.10 that pyenv has here (as on the CI machines), or None."""
    found = [p for p in Path.home().glob(".pyenv/versions/3.*/bin/python3.*")
             if p.name in ("python3.10", "python3.9") and os.access(p, os.X_OK)]
    return max(found, key=lambda p: int(p.name.removeprefix("python3.")), default=None)


def test_a_toolchain_python_older_than_3_11_fails_in_one_line(
    s3: S3Server, client: Any, bucket: str, workspace: DeployWorkspace
) -> None:
    """obstore's wheels need 3.11: the deploy says so, and uploads nothing."""
    python = older_python()
    if python is None:
        pytest.skip("no python3.10 or python3.9 under ~/.pyenv/versions")
    version = subprocess.run([str(python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    package = workspace.bazel.workspace / "older_python"
    package.mkdir(exist_ok=True)
    (package / "BUILD").write_text(
        'load("@dumb_pypi//rules:python_toolchain.bzl", "dumb_pypi_python_toolchain")\n\n'
        f'dumb_pypi_python_toolchain(name = "python", interpreter_path = "{python}", python_version = "{version}")\n'
    )
    result = deploy(workspace, s3, f"s3://{bucket}/older/pypi", s3.env, check=False,
                    flags=("--extra_toolchains=//older_python:python",))
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("dumb-pypi deploy: error:")]
    assert len(errors) == 1, result.stderr[-3000:]
    assert "3.11" in errors[0] and version in errors[0], errors[0]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert stored(client, bucket, "older/") == {}
