"""The grammar, built into a parser once: engine/language/grammar.lark is the only place syntax lives.

In: the bundled grammar.lark. Out: `lalr()`, the lark LALR parser (starts `start` for a file and `expr` for an
expression; positions kept for spans), cached for the process and, through lark's own cache, across runs.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark

from argus import resources as bundled


@lru_cache(maxsize=1)
def lalr() -> Lark:
    """The rule language's LALR parser (starts: a file, an expression), built once per process."""
    grammar = bundled.text("language", "grammar.lark")
    # cache=True: the LALR tables are built once per grammar and lark version and kept in the temp directory
    # (a failed write only costs the build, about 50 ms, each run)
    return Lark(grammar, parser="lalr", propagate_positions=True, start=["start", "expr"], maybe_placeholders=True,
                cache=True)
