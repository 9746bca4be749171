"""The one way argus pauses Python's cyclic garbage collector, and lets a big snapshot die with the process.

In: a block of work. Out: the same work with the collector paused, and restored to what it was (pauses nest).
Why: loading, linting and evaluating a big snapshot allocate millions of containers and create no reference
cycles worth collecting, so the collector's passes over them would only cost time (they tripled load time).
`keep(obj)` and `leave(code)`: freeing a million rows one object at a time at exit takes seconds, so the
console script (argus.commands.cli.entry) keeps what `keep` was given alive and ends the process with os._exit once
stdout and stderr are flushed (every output file is closed and renamed by then). Called in-process (tests,
cli.main) nothing is kept.
"""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager

_kept: list | None = None  # a list once the console script asked for keep() to hold on (leave() follows)


@contextmanager
def paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled and not _kept:  # a snapshot kept until exit stays out of the collector's reach
            gc.enable()


def hold_until_exit() -> None:
    """The console script's: from now on keep() holds what it is given, and leave() ends the process."""
    global _kept
    _kept = []


def keep(obj) -> None:
    """Hold `obj` until the process ends (console script only). The collector then stays off, and what exists
    now is frozen out of its reach: re-enabled, its first pass would walk every row (seconds for a million),
    as everything allocated while it was paused is still in its youngest generation."""
    if _kept is not None:
        _kept.append(obj)
        gc.disable()
        gc.freeze()


def leave(code: int) -> None:
    """Exit with `code`. With anything kept, skip the interpreter's teardown, which would free it object by
    object: flush the standard streams and end the process at once."""
    if not _kept:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(code)
