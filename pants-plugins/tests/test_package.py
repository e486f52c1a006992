"""`pants package` of a `pypi_index` through the real rules: the tool PEX is
built from the in-repo `dumb_pypi`, and every record and the index step run
as real sandboxed processes."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import PurePosixPath

import pytest
from dumb_pypi_pants.package import PypiIndexFieldSet
from helpers import make_prebuilt, raises_with
from pants.core.goals.package import BuiltPackage
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.testutil.rule_runner import RuleRunner

GREET_BUILD = """
python_sources(name="lib", sources=["greet/*.py"])
python_distribution(
    name="dist",
    dependencies=[":lib"],
    provides=python_artifact(name="greet", version="1.0.0"),
)
"""


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    """One engine for the module, so the tool and interpreter are set up once;
    each test writes its targets under a directory of its own."""
    from conftest import make_rule_runner

    return make_rule_runner()


def package(rule_runner: RuleRunner, address: Address) -> tuple[BuiltPackage, dict[str, bytes]]:
    tgt = rule_runner.get_target(address)
    built = rule_runner.request(BuiltPackage, [PypiIndexFieldSet.create(tgt)])
    contents = rule_runner.request(DigestContents, [built.digest])
    return built, {c.path: c.content for c in contents}


def prebuilt_files(root: str) -> dict[str, str | bytes]:
    module = make_prebuilt()
    return {
        f"{root}/prebuilt/hello_prebuilt-0.1.0-py3-none-any.whl": module.wheel_bytes(),
        f"{root}/prebuilt/hello_prebuilt-0.1.0.tar.gz": module.sdist_bytes(),
        f"{root}/prebuilt/BUILD": 'files(name="files", sources=["*.whl", "*.tar.gz"])',
    }


def test_index_of_a_distribution_and_prebuilt_files(rule_runner: RuleRunner) -> None:
    prebuilt = prebuilt_files("full")
    rule_runner.write_files(
        {
            **prebuilt,
            "src/greet/greet/__init__.py": "def hi() -> str:\n    return 'hi'\n",
            "src/greet/BUILD": GREET_BUILD,
            "full/site/BUILD": 'pypi_index(name="index", title="Test index", '
            'dependencies=["src/greet:dist", "full/prebuilt:files"])',
        }
    )
    built, out = package(rule_runner, Address("full/site", target_name="index"))

    assert [a.relpath for a in built.artifacts] == [
        "full.site/index/",
        "full.site/index.tar.gz",
        "full.site/index.manifest.json",
        "full.site/index.root_digest",
    ]
    root = "full.site/index/"
    tree = {p[len(root) :]: data for p, data in out.items() if p.startswith(root)}

    # Every input sits in the content-addressed pool under its own sha256.
    pooled = {PurePosixPath(p).name: (p, data) for p, data in tree.items() if p.startswith("packages/")}
    expected_names = {
        "greet-1.0.0-py3-none-any.whl",
        "greet-1.0.0.tar.gz",
        "hello_prebuilt-0.1.0-py3-none-any.whl",
        "hello_prebuilt-0.1.0.tar.gz",
    }
    assert expected_names <= set(pooled)
    for name in expected_names:
        path, data = pooled[name]
        h = hashlib.sha256(data).hexdigest()
        assert path == f"packages/{h[:2]}/{h[2:4]}/{h[4:]}/{name}"
    for name in ("hello_prebuilt-0.1.0-py3-none-any.whl", "hello_prebuilt-0.1.0.tar.gz"):
        assert pooled[name][1] == prebuilt[f"full/prebuilt/{name}"]
    assert "simple/greet/index.html" in tree
    assert "simple/hello-prebuilt/index.html" in tree
    assert "Test index" in tree["index.html"].decode()

    # The manifest describes exactly the tree, and the tarball holds exactly the tree.
    manifest = json.loads(out["full.site/index.manifest.json"])
    assert manifest == json.loads(tree["manifest.json"])
    assert out["full.site/index.root_digest"].decode() == manifest["root_digest"] + "\n"
    assert set(manifest["files"]) == set(tree) - {"manifest.json"}
    for path, entry in manifest["files"].items():
        assert entry == {"sha256": hashlib.sha256(tree[path]).hexdigest(), "size": len(tree[path])}
    with tarfile.open(fileobj=io.BytesIO(out["full.site/index.tar.gz"])) as tf:
        members = {m.name.removeprefix("./"): tf.extractfile(m).read() for m in tf.getmembers() if m.isfile()}
    assert members == tree


def test_tree_does_not_depend_on_where_it_is_built(rule_runner: RuleRunner) -> None:
    deps = 'dependencies=["where/prebuilt:files"], title="Same"'
    rule_runner.write_files(
        {
            **prebuilt_files("where"),
            "where/a/BUILD": f'pypi_index(name="one", {deps})',
            "where/b/c/BUILD": f'pypi_index(name="two", {deps}, output_path="elsewhere/idx")',
        }
    )
    _, one = package(rule_runner, Address("where/a", target_name="one"))
    _, two = package(rule_runner, Address("where/b/c", target_name="two"))
    assert one["where.a/one.manifest.json"] == two["elsewhere/idx.manifest.json"]
    assert one["where.a/one.tar.gz"] == two["elsewhere/idx.tar.gz"]


def test_file_that_is_not_a_distribution_is_named(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "notdist/docs/notes.txt": "not a wheel\n",
            "notdist/docs/BUILD": 'file(name="notes", source="notes.txt")',
            "notdist/BUILD": 'pypi_index(name="index", dependencies=["notdist/docs:notes"])',
        }
    )
    with raises_with("pypi_index notdist:index: dumb-pypi refused these inputs", "notes.txt from notdist/docs:notes"):
        package(rule_runner, Address("notdist", target_name="index"))


def test_index_step_failure_is_reported(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **prebuilt_files("stepfail"),
            "stepfail/BUILD": 'pypi_index(name="index", dependencies=["stepfail/prebuilt:files"], '
            'extra_args=["--title"])',
        }
    )
    with raises_with("pypi_index stepfail:index: dumb-pypi failed (exit"):
        package(rule_runner, Address("stepfail", target_name="index"))


def test_packages_url_links_files_instead_of_pooling_them(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **prebuilt_files("linked"),
            "linked/BUILD": 'pypi_index(name="index", dependencies=["linked/prebuilt:files"], '
            'packages_url="https://bucket.example/pkgs/")',
        }
    )
    _, out = package(rule_runner, Address("linked", target_name="index"))
    root = "linked/index/"
    tree = {p[len(root) :]: data for p, data in out.items() if p.startswith(root)}
    assert tree and not [p for p in tree if p.startswith("packages/")]
    page = tree["simple/hello-prebuilt/index.html"].decode()
    assert "https://bucket.example/pkgs/hello_prebuilt-0.1.0-py3-none-any.whl" in page


def test_pypi_dist_facts_reach_the_index(rule_runner: RuleRunner) -> None:
    module = make_prebuilt()
    rule_runner.write_files(
        {
            "facts/hello_prebuilt-0.1.0-py3-none-any.whl": module.wheel_bytes(),
            "facts/BUILD": 'pypi_dist(name="old", source="hello_prebuilt-0.1.0-py3-none-any.whl", '
            'yanked_reason="use 0.2", upload_time=1700000000, uploaded_by="release-bot")\n'
            'pypi_index(name="index", dependencies=[":old"])',
        }
    )
    _, out = package(rule_runner, Address("facts", target_name="index"))
    (entry,) = json.loads(out["facts/index/simple/hello-prebuilt/index.json"])["files"]
    assert entry["yanked"] == "use 0.2"
    assert entry["upload-time"].startswith("2023-11-14T22:13:20")
    assert "release-bot" in out["facts/index/project/hello-prebuilt/index.html"].decode()
