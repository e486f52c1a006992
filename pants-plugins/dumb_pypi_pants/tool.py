"""The `dumb_pypi` code as a sandboxed tool: a VenvPex of its sources plus its
pinned requirements, built once and reused by every record and index process.

Like the Bazel rules' (third_party/deps.bzl), the tool is pure Python, so it
runs on any platform and interpreter: the packaging, jinja2, markdown-it-py
and mdurl wheels, resolved intransitively (jinja2's MarkupSafe would otherwise be a
per-CPython, per-platform wheel), plus MarkupSafe's Python sources from its
pinned sdist, which without the compiled speedups use the pure-Python
fallback."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pants.backend.python.subsystems.setup import PythonSetup
from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import PexRequest, VenvPex
from pants.backend.python.util_rules.pex_requirements import PexRequirements
from pants.core.util_rules import archive
from pants.core.util_rules.archive import ExtractedArchive, MaybeExtractArchiveRequest
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestSubset,
    DownloadFile,
    FileContent,
    FileDigest,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.rules import Get, Rule, _uncacheable_rule, collect_rules, rule
from pants.engine.unions import UnionRule
from pants.option.option_types import StrListOption
from pants.option.subsystem import Subsystem
from pants.util.strutil import softwrap

from dumb_pypi_pants.errors import DumbPypiSourcesNotFound

# Where an in-repo checkout keeps the package: <repo>/dumb_pypi beside <repo>/pants-plugins.
_SIBLING_SOURCES = Path(__file__).resolve().parents[2] / "dumb_pypi"

# The pins of the Bazel rules (third_party/deps.bzl), so both build the same bytes.
DEFAULT_REQUIREMENTS = ("packaging==25.0", "jinja2==3.1.6", "markdown-it-py==3.0.0", "mdurl==0.1.2")

# MarkupSafe's sdist (third_party/deps.bzl): its src/markupsafe/ Python files go
# into the tool beside dumb_pypi/.
MARKUPSAFE_VERSION = "3.0.2"
MARKUPSAFE_SDIST_URL = (
    "https://files.pythonhosted.org/packages/b2/97/5d42485e71dfc078108a86d6de8fa46db44a1a9295e89c5d6d4a06e23a62/"
    "markupsafe-3.0.2.tar.gz"
)
MARKUPSAFE_SDIST_DIGEST = FileDigest("ee55d3edf80167e48ea11a923c7386f4669df67d7994554387f84e7d8b0a2bf0", 20537)


class DumbPypiSubsystem(Subsystem):
    options_scope = "dumb-pypi"
    help = "The dumb-pypi index generator that `pypi_index` targets run."

    requirements = StrListOption(
        default=list(DEFAULT_REQUIREMENTS),
        advanced=True,
        help=softwrap(
            """
            Third-party requirements of the `dumb_pypi` package, pinned so that
            the index is reproducible. Resolved intransitively: list every
            distribution it needs but MarkupSafe, whose pure-Python sources
            come from its pinned sdist.
            """
        ),
    )
    interpreter_constraints = StrListOption(
        default=[],
        advanced=True,
        help=softwrap(
            """
            Interpreter constraints for running `dumb_pypi`; empty means
            `[python].interpreter_constraints`.
            """
        ),
    )


@dataclass(frozen=True)
class DumbPypiToolRequest:
    """Asked for explicitly, so inputs are validated before the tool is built."""


@dataclass(frozen=True)
class DumbPypiTool:
    pex: VenvPex


def locate_dumb_pypi_sources() -> Path:
    """The `dumb_pypi` package directory: importable one first (a `[GLOBAL].plugins`
    install or a `pythonpath` entry), else the in-repo sibling of `pants-plugins/`."""
    spec = importlib.util.find_spec("dumb_pypi")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if (_SIBLING_SOURCES / "__main__.py").is_file():
        return _SIBLING_SOURCES
    raise DumbPypiSourcesNotFound(
        softwrap(
            f"""
            The `dumb_pypi` package is neither importable by Pants nor at
            {_SIBLING_SOURCES}: add the directory holding it to
            `[GLOBAL].pythonpath`, or install it with `[GLOBAL].plugins`.
            """
        )
    )


def read_dumb_pypi_sources(package_dir: Path) -> tuple[FileContent, ...]:
    """Every file of the package, sorted, without bytecode."""
    files = []
    for root, dirs, names in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(root, name)
            relpath = path.relative_to(package_dir.parent).as_posix()
            files.append(FileContent(relpath, path.read_bytes()))
    if not any(f.path == "dumb_pypi/__main__.py" for f in files):
        raise DumbPypiSourcesNotFound(f"{package_dir} has no __main__.py: not the dumb_pypi package")
    return tuple(files)


@dataclass(frozen=True)
class DumbPypiSourcesRequest:
    pass


@dataclass(frozen=True)
class DumbPypiSources:
    digest: Digest


# Uncacheable: the files may live outside the build root, where the engine
# watches nothing, so pantsd must read them again in every session. Unchanged
# files give the same digest, so nothing downstream runs again.
@_uncacheable_rule(desc="Read the dumb_pypi sources")
async def read_sources(_: DumbPypiSourcesRequest) -> DumbPypiSources:
    files = read_dumb_pypi_sources(locate_dumb_pypi_sources())
    return DumbPypiSources(await Get(Digest, CreateDigest(files)))


@dataclass(frozen=True)
class PureMarkupSafeRequest:
    pass


@dataclass(frozen=True)
class PureMarkupSafe:
    digest: Digest


@rule(desc="Fetch MarkupSafe's pure-Python sources")
async def pure_markupsafe(_: PureMarkupSafeRequest) -> PureMarkupSafe:
    sdist = await Get(Digest, DownloadFile(MARKUPSAFE_SDIST_URL, MARKUPSAFE_SDIST_DIGEST))
    extracted = await Get(ExtractedArchive, MaybeExtractArchiveRequest(sdist))
    src = f"markupsafe-{MARKUPSAFE_VERSION}/src"
    package = await Get(
        Digest, DigestSubset(extracted.digest, PathGlobs([f"{src}/markupsafe/*.py", f"{src}/markupsafe/py.typed"]))
    )
    return PureMarkupSafe(await Get(Digest, RemovePrefix(package, src)))


@rule(desc="Build the dumb-pypi tool")
async def build_dumb_pypi_tool(
    _: DumbPypiToolRequest, subsystem: DumbPypiSubsystem, python_setup: PythonSetup
) -> DumbPypiTool:
    dumb_pypi = (await Get(DumbPypiSources, DumbPypiSourcesRequest())).digest
    markupsafe = (await Get(PureMarkupSafe, PureMarkupSafeRequest())).digest
    sources = await Get(Digest, MergeDigests([dumb_pypi, markupsafe]))
    constraints = subsystem.interpreter_constraints or python_setup.interpreter_constraints
    venv_pex = await Get(
        VenvPex,
        PexRequest(
            output_filename="dumb_pypi.pex",
            internal_only=True,
            requirements=PexRequirements(subsystem.requirements, description_of_origin="[dumb-pypi].requirements"),
            interpreter_constraints=InterpreterConstraints(constraints),
            sources=sources,
            main=EntryPoint("dumb_pypi.__main__"),
            # Intransitive, so MarkupSafe is not resolved as a platform wheel; the
            # check at boot would miss it (its sources are not a distribution).
            additional_args=("--intransitive", "--ignore-errors"),
            description="Build the dumb-pypi tool",
        ),
    )
    return DumbPypiTool(venv_pex)


def rules() -> Iterable[Rule | UnionRule]:
    # pex.rules() and archive.rules() are unannotated in Pants.
    return [*collect_rules(), *pex.rules(), *archive.rules()]  # type: ignore[no-untyped-call]
