"""A progress line for long runs, on a terminal only.

    dumb-pypi: writing pages 12,345/86,614 (4,100/s)

Shown on stderr when stderr is a terminal, rewritten in place at most ten
times a second; nothing at all otherwise, so cron mail and build logs stay
as they are. Worker processes count into memory shared with the parent
(count()), which shows their sum.
"""

from __future__ import annotations

import mmap
import os
import sys
import time
from typing import TextIO

__all__ = ["Progress"]

_SLOTS = 64  # processes that can count at once (each its own 8 bytes)
_INTERVAL = 0.1


class Progress:
    def __init__(self, what: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.what = what
        self.total = total
        self._stream = stream or sys.stderr
        self.shown = self._stream.isatty()
        self._start = time.monotonic()
        self._last = 0.0
        # Shared with forked workers: slot 0 is this process's.
        self._counts = mmap.mmap(-1, 8 * _SLOTS) if self.shown else None
        self._slot = 0
        self._owner = os.getpid()  # the process that shows the line

    def as_worker(self, number: int) -> None:
        """In a forked worker: count into slot `number` (from 1)."""
        self._slot = number % _SLOTS

    def count(self, done: int = 1) -> None:
        if self._counts is None:
            return
        at = 8 * self._slot
        self._counts[at:at + 8] = (int.from_bytes(self._counts[at:at + 8], "little") + done).to_bytes(8, "little")
        if self._slot == 0:
            self.show()

    def _done(self) -> int:
        assert self._counts is not None
        return sum(int.from_bytes(self._counts[at:at + 8], "little") for at in range(0, 8 * _SLOTS, 8))

    def show(self, force: bool = False) -> None:
        """Rewrite the line, if it is time to (always when `force`)."""
        if self._counts is None or os.getpid() != self._owner:
            return
        now = time.monotonic()
        if not force and now - self._last < _INTERVAL:
            return
        self._last = now
        done = self._done()
        rate = done / (now - self._start) if now > self._start else 0.0
        total = f"/{self.total:,}" if self.total is not None else ""
        self._stream.write(f"\rdumb-pypi: {self.what} {done:,}{total} ({rate:,.0f}/s)\x1b[K")
        self._stream.flush()

    def close(self) -> None:
        """The last figures, and the line ended."""
        if self._counts is None or os.getpid() != self._owner:
            return
        self.show(force=True)
        self._stream.write("\n")
        self._stream.flush()
        self._counts.close()
        self._counts = None
