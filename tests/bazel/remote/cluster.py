"""A throwaway remote-execution cluster on 127.0.0.1: PostgreSQL, BuildGrid, workers.

    with Cluster.start(root) as cluster:
        cluster.add_worker("main")
        bazel build --config=remote --remote_executor=grpc://127.0.0.1:{cluster.port} ...

Everything listens on loopback ports only and is stopped on exit (workers
with SIGTERM, BuildGrid with SIGTERM, PostgreSQL with `pg_ctl -m fast stop`).
What .ci/install-remote.sh installed is read from its env.sh.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from support.servers import free_port, wait_for_port
from support.tools import installed_env

WORKER = Path(__file__).resolve().parent / "worker.py"

# BuildGrid's configuration: one SQL scheduler on the throwaway PostgreSQL
# (it stores every result it completes in the action cache), a CAS on disk,
# an action cache in memory, and one instance per name sharing them.
CONFIG = """\
server:
  - !channel
    address: "127.0.0.1:{port}"
    insecure-mode: true

grpc-server-options:
  grpc.max_receive_message_length: 67108864
  grpc.max_send_message_length: 67108864

connections:
  - !sql-connection &sql
    connection-string: postgresql://postgres@127.0.0.1:{pg_port}/postgres
    pool-size: 5
    max-overflow: 10

storages:
  - !disk-storage &cas
    path: {cas}

caches:
  - !lru-action-cache &cache
    storage: *cas
    max-cached-refs: 100000
    allow-updates: true
    cache-failed-actions: false

schedulers:
  - !sql-scheduler &scheduler
    sql: *sql
    storage: *cas
    action-cache: *cache
    bot-session-keepalive-timeout: 60

instances:
{instances}
"""

INSTANCE = """\
  - name: {name}
    services:
      - !action-cache
        cache: *cache
      - !execution
        scheduler: *scheduler
      - !cas
        storage: *cas
      - !bytestream
        storage: *cas
"""


def installed() -> dict[str, str]:
    """The variables .ci/install-remote.sh wrote to its env.sh."""
    return installed_env("DUMB_PYPI_REMOTE_HOME", "dumb-pypi-remote", ".ci/install-remote.sh")


@dataclass
class Cluster:
    root: Path
    tools: dict[str, str]
    port: int = 0
    pg_port: int = 0
    pg_data: Path | None = None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def executor(self) -> str:
        return f"grpc://127.0.0.1:{self.port}"

    @staticmethod
    def _postgres_user() -> str | None:
        """Who runs initdb and postgres: they refuse to run as root."""
        return "postgres" if os.geteuid() == 0 else None

    def _start_postgres(self) -> None:
        # Under /tmp, not pytest's 0700 temporary directory: the postgres user must reach it.
        self.pg_data = Path(tempfile.mkdtemp(prefix="dumb-pypi-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.pg_data, "postgres", "postgres")
        bin_dir = Path(self.tools["DUMB_PYPI_POSTGRES_BIN"])
        data = self.pg_data / "data"
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "--no-sync"],
            check=True,
            capture_output=True,
            user=self._postgres_user(),
            group=self._postgres_user(),
        )
        self.pg_port = free_port()
        options = f"-c listen_addresses=127.0.0.1 -p {self.pg_port} -k {self.pg_data} -c fsync=off"
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.pg_data / "postgres.log"), "-w", "start"],
            check=True,
            capture_output=True,
            user=self._postgres_user(),
            group=self._postgres_user(),
        )

    def _stop_postgres(self) -> None:
        if self.pg_data is None:
            return
        bin_dir = Path(self.tools["DUMB_PYPI_POSTGRES_BIN"])
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(self.pg_data / "data"), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
            user=self._postgres_user(),
            group=self._postgres_user(),
        )
        shutil.rmtree(self.pg_data, ignore_errors=True)

    def _start_buildgrid(self, instances: tuple[str, ...]) -> None:
        bgd = self.tools["DUMB_PYPI_BGD"]
        database = f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"
        subprocess.run([bgd, "migrate", "apply", database], check=True, capture_output=True, timeout=300)
        self.port = free_port()
        config = self.root / "buildgrid.yml"
        config.write_text(
            CONFIG.format(
                port=self.port,
                pg_port=self.pg_port,
                cas=self.root / "cas",
                instances="".join(INSTANCE.format(name=name) for name in instances),
            )
        )
        log = self.root / "buildgrid.log"
        with log.open("wb") as out:
            server = subprocess.Popen([bgd, "server", "start", str(config)], stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(server)
        wait_for_port(self.port, server, "BuildGrid", timeout=60, log=log)

    def add_worker(self, instance: str, slots: int = 2, python_at: str | None = None) -> None:
        """A worker polling `instance`; `python_at` = "PATH=REPLACEMENT" imitates another worker image."""
        name = f"worker-{instance}-{len(self.processes)}"
        argv = [
            self.tools["DUMB_PYPI_REMOTE_PYTHON"],
            str(WORKER),
            "--server",
            f"127.0.0.1:{self.port}",
            "--instance",
            instance,
            "--work-dir",
            str(self.root / name),
            "--slots",
            str(slots),
            "--bot-id",
            name,
        ]
        if python_at:
            argv += ["--python-at", python_at]
        log = self.root / f"{name}.log"
        with log.open("wb") as out:
            self.processes.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT))
        time.sleep(0.5)
        if self.processes[-1].poll() is not None:
            raise AssertionError(f"worker exited:\n{log.read_text()}")

    def stop(self) -> None:
        # Workers first (they tell the server they are leaving), then the server.
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
        self._stop_postgres()

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.root.glob("*.log")))

    @classmethod
    @contextmanager
    def start(cls, root: Path, instances: tuple[str, ...] = ("main",)) -> Iterator[Cluster]:
        root.mkdir(parents=True, exist_ok=True)
        cluster = cls(root=root, tools=installed())
        try:
            cluster._start_postgres()
            cluster._start_buildgrid(instances)
            yield cluster
        finally:
            cluster.stop()
