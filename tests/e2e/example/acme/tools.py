"""A second distribution, with a dotted, mixed-case project name."""


def answer() -> int:
    return 42
