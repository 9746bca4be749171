"""The evaluation frame's layout and the compiled-expression record the compiler's builders hand each other.

In: nothing. Out: the frame's fixed slots (CTX: the evaluation context; EVIDENCE: the evidence list, or None;
FIRST_VAR: the first variable slot) and `Compiled`: an expression's closure over a frame, the frame slots it
reads, and for a path the slot of the row it starts at and its text relative to that row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

CTX, EVIDENCE, FIRST_VAR = 0, 1, 2


@dataclass(slots=True)
class Compiled:
    """A compiled expression. `deps` empty: it depends on nothing in the rule, so it may be memoized per snapshot;
    `row_slot`/`row_path` say where evidence found a value (`properties.x[*].y` of the row in that slot)."""

    fn: Callable                   # frame -> value
    deps: frozenset = frozenset()  # the frame slots fn reads
    row_slot: int | None = None    # a path: the slot of the element, variable or row it starts at
    row_path: str | None = None    # a path: its text relative to that row
    projects: bool = False         # a path through `[*]`: its value is the list of every element's value
    text: str = ""                 # the expression's source text (set by CompileContext.expr)
