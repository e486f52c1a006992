"""The per-file step: one `dumb-pypi record` action per distribution file.

`record_action` is the only place that emits it; `py_wheel_dist`, `pypi_dist`
and `pypi_index` (for plain files) all call it, so every file is inspected
once, in a small action whose cache key is the file's content.
"""

load("//rules:providers.bzl", "PyDistInfo")
load(":generator.bzl", "GENERATOR_ATTRS", "PY_TOOLCHAIN", "run_generator")

# Filename endings of distributions an index accepts (compared
# case-insensitively); anything else is a mistake in `dists` (a source file, a
# BUILD output that is not a package). The files `dumb-pypi record` can read:
# WHEEL_SUFFIX and SDIST_SUFFIXES of dumb_pypi/records/filenames.py, in their
# order; tests/unit/test_suffixes.py checks that the two lists agree.
DIST_EXTENSIONS = [".whl", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".zip"]

RECORD_ATTR_DOCS = {
    "yanked_reason": "Marks the file yanked (PEP 592) with this reason; empty: not yanked.",
    "upload_time": "Upload time to publish, in seconds since the epoch (PEP 700 `upload-time`); -1: none. Never the build clock, so builds stay reproducible.",
    "uploaded_by": "Who uploaded the file, shown in the web UI; empty: nobody.",
}

RECORD_ATTRS = {
    "yanked_reason": attr.string(doc = RECORD_ATTR_DOCS["yanked_reason"]),
    "upload_time": attr.int(default = -1, doc = RECORD_ATTR_DOCS["upload_time"]),
    "uploaded_by": attr.string(doc = RECORD_ATTR_DOCS["uploaded_by"]),
}

def is_dist_filename(filename):
    """Whether `filename` names a distribution.

    Args:
      filename: string, a basename.

    Returns:
      True when it ends in one of DIST_EXTENSIONS, with something before it.
    """
    lower = filename.lower()
    for ext in DIST_EXTENSIONS:
        if lower.endswith(ext) and len(filename) > len(ext):
            return True
    return False

def check_dist_file(owner, origin, f):
    """Fails the build, naming `owner` and `origin`, when `f` is not a wheel or sdist."""
    if not is_dist_filename(f.basename):
        fail("%s: %s provides %s, which is not a wheel or sdist (expected a filename ending in %s)" % (
            owner,
            origin,
            f.short_path,
            ", ".join(DIST_EXTENSIONS),
        ))

def record_args(ctx, dist, out, yanked_reason = "", upload_time = -1, uploaded_by = ""):
    """The CLI arguments `record DIST --output OUT [...]`.

    Args:
      ctx: the rule context.
      dist: File, the wheel or sdist.
      out: File, the record JSON to write.
      yanked_reason: string, PEP 592 reason; empty for not yanked.
      upload_time: int, seconds since the epoch; -1 for none.
      uploaded_by: string; empty for none.

    Returns:
      Args.
    """
    args = ctx.actions.args()
    args.add("record", dist)
    args.add("--output", out)
    if yanked_reason:
        args.add("--yanked-reason", yanked_reason)
    if upload_time >= 0:
        args.add("--upload-time", str(upload_time))
    if uploaded_by:
        args.add("--uploaded-by", uploaded_by)
    return args

def record_action(ctx, dist, out, origin, yanked_reason = "", upload_time = -1, uploaded_by = ""):
    """Emits the action `dumb-pypi record DIST --output OUT [...]`.

    Args:
      ctx: a rule context with GENERATOR_ATTRS and the Python toolchain.
      dist: File, the wheel or sdist.
      out: File, the record JSON to write.
      origin: string, the label the file came from (for messages).
      yanked_reason: string, PEP 592 reason; empty for not yanked.
      upload_time: int, seconds since the epoch; -1 for none.
      uploaded_by: string; empty for none.
    """
    run_generator(
        ctx,
        mnemonic = "DumbPypiRecord",
        progress_message = "Inspecting %s from %s%s" % (
            dist.basename,
            origin,
            "" if origin == str(ctx.label) else " for " + str(ctx.label),
        ),
        cli_args = record_args(ctx, dist, out, yanked_reason, upload_time, uploaded_by),
        inputs = [dist],
        outputs = [out],
    )

PYPI_DIST_DOC = """A prebuilt wheel or sdist (an `http_file`, a checked-in file, another rule's
output) with index-only facts about it: yanked, upload time, uploader.

`bazel build` of a `pypi_dist` checks the file on its own, without an index:
it must be a wheel or sdist whose metadata agrees with its filename (name and
version). Its default outputs are the file and that check's record
(`<name>.record.json`); rules that want the file alone take `PyDistInfo.file`. Plain files can go into `pypi_index.dists` directly; wrap them in
`pypi_dist` to set these attributes or to have them checked alone."""

PYPI_DIST_ATTR_DOCS = dict(
    {"src": "Required. The wheel or sdist file, under its real filename."},
    **RECORD_ATTR_DOCS
)

def _pypi_dist_impl(ctx):
    origin = str(ctx.attr.src.label)
    check_dist_file(ctx.label, origin, ctx.file.src)
    record = ctx.actions.declare_file(ctx.label.name + ".record.json")
    record_action(
        ctx,
        ctx.file.src,
        record,
        origin,
        yanked_reason = ctx.attr.yanked_reason,
        upload_time = ctx.attr.upload_time,
        uploaded_by = ctx.attr.uploaded_by,
    )
    return [
        # The record is a default output so that `bazel build` of this target
        # runs the record action, which checks the file (validation output
        # groups are off by default on Bazel 4.2).
        DefaultInfo(files = depset([ctx.file.src, record])),
        PyDistInfo(file = ctx.file.src, record = record, origin = origin),
        OutputGroupInfo(record = depset([record])),
    ]

pypi_dist = rule(
    implementation = _pypi_dist_impl,
    doc = PYPI_DIST_DOC,
    attrs = dict(
        {
            "src": attr.label(
                allow_single_file = True,
                mandatory = True,
                doc = PYPI_DIST_ATTR_DOCS["src"],
            ),
        },
        **dict(RECORD_ATTRS, **GENERATOR_ATTRS)
    ),
    toolchains = [PY_TOOLCHAIN],
)
