"""A tiny package that says hello; its wheel is built by py_wheel_dist."""

import sys
import sysconfig
from pathlib import Path

from packaging.version import Version

__version__ = "1.2.0"


def main() -> int:
    conf = Path(sysconfig.get_paths()["data"]) / "etc" / "greet" / "greet.conf"
    print(f"hello from greet {Version(__version__)}; greeting={conf.read_text().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
