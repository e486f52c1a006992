#!/usr/bin/env bash
# Lint, before the tests (a few seconds): ruff, mypy --strict and buildifier.
# Every linter runs; the exit status is 1 when any of them found something.
# ruff and mypy are .venv's (pinned in pyproject.toml's `test` extra), buildifier
# is .ci/install-lint.sh's; .ci/install.sh installs all three.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=.venv/bin
buildifier="${DUMB_PYPI_LINT_HOME:-$HOME/.cache/dumb-pypi-lint}/node_modules/.bin/buildifier"
failed=()

run() {
  echo "lint: $*" >&2
  "$@" || failed+=("$*")
}

run "$bin/ruff" check dumb_pypi tests bench
# The generator at its floor (pyproject: files = dumb_pypi, python_version 3.10);
# the tests and the benchmarks as the dev venv's Python runs them.
run "$bin/mypy" --strict
run "$bin/mypy" --strict --python-version 3.11 tests
run "$bin/mypy" --strict --python-version 3.11 bench

# Every Starlark file: BUILD (Bazel's and Pants'), .bzl, WORKSPACE, MODULE.bazel.
mapfile -t starlark < <(find . \( -name .git -o -name .venv -o -name 'bazel-*' -o -name test-artifacts \
  -o -name node_modules -o -name .pants.d \) -prune -o -type f \( -name BUILD -o -name BUILD.bazel \
  -o -name '*.bzl' -o -name WORKSPACE -o -name WORKSPACE.bazel -o -name MODULE.bazel \) -print | sort)
if [ "${#starlark[@]}" -eq 0 ]; then
  failed+=("no Starlark file found")
else
  # -mode=check: a file buildifier would reformat fails too (`buildifier -mode=fix FILE` fixes it).
  echo "lint: buildifier -lint=warn -mode=check (${#starlark[@]} files)" >&2
  "$buildifier" -lint=warn -mode=check "${starlark[@]}" || failed+=("buildifier")
fi

if [ "${#failed[@]}" -ne 0 ]; then
  printf 'lint: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "lint: ruff, mypy and buildifier found nothing (${#starlark[@]} Starlark files)" >&2
