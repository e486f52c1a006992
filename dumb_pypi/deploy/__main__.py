"""`python -m dumb_pypi.deploy` is `dumb-pypi deploy`."""

from __future__ import annotations

import sys

from dumb_pypi.deploy import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
