"""py_wheel_dist: a hermetic, byte-reproducible pure-Python wheel.

The filename is fixed at analysis time from `distribution`, `version` and
`python_tag`. One action per wheel: the launcher builds the archive with
wheelmaker.py from a JSON config (on its command line, so no extra output
per wheel), then writes the wheel's record with `dumb-pypi record`, as
`record_action` does for other files.
"""

load("//rules:providers.bzl", "PyDistInfo")
load(":generator.bzl", "GENERATOR_ATTRS", "PY_TOOLCHAIN", "run_generator")
load(":record.bzl", "RECORD_ATTRS", "record_args")

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_DIGITS = "0123456789"

# Longest wheel config passed as a command-line argument (bytes): well under
# Linux's 128 KiB per argument and macOS's 256 KiB per command line.
_MAX_INLINE_CONFIG = 16 * 1024

def _only(text, allowed):
    for ch in text.elems():
        if ch not in allowed:
            return False
    return True

def check_distribution(label, name):
    """Fails unless `name` is a valid project name (PEP 508 / core metadata)."""
    if not name or name[0] not in _ALNUM or name[-1] not in _ALNUM or not _only(name, _ALNUM + "._-"):
        fail("%s: distribution %r is not a valid project name (letters, digits, '.', '_', '-'; starting and ending with a letter or digit)" % (label, name))

def escape_distribution(name):
    """The wheel-filename form of a project name.

    Args:
      name: the project name.

    Returns:
      string: lower case, runs of `-_.` become `_`.
    """
    out = []
    for ch in name.lower().elems():
        if ch in "-_.":
            if not out or out[-1] != "_":
                out.append("_")
        else:
            out.append(ch)
    return "".join(out)

def _is_number(text):
    # PEP 440 normal form: no leading zeros.
    return text != "" and _only(text, _DIGITS) and (text == "0" or text[0] != "0")

def _check_release(text):
    parts = text.split(".")
    for p in parts:
        if not _is_number(p):
            return False
    return True

def is_normalised_version(version):
    """Whether `version` is a PEP 440 version in its normalised spelling.

    Args:
      version: the version string.

    Returns:
      bool.
    """
    rest = version
    ok = True
    if "+" in rest:
        rest, local = rest.split("+", 1)
        ok = local != "" and all([seg != "" and _only(seg, "abcdefghijklmnopqrstuvwxyz0123456789") for seg in local.split(".")])
    if ok and "!" in rest:
        epoch, rest = rest.split("!", 1)
        ok = _is_number(epoch) and epoch != "0"
    for suffix in (".dev", ".post"):
        if ok and suffix in rest:
            rest, number = rest.rsplit(suffix, 1)
            ok = _is_number(number)
    for pre in ("rc", "a", "b"):
        if ok and pre in rest:
            rest, number = rest.rsplit(pre, 1)
            ok = _is_number(number)
            break
    return ok and _check_release(rest)

def check_version(label, version):
    """Fails unless `version` is a PEP 440 version in its normalised spelling.

    Normalised is required (not merely valid) because the wheel filename, the
    METADATA and the index must all spell it the same way.
    """
    if not is_normalised_version(version):
        fail("%s: version %r is not a normalised PEP 440 version (e.g. 1.2.0, 2.0rc1, 1.0.post1, 3.1.dev2, 1.0+local.1)" % (label, version))

def _repo_relative(f):
    # short_path is "../<repo>/path" for files of other repositories.
    path = f.short_path
    if path.startswith("../"):
        path = path.split("/", 2)[2]
    return path

def _strip_root(ctx):
    prefix = ctx.attr.strip_prefix
    if prefix.startswith("/"):
        return prefix.strip("/")
    return "/".join([p for p in [ctx.label.package, prefix.strip("/")] if p])

def _dest(ctx, root, f):
    path = _repo_relative(f)
    if root == "":
        return path
    if not path.startswith(root + "/"):
        fail("%s: %s is not under strip_prefix %r (resolved to %r)" % (ctx.label, path, ctx.attr.strip_prefix, root))
    return path[len(root) + 1:]

def _by_dest(item):
    return item["dest"]

def wheel_filename(distribution, version, python_tag):
    return "%s-%s-%s-none-any.whl" % (escape_distribution(distribution), version, python_tag)

def _entry_points(ctx):
    groups = {group: list(entries) for group, entries in ctx.attr.entry_points.items()}
    if ctx.attr.console_scripts:
        groups["console_scripts"] = groups.get("console_scripts", []) + [
            "%s = %s" % (name, target)
            for name, target in sorted(ctx.attr.console_scripts.items())
        ]
    return groups

def _py_wheel_dist_impl(ctx):
    check_distribution(ctx.label, ctx.attr.distribution)
    check_version(ctx.label, ctx.attr.version)
    if not ctx.attr.python_tag or not _only(ctx.attr.python_tag, _ALNUM + "."):
        fail("%s: python_tag %r is not a wheel tag such as py3 or py2.py3" % (ctx.label, ctx.attr.python_tag))

    filename = wheel_filename(ctx.attr.distribution, ctx.attr.version, ctx.attr.python_tag)
    stem = "%s-%s" % (escape_distribution(ctx.attr.distribution), ctx.attr.version)
    data_dir = stem + ".data"
    wheel = ctx.actions.declare_file(filename)

    root = _strip_root(ctx)
    files = [{"src": f.path, "dest": _dest(ctx, root, f)} for f in ctx.files.srcs]
    for target, directory in ctx.attr.data.items():
        for f in target.files.to_list():
            dest = "/".join([p for p in [data_dir, "data", directory.strip("/"), f.basename] if p])
            files.append({"src": f.path, "dest": dest, "data": True})
    files = sorted(files, key = _by_dest)

    config = {
        "label": str(ctx.label),
        "filename": filename,
        "out": wheel.path,
        "tag": "%s-none-any" % ctx.attr.python_tag,
        "dist_info": stem + ".dist-info",
        "data_dir": data_dir,
        "files": files,
        "distribution": ctx.attr.distribution,
        "version": ctx.attr.version,
        "summary": ctx.attr.summary,
        "homepage": ctx.attr.homepage,
        "author": ctx.attr.author,
        "author_email": ctx.attr.author_email,
        "license": ctx.attr.license,
        "keywords": ctx.attr.keywords,
        "python_requires": ctx.attr.python_requires,
        "description_content_type": ctx.attr.description_content_type,
        "description_file": ctx.file.description_file.path if ctx.file.description_file else None,
        "classifiers": ctx.attr.classifiers,
        "project_urls": ctx.attr.project_urls,
        "requires": ctx.attr.requires,
        "extras_require": ctx.attr.extras_require,
        "entry_points": _entry_points(ctx),
    }

    # The config reaches wheelmaker.py on its command line: no extra
    # FileWrite action and no extra output per wheel, which every later
    # build (no-op builds included) would have to track and stat. It is part
    # of the action key either way. Not a param file: Bazel (4.2.3 at least)
    # writes those with non-ASCII text encoded twice (bazelbuild/bazel#18792),
    # while the command line carries it byte for byte. A config too long for
    # one argument (hundreds of files) goes in a declared file instead.
    wheel_option = ctx.actions.args()
    config_json = json.encode(config)
    inputs = [ctx.file._wheelmaker] + ctx.files.srcs + ctx.files.data
    if len(config_json) <= _MAX_INLINE_CONFIG:
        wheel_option.add("--wheel", config_json)
    else:
        config_file = ctx.actions.declare_file(ctx.label.name + ".wheel.json")
        ctx.actions.write(config_file, config_json)
        wheel_option.add("--wheel")
        wheel_option.add(config_file, format = "@%s")
        inputs.append(config_file)
    if ctx.file.description_file:
        inputs.append(ctx.file.description_file)

    # The wheel and its record in one action: the record reads the wheel
    # this action has just written (the wheel is an output, not an input).
    record = ctx.actions.declare_file(ctx.label.name + ".record.json")
    run_generator(
        ctx,
        mnemonic = "PyWheelDist",
        progress_message = "Building wheel %s for %s" % (filename, ctx.label),
        cli_args = record_args(
            ctx,
            wheel,
            record,
            yanked_reason = ctx.attr.yanked_reason,
            upload_time = ctx.attr.upload_time,
            uploaded_by = ctx.attr.uploaded_by,
        ),
        inputs = inputs,
        outputs = [wheel, record],
        launcher_options = wheel_option,
    )
    return [
        DefaultInfo(files = depset([wheel])),
        PyDistInfo(file = wheel, record = record, origin = str(ctx.label)),
        OutputGroupInfo(record = depset([record])),
    ]

PY_WHEEL_DIST_DOC = """A pure-Python wheel (`<name>-<version>-<python_tag>-none-any.whl`, named at
analysis time), built hermetically and byte-identically on every build: sorted
entries, fixed timestamps and permissions, RECORD with sha256 of every entry.
One action writes the wheel and its record (`dumb-pypi record`, which checks
it). Provides `PyDistInfo` (with that record, output group `record`) for
`pypi_index`."""

WHEEL_ATTR_DOCS = {
    "distribution": "Required. Project name as written in METADATA (`Name:`). The filename uses its escaped form: `Acme.Greet` gives `acme_greet-...`.",
    "version": "Required. PEP 440 version in normalised form (`1.2.0`, `2.0rc1`, `1.0.post1`); anything else fails the build.",
    "srcs": "Files of the wheel's root (purelib): each lands at its path relative to `strip_prefix`.",
    "strip_prefix": "Directory whose contents form the wheel root. Empty (default): this package. Relative: below this package. Starting with `/`: from the repository root (`/` alone: the root itself).",
    "data": "Data files installed under the environment's prefix: label -> directory, e.g. `{\":greet.conf\": \"etc/greet\"}` installs `<prefix>/etc/greet/greet.conf`.",
    "requires": "`Requires-Dist` lines (PEP 508), e.g. `[\"packaging>=21\"]`.",
    "extras_require": "Optional dependencies: extra name -> requirements; each gets `Provides-Extra` and an `extra == \"...\"` marker.",
    "python_requires": "`Requires-Python` specifier, e.g. `>=3.9`.",
    "summary": "One-line `Summary`.",
    "description_file": "File whose text becomes the long description (METADATA body).",
    "description_content_type": "`Description-Content-Type`, e.g. `text/markdown`.",
    "homepage": "`Home-page` URL.",
    "project_urls": "`Project-URL` entries: label -> URL.",
    "author": "`Author`.",
    "author_email": "`Author-email`.",
    "license": "`License`.",
    "keywords": "`Keywords`, comma separated.",
    "classifiers": "Trove `Classifier` lines.",
    "console_scripts": "Console scripts: command name -> `module:function`.",
    "entry_points": "Other entry points: group -> list of `name = module:attr`.",
    "python_tag": "Python tag of the filename and `WHEEL` (`py3`, `py2.py3`); the wheel is always `none-any`.",
}

_WHEEL_ATTRS = {
    "distribution": attr.string(mandatory = True, doc = WHEEL_ATTR_DOCS["distribution"]),
    "version": attr.string(mandatory = True, doc = WHEEL_ATTR_DOCS["version"]),
    "srcs": attr.label_list(allow_files = True, doc = WHEEL_ATTR_DOCS["srcs"]),
    "strip_prefix": attr.string(doc = WHEEL_ATTR_DOCS["strip_prefix"]),
    "data": attr.label_keyed_string_dict(allow_files = True, doc = WHEEL_ATTR_DOCS["data"]),
    "requires": attr.string_list(doc = WHEEL_ATTR_DOCS["requires"]),
    "extras_require": attr.string_list_dict(doc = WHEEL_ATTR_DOCS["extras_require"]),
    "python_requires": attr.string(doc = WHEEL_ATTR_DOCS["python_requires"]),
    "summary": attr.string(doc = WHEEL_ATTR_DOCS["summary"]),
    "description_file": attr.label(allow_single_file = True, doc = WHEEL_ATTR_DOCS["description_file"]),
    "description_content_type": attr.string(doc = WHEEL_ATTR_DOCS["description_content_type"]),
    "homepage": attr.string(doc = WHEEL_ATTR_DOCS["homepage"]),
    "project_urls": attr.string_dict(doc = WHEEL_ATTR_DOCS["project_urls"]),
    "author": attr.string(doc = WHEEL_ATTR_DOCS["author"]),
    "author_email": attr.string(doc = WHEEL_ATTR_DOCS["author_email"]),
    "license": attr.string(doc = WHEEL_ATTR_DOCS["license"]),
    "keywords": attr.string(doc = WHEEL_ATTR_DOCS["keywords"]),
    "classifiers": attr.string_list(doc = WHEEL_ATTR_DOCS["classifiers"]),
    "console_scripts": attr.string_dict(doc = WHEEL_ATTR_DOCS["console_scripts"]),
    "entry_points": attr.string_list_dict(doc = WHEEL_ATTR_DOCS["entry_points"]),
    "python_tag": attr.string(default = "py3", doc = WHEEL_ATTR_DOCS["python_tag"]),
}

py_wheel_dist = rule(
    implementation = _py_wheel_dist_impl,
    doc = PY_WHEEL_DIST_DOC,
    attrs = dict(
        _WHEEL_ATTRS,
        _wheelmaker = attr.label(
            default = Label("//rules/private:wheelmaker.py"),
            allow_single_file = True,
        ),
        **dict(RECORD_ATTRS, **GENERATOR_ATTRS)
    ),
    toolchains = [PY_TOOLCHAIN],
)
