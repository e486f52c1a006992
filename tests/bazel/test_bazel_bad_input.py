"""Bad input fails the build with a message naming the target and the reason.

Each case is a target of tests/e2e/bad, built alone in one shared output base.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support.bazel import Bazel, Session

pytestmark = pytest.mark.bazel


@pytest.fixture(scope="module")
def bad_workspace(bazel_session: Session) -> Bazel:
    root = bazel_session.checkout("bad")
    return bazel_session.bazel(root / "tests/e2e/bad", "bad", [f"--disk_cache={bazel_session.disk_cache}"])


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "//:not_a_dist",
            r"//:not_a_dist: //:notes\.txt provides notes\.txt, which is not a wheel or sdist",
        ),
        (
            "//:metadata_disagrees",
            (
                r"Inspecting greet-2\.0\.0-py3-none-any\.whl from //:renamed_wheel for //:metadata_disagrees failed"
                r"[\s\S]*greet-2\.0\.0-py3-none-any\.whl: metadata says version '1\.0\.0'"
                r" but the filename says '2\.0\.0'"
            ),
        ),
        (
            "//:renamed_dist",
            (
                r"Inspecting greet-2\.0\.0-py3-none-any\.whl from //:renamed_wheel for //:renamed_dist failed"
                r"[\s\S]*greet-2\.0\.0-py3-none-any\.whl: metadata says version '1\.0\.0'"
                r" but the filename says '2\.0\.0'"
            ),
        ),
        (
            "//:not_a_zip",
            (
                r"Inspecting fake-1\.0-py3-none-any\.whl from //:text_wheel for //:not_a_zip failed"
                r"[\s\S]*fake-1\.0-py3-none-any\.whl: cannot read the archive"
            ),
        ),
        (
            "//:same_filename",
            (
                r"Writing index //:same_filename \(2 files\) failed"
                r"(?=[\s\S]*//a:greet_whl)(?=[\s\S]*//b:greet_whl)"
                r"[\s\S]*greet-1\.0\.0-py3-none-any\.whl[\s\S]*different content"
            ),
        ),
    ],
)
def test_bad_input_fails_with_reason(bad_workspace: Bazel, target: str, expected: str) -> None:
    result = bad_workspace.build(target, check=False)
    assert result.returncode != 0, f"{target} built, but must fail"
    assert re.search(expected, result.stderr), result.stderr[-4000:]
    # Starlark's fail() prints a Starlark stack (tab-indented); the CLI must
    # never print a Python one.
    assert 'Traceback (most recent call last):\n  File "' not in result.stderr


def test_same_file_twice_is_one_distribution(bad_workspace: Bazel, tmp_path: Path) -> None:
    bad_workspace.build("//:same_file_twice")
    tree = bad_workspace.bin("same_file_twice")
    wheels = sorted(p.name for p in (tree / "packages").rglob("*.whl"))
    assert wheels == ["greet-1.0.0-py3-none-any.whl"]


def test_interpreter_of_another_version_fails_each_action_in_one_line(bad_workspace: Bazel) -> None:
    """The toolchain declares 3.10, /usr/bin/python3 is another version: the action says so, in one line."""
    actual = subprocess.run(
        ["/usr/bin/python3", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not actual.startswith("3.10."), "this test needs a /usr/bin/python3 that is not 3.10"
    result = bad_workspace.build("//a:greet_whl", check=False, flags=["--extra_toolchains=//:python_declared_3_10"])
    assert result.returncode != 0
    [line] = [line for line in result.stderr.splitlines() if line.startswith("dumb-pypi: ")]
    assert line == (
        "dumb-pypi: this action expects Python 3.10 (the version its Python toolchain declares), "
        f"but /usr/bin/python3 is Python {actual}: point the toolchain at a Python 3.10 or declare {actual}"
    )
