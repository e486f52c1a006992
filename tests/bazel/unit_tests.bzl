"""Unit tests of the rules' pure Starlark helpers (skylib unittest)."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")

# Unit tests of private helpers load them where they live.
# buildifier: disable=bzl-visibility
load("//rules/private:wheel.bzl", "escape_distribution", "is_normalised_version", "wheel_filename")

_NORMALISED = ["0", "1.0", "1.2.0", "2.0rc1", "1.0a1", "1.0b2", "1.0.post1", "3.1.dev2", "1!2.0", "1.0+local.1", "1.0a1.post2.dev3", "10.20.30"]
_NOT_NORMALISED = ["", "1.0-beta", "01.0", "1.00", "1.0.", ".1", "v1.0", "1.0RC1", "1.0c1", "1.0a", "1.0post1", "1.0-1", "0!1.0", "1.0+", "1.0+Local", "1.0+a-b", "1.0_1", "1..0"]

def _versions_test_impl(ctx):
    env = unittest.begin(ctx)
    for v in _NORMALISED:
        asserts.true(env, is_normalised_version(v), "%r is normalised" % v)
    for v in _NOT_NORMALISED:
        asserts.false(env, is_normalised_version(v), "%r is not normalised" % v)
    return unittest.end(env)

versions_test = unittest.make(_versions_test_impl)

def _names_test_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, "greet", escape_distribution("greet"))
    asserts.equals(env, "acme_tools", escape_distribution("Acme.Tools"))
    asserts.equals(env, "a_b_c", escape_distribution("A-_.b--C"))
    asserts.equals(env, "dumb_pypi-2.0.0-py3-none-any.whl", wheel_filename("dumb-pypi", "2.0.0", "py3"))
    return unittest.end(env)

names_test = unittest.make(_names_test_impl)

def unit_test_suite(name):
    unittest.suite(name, versions_test, names_test)
