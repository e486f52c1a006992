"""How a reader reports an input it cannot index, or indexes with a caveat."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["PROG", "Refusals", "Refuse", "Warn", "warn"]

PROG = "dumb-pypi"

# refuse(origin, reason): the input named by `origin` is not indexed, because `reason`.
Refuse = Callable[[str, str], None]
# warn(message): indexed, but the user should know.
Warn = Callable[[str], None]


class Refusals:
    """Names each refused input on stderr and counts them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, origin: str, reason: str) -> None:
        self.count += 1
        print(f"{PROG}: refused {origin}: {reason}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)
