"""`python -m dumb_pypi` runs the CLI."""

from __future__ import annotations

import sys

from dumb_pypi.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
