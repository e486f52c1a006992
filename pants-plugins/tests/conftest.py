"""RuleRunner set up like a real workspace: the backend, Pants's Python and
core targets, and the machine config that .ci/install-pants.sh wrote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import toml
from dumb_pypi_pants import register
from dumb_pypi_pants.collect import DistFiles, DistFilesRequest
from dumb_pypi_pants.package import DistRecord, PypiIndexFieldSet, RecordRequest
from dumb_pypi_pants.tool import DumbPypiTool, DumbPypiToolRequest
from pants.backend.python import target_types_rules
from pants.backend.python.goals import package_dists
from pants.backend.python.macros.python_artifact import PythonArtifact
from pants.backend.python.target_types import PythonDistribution, PythonSourcesGeneratorTarget
from pants.backend.python.util_rules import python_sources
from pants.backend.python.util_rules.pex import VenvPexProcess
from pants.core.goals.package import BuiltPackage
from pants.core.target_types import (
    FilesGeneratorTarget,
    FileTarget,
    ResourcesGeneratorTarget,
    ResourceTarget,
)
from pants.core.target_types import rules as core_target_types_rules
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

PLUGIN_ROOT = Path(__file__).resolve().parents[1]


def machine_config() -> dict:
    """The generated pants.machine.toml (RuleRunner reads no config files)."""
    path = os.environ.get("DUMB_PYPI_PANTS_CONFIG") or str(
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"), "dumb-pypi-pants", "pants.machine.toml")
    )
    if not Path(path).is_file():
        pytest.fail(f"{path} is missing: run .ci/install-pants.sh first")
    return dict(toml.load(path))


def machine_config_args() -> list[str]:
    """The machine config as command-line flags."""
    args = []
    for section, values in machine_config().items():
        for key, value in values.items():
            flag = key if section == "GLOBAL" else f"{section}-{key}"
            args.append(
                f"--{flag.replace('_', '-')}={value!r}"
                if isinstance(value, list)
                else f"--{flag.replace('_', '-')}={value}"
            )
    return args


def make_rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            *package_dists.rules(),
            *python_sources.rules(),
            *target_types_rules.rules(),
            *core_target_types_rules(),
            QueryRule(BuiltPackage, [PypiIndexFieldSet]),
            QueryRule(DistFiles, [DistFilesRequest]),
            QueryRule(DistRecord, [RecordRequest]),
            QueryRule(DumbPypiTool, [DumbPypiToolRequest]),
            QueryRule(Process, [VenvPexProcess]),
            QueryRule(ProcessResult, [Process]),
        ],
        target_types=[
            *register.target_types(),
            PythonDistribution,
            PythonSourcesGeneratorTarget,
            FileTarget,
            FilesGeneratorTarget,
            ResourceTarget,
            ResourcesGeneratorTarget,
        ],
        objects={"python_artifact": PythonArtifact},
        # A bootstrap option: the engine's downloader (MarkupSafe's sdist) needs it at creation.
        ca_certs_path=machine_config().get("GLOBAL", {}).get("ca_certs_path"),
    )
    runner.set_options(
        [
            *machine_config_args(),
            "--python-interpreter-constraints=['CPython==3.11.*']",
            "--source-root-patterns=['/src', '/src/greet']",
        ],
        env_inherit={"PATH", "PYENV_ROOT", "HOME"},
    )
    return runner


@pytest.fixture
def rule_runner() -> RuleRunner:
    return make_rule_runner()
