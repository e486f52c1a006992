#!/usr/bin/env bash
# Installs what the Bazel rules and their tests need on a new Debian machine:
#   Bazel 4.2.3 (Debian's bazel-bootstrap) with the local repositories an
#   offline build uses (bazel-skylib, bazel-rules-java), nginx (HTTP remote
#   cache test), /usr/bin/python3 (the registered Python toolchain), and
#   pytest + uv in a virtualenv ($VENV, default .venv).
# Idempotent: installs only what is missing.
set -euo pipefail

packages=(bazel-bootstrap bazel-skylib bazel-rules-java nginx python3 python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

venv="${VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest uv

bazel --version
"$venv/bin/uv" --version
