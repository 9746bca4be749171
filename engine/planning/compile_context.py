"""The compile context: the state every closure builder reads and writes, passed to each as an argument.

In: a checked Program and the dispatch table from AST node type to builder (argus.planning.compiler.BUILDERS).
Out: `CompileContext`, holding the program and its sources; the frame layout of the unit or rule being
compiled (slot allocation, the slots that hold elements, the globals it reads); the memo keys of
subject-independent filters and their indexes; and `expr(node, scope)`, the one place a node is dispatched to
its builder. `Scope`: the variables visible at a node. `span_text`: a span's source text.
"""

from __future__ import annotations

from typing import Callable

from argus.diagnostics import source_lines
from argus.language import ast as A
from argus.planning.frame import FIRST_VAR, Compiled
from argus.language.tables import KNOWN_TABLES


def span_text(sources: dict[str, str], span: A.Span) -> str:
    lines = source_lines(sources.get(span.file, ""))
    if not lines or span.line > len(lines):
        return ""
    if span.line == span.end_line:
        return lines[span.line - 1][span.col - 1: span.end_col - 1]
    chunk = [lines[span.line - 1][span.col - 1:], *lines[span.line: span.end_line - 1], lines[span.end_line - 1][: span.end_col - 1]]
    return " ".join(part.strip() for part in chunk)


class Scope:
    """The variables visible at a node: name -> frame slot, the innermost binding first; and `row`, the slot of
    the element the innermost enclosing `where` tests, which `it` and bare field names read (None outside one)."""

    __slots__ = ("names", "row", "outer")

    def __init__(self, names: dict | None = None, row: int | None = None, outer: "Scope | None" = None):
        self.names = names if names is not None else {}
        self.row = row
        self.outer = outer

    def slot(self, name: str) -> int | None:
        scope = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.outer
        return None

    def bind(self, name: str, slot: int) -> None:
        """A rule's `for` variable and lets join its scope in clause order: a clause sees those before it."""
        self.names[name] = slot

    def inner(self, names: dict | None = None, row: int | None = None) -> "Scope":
        """The scope of a quantifier's body (its variable) or a `where` predicate (its element, `row`)."""
        return Scope(names, row if row is not None else self.row, self)


class CompileContext:
    """Compiler state, explicit: what a builder may read (program, sources, the dispatch table) and what it
    allocates (frame slots, memo keys). One context compiles a whole program; `begin_frame` starts the frame
    of each global unit and rule."""

    def __init__(self, program, builders: dict[type, Callable]):
        self.program = program
        self.sources = program.sources
        self.builders = builders
        self.memo_keys: dict = {}
        self.begin_frame()

    def begin_frame(self) -> None:
        self.frame_size = FIRST_VAR
        self.globals_used: set[str] = set()
        self.element_slots: set[int] = set()  # for/where/quantifier variables: always a value, never Missing

    def new_slot(self, element: bool = False) -> int:
        slot = self.frame_size
        self.frame_size += 1
        if element:
            self.element_slots.add(slot)
        return slot

    def text(self, span: A.Span) -> str:
        return span_text(self.sources, span)

    def expr(self, node, scope: Scope) -> Compiled:
        """The one planner switch: the builder registered for the node's type compiles it."""
        compiled = self.builders[type(node)](self, node, scope)
        if not compiled.text:
            compiled.text = self.text(node.span)
        return compiled

    def is_global(self, name: str) -> bool:
        """Does `name`, when no variable binds it, name a parameter, global let, data file or table?"""
        prog = self.program
        return name in prog.params or name in prog.lets or name in prog.data or name in KNOWN_TABLES

    def memo_key(self, node) -> int:
        """The per-snapshot memo key of a subject-independent expression. Nodes are frozen dataclasses that
        compare by value, so a node a rewrite rebuilt equal (same span, same fields) shares the key, and no key
        can pass to another node, as an id() can once its node is freed; the memo then hashes an int, per lookup,
        rather than a tree."""
        return self.memo_keys.setdefault(node, len(self.memo_keys))

    def prepared(self, node, default=None):
        """The checker's compiled form of a literal (a regex, glob or JSONPath), else `default`. Keyed by the node's
        value (its span and text), so a rewritten tree that rebuilds an equal node still finds it."""
        return self.program.prepared.get(node, default)

    def is_prepared(self, node) -> bool:
        return node in self.program.prepared
