"""A new Pants repository set up from docs/pants.md alone.

The page's pants.toml and BUILD blocks are copied into an empty directory,
with the two directories the page says to copy; only the pex CLI's
placeholders are filled in (with the one .ci/install-pants.sh built, as the
page says to build it), and this machine's own settings (its CA bundle and
pip configuration) come from a second config file, as the page says. Then
`pants package //:index` must build an index of the distribution.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import tomllib

pytestmark = [pytest.mark.pants, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]

PEX_VERSION = "v2.1.137"


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", (REPO / "docs/pants.md").read_text(), re.DOTALL)


def test_a_new_repository_from_the_docs_builds_an_index(
    pants_installed: dict[str, str], pip_env: dict[str, str], tmp_path: Path
) -> None:
    [toml] = [b for b in doc_blocks("toml") if "pants_version" in b]
    [distribution] = [b for b in doc_blocks("python") if "python_distribution(" in b]
    [index] = [b for b in doc_blocks("python") if b.startswith("pypi_index(") and "src/hello:dist" in b]

    pex = Path(pants_installed["DUMB_PYPI_PANTS_HOME"]) / f"pex-{PEX_VERSION}.pex"
    data = pex.read_bytes()
    toml = (
        toml.replace("file:///opt/pants/pex-{version}.pex", f"file://{pex.parent}/pex-{{version}}.pex")
        .replace("SHA256", hashlib.sha256(data).hexdigest())
        .replace("SIZE", str(len(data)))
    )
    repo = tmp_path / "repo"
    (repo / "src/hello/hello").mkdir(parents=True)
    (repo / "pants.toml").write_text(toml)
    (repo / "BUILD").write_text(index)
    (repo / "src/hello/BUILD").write_text(distribution)
    (repo / "src/hello/hello/__init__.py").write_text("def hello() -> str:\n    return 'hello'\n")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "pants-plugins/dumb_pypi_pants", repo / "pants-plugins/dumb_pypi_pants", ignore=ignore)
    shutil.copytree(REPO / "dumb_pypi", repo / "dumb_pypi", ignore=ignore)
    # This machine's settings, as .ci/install-pants.sh wrote them, but its
    # [pex-cli]: that one comes from the page.
    settings = tomllib.loads(Path(pants_installed["DUMB_PYPI_PANTS_CONFIG"]).read_text())
    del settings["pex-cli"]
    machine = tmp_path / "machine.toml"
    machine.write_text(
        "".join(
            f"[{section}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
            for section, values in settings.items()
        )
    )
    env = {**pip_env, "PANTS_CONFIG_FILES": f"+['{machine}']"}
    proc = subprocess.run(
        [pants_installed["DUMB_PYPI_PANTS_BIN"], "--no-pantsd", "package", "//:index"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    try:
        assert proc.returncode == 0, proc.stderr[-6000:]
        with tarfile.open(repo / "dist/index.tar.gz") as tar:
            names = tar.getnames()
        assert "simple/hello/index.html" in names
        assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("packages/") and "/hello-0.1.0" in n) == [
            "hello-0.1.0-py3-none-any.whl",
            "hello-0.1.0-py3-none-any.whl.metadata",
            "hello-0.1.0.tar.gz",
        ]
    finally:
        shutil.rmtree(repo / ".pants.d", ignore_errors=True)
