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

`DEPLOY_PINS` are not the generator's: they are the S3 client of
`bazel run //:<index>.deploy` (`dumb-pypi deploy ... s3://...`), which runs
on the machine of `bazel run`, never in an action. That is obstore 0.12.1
(Rust's object_store; `cp311-abi3` binary wheels, so Python >= 3.11: one
wheel per platform, picked by `@platforms` constraints in third_party/BUILD)
and botocore with what it imports (jmespath, python-dateutil, six, urllib3:
pure wheels; the deploy imports botocore only to read AWS profiles when the
environment holds no keys). Each wheel is extracted into its repository and
the repository's root goes on `sys.path`: an extension module does not
import from a zip, and botocore lists its `data/` directory. Bazel fetches
these repositories only when a `.deploy` target is built, and obstore's
only for the platform it is built for.
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

# The S3 client of `<index>.deploy`: repository name -> (path under the file
# host, sha256). Each is a wheel, extracted (see _WHEEL_BUILD). The versions
# are what pip resolves for `obstore==0.12.1 botocore` on CPython 3.11.
DEPLOY_PINS = {
    "dumb_pypi_deploy_botocore": (
        "98/07/bcaaa60914561acd75f0414ad0cee98228324fc67ee59ceec29525301f06/botocore-1.44.18-py3-none-any.whl",
        "300bc45095e810c5d915cefacdd6ea9ef786fe566aa4e221bf0449b4e0e95076",
    ),
    "dumb_pypi_deploy_jmespath": (
        "14/2f/967ba146e6d58cf6a652da73885f52fc68001525b4197effc174321d70b4/jmespath-1.1.0-py3-none-any.whl",
        "a5663118de4908c91729bea0acadca56526eb2698e83de10cd116ae0f4e97c64",
    ),
    # obstore: one binary wheel per platform (third_party/BUILD selects one).
    "dumb_pypi_deploy_obstore_linux_aarch64": (
        "81/b5/f327b606c3aa1c7cc78f7595da7df96d8751e69912afa6331b48234098b6/obstore-0.12.1-cp311-abi3-manylinux_2_24_aarch64.whl",
        "d7ee9cde74dbe11a4630c90d7245543993f3cebc38a70aceaedcd3b3d6192807",
    ),
    "dumb_pypi_deploy_obstore_linux_x86_64": (
        "9f/de/dc6eb84ef8d1f96af626c83b3da436b1a4d6b89aa52b560d4451f9ca8ef8/obstore-0.12.1-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "d31b255aec88d37636d374a651f5efc684c89716ab64dea6ac89d75801933af2",
    ),
    "dumb_pypi_deploy_obstore_macos_aarch64": (
        "c9/bf/78437ef20196862b6f77f112184ca6c14783ddb98eb601fea88ee07c7acb/obstore-0.12.1-cp311-abi3-macosx_11_0_arm64.whl",
        "60af5d92da9332014bba8d34f985b9dc692e73d1141d1775dd3a328db476f219",
    ),
    "dumb_pypi_deploy_obstore_macos_x86_64": (
        "f7/ed/9667a1b1c6022b212460210929cc2b89bd72883c1182c9ea513a228158ad/obstore-0.12.1-cp311-abi3-macosx_10_12_x86_64.whl",
        "8c97afecce59224b82fcb4588a3d6fbef479bd6cc2616b8f4d3d3ddba43fa6b7",
    ),
    "dumb_pypi_deploy_python_dateutil": (
        "ec/57/56b9bcc3c9c6a792fcbaf139543cee77261f3651ca9da0c93f5c1221264b/python_dateutil-2.9.0.post0-py2.py3-none-any.whl",
        "a8b2bc7bffae282281c8140a97d3aa9c14da0b136dfe83f850eea9a5f7470427",
    ),
    "dumb_pypi_deploy_six": (
        "b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl",
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274",
    ),
    "dumb_pypi_deploy_urllib3": (
        "92/9d/c4e665119135114480843e7ab388fa94d8480650450e6f8e26b70d323a4c/urllib3-2.8.0-py3-none-any.whl",
        "0cf3cae568d36aa9576b28dfb35f11328f1cb974ca7647d9475ebb86c75ac6e3",
    ),
}

# An extracted wheel: the repository's root is a sys.path entry. Its scripts
# (`*.data/`) are left out.
_WHEEL_BUILD = """\
package(default_visibility = ["//visibility:public"])

filegroup(
    name = "files",
    srcs = glob(
        ["**"],
        exclude = [
            "BUILD.bazel",
            "WORKSPACE",
            "*.data/**",
        ],
    ),
)
"""

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
    for name, (path, sha256) in DEPLOY_PINS.items():
        if name in skip:
            continue
        http_archive(
            name = name,
            urls = [_HOST + path],
            sha256 = sha256,
            type = "zip",
            build_file_content = _WHEEL_BUILD,
        )

# Every repository declare_pinned_deps() declares.
PINNED_REPOSITORIES = sorted(list(DUMB_PYPI_PINS) + ["dumb_pypi_markupsafe"] + list(DEPLOY_PINS))
