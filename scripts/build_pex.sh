#!/usr/bin/env bash
# Builds dist/dumb-pypi.pex: the dumb-pypi CLI in one file, from this checkout.
#
#   scripts/build_pex.sh [OUTPUT]       (default: dist/dumb-pypi.pex)
#
# Needs pex $PEX_VERSION on PATH (pip install pex==2.105.2) or in $PEX, curl, and
# the PyPI file host for the pinned files. The output depends only on the
# tracked files under dumb_pypi/ and the pins below: two builds give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

PEX_VERSION=2.105.2
# The same runtime pins as the Bazel rules (third_party/deps.bzl), all pure
# Python, so the pex runs on any CPython the generator supports, on any
# platform: the packaging, jinja2, markdown-it-py and mdurl wheels, resolved
# intransitively (jinja2's MarkupSafe would otherwise come as a per-CPython,
# per-platform wheel), and
# MarkupSafe's own Python sources from its sdist: without the compiled
# speedups it uses its pure-Python fallback.
REQUIREMENTS=(packaging==25.0 jinja2==3.1.6 markdown-it-py==3.0.0 mdurl==0.1.2)
MARKUPSAFE_VERSION=3.0.2
MARKUPSAFE_SDIST_URL=https://files.pythonhosted.org/packages/b2/97/5d42485e71dfc078108a86d6de8fa46db44a1a9295e89c5d6d4a06e23a62/markupsafe-3.0.2.tar.gz
MARKUPSAFE_SDIST_SHA256=ee55d3edf80167e48ea11a923c7386f4669df67d7994554387f84e7d8b0a2bf0

output="${1:-dist/dumb-pypi.pex}"
pex="${PEX:-pex}"
if ! found="$("$pex" --version 2>/dev/null)"; then
  echo "build_pex.sh: no pex at '$pex' (pip install pex==$PEX_VERSION, or set PEX=/path/to/pex)" >&2
  exit 1
fi
if [[ "$found" != "$PEX_VERSION" ]]; then
  echo "build_pex.sh: pex $found found, $PEX_VERSION needed for a reproducible build (pip install pex==$PEX_VERSION)" >&2
  exit 1
fi

# Only tracked sources go in: no __pycache__, no local leftovers.
sources="$(mktemp -d)"
log="$(mktemp)"
sdist="$(mktemp -d)"
trap 'rm -rf "$sources" "$log" "$sdist"' EXIT
git ls-files -z dumb_pypi | xargs -0 cp --parents -t "$sources"

# MarkupSafe's pure-Python package: its .py files and py.typed, nothing compiled.
curl -fsSL --retry 3 -o "$sdist/markupsafe.tar.gz" "$MARKUPSAFE_SDIST_URL"
if ! echo "$MARKUPSAFE_SDIST_SHA256  $sdist/markupsafe.tar.gz" | sha256sum -c --status; then
  echo "build_pex.sh: $MARKUPSAFE_SDIST_URL does not have the pinned sha256 $MARKUPSAFE_SDIST_SHA256" >&2
  exit 1
fi
tar -xzf "$sdist/markupsafe.tar.gz" -C "$sdist" "markupsafe-$MARKUPSAFE_VERSION/src/markupsafe"
mkdir "$sources/markupsafe"
cp "$sdist/markupsafe-$MARKUPSAFE_VERSION/src/markupsafe/"{*.py,py.typed} "$sources/markupsafe/"

mkdir -p "$(dirname "$output")"
# PIP_CONFIG_FILE: this machine's pip configuration must not change what is resolved.
if ! PIP_CONFIG_FILE=/dev/null "$pex" "${REQUIREMENTS[@]}" \
  --intransitive \
  --sources-directory "$sources" \
  --entry-point dumb_pypi.cli:main \
  --python-shebang '/usr/bin/env python3' \
  --index-url https://pypi.org/simple/ \
  --interpreter-constraint 'CPython>=3.9' \
  --output-file "$output.tmp" >/dev/null 2>"$log"; then
  cat "$log" >&2
  exit 1
fi
cat "$log" >&2
mv "$output.tmp" "$output"
echo "build_pex.sh: wrote $output ($(sha256sum "$output" | cut -d' ' -f1))" >&2
