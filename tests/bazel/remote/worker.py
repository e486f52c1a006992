"""A small REAPI worker ("bot") for BuildGrid, for the remote-execution tests.

    python worker.py --server 127.0.0.1:PORT --instance main --work-dir DIR
        [--slots 2] [--bot-id NAME] [--python-at /usr/bin/python3=/path/to/python3.13]

No BuildGrid worker is installable from a package registry, so this one is
written against the Remote Workers API (google.devtools.remoteworkers.v1test2)
and the REAPI CAS / ByteStream services, using only the protos BuildGrid
ships. It runs in BuildGrid's own environment (Python 3.13, grpcio).

Each slot is a thread with its own bot session of capacity 1: it long-polls
`UpdateBotSession`; for a lease it fetches the action's `Command` and input
root into a fresh directory (inputs read-only, executables 0555), creates the
parents of the declared outputs, runs the arguments with exactly the
command's environment, uploads the outputs, stdout and stderr, and completes
the lease with an `ActionResult`.

`--python-at PATH=REPLACEMENT` imitates a worker image whose PATH is another
interpreter: each command runs in a private mount namespace (`unshare -m`,
root only) with REPLACEMENT bind-mounted over PATH. The host is not touched.

SIGTERM marks every session BOT_TERMINATING, so the server stops handing it
work at once, and exits.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import grpc
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2 as re_pb2
from buildgrid._protos.build.bazel.remote.execution.v2 import remote_execution_pb2_grpc as re_grpc
from buildgrid._protos.google.bytestream import bytestream_pb2, bytestream_pb2_grpc
from buildgrid._protos.google.devtools.remoteworkers.v1test2 import bots_pb2, bots_pb2_grpc, worker_pb2
from google.protobuf.message import Message

MAX_MESSAGE = 64 * 1024 * 1024
# Blobs up to this size travel in Batch{Read,Update}Blobs, larger ones by ByteStream.
BATCH_LIMIT = 2 * 1024 * 1024
CHUNK = 1024 * 1024
# A short deadline: the server answers CreateBotSession at once instead of long-polling.
CREATE_TIMEOUT = 3.0
POLL_TIMEOUT = 20.0

LEASE_PENDING = bots_pb2.LeaseState.Value("PENDING")
LEASE_ACTIVE = bots_pb2.LeaseState.Value("ACTIVE")
LEASE_COMPLETED = bots_pb2.LeaseState.Value("COMPLETED")
BOT_OK = bots_pb2.BotStatus.Value("OK")
BOT_TERMINATING = bots_pb2.BotStatus.Value("BOT_TERMINATING")


def digest_of(data: bytes) -> re_pb2.Digest:
    return re_pb2.Digest(hash=hashlib.sha256(data).hexdigest(), size_bytes=len(data))


class Cas:
    """Reads and writes blobs of one instance: batches for small ones, ByteStream for large ones."""

    def __init__(self, channel: grpc.Channel, instance: str) -> None:
        self.instance = instance
        self.cas = re_grpc.ContentAddressableStorageStub(channel)
        self.bytestream = bytestream_pb2_grpc.ByteStreamStub(channel)

    def read(self, digests: Iterable[re_pb2.Digest]) -> dict[str, bytes]:
        """hash -> content for every digest (deduplicated)."""
        wanted = {d.hash: d for d in digests}
        found: dict[str, bytes] = {}
        if "" in wanted:
            raise RuntimeError("empty digest")
        batch: list[re_pb2.Digest] = []
        size = 0
        for digest in wanted.values():
            if digest.size_bytes == 0:
                found[digest.hash] = b""
            elif digest.size_bytes > BATCH_LIMIT:
                found[digest.hash] = self._read_stream(digest)
            else:
                if size + digest.size_bytes > BATCH_LIMIT and batch:
                    found.update(self._read_batch(batch))
                    batch, size = [], 0
                batch.append(digest)
                size += digest.size_bytes
        if batch:
            found.update(self._read_batch(batch))
        return found

    def _read_batch(self, digests: list[re_pb2.Digest]) -> dict[str, bytes]:
        response = self.cas.BatchReadBlobs(re_pb2.BatchReadBlobsRequest(instance_name=self.instance, digests=digests))
        out = {}
        for item in response.responses:
            if item.status.code != 0:
                raise RuntimeError(f"cannot read blob {item.digest.hash}: {item.status.message}")
            out[item.digest.hash] = item.data
        return out

    def _read_stream(self, digest: re_pb2.Digest) -> bytes:
        name = f"{self.instance}/blobs/{digest.hash}/{digest.size_bytes}"
        return b"".join(r.data for r in self.bytestream.Read(bytestream_pb2.ReadRequest(resource_name=name)))

    def read_message(self, digest: re_pb2.Digest, message: Message) -> None:
        message.ParseFromString(self.read([digest])[digest.hash])

    def write(self, blobs: Iterable[bytes]) -> None:
        """Uploads every blob the server does not have yet."""
        by_hash = {digest_of(b).hash: b for b in blobs}
        if not by_hash:
            return
        missing = self.cas.FindMissingBlobs(
            re_pb2.FindMissingBlobsRequest(
                instance_name=self.instance, blob_digests=[digest_of(b) for b in by_hash.values()]
            )
        ).missing_blob_digests
        batch: list[re_pb2.BatchUpdateBlobsRequest.Request] = []
        size = 0
        for digest in missing:
            data = by_hash[digest.hash]
            if len(data) > BATCH_LIMIT:
                self._write_stream(digest, data)
                continue
            if size + len(data) > BATCH_LIMIT and batch:
                self._write_batch(batch)
                batch, size = [], 0
            batch.append(re_pb2.BatchUpdateBlobsRequest.Request(digest=digest, data=data))
            size += len(data)
        if batch:
            self._write_batch(batch)

    def _write_batch(self, requests: list[re_pb2.BatchUpdateBlobsRequest.Request]) -> None:
        response = self.cas.BatchUpdateBlobs(
            re_pb2.BatchUpdateBlobsRequest(instance_name=self.instance, requests=requests)
        )
        for item in response.responses:
            if item.status.code != 0:
                raise RuntimeError(f"cannot write blob {item.digest.hash}: {item.status.message}")

    def _write_stream(self, digest: re_pb2.Digest, data: bytes) -> None:
        name = f"{self.instance}/uploads/{uuid.uuid4()}/blobs/{digest.hash}/{digest.size_bytes}"

        def requests() -> Iterator[bytestream_pb2.WriteRequest]:
            for offset in range(0, len(data), CHUNK):
                last = offset + CHUNK >= len(data)
                yield bytestream_pb2.WriteRequest(
                    resource_name=name if offset == 0 else "",
                    write_offset=offset,
                    finish_write=last,
                    data=data[offset : offset + CHUNK],
                )

        self.bytestream.Write(requests())


def fetch_tree(cas: Cas, root_digest: re_pb2.Digest, dest: Path) -> None:
    """Writes the input root at `dest`: files read-only, executables 0555."""
    directories: list[tuple[Path, re_pb2.Directory]] = []
    level = [(dest, root_digest)]
    while level:
        contents = cas.read(d for _, d in level)
        next_level = []
        for path, digest in level:
            directory = re_pb2.Directory()
            directory.ParseFromString(contents[digest.hash])
            directories.append((path, directory))
            next_level += [(path / node.name, node.digest) for node in directory.directories]
        level = next_level
    files = cas.read(node.digest for _, directory in directories for node in directory.files)
    for path, directory in directories:
        path.mkdir(parents=True, exist_ok=True)
        for node in directory.files:
            target = path / node.name
            target.write_bytes(files[node.digest.hash])
            target.chmod(0o555 if node.is_executable else 0o444)
        for link in directory.symlinks:
            (path / link.name).symlink_to(link.target)


def directory_tree(root: Path) -> tuple[re_pb2.Tree, list[bytes]]:
    """The REAPI Tree of `root` and every file blob under it."""
    blobs: list[bytes] = []

    def build(path: Path) -> re_pb2.Directory:
        directory = re_pb2.Directory()
        for entry in sorted(path.iterdir(), key=lambda p: p.name):
            if entry.is_symlink():
                directory.symlinks.add(name=entry.name, target=os.readlink(entry))
            elif entry.is_dir():
                child = build(entry)
                children.append(child)
                directory.directories.add(name=entry.name, digest=digest_of(child.SerializeToString()))
            else:
                data = entry.read_bytes()
                blobs.append(data)
                directory.files.add(name=entry.name, digest=digest_of(data), is_executable=os.access(entry, os.X_OK))
        return directory

    children: list[re_pb2.Directory] = []
    root_directory = build(root)
    return re_pb2.Tree(root=root_directory, children=children), blobs


class Executor:
    def __init__(self, cas: Cas, work_dir: Path, python_at: tuple[str, str] | None) -> None:
        self.cas = cas
        self.work_dir = work_dir
        self.python_at = python_at

    def argv(self, arguments: list[str]) -> list[str]:
        if self.python_at is None:
            return arguments
        path, replacement = self.python_at
        script = f'mount --bind "{replacement}" "{path}" && exec "$@"'
        return ["unshare", "-m", "/bin/sh", "-c", script, "sh", *arguments]

    def run(self, action: re_pb2.Action) -> re_pb2.ActionResult:
        command = re_pb2.Command()
        self.cas.read_message(action.command_digest, command)
        root = Path(self.work_dir, uuid.uuid4().hex)
        try:
            fetch_tree(self.cas, action.input_root_digest, root)
            cwd = root / command.working_directory
            outputs = list(command.output_files) + list(command.output_directories) + list(command.output_paths)
            for output in outputs:
                (cwd / output).parent.mkdir(parents=True, exist_ok=True)
            env = {v.name: v.value for v in command.environment_variables}
            timeout = action.timeout.seconds or None
            try:
                proc = subprocess.run(
                    self.argv(list(command.arguments)),
                    check=False,
                    cwd=cwd,
                    env=env,
                    capture_output=True,
                    timeout=timeout,
                )
                exit_code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
            except subprocess.TimeoutExpired as e:
                exit_code, stdout, stderr = 124, e.stdout or b"", (e.stderr or b"") + b"\nworker: timed out\n"
            except OSError as e:
                exit_code, stdout, stderr = 127, b"", f"worker: cannot run {command.arguments[0]!r}: {e}\n".encode()
            return self.result(cwd, command, exit_code, stdout, stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def result(
        self, cwd: Path, command: re_pb2.Command, exit_code: int, stdout: bytes, stderr: bytes
    ) -> re_pb2.ActionResult:
        result = re_pb2.ActionResult(exit_code=exit_code)
        blobs = [stdout, stderr]
        result.stdout_digest.CopyFrom(digest_of(stdout))
        result.stderr_digest.CopyFrom(digest_of(stderr))
        for name in list(command.output_files) + list(command.output_directories) + list(command.output_paths):
            path = cwd / name
            if path.is_dir() and not path.is_symlink():
                tree, tree_blobs = directory_tree(path)
                data = tree.SerializeToString()
                blobs += tree_blobs + [data]
                result.output_directories.add(path=name, tree_digest=digest_of(data))
            elif path.is_file():
                data = path.read_bytes()
                blobs.append(data)
                result.output_files.add(path=name, digest=digest_of(data), is_executable=os.access(path, os.X_OK))
        self.cas.write(blobs)
        return result


class Slot(threading.Thread):
    """One bot session of capacity 1, polling for leases and running them."""

    def __init__(self, bots: bots_pb2_grpc.BotsStub, instance: str, bot_id: str, executor: Executor) -> None:
        super().__init__(name=bot_id, daemon=True)
        self.bots = bots
        self.instance = instance
        self.bot_id = bot_id
        self.executor = executor
        self.session: bots_pb2.BotSession | None = None
        self.stopping = threading.Event()

    def new_session(self) -> bots_pb2.BotSession:
        device = worker_pb2.Device(handle=self.bot_id)
        device.properties.add(key="OSFamily", value="linux")
        device.properties.add(key="ISA", value="x86-64")
        session = bots_pb2.BotSession(bot_id=self.bot_id, status=BOT_OK, worker=worker_pb2.Worker(devices=[device]))
        try:
            return self.bots.CreateBotSession(
                bots_pb2.CreateBotSessionRequest(parent=self.instance, bot_session=session), timeout=CREATE_TIMEOUT
            )
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                raise
            return self.bots.CreateBotSession(
                bots_pb2.CreateBotSessionRequest(parent=self.instance, bot_session=session), timeout=POLL_TIMEOUT
            )

    def work_on(self, lease: bots_pb2.Lease) -> None:
        if lease.payload.Is(re_pb2.Action.DESCRIPTOR):
            action = re_pb2.Action()
            lease.payload.Unpack(action)
        else:
            digest = re_pb2.Digest()
            lease.payload.Unpack(digest)
            action = re_pb2.Action()
            self.executor.cas.read_message(digest, action)
        try:
            result = self.executor.run(action)
        except Exception as e:  # noqa: BLE001 - the lease fails, the worker goes on
            lease.status.code = grpc.StatusCode.INTERNAL.value[0]
            lease.status.message = f"worker {self.bot_id}: {type(e).__name__}: {e}"
        else:
            lease.result.Pack(result)
            lease.status.code = 0
        lease.state = LEASE_COMPLETED

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.session is None:
                    self.session = self.new_session()
                for lease in self.session.leases:
                    if lease.state == LEASE_PENDING:
                        lease.state = LEASE_ACTIVE
                    elif lease.state == LEASE_ACTIVE:
                        self.work_on(lease)
                self.session = self.bots.UpdateBotSession(
                    bots_pb2.UpdateBotSessionRequest(name=self.session.name, bot_session=self.session),
                    timeout=POLL_TIMEOUT,
                )
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                    continue
                print(f"worker {self.bot_id}: {e.code().name}: {e.details()}", file=sys.stderr, flush=True)
                self.session = None
                self.stopping.wait(1.0)

    def terminate(self) -> None:
        self.stopping.set()
        session = self.session
        if session is None:
            return
        session.status = BOT_TERMINATING
        try:
            self.bots.UpdateBotSession(
                bots_pb2.UpdateBotSessionRequest(name=session.name, bot_session=session), timeout=CREATE_TIMEOUT
            )
        except grpc.RpcError:
            pass


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, help="HOST:PORT of the BuildGrid server")
    parser.add_argument("--instance", default="main")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--bot-id", default=f"dumb-pypi-test-worker-{os.getpid()}")
    parser.add_argument("--python-at", help="PATH=REPLACEMENT: run every command with REPLACEMENT mounted at PATH")
    args = parser.parse_args(argv)
    python_at = None
    if args.python_at:
        path, sep, replacement = args.python_at.partition("=")
        if not sep or not os.path.isabs(path) or not os.path.isfile(replacement):
            parser.error(f"--python-at {args.python_at!r}: expected ABSOLUTE_PATH=EXISTING_FILE")
        python_at = (path, replacement)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    options = [("grpc.max_receive_message_length", MAX_MESSAGE), ("grpc.max_send_message_length", MAX_MESSAGE)]
    channel = grpc.insecure_channel(args.server, options=options)
    executor = Executor(Cas(channel, args.instance), args.work_dir, python_at)
    bots = bots_pb2_grpc.BotsStub(channel)
    slots = [Slot(bots, args.instance, f"{args.bot_id}-{i}", executor) for i in range(args.slots)]
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    for slot in slots:
        slot.start()
    print(f"worker: {len(slots)} slots polling {args.server} instance {args.instance!r}", file=sys.stderr, flush=True)
    while not done.wait(0.5):
        if not any(slot.is_alive() for slot in slots):
            return 1
    for slot in slots:
        slot.terminate()
    time.sleep(0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
