"""Depends on greet, so installing shout from the index pulls greet too."""

from greet import greeting


def shout(name: str) -> str:
    return greeting(name).upper()
