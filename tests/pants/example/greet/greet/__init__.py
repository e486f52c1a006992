"""A tiny library for the example index."""


def greeting(name: str) -> str:
    return f"Hello, {name}!"
