"""Deploy to S3 or any S3-compatible store.

A deploy starts from the manifest.json the destination serves (one read).
When it is the tree's own, there is nothing to do. Otherwise only the files
whose manifest entries differ go up, in the order of plan.py, with each
object's Content-Type and Cache-Control from serve.policy, --jobs threads
uploading at once. The prefix is listed only with --verify: then
every object is checked by size and MD5 (its ETag), and whatever was changed
or removed behind the deploy's back is uploaded again.

A deploy that writes holds the prefix's lock (s3_lock.py): one at a time.
Before its first write a deploy records the paths it is about to write in
`.deploy-pending.json`. A later deploy treats those as its own (it removes
the ones its tree lacks) and as suspect (it uploads the ones its tree has
again), so an interrupted deploy leaves neither garbage nor stale bytes,
and nothing else under the prefix is ever touched.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import NamedTuple

from dumb_pypi.deploy.plan import PHASE_NAMES, Plan, make_plan
from dumb_pypi.deploy.s3_lock import LEASE, DeployLock
from dumb_pypi.deploy.s3_store import PRIVATE_CACHE, PRIVATE_TYPE, Bucket, Listed
from dumb_pypi.deploy.source import MANIFEST, DeployError, Entry, Tree, parse_manifest
from dumb_pypi.output.manifest import entry_sha256, entry_size
from dumb_pypi.progress import Progress
from dumb_pypi.serve.policy import cache_control, content_type

__all__ = ["PENDING", "deploy_s3"]

PENDING = ".deploy-pending.json"


def _pending_paths(data: bytes | None) -> set[str]:
    if data is None:
        return set()
    try:
        paths = json.loads(data.decode("utf-8")).get("files", [])
        return {p for p in paths if isinstance(p, str)}
    except (UnicodeDecodeError, ValueError, AttributeError):
        return set()  # unreadable: the manifest alone says what is ours


def _deployed(bucket: Bucket, served: bytes | None) -> dict[str, Entry]:
    """What the destination's manifest says is in place (empty when none)."""
    if served is None:
        return {}
    try:
        return parse_manifest(served, f"{bucket.url}{MANIFEST}")
    except DeployError:
        return {}  # unreadable: upload everything again, it converges


def _intact(tree: Tree, listed: dict[str, Listed], deployed: dict[str, Entry]) -> set[str]:
    """(--verify) the deployed paths whose objects hold the tree's bytes."""
    candidates = [p for p, entry in tree.files.items() if deployed.get(p) == entry and p in listed]
    tree.fetch(candidates)
    intact = set()
    for path in candidates:
        found = listed[path]
        if found.size != entry_size(tree.files[path]):
            continue
        # A single-part upload's ETag is its MD5; any other ETag (multipart, some
        # encryption modes) cannot be checked, and its size has to do.
        if len(found.etag) == 32 and hashlib.md5(tree.read(path), usedforsecurity=False).hexdigest() != found.etag:
            continue
        intact.add(path)
    return intact


def _upload(bucket: Bucket, tree: Tree, paths: Sequence[str], jobs: int, progress: Progress) -> int:
    """Upload `paths`, `jobs` at a time; the bytes sent. The first failure
    stops every thread before its next upload, and is raised."""
    todo = iter(paths)
    take = threading.Lock()
    failed = threading.Event()

    def worker() -> int:
        sent = 0
        while not failed.is_set():
            with take:  # each path to whichever thread is free
                relpath = next(todo, None)
            if relpath is None:
                break
            try:
                body = tree.read(relpath)
                bucket.put(relpath, body, content_type(relpath), cache_control(relpath),
                           entry_sha256(tree.files[relpath]))
            except BaseException:
                failed.set()
                raise
            sent += len(body)
            with take:
                progress.count()
        return sent

    pool = ThreadPoolExecutor(max_workers=min(jobs, len(paths)))
    try:
        workers = [pool.submit(worker) for _ in range(min(jobs, len(paths)))]
        running = set(workers)
        while running:  # short waits: a Ctrl-C that another thread caught reaches this one between them
            finished, running = wait(running, timeout=0.2, return_when=FIRST_EXCEPTION)
            for done in finished:
                done.result()  # the first failure, raised here
        return sum(w.result() for w in workers)
    except BaseException:  # a failure, or Ctrl-C: the threads stop after their current upload
        failed.set()
        raise
    finally:
        pool.shutdown()


class _Served(NamedTuple):
    """What the destination holds, as its manifest and pending note say."""

    manifest: bytes | None
    pending: bytes | None

    def serves(self, tree: Tree) -> bool:
        return self.manifest == tree.manifest_bytes and self.pending is None


def _served(bucket: Bucket) -> _Served:
    return _Served(bucket.read(MANIFEST), bucket.read(PENDING))


def _plan(tree: Tree, bucket: Bucket, served: _Served, verify: bool) -> tuple[Plan, set[str]]:
    """The plan, and the paths an interrupted deploy may have written."""
    deployed = _deployed(bucket, served.manifest)
    suspect = _pending_paths(served.pending)
    trusted = {p: e for p, e in deployed.items() if p not in suspect}
    intact = _intact(tree, bucket.listing(), trusted) if verify else None
    return make_plan(tree.files, trusted, set(deployed) | suspect, intact), suspect


def deploy_s3(tree: Tree, bucket: Bucket, jobs: int, log: Callable[[str], None], *,
              dry_run: bool = False, verify: bool = False, wait: bool = True, lease: float = LEASE) -> str:
    """Deploy `tree` to `bucket`; returns a one-line summary. `wait`: for
    another deploy holding the prefix's lock (see s3_lock.py)."""
    url = bucket.url
    nothing_to_do = f"deploy: {url} already serves {tree.root_digest}; uploaded 0 objects"
    served = _served(bucket)
    if served.serves(tree) and not verify:
        return nothing_to_do
    if dry_run:
        plan, _ = _plan(tree, bucket, served, verify)
        for name, phase in zip(PHASE_NAMES, plan.phases):
            for relpath in phase:
                log(f"would upload ({name}): {relpath}")
        for relpath in plan.stale:
            log(f"would remove: {relpath}")
        return f"deploy (dry run): {url}: would upload {plan.uploads}, keep {len(plan.unchanged)}, remove {len(plan.stale)}"
    with DeployLock(bucket, log, wait=wait, lease=lease) as lock:
        served = _served(bucket)  # again, under the lock: a deploy that held it may have changed both
        if served.serves(tree) and not verify:
            return nothing_to_do
        return _write(tree, bucket, served, jobs, verify, lock)


def _write(tree: Tree, bucket: Bucket, served: _Served, jobs: int, verify: bool, lock: DeployLock) -> str:
    url = bucket.url
    plan, suspect = _plan(tree, bucket, served, verify)
    manifest_changed = served.manifest != tree.manifest_bytes
    uploads = [path for phase in plan.phases for path in phase]
    if uploads or plan.stale or manifest_changed:
        # Remember what this deploy may leave behind, before writing any of it.
        note = json.dumps({"files": sorted(suspect | set(uploads))}).encode()
        bucket.put(PENDING, note, PRIVATE_TYPE, PRIVATE_CACHE, None)
    tree.fetch(uploads)
    sent = 0
    progress = Progress("uploading", len(uploads))  # on a terminal only
    try:
        for phase in plan.phases:  # one after the other: see plan.py
            if phase:
                lock.check()
                sent += _upload(bucket, tree, phase, jobs, progress)
    finally:
        progress.close()
    lock.check()
    if plan.stale:
        bucket.delete(plan.stale)
    if manifest_changed:
        bucket.put(MANIFEST, tree.manifest_bytes, content_type(MANIFEST), cache_control(MANIFEST), None)
    bucket.delete([PENDING])
    return (
        f"deploy: {url}: uploaded {plan.uploads} of {len(tree.files)} objects ({sent} bytes),"
        f" unchanged {len(plan.unchanged)}, removed {len(plan.stale)} stale; now serves {tree.root_digest}"
    )
