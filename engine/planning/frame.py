"""Frame layout and the compiled-expression record shared by the compiler modules.

In: nothing. Out: slot numbers of the evaluation frame (0 = context, 1 = evidence list, then variables) and
`C`, a compiled expression: its closure, the frame slots it reads, and (for paths) the row it reads from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

CTX, EVIDENCE, FIRST_VAR = 0, 1, 2

@dataclass(slots=True)
class C:
    """A compiled expression: its closure, the frame slots it reads, and (for paths) the row it reads from."""

    fn: Callable
    deps: frozenset = frozenset()
    root: int | None = None
    rel: str | None = None
    proj: bool = False
    text: str = ""
