#!/usr/bin/env bash
# What the browser tests (tests/browser) need, idempotently: Debian's chromium
# (driven headless over the DevTools protocol, see tests/support/browser.py).
# Their Python client, websocket-client, is in pyproject.toml's `test` extra,
# which .ci/install.sh installs into .venv.
set -euo pipefail

log() { echo "install-browser: $*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
log "$(chromium --version 2>/dev/null | head -n 1)"
