#!/usr/bin/env bash
# What .ci/lint.sh needs besides .venv's ruff and mypy (pinned in pyproject.toml's
# `test` extra), idempotently: buildifier, from the npm registry's @bazel/buildifier
# (the package ships the binaries), installed with Debian's Node.js and npm under
# $DUMB_PYPI_LINT_HOME (default ~/.cache/dumb-pypi-lint). lint.sh finds it there.
set -euo pipefail

BUILDIFIER_VERSION=8.2.1
home="${DUMB_PYPI_LINT_HOME:-$HOME/.cache/dumb-pypi-lint}"
buildifier="$home/node_modules/.bin/buildifier"

log() { echo "install-lint: $*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  log "installing Debian's nodejs and npm"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if ! "$buildifier" --version 2>/dev/null | grep -qx "buildifier version: $BUILDIFIER_VERSION *"; then
  log "installing @bazel/buildifier@$BUILDIFIER_VERSION into $home"
  mkdir -p "$home"
  npm install --prefix "$home" --no-audit --no-fund --silent --save-exact "@bazel/buildifier@$BUILDIFIER_VERSION"
fi
log "$("$buildifier" --version | head -n 1)"
