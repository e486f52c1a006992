#!/usr/bin/env bash
# Installs everything the build and the tests need on a new Debian machine.
# Idempotent: a second run only checks. Each part has its own script:
#   install-bazel.sh  Bazel 4.2.3 (bazel-bootstrap) + offline repositories, nginx, python3
#   install-serve.sh  SeaweedFS, rclone, the S3 client (obstore, botocore) and boto3, and pip/uv/pex/poetry/pdm each in its own venv
#   install-pants.sh  CPython 3.9, Pants 2.17.1, a locally built pex CLI
#   install-lint.sh   Node.js and npm (Debian's), buildifier 8.2.1 from the npm registry (for lint.sh)
# then this project with its test dependencies (ruff and mypy too) into .venv (the README's tests run from it),
# and dumb-pypi 1.15 into its own venv (the reference the drop-in tests compare against).
set -euo pipefail
cd "$(dirname "$0")/.."

export VENV="$PWD/.venv"
bash .ci/install-bazel.sh
DUMB_PYPI_SERVE_PYTHON="$VENV/bin/python" bash .ci/install-serve.sh
bash .ci/install-pants.sh
bash .ci/install-browser.sh
bash .ci/install-remote.sh
bash .ci/install-lint.sh
# The tests drive this pip too (PEP 658 checks): the newest, not the one venv bundles.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,s3]'
# dumb-pypi 1.15, the reference the drop-in tests and bench/generator_bench.py compare against.
reference="${DUMB_PYPI_REFERENCE:-$HOME/.cache/dumb-pypi-reference}"
if [ ! -x "$reference/bin/dumb-pypi" ]; then
    python3 -m venv "$reference"
    "$reference/bin/python" -m pip install --quiet --disable-pip-version-check dumb-pypi==1.15.0
fi
echo "install: done ($("$VENV/bin/python" -m dumb_pypi --version))" >&2
