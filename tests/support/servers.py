"""Real servers on 127.0.0.1 (nginx, SeaweedFS) and the tools tests/serve and tests/clients drive.

Tools come from `.ci/install-serve.sh` ($DUMB_PYPI_SERVE_HOME, default
~/.cache/dumb-pypi-serve). A missing tool skips locally and fails under CI.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from distributions import make_wheel

REPO = Path(__file__).resolve().parents[2]

SERVE_HOME = Path(os.environ.get("DUMB_PYPI_SERVE_HOME", Path.home() / ".cache" / "dumb-pypi-serve"))
INSTALL_HINT = "run .ci/install-serve.sh"


def missing(what: str) -> None:
    """Skip (locally) or fail (CI): a test must never pass without its tool."""
    message = f"{what} is not installed: {INSTALL_HINT}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def nginx_bin() -> str:
    for candidate in (os.environ.get("DUMB_PYPI_NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    missing("nginx")
    raise AssertionError("unreachable")


def tool(venv: str, program: str) -> Path:
    path = SERVE_HOME / venv / "bin" / program
    if not os.access(path, os.X_OK):
        missing(f"{program} ({path})")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop a process this test started (by its own handle, never by name)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def dumb_pypi(
    *args: str, check: bool = True, python: str = sys.executable, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run this checkout's CLI as a user would."""
    full_env = dict(os.environ, **(env or {}), PYTHONPATH=str(REPO))
    result = subprocess.run(
        [python, "-m", "dumb_pypi", *args],
        capture_output=True, text=True, env=full_env, cwd=REPO, timeout=300, check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"dumb-pypi {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


# --- index fixtures ---------------------------------------------------------


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires_dist: tuple[str, ...] = ()
    requires_python: str | None = None
    yanked: str | None = None  # the yank reason ("" for none)
    code: str | None = None  # the module's source, to change a wheel's bytes


# The projects every client case needs (see tests/clients/test_matrix.py).
MATRIX_DISTS = (
    Dist("app", "1.0", requires_dist=("Dep.Name_Pkg>=1.0",)),
    Dist("Dep.Name_Pkg", "1.0"),
    Dist("yanky", "1.0"),
    Dist("yanky", "2.0", yanked="broken on purpose"),
    Dist("pyreq", "1.0", requires_python=">=3.8"),
    Dist("pyreq", "2.0", requires_python=">=3.99"),
    Dist("tampered", "1.0"),
)


@dataclass
class Index:
    tree: Path
    tarball: Path
    wheels: dict[str, Path] = field(default_factory=dict)  # filename -> source wheel


def build_index(
    workdir: Path,
    dists: Sequence[Dist] = MATRIX_DISTS,
    upload_time: int = 1700000000,
    extra_wheels: Sequence[Path] = (),
) -> Index:
    """Wheels -> one record each (`dumb-pypi record`) -> `dumb-pypi --record-list ... --pool`.

    `extra_wheels` are real files indexed as they are (e.g. pip for pex).
    """
    wheels_dir = workdir / "wheels"
    records_dir = workdir / "records"
    records_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    index = Index(tree=workdir / "tree", tarball=workdir / "tree.tar.gz")
    wheels_dir.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        # Lowercase file names; METADATA keeps the spelling as given ("Dep.Name_Pkg").
        file_name = re.sub(r"[-_.]+", "_", dist.name).lower()
        wheel = Path(
            make_wheel(
                str(wheels_dir),
                file_name,
                dist.version,
                requires_dist=dist.requires_dist,
                requires_python=dist.requires_python,
                summary=f"{dist.name} test fixture",
                metadata_name=dist.name,
                modules=None if dist.code is None else {f"{file_name}.py": dist.code},
            )
        )
        yanked = [] if dist.yanked is None else ["--yanked-reason", dist.yanked]
        entries.append(_record(wheel, records_dir, upload_time, yanked))
        index.wheels[wheel.name] = wheel
    for wheel in extra_wheels:
        entries.append(_record(wheel, records_dir, upload_time, []))
        index.wheels[wheel.name] = wheel
    listing = workdir / "records.json"
    listing.write_text(json.dumps(entries, indent=1))
    dumb_pypi(
        "--record-list", str(listing), "--pool", "--output-dir", str(index.tree),
        "--tarball", str(index.tarball), "--strict",
    )
    return index


# `dumb-pypi record` is byte-reproducible, and so are the fixture wheels: one
# run per distinct (bytes, flags) is enough for the whole session.
_RECORDS: dict[tuple[str, str, int, tuple[str, ...]], bytes] = {}


def _record(wheel: Path, records_dir: Path, upload_time: int, extra: list[str]) -> dict[str, str]:
    record = records_dir / (wheel.name + ".json")
    key = (wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest(), upload_time, tuple(extra))
    if key not in _RECORDS:
        dumb_pypi("record", str(wheel), "--output", str(record), "--upload-time", str(upload_time), *extra)
        _RECORDS[key] = record.read_bytes()
    else:
        record.write_bytes(_RECORDS[key])
    return {"record": str(record), "file": str(wheel), "origin": f"fixture {wheel.name}"}


def manifest(tree: Path) -> dict[str, dict[str, object]]:
    files: dict[str, dict[str, object]] = json.loads((tree / "manifest.json").read_text())["files"]
    return files


# --- nginx ------------------------------------------------------------------


@dataclass
class Nginx:
    url: str
    access_log: Path
    prefix: Path

    def log_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []


@contextmanager
def run_nginx(root: Path, prefix: Path, *extra: str) -> Iterator[Nginx]:
    """`dumb-pypi nginx-config --standalone` for `root`, run by Debian's nginx."""
    binary = nginx_bin()
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = prefix / "nginx.conf"
    args = ["nginx-config", "--root", str(root), "--standalone", "--listen", f"127.0.0.1:{port}", "-o", str(config)]
    if os.geteuid() == 0:
        # As root nginx would drop its workers to "nobody", who cannot read tmp_path.
        args += ["--user", "root"]
    dumb_pypi(*args, *extra)
    with open(prefix / "stderr.log", "wb") as stderr:
        proc = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(config), "-e", "stderr"], stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            wait_for_port(port, proc, "nginx")
            yield Nginx(url=f"http://127.0.0.1:{port}", access_log=prefix / "access.log", prefix=prefix)
        finally:
            stop(proc)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def get(url: str, accept: str | None = None, method: str = "GET") -> Response:
    """One request, redirects not followed, errors returned (not raised)."""
    request = urllib.request.Request(url, method=method)
    if accept is not None:
        request.add_header("Accept", accept)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return Response(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


# --- SeaweedFS ----------------------------------------------------------------


@dataclass
class S3Server:
    endpoint: str
    env: dict[str, str]


def _free_port_pair() -> int:
    """A port P with P and P+10000 free (SeaweedFS puts gRPC at P+10000)."""
    for _ in range(50):
        port = free_port()
        if port + 10000 >= 65536:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for SeaweedFS")


@contextmanager
def run_seaweedfs(workdir: Path) -> Iterator[S3Server]:
    """`weed server` with S3 on 127.0.0.1 only; every other service is off or loopback."""
    weed = tool("tools", "weed")
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {name: _free_port_pair() for name in ("master", "volume", "filer", "s3")}
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [
            str(weed), "server", f"-dir={workdir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}", "-s3", f"-s3.port={ports['s3']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-volume.max=4", "-master.volumeSizeLimitMB=64",
        ],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        wait_for_port(ports["s3"], proc, "SeaweedFS S3", timeout=60)
        env = {
            "AWS_ACCESS_KEY_ID": "dumb-pypi-test",
            "AWS_SECRET_ACCESS_KEY": "dumb-pypi-test",
            "AWS_DEFAULT_REGION": "us-east-1",
            # Keep any real AWS config on this machine out of the tests.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        yield S3Server(endpoint=f"http://127.0.0.1:{ports['s3']}", env=env)
    finally:
        stop(proc, grace=3.0)
        log.close()
