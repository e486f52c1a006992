"""Pinned runtime dependencies of the dumb_pypi generator.

The generator imports packaging, jinja2 (with MarkupSafe) and markdown-it-py
(with mdurl). Inside Bazel actions they come from these pins only, in a form
that runs on any interpreter and platform, so that every action can run on
any remote worker:

* packaging, jinja2, markdown-it-py and mdurl: their pure wheels
  (`py3-none-any`), on `sys.path` as zip files; markdown-it-py 3.0.0 because
  4.x needs Python >= 3.10 and the generator supports 3.9;
* MarkupSafe: its sdist. MarkupSafe publishes no pure wheel (only per-CPython,
  per-platform ones, whose C speedups would tie an action to one worker
  image). Its Python sources (`src/markupsafe/*.py`) go on `sys.path` as they
  are: without the compiled `_speedups`, MarkupSafe uses its own pure-Python
  fallback (`markupsafe._native`), as it does on PyPy.

The example index (`//third_party:runtime_wheels`) publishes the four wheels
and `markupsafe-3.0.2+pure-py3-none-any.whl`, a pure wheel that
`py_wheel_dist` builds hermetically from the same sdist sources (see
third_party/BUILD): `pip install dumb-pypi` from that index then works on
any platform and any CPython >= 3.9, and the `+pure` local version says it is
not an upstream build.

Every file is pinned by sha256 and comes from the PyPI file host. The same
pins are in scripts/build_pex.sh and pants-plugins/dumb_pypi_pants/tool.py
(tests check that they agree).
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive", "http_file")

_HOST = "https://files.pythonhosted.org/packages/"

# repository name -> (path under the file host, sha256). The filename is the
# last path segment; it is kept as the downloaded name because the index
# publishes files under their own names.
DUMB_PYPI_PINS = {
    "dumb_pypi_jinja2": (
        "62/a1/3d680cbfd5f4b8f15abc1d571870c5fc3e594bb582bc3b64ea099db13e56/jinja2-3.1.6-py3-none-any.whl",
        "85ece4451f492d0c13c5dd7c13a64681a86afae63a5f347908daf103ce6d2f67",
    ),
    "dumb_pypi_markdown_it_py": (
        "42/d7/1ec15b46af6af88f19b8e5ffea08fa375d433c998b8a7639e76935c14f1f/markdown_it_py-3.0.0-py3-none-any.whl",
        "355216845c60bd96232cd8d8c40e8f9765cc86f46880e43a8fd22dc1a1a8cab1",
    ),
    "dumb_pypi_mdurl": (
        "b3/38/89ba8ad64ae25be8de66a6d463314cf1eb366222074cfda9ee839c56a4b4/mdurl-0.1.2-py3-none-any.whl",
        "84008a41e51615a49fc9966191ff91509e3c40b939176e643fd50a5c2196b8f8",
    ),
    "dumb_pypi_packaging": (
        "20/12/38679034af332785aac8774540895e234f4d07f7545804097de4b666afd8/packaging-25.0-py3-none-any.whl",
        "29572ef2b1f17581046b3a2227d5c611fb25ec70ca1ba8554b24b0e69331a484",
    ),
}

# MarkupSafe's sdist: its pure-Python sources, as a repository.
MARKUPSAFE_SDIST = (
    "b2/97/5d42485e71dfc078108a86d6de8fa46db44a1a9295e89c5d6d4a06e23a62/markupsafe-3.0.2.tar.gz",
    "ee55d3edf80167e48ea11a923c7386f4669df67d7994554387f84e7d8b0a2bf0",
)
MARKUPSAFE_VERSION = "3.0.2"

_MARKUPSAFE_BUILD = """\
package(default_visibility = ["//visibility:public"])

# The pure-Python package: no _speedups.c, so markupsafe falls back to
# markupsafe._native on any interpreter.
filegroup(
    name = "markupsafe",
    srcs = glob(["src/markupsafe/*.py"]) + ["src/markupsafe/py.typed"],
)

exports_files(["LICENSE.txt", "README.md"])
"""

def _declare_markupsafe(name):
    path, sha256 = MARKUPSAFE_SDIST
    http_archive(
        name = name,
        urls = [_HOST + path],
        sha256 = sha256,
        strip_prefix = "markupsafe-" + MARKUPSAFE_VERSION,
        build_file_content = _MARKUPSAFE_BUILD,
    )

def declare_pinned_deps(skip = []):
    """Declares one repository per pin.

    Args:
      skip: names of repositories not to declare (the WORKSPACE has them).
    """
    for name, (path, sha256) in DUMB_PYPI_PINS.items():
        if name in skip:
            continue
        http_file(
            name = name,
            urls = [_HOST + path],
            sha256 = sha256,
            downloaded_file_path = path.rsplit("/", 1)[-1],
        )
    if "dumb_pypi_markupsafe" not in skip:
        _declare_markupsafe("dumb_pypi_markupsafe")

# Every repository declare_pinned_deps() declares.
PINNED_REPOSITORIES = sorted(list(DUMB_PYPI_PINS) + ["dumb_pypi_markupsafe"])
