"""One S3 deploy at a time per prefix.

Two deploys writing one prefix at once would each upload only what differs
from the manifest they both started from, and leave a mix of the two trees
under whichever manifest came last (which the next deploy then trusts). So a
deploy that writes holds a lock first: the object `.deploy-lock.json`,
created only if it does not exist (a conditional PUT, If-None-Match: *; AWS
S3, R2, MinIO and SeaweedFS honour it; a store that answers 501 gets a
warning and a deploy without a lock, as before there was one).

A deploy that finds the lock waits for it to go (or, with --no-wait, stops).
The holder rewrites the lock every few seconds; a lock whose ETag has not
changed for a whole lease belongs to a deploy that was killed, and a waiter
takes it over (If-Match on that ETag: of several waiters, one wins). A
holder that finds its lock taken over stops before its next phase.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import final

from dumb_pypi.deploy.s3_store import Bucket, ConditionalWritesUnsupported
from dumb_pypi.deploy.source import DeployError

__all__ = ["LEASE", "LOCK", "DeployLock"]

LOCK = ".deploy-lock.json"
LEASE = 60.0  # seconds without a heartbeat after which a lock is a killed deploy's


@final
class DeployLock:
    """Context manager: holds the prefix's lock while the deploy writes."""

    def __init__(self, bucket: Bucket, log: Callable[[str], None], *, wait: bool, lease: float = LEASE) -> None:
        self._bucket = bucket
        self._log = log
        self._wait = wait
        self._lease = lease
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        self._beats = 0
        self._etag: str | None = None
        self._lost = False
        self._stop = threading.Event()
        self._heart: threading.Thread | None = None

    def _body(self) -> bytes:
        self._beats += 1  # a new body each time: its ETag (an MD5) changes with every heartbeat
        return json.dumps({"owner": self._owner, "beat": self._beats}).encode()

    def __enter__(self) -> DeployLock:
        try:
            self._etag = self._bucket.create(LOCK, self._body())
        except ConditionalWritesUnsupported as error:
            # As before there was a lock: the deploy works, but nothing stops a second one.
            self._log(f"dumb-pypi deploy: warning: {error}; deploying without a lock:"
                      " run one deploy to this prefix at a time")
            return self  # no heartbeat: nothing to keep fresh or remove
        if self._etag is None:
            self._take()
        self._heart = threading.Thread(target=self._heartbeat, name="deploy-lock", daemon=True)
        self._heart.start()
        return self

    def _take(self) -> None:
        where = f"{self._bucket.url}{LOCK}"
        if not self._wait:
            raise DeployError(f"another run is writing {self._bucket.url} (it holds {where}); --no-wait: stopping")
        self._log(f"dumb-pypi deploy: another run is writing {self._bucket.url}; waiting for it to finish")
        seen, since = None, time.monotonic()
        while True:
            time.sleep(min(1.0, self._lease / 10))
            self._etag = self._bucket.create(LOCK, self._body())
            if self._etag is not None:
                return
            current = self._bucket.etag(LOCK)
            if current != seen:  # it is alive (or gone: created again above)
                seen, since = current, time.monotonic()
            elif current is not None and time.monotonic() - since >= self._lease:
                self._etag = self._bucket.replace(LOCK, self._body(), current)
                if self._etag is not None:
                    self._log(f"dumb-pypi deploy: took over {where}, unchanged for {self._lease:.0f} s"
                              " (the deploy holding it was stopped)")
                    return

    def _heartbeat(self) -> None:
        while not self._stop.wait(self._lease / 6):
            assert self._etag is not None
            try:
                etag = self._bucket.replace(LOCK, self._body(), self._etag)
            except DeployError:
                continue  # a failed request: the next beat tries again, well within the lease
            if etag is None:
                self._lost = True
                return
            self._etag = etag

    def check(self) -> None:
        """Raise if another deploy took the lock over (this one stalled for a lease)."""
        if self._lost:
            raise DeployError(f"{self._bucket.url}: another deploy took over {LOCK} (this one made no progress"
                              f" for {self._lease:.0f} s); stopping before its next write")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._heart is None:
            return  # no lock was taken (the store does not do conditional writes)
        self._heart.join()
        if self._lost:
            return
        try:
            self._bucket.delete([LOCK])
        except DeployError:
            if error is None:
                raise
            # Already failing: that error is the one to show; the lease frees the lock.
