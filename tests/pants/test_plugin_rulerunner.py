"""The backend's RuleRunner tests, run from the repo's one pytest command.

They import Pants, which lives in its own Python 3.9 venv (.ci/install-pants.sh),
so they run there in a child pytest; its output is shown when it fails.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "pants-plugins"


@pytest.mark.pants
def test_rulerunner_suite_passes_under_pants_python(pants_installed: dict[str, str],
                                                    pip_env: dict[str, str]) -> None:
    python = pants_installed["DUMB_PYPI_PANTS_PYTHON"]
    result = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], check=False, cwd=PLUGINS,
                            env=pip_env, capture_output=True, text=True, timeout=1200)
    summary = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    assert result.returncode == 0, f"pants-plugins RuleRunner tests failed: {summary[0]}\n{result.stdout}\n{result.stderr}"
    assert " passed" in summary[0], summary[0]
