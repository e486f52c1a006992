"""pypi_index: distribution files -> records -> one action writing tree + tarball."""

load("//rules:providers.bzl", "PyDistInfo", "PypiIndexInfo")
load(":generator.bzl", "GENERATOR_ATTRS", "PY_TOOLCHAIN", "run_generator")
load(":record.bzl", "check_dist_file", "record_action")

PYPI_INDEX_DOC = """A static PyPI index: `<name>/` (the web root; the index is at `simple/`),
`<name>.tar.gz` (the same tree, deterministic), `<name>.manifest.json` and
`<name>.root_digest` (output groups `tree`, `tarball`, `manifest`,
`root_digest`). `<name>.tarball` is a target whose one output is the
tarball, for rules that take a label (a container image, a release upload).
`bazel run //:<name>.deploy -- DEST [options]` runs
`dumb-pypi deploy <name>.tar.gz DEST` (a directory or `s3://BUCKET/PREFIX`)
with the toolchain's Python, isolated (`-I -S`) like the actions: the S3
client comes pinned (obstore and botocore, `DEPLOY_PINS` in
third_party/deps.bzl), so nothing needs installing; the toolchain's Python
must be 3.11 or newer for S3 (obstore's wheels). AWS credentials, region and
endpoint come from the environment of `bazel run` (`AWS_ACCESS_KEY_ID`, ...,
or `AWS_PROFILE` and `~/.aws/config`)."""

INDEX_ATTR_DOCS = {
    "dists": "Required. Wheels and sdists to publish: `py_wheel_dist` / `pypi_dist` targets, `http_file`s (`@x//file`), checked-in files, other rules' outputs. Every file must be named like a wheel or sdist. Two files with the same name must have the same content.",
    "title": "Title of the web UI pages.",
    "logo": "URL of a logo for the web UI.",
    "logo_width": "Width of that logo in pixels; 0: natural size.",
    "packages_url": "Link files at this base URL (e.g. a bucket) instead of copying them into the tree's content-addressed pool. Files are then not inputs of the index action.",
}

def _dist_entries(ctx):
    """[(PyDistInfo)] in `dists` order; plain files get their record action here."""
    entries = []
    seen = {}  # basename -> how many plain files used it, for unique record paths
    for target in ctx.attr.dists:
        if PyDistInfo in target:
            info = target[PyDistInfo]
            check_dist_file(ctx.label, info.origin, info.file)
            entries.append(info)
            continue
        origin = str(target.label)
        files = target.files.to_list()
        if not files:
            fail("%s: %s provides no files; dists needs wheels or sdists" % (ctx.label, origin))
        for f in files:
            check_dist_file(ctx.label, origin, f)
            count = seen.get(f.basename, 0)
            seen[f.basename] = count + 1
            directory = "%s.records/%s" % (ctx.label.name, count) if count else ctx.label.name + ".records"
            record = ctx.actions.declare_file("%s/%s.record.json" % (directory, f.basename))
            record_action(ctx, f, record, origin)
            entries.append(PyDistInfo(file = f, record = record, origin = origin))
    return entries

def _pypi_index_impl(ctx):
    name = ctx.label.name
    pooled = not ctx.attr.packages_url
    entries = _dist_entries(ctx)

    record_list = ctx.actions.declare_file(name + ".records.json")
    ctx.actions.write(record_list, json.encode([
        {
            "record": e.record.path,
            "file": e.file.path if pooled else None,
            "origin": e.origin,
        }
        for e in entries
    ]))

    tree = ctx.actions.declare_directory(name)
    tarball = ctx.actions.declare_file(name + ".tar.gz")
    manifest = ctx.actions.declare_file(name + ".manifest.json")
    root_digest = ctx.actions.declare_file(name + ".root_digest")

    args = ctx.actions.args()
    args.add("--record-list", record_list)
    if pooled:
        args.add("--pool")
    else:
        args.add("--packages-url", ctx.attr.packages_url)
    args.add("--output-dir", tree.path)
    args.add("--tarball", tarball)
    args.add("--manifest", manifest)
    args.add("--root-digest", root_digest)
    args.add("--strict")
    args.add("--no-generate-timestamp")
    if ctx.attr.title:
        args.add("--title", ctx.attr.title)
    if ctx.attr.logo:
        args.add("--logo", ctx.attr.logo)
    if ctx.attr.logo_width:
        args.add("--logo-width", str(ctx.attr.logo_width))

    inputs = [record_list] + [e.record for e in entries]
    if pooled:
        inputs += [e.file for e in entries]
    run_generator(
        ctx,
        mnemonic = "DumbPypiIndex",
        progress_message = "Writing index %s (%d files)" % (ctx.label, len(entries)),
        cli_args = args,
        inputs = inputs,
        outputs = [tree, tarball, manifest, root_digest],
    )
    return [
        DefaultInfo(files = depset([tree, tarball])),
        PypiIndexInfo(
            tree = tree,
            tarball = tarball,
            manifest = manifest,
            root_digest = root_digest,
            dists = depset(entries),
        ),
        OutputGroupInfo(
            tree = depset([tree]),
            tarball = depset([tarball]),
            manifest = depset([manifest]),
            root_digest = depset([root_digest]),
            records = depset([record_list] + [e.record for e in entries]),
        ),
    ]

pypi_index = rule(
    implementation = _pypi_index_impl,
    doc = PYPI_INDEX_DOC,
    attrs = dict(
        {
            "dists": attr.label_list(allow_files = True, mandatory = True, doc = INDEX_ATTR_DOCS["dists"]),
            "title": attr.string(doc = INDEX_ATTR_DOCS["title"]),
            "logo": attr.string(doc = INDEX_ATTR_DOCS["logo"]),
            "logo_width": attr.int(doc = INDEX_ATTR_DOCS["logo_width"]),
            "packages_url": attr.string(doc = INDEX_ATTR_DOCS["packages_url"]),
        },
        **GENERATOR_ATTRS
    ),
    toolchains = [PY_TOOLCHAIN],
)
