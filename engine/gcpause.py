"""The one way argus pauses Python's cyclic garbage collector.

In: a block of work. Out: the same work with the collector paused, and restored to what it was (pauses nest).
Why: loading, linting and evaluating a big snapshot allocate millions of containers and create no reference
cycles worth collecting, so the collector's passes over them would only cost time (they tripled load time).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
