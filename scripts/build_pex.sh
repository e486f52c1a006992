#!/usr/bin/env bash
# Builds dist/dumb-pypi.pex: the dumb-pypi CLI in one file, from this checkout.
#
#   scripts/build_pex.sh [OUTPUT]       (default: dist/dumb-pypi.pex)
#
# Needs pex $PEX_VERSION on PATH (pip install pex==2.105.2) or in $PEX, and the
# PyPI file host for the pinned wheels. The output depends only on the tracked
# files under dumb_pypi/ and the pins below: two builds give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

PEX_VERSION=2.105.2
# The same runtime pin as the Bazel rules (third_party/deps.bzl): one pure
# wheel, so the pex runs on any CPython the generator supports, on any platform.
REQUIREMENTS=(packaging==25.0)

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
trap 'rm -rf "$sources" "$log"' EXIT
git ls-files -z dumb_pypi | xargs -0 cp --parents -t "$sources"

mkdir -p "$(dirname "$output")"
# PIP_CONFIG_FILE: this machine's pip configuration must not change what is resolved.
if ! PIP_CONFIG_FILE=/dev/null "$pex" "${REQUIREMENTS[@]}" \
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
