"""Servers on 127.0.0.1 for the tests, and one way to ask them for a page.

* `http_server(root, log)`: a static server of a directory (`python -m
  http.server`), whose log says which paths were requested;
* `run_nginx(root, prefix)`: Debian's nginx with `dumb-pypi nginx-config`;
* `run_seaweedfs(workdir)`: an S3 endpoint (SeaweedFS from .ci/install-serve.sh);
* `get(url)`: one request, redirects not followed, errors returned.

Every server listens on loopback only and is stopped (by its own process
handle) when its `with` block ends.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from support.cli import run_cli
from support.tools import nginx_bin, tool

__all__ = ["Nginx", "Response", "S3Server", "Server", "free_port", "get", "http_server", "run_nginx", "run_seaweedfs",
           "stop", "wait_for_port"]


# --- a static server ----------------------------------------------------------


@dataclass
class Server:
    url: str  # "http://127.0.0.1:PORT"
    log: Path

    def requests(self) -> list[str]:
        """Request paths served so far, in order ("/simple/x/")."""
        return re.findall(r'"GET (\S+) HTTP', self.log.read_text())


@contextmanager
def http_server(root: Path, log: Path) -> Iterator[Server]:
    """`python -m http.server` on 127.0.0.1 and a free port, serving `root`; its log goes to `log`."""
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(root)],
            stdout=subprocess.PIPE, stderr=log_file, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Serving HTTP on 127.0.0.1 port N (...) ..."
        match = re.search(r"port (\d+)", line)
        if match is None:
            raise RuntimeError(f"http.server did not start: {line!r}")
        yield Server(f"http://127.0.0.1:{match.group(1)}", log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


# --- ports and processes --------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 30.0,
                  log: Path | None = None) -> None:
    """Until something listens on 127.0.0.1:`port`; an error (with the end of
    `log`, if given) when `proc` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}{_tail(log)}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s{_tail(log)}")


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return ":\n" + log.read_text(errors="replace")[-4000:]


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop a process this test started (by its own handle, never by name)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- nginx ----------------------------------------------------------------------


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
    run_cli(*args, *extra)
    with open(prefix / "stderr.log", "wb") as stderr:
        proc = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(config), "-e", "stderr"], stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            wait_for_port(port, proc, "nginx")
            yield Nginx(url=f"http://127.0.0.1:{port}", access_log=prefix / "access.log", prefix=prefix)
        finally:
            stop(proc)


# --- one request ------------------------------------------------------------------


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
def run_seaweedfs(workdir: Path, *, volume_max: int = 4) -> Iterator[S3Server]:
    """`weed server` with S3 on 127.0.0.1 only; every other service is off or loopback.

    `volume_max` volumes of at most 64 MB each: the first bucket written to
    takes 4 at once, so more buckets or more data (bench/deploy_bench.py)
    need more."""
    weed = tool("tools", "weed")
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {name: _free_port_pair() for name in ("master", "volume", "filer", "s3")}
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [
            str(weed), "server", f"-dir={workdir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}", "-s3", f"-s3.port={ports['s3']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-volume.max={volume_max}", "-master.volumeSizeLimitMB=64",
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
