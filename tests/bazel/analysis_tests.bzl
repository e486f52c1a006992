"""Analysis tests of the dumb-pypi rules (skylib analysistest).

They check what the rules decide at analysis time: filenames, the actions
they emit (one record per file, one index action), the interpreter those
actions run, and the errors for bad input.
"""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")
load("//rules:defs.bzl", "PyDistInfo", "PypiIndexInfo", "py_wheel_dist", "pypi_dist", "pypi_index")
load("//rules:python_toolchain.bzl", "dumb_pypi_python_toolchain")

# The interpreter of the toolchain dumb_pypi_dependencies() registers
# (@dumb_pypi_python//:toolchain), not a `python3` looked up on PATH.
_TOOLCHAIN_PYTHON = "/usr/bin/python3"

def _mnemonics(actions):
    return sorted([a.mnemonic for a in actions if a.mnemonic != "FileWrite"])

def _by_mnemonic(actions, mnemonic):
    return [a for a in actions if a.mnemonic == mnemonic]

def _basenames(files):
    return sorted([f.basename for f in files])

# --- py_wheel_dist: filename, actions, interpreter ------------------------

def _wheel_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    asserts.equals(env, ["acme_tools-1.0rc1-py2.py3-none-any.whl"], _basenames(target[DefaultInfo].files.to_list()))
    info = target[PyDistInfo]
    asserts.equals(env, "acme_tools-1.0rc1-py2.py3-none-any.whl", info.file.basename)
    asserts.equals(env, "wheel_under_test.record.json", info.record.basename)
    asserts.equals(env, str(target.label), info.origin)

    actions = analysistest.target_actions(env)

    # One action per wheel: it writes the wheel and the wheel's record.
    asserts.equals(env, ["PyWheelDist"], _mnemonics(actions))

    # Two outputs per wheel (the wheel, its record) and nothing else for every
    # later build to track: the wheel's config travels on the command line.
    asserts.equals(env, [], _by_mnemonic(actions, "FileWrite"), "no config file output")
    wheel_action = _by_mnemonic(actions, "PyWheelDist")[0]
    asserts.equals(env, ["acme_tools-1.0rc1-py2.py3-none-any.whl", "wheel_under_test.record.json"], _basenames(wheel_action.outputs.to_list()))
    argv = wheel_action.argv
    config = json.decode(argv[argv.index("--wheel") + 1])
    asserts.equals(env, "acme_tools-1.0rc1-py2.py3-none-any.whl", config["filename"])
    asserts.equals(env, ["testdata/pkg/__init__.py"], [f["dest"] for f in config["files"]])
    asserts.equals(env, _TOOLCHAIN_PYTHON, argv[0], "actions run the toolchain's interpreter")
    asserts.equals(env, ["-I", "-S", "-B"], argv[1:4], "isolated interpreter")
    asserts.equals(env, {}, wheel_action.env, "actions get an empty environment")
    asserts.true(env, "--python" in argv, "the interpreter's declared version is on the command line")
    cli = argv[argv.index("--") + 1:]
    asserts.equals(env, ["record", info.file.path, "--output", info.record.path], cli[:4], "the record of the wheel just written")
    asserts.true(env, "--yanked-reason" in cli and "broken" in cli, "yanked_reason reaches dumb-pypi record")
    asserts.true(env, "--upload-time" in cli and "1700000000" in cli, "upload_time reaches dumb-pypi record")
    asserts.false(env, info.file in wheel_action.inputs.to_list(), "the wheel is an output, not an input")
    return analysistest.end(env)

wheel_test = analysistest.make(_wheel_test_impl)

# --- py_wheel_dist: bad attributes fail with the reason --------------------

def _bad_version_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "version \"1.0-beta\" is not a normalised PEP 440 version")
    return analysistest.end(env)

bad_version_test = analysistest.make(_bad_version_test_impl, expect_failure = True)

def _bad_name_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "distribution \"-greet\" is not a valid project name")
    return analysistest.end(env)

bad_name_test = analysistest.make(_bad_name_test_impl, expect_failure = True)

# --- pypi_index: per-file records, one index action -------------------------

def _index_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[PypiIndexInfo]
    asserts.equals(env, "index_under_test", info.tree.basename)
    asserts.true(env, info.tree.is_directory, "the tree is a directory artifact")
    asserts.equals(env, "index_under_test.tar.gz", info.tarball.basename)
    asserts.equals(env, "index_under_test.manifest.json", info.manifest.basename)
    asserts.equals(env, "index_under_test.root_digest", info.root_digest.basename)
    asserts.equals(env, 3, len(info.dists.to_list()))

    actions = analysistest.target_actions(env)

    # The two wheels bring their own records; only the plain file gets a
    # record action here, and all three meet in one index action.
    asserts.equals(env, ["DumbPypiIndex", "DumbPypiRecord"], _mnemonics(actions))
    index = _by_mnemonic(actions, "DumbPypiIndex")[0]
    asserts.equals(env, _TOOLCHAIN_PYTHON, index.argv[0])
    for flag in ["--record-list", "--pool", "--tarball", "--manifest", "--output-dir", "--strict"]:
        asserts.true(env, flag in index.argv, "index action passes " + flag)
    asserts.true(env, "Acme internal packages" in index.argv, "title reaches the CLI")
    inputs = _basenames(index.inputs.to_list())
    for name in ["greet-1.2.0-py3-none-any.whl", "greet-1.1.0-py3-none-any.whl", "other-0.1.tar.gz", "index_under_test.records.json"]:
        asserts.true(env, name in inputs, "index action reads " + name)
    asserts.equals(env, 3, len([n for n in inputs if n.endswith(".record.json")]))
    asserts.equals(env, ["index_under_test", "index_under_test.manifest.json", "index_under_test.root_digest", "index_under_test.tar.gz"], _basenames(index.outputs.to_list()))
    return analysistest.end(env)

index_test = analysistest.make(_index_test_impl)

def _packages_url_test_impl(ctx):
    env = analysistest.begin(ctx)
    index = _by_mnemonic(analysistest.target_actions(env), "DumbPypiIndex")[0]
    asserts.true(env, "--packages-url" in index.argv and "https://bucket.example/pkgs/" in index.argv)
    asserts.false(env, "--pool" in index.argv, "no pool when files live elsewhere")
    asserts.equals(env, [], [f for f in index.inputs.to_list() if f.basename.startswith("greet-")], "wheels are not inputs of a packages_url index")
    return analysistest.end(env)

packages_url_test = analysistest.make(_packages_url_test_impl)

def _deploy_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[DefaultInfo]
    asserts.equals(env, "index_under_test.deploy.sh", info.files_to_run.executable.basename)
    runfiles = [f.basename for f in info.default_runfiles.files.to_list()]
    for name in ["index_under_test.tar.gz", "run_generator.py", "packaging-25.0-py3-none-any.whl", "jinja2-3.1.6-py3-none-any.whl", "_native.py"]:
        asserts.true(env, name in runfiles, "deploy runs with " + name)
    asserts.false(env, "greet-1.2.0-py3-none-any.whl" in runfiles, "deploy needs the tarball, not its inputs")

    # The pinned S3 client, extracted (obstore's wheel depends on the platform).
    paths = [f.short_path for f in info.default_runfiles.files.to_list()]
    for path in ["../dumb_pypi_deploy_botocore/botocore/session.py", "../dumb_pypi_deploy_six/six.py", "../dumb_pypi_deploy_urllib3/urllib3/__init__.py"]:
        asserts.true(env, path in paths, "deploy runs with " + path)
    return analysistest.end(env)

deploy_test = analysistest.make(_deploy_test_impl)

def _not_a_dist_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "provides tests/bazel/testdata/notes.txt, which is not a wheel or sdist")
    return analysistest.end(env)

not_a_dist_test = analysistest.make(_not_a_dist_test_impl, expect_failure = True)

def _not_a_dist_wrapped_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "//tests/bazel:notes_dist: //tests/bazel:testdata/notes.txt provides tests/bazel/testdata/notes.txt, which is not a wheel or sdist")
    return analysistest.end(env)

not_a_dist_wrapped_test = analysistest.make(_not_a_dist_wrapped_test_impl, expect_failure = True)

# --- the interpreter's identity is part of every action --------------------

def _versioned_python_test_impl(ctx):
    env = analysistest.begin(ctx)
    for action in _by_mnemonic(analysistest.target_actions(env), "PyWheelDist"):
        argv = action.argv
        asserts.equals(env, "/opt/python3.99/bin/python3", argv[0], "the toolchain's interpreter")
        asserts.equals(env, "3.99", argv[argv.index("--python") + 1], "the toolchain's declared version")
    return analysistest.end(env)

versioned_python_test = analysistest.make(
    _versioned_python_test_impl,
    config_settings = {"//command_line_option:extra_toolchains": ["//tests/bazel:python_3_99"]},
)

def _unversioned_python_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "the Python toolchain runs /usr/bin/python3, which is no input of the actions, and declares no version")
    return analysistest.end(env)

unversioned_python_test = analysistest.make(
    _unversioned_python_test_impl,
    expect_failure = True,
    config_settings = {"//command_line_option:extra_toolchains": ["//tests/bazel:python_unversioned"]},
)

def _autodetecting_python_test_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, "the Python toolchain runs `python3` from PATH (Bazel's autodetecting toolchain)")
    return analysistest.end(env)

autodetecting_python_test = analysistest.make(
    _autodetecting_python_test_impl,
    expect_failure = True,
    config_settings = {"//command_line_option:extra_toolchains": ["@bazel_tools//tools/python:autodetecting_toolchain"]},
)

# --- what the pypi_index macro and pypi_dist give ---------------------------

def _tarball_target_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    asserts.equals(env, ["index_under_test.tar.gz"], _basenames(target[DefaultInfo].files.to_list()))
    asserts.equals(env, [], analysistest.target_actions(env), "the tarball target only names the index's output")
    return analysistest.end(env)

tarball_target_test = analysistest.make(_tarball_target_test_impl)

def _pypi_dist_checks_itself_test_impl(ctx):
    env = analysistest.begin(ctx)
    target = analysistest.target_under_test(env)
    info = target[PyDistInfo]
    asserts.equals(env, ["other-0.1.tar.gz", "other_dist.record.json"], _basenames(target[DefaultInfo].files.to_list()))
    asserts.true(env, info.record in target[DefaultInfo].files.to_list(), "bazel build runs the record action")
    asserts.equals(env, ["DumbPypiRecord"], _mnemonics(analysistest.target_actions(env)))
    return analysistest.end(env)

pypi_dist_checks_itself_test = analysistest.make(_pypi_dist_checks_itself_test_impl)

def analysis_test_suite(name):
    """Declares the targets under test (tagged manual) and the tests.

    Args:
      name: the test_suite gathering them.
    """
    py_wheel_dist(
        name = "wheel_under_test",
        srcs = ["testdata/pkg/__init__.py"],
        distribution = "Acme.Tools",
        python_tag = "py2.py3",
        upload_time = 1700000000,
        version = "1.0rc1",
        yanked_reason = "broken",
        tags = ["manual"],
    )
    py_wheel_dist(
        name = "bad_version_whl",
        distribution = "greet",
        version = "1.0-beta",
        tags = ["manual"],
    )
    py_wheel_dist(
        name = "bad_name_whl",
        distribution = "-greet",
        version = "1.0",
        tags = ["manual"],
    )
    py_wheel_dist(
        name = "greet_new",
        srcs = ["testdata/pkg/__init__.py"],
        distribution = "greet",
        version = "1.2.0",
        tags = ["manual"],
    )
    py_wheel_dist(
        name = "greet_old",
        srcs = ["testdata/pkg/__init__.py"],
        distribution = "greet",
        version = "1.1.0",
        tags = ["manual"],
    )
    pypi_index(
        name = "index_under_test",
        dists = [":greet_new", ":greet_old", "testdata/other-0.1.tar.gz"],
        title = "Acme internal packages",
        tags = ["manual"],
    )
    pypi_index(
        name = "bucket_index_under_test",
        dists = [":greet_new"],
        packages_url = "https://bucket.example/pkgs/",
        tags = ["manual"],
    )
    pypi_index(
        name = "not_a_dist_index",
        dists = ["testdata/notes.txt"],
        tags = ["manual"],
    )
    pypi_dist(
        name = "notes_dist",
        src = "testdata/notes.txt",
        tags = ["manual"],
    )
    pypi_dist(
        name = "other_dist",
        src = "testdata/other-0.1.tar.gz",
        tags = ["manual"],
    )

    # Toolchains for the interpreter tests: one declaring a version (a path
    # that need not exist: analysis only), one declaring none.
    dumb_pypi_python_toolchain(
        name = "python_3_99",
        interpreter_path = "/opt/python3.99/bin/python3",
        python_version = "3.99",
    )

    # buildifier: disable=native-py
    native.py_runtime(
        name = "unversioned_runtime",
        interpreter_path = "/usr/bin/python3",
        python_version = "PY3",
    )
    py_runtime_pair(
        name = "unversioned_pair",
        py3_runtime = ":unversioned_runtime",
    )
    native.toolchain(
        name = "python_unversioned",
        toolchain = ":unversioned_pair",
        toolchain_type = "@bazel_tools//tools/python:toolchain_type",
    )

    wheel_test(name = "wheel_test", target_under_test = ":wheel_under_test", size = "small")
    bad_version_test(name = "bad_version_test", target_under_test = ":bad_version_whl", size = "small")
    bad_name_test(name = "bad_name_test", target_under_test = ":bad_name_whl", size = "small")
    index_test(name = "index_test", target_under_test = ":index_under_test", size = "small")
    packages_url_test(name = "packages_url_test", target_under_test = ":bucket_index_under_test", size = "small")
    deploy_test(name = "deploy_test", target_under_test = ":index_under_test.deploy", size = "small")
    not_a_dist_test(name = "not_a_dist_test", target_under_test = ":not_a_dist_index", size = "small")
    not_a_dist_wrapped_test(name = "not_a_dist_wrapped_test", target_under_test = ":notes_dist", size = "small")
    versioned_python_test(name = "versioned_python_test", target_under_test = ":greet_new", size = "small")
    unversioned_python_test(name = "unversioned_python_test", target_under_test = ":greet_old", size = "small")
    autodetecting_python_test(name = "autodetecting_python_test", target_under_test = ":greet_old", size = "small")
    tarball_target_test(name = "tarball_target_test", target_under_test = ":index_under_test.tarball", size = "small")
    pypi_dist_checks_itself_test(name = "pypi_dist_checks_itself_test", target_under_test = ":other_dist", size = "small")

    native.test_suite(
        name = name,
        tests = [
            ":autodetecting_python_test",
            ":bad_name_test",
            ":bad_version_test",
            ":deploy_test",
            ":index_test",
            ":not_a_dist_test",
            ":not_a_dist_wrapped_test",
            ":packages_url_test",
            ":pypi_dist_checks_itself_test",
            ":tarball_target_test",
            ":unversioned_python_test",
            ":versioned_python_test",
            ":wheel_test",
        ],
    )
