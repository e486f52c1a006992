"""Real Pants on a copy of the example workspace (tests/pants/example), under
pantsd (the fixtures are in tests/pants/conftest.py).

Needs .ci/install-pants.sh (Pants's venv, the local pex CLI, the machine
config); its env.sh is found through $DUMB_PYPI_PANTS_HOME or the default
~/.cache/dumb-pypi-pants.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from support.installs import clean_env
from support.tools import installed_env

__all__ = ["EXAMPLE", "Built", "Pants", "installed"]

EXAMPLE = Path(__file__).resolve().parents[1] / "pants" / "example"


def installed() -> dict[str, str]:
    """The variables .ci/install-pants.sh wrote to env.sh."""
    return installed_env("DUMB_PYPI_PANTS_HOME", "dumb-pypi-pants", ".ci/install-pants.sh")


@dataclass
class Pants:
    """`pants` in one workspace, always with the same options so pantsd is reused."""

    buildroot: Path
    binary: str
    config_files: tuple[str, ...]
    dumb_pypi: Path  # the snapshot of dumb_pypi/ this session's Pants runs

    def run(self, *args: str, check: bool = True, pantsd: bool = True) -> subprocess.CompletedProcess[str]:
        env = clean_env("PANTS_")
        env["PANTS_CONFIG_FILES"] = "+" + repr(list(self.config_files))
        argv = [self.binary, "--pantsd" if pantsd else "--no-pantsd", *args]
        proc = subprocess.run(
            argv, check=False, cwd=self.buildroot, env=env, capture_output=True, text=True, timeout=900
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
        return proc

    def stop_pantsd(self) -> None:
        # Only the pantsd this workspace started: its pid file is under its own .pids/.
        for pid_file in self.buildroot.glob(".pids/*/pantsd/pid"):
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass


@dataclass
class Built:
    pants: Pants
    dist: Path
    seconds: float

    def inputs(self) -> dict[str, Path]:
        """The files the index was made of: what Pants built (in dist/) and the prebuilt ones."""
        found = {p.name: p for p in self.dist.iterdir() if p.is_file() and p.name.endswith((".whl", ".tar.gz"))}
        del found["index.tar.gz"]
        prebuilt = self.pants.buildroot / "prebuilt"
        found.update({p.name: p for p in prebuilt.iterdir() if p.name.endswith((".whl", ".tar.gz"))})
        return found
