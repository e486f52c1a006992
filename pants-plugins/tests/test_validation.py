"""Target and field validation: what a `pypi_index` refuses, before any
process runs, and how it says so."""

from __future__ import annotations

import pytest
from dumb_pypi_pants.collect import DistFiles, DistFilesRequest
from dumb_pypi_pants.package import PypiIndexFieldSet
from dumb_pypi_pants.target_types import PypiIndexDependenciesField, PypiIndexTarget
from helpers import raises_with
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.testutil.rule_runner import RuleRunner

WHEEL = "demo-1.0-py3-none-any.whl"


def collect(rule_runner: RuleRunner, spec_path: str = "", name: str = "index") -> DistFiles:
    tgt = rule_runner.get_target(Address(spec_path, target_name=name))
    return rule_runner.request(DistFiles, [DistFilesRequest(tgt.address, tgt[PypiIndexDependenciesField])])


def test_target_fields_and_defaults(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"BUILD": 'pypi_index(name="index")'})
    tgt = rule_runner.get_target(Address("", target_name="index"))
    assert isinstance(tgt, PypiIndexTarget)
    field_set = PypiIndexFieldSet.create(tgt)
    assert field_set.title.value is None
    assert field_set.extra_args.value == ()
    assert field_set.output_path.value_or_default(file_ending=None) == "index"


def test_title_must_be_a_string(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"BUILD": 'pypi_index(name="index", title=["x"])'})
    with raises_with("title", "//:index", "string"):
        rule_runner.get_target(Address("", target_name="index"))


def test_python_sources_dependency_is_refused(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/app/main.py": "print('hi')\n",
            "src/app/BUILD": 'python_sources(name="lib")',
            "BUILD": 'pypi_index(name="index", dependencies=["src/app:lib"])',
        }
    )
    with raises_with(
        "NotADistributionError",
        "pypi_index //:index: these dependencies are not distributions",
        "src/app/main.py:lib: a `python_source` target",
    ):
        collect(rule_runner)


def test_files_target_matching_nothing_is_refused(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "wheels/BUILD": 'files(name="wheels", sources=["*.whl"])',
            "BUILD": 'pypi_index(name="index", dependencies=["wheels"])',
        }
    )
    with raises_with("wheels:wheels: a `files` target whose sources match no files"):
        collect(rule_runner)


def test_same_name_different_content_is_refused(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            f"a/{WHEEL}": b"first",
            "a/BUILD": f'file(name="w", source="{WHEEL}")',
            f"b/{WHEEL}": b"second",
            "b/BUILD": f'resource(name="w", source="{WHEEL}")',
            "BUILD": 'pypi_index(name="index", dependencies=["a:w", "b:w"])',
        }
    )
    with raises_with(
        "ConflictingFilesError",
        "same filename but different content",
        f"* {WHEEL}:",
        "a:w: sha256=",
        "b:w: sha256=",
    ):
        collect(rule_runner)


def test_same_file_twice_is_one_input(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            f"a/{WHEEL}": b"same bytes",
            "a/BUILD": f'file(name="w", source="{WHEEL}")',
            f"b/{WHEEL}": b"same bytes",
            "b/BUILD": 'files(name="w", sources=["*.whl"])',
            "BUILD": 'pypi_index(name="index", dependencies=["a:w", "b:w"])',
        }
    )
    files = collect(rule_runner)
    assert [(f.filename, f.origin) for f in files] == [(WHEEL, "a:w")]
    # The digest holds the file alone, under its own name: the record caches per file.
    contents = rule_runner.request(DigestContents, [files[0].digest])
    assert [(c.path, c.content) for c in contents] == [(WHEEL, b"same bytes")]


@pytest.mark.parametrize("flag", ["--output-dir", "--pool", "--tarball=x.tgz"])
def test_extra_args_cannot_take_over_the_layout(rule_runner: RuleRunner, flag: str) -> None:
    from pants.core.goals.package import BuiltPackage

    rule_runner.write_files({"BUILD": f'pypi_index(name="index", extra_args=["{flag}"])'})
    tgt = rule_runner.get_target(Address("", target_name="index"))
    with raises_with("pypi_index //:index: `extra_args` may not set", flag.split("=")[0]):
        rule_runner.request(BuiltPackage, [PypiIndexFieldSet.create(tgt)])


def test_empty_python_sources_is_not_called_an_empty_files_target(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/empty/BUILD": 'python_sources(name="lib", sources=["nothing/*.py"])',
            "BUILD": 'pypi_index(name="index", dependencies=["src/empty:lib"])',
        }
    )
    with raises_with("src/empty:lib: a `python_sources` target\n"):
        collect(rule_runner)


def test_pypi_dist_upload_time_must_not_be_negative(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({f"d/{WHEEL}": b"x", "d/BUILD": f'pypi_dist(name="w", source="{WHEEL}", upload_time=-1)'})
    with raises_with("upload_time", "d:w", "seconds since the epoch", "but was -1"):
        rule_runner.get_target(Address("d", target_name="w"))


def test_same_file_with_different_facts_is_refused(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            f"a/{WHEEL}": b"same bytes",
            "a/BUILD": f'pypi_dist(name="w", source="{WHEEL}", yanked_reason="broken")',
            f"b/{WHEEL}": b"same bytes",
            "b/BUILD": f'file(name="w", source="{WHEEL}")',
            "BUILD": 'pypi_index(name="index", dependencies=["a:w", "b:w"])',
        }
    )
    with raises_with(
        f"* {WHEEL} (same content, different index facts):",
        "a:w: --yanked-reason broken",
        "b:w: (no facts)",
    ):
        collect(rule_runner)
