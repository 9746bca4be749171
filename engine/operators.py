"""Comparison and arithmetic operators: one table, read by the checker (operand kinds) and the compiler.

In: operator token text from the grammar. Out: `OPERATORS[op]` with its implementation on two non-missing
values. Implementations raise EvalError on operand types that cannot be compared. Case-insensitive operators
compare `str.casefold()`ed text. Regex and glob patterns arrive pre-compiled when they are literals.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from .values import EvalError, type_name


def _fold(v):
    return v.casefold() if isinstance(v, str) else v


def _need_str(op: str, *vals) -> None:
    for v in vals:
        if not isinstance(v, str):
            raise EvalError(f"'{op}' needs strings, got {type_name(v)}")


def _order(op: str, fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def impl(a, b):
        ta, tb = a.__class__, b.__class__
        if (ta is int or ta is float) and (tb is int or tb is float):
            return fn(a, b)
        num = (int, float)
        if isinstance(a, num) and isinstance(b, num) and not isinstance(a, bool) and not isinstance(b, bool):
            return fn(a, b)
        if isinstance(a, str) and isinstance(b, str):
            return fn(a, b)
        raise EvalError(f"'{op}' cannot compare {type_name(a)} with {type_name(b)}")
    return impl


def _member(op: str, fold: bool):
    def impl(a, b):
        if not isinstance(b, (list, tuple, dict)):
            raise EvalError(f"'{op}' needs a list on the right, got {type_name(b)}")
        if fold:
            fa = _fold(a)
            return any(_fold(x) == fa for x in b)
        return a in b
    return impl


@lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern:
    return re.compile(fnmatch.translate(pattern), re.IGNORECASE)


def _pattern(op: str, kind: str, compile_text, matches):
    """A pattern operator: the right side is a pattern, pre-compiled when it was a literal."""
    def impl(a, b):
        _need_str(op, a)
        pattern = b if isinstance(b, re.Pattern) else compile_text(b) if isinstance(b, str) else None
        if pattern is None:
            raise EvalError(f"'{op}' needs a {kind} string, got {type_name(b)}")
        return matches(pattern, a)
    return impl


_matches = _pattern("matches", "regular expression", compile_regex, lambda p, a: p.search(a) is not None)
_like = _pattern("like", "glob pattern", compile_glob, lambda p, a: p.fullmatch(a) is not None)


def _contains(a, b):
    if isinstance(a, str):
        _need_str("contains", b)
        return b.casefold() in a.casefold()
    if isinstance(a, (list, tuple)):
        fb = _fold(b)
        return any(_fold(x) == fb for x in a)
    raise EvalError(f"'contains' needs a string or list on the left, got {type_name(a)}")


def _starts(a, b):
    _need_str("startswith", a, b)
    return a.casefold().startswith(b.casefold())


def _ends(a, b):
    _need_str("endswith", a, b)
    return a.casefold().endswith(b.casefold())


@dataclass(frozen=True, slots=True)
class Operator:
    token: str
    impl: Callable[[Any, Any], bool]
    negated: bool = False      # result is the negation of `impl` (so projections negate "any match")
    pattern: str | None = None  # "regex" / "glob": literal right operand is compiled once
    doc: str = ""


OPERATORS: dict[str, Operator] = {op.token: op for op in (
    Operator("==", lambda a, b: a == b, doc="equal, exact (case-sensitive)"),
    Operator("!=", lambda a, b: a == b, negated=True, doc="not equal, exact"),
    Operator("=~", lambda a, b: _fold(a) == _fold(b), doc="equal ignoring case (use for ids, types, names, locations)"),
    Operator("!~", lambda a, b: _fold(a) == _fold(b), negated=True, doc="not equal ignoring case"),
    Operator("<", _order("<", lambda a, b: a < b), doc="less than (numbers or strings)"),
    Operator("<=", _order("<=", lambda a, b: a <= b), doc="less than or equal"),
    Operator(">", _order(">", lambda a, b: a > b), doc="greater than"),
    Operator(">=", _order(">=", lambda a, b: a >= b), doc="greater than or equal"),
    Operator("in", _member("in", False), doc="member of a list, exact"),
    Operator("!in", _member("!in", False), negated=True, doc="not a member of a list, exact"),
    Operator("in~", _member("in~", True), doc="member of a list ignoring case"),
    Operator("!in~", _member("!in~", True), negated=True, doc="not a member ignoring case"),
    Operator("startswith", _starts, doc="string prefix, ignoring case (as in KQL)"),
    Operator("endswith", _ends, doc="string suffix, ignoring case"),
    Operator("contains", _contains, doc="substring (ignoring case) or list membership (ignoring case)"),
    Operator("!contains", _contains, negated=True, doc="negation of contains"),
    Operator("matches", _matches, pattern="regex", doc="regular expression search (Python re syntax)"),
    Operator("like", _like, pattern="glob", doc="whole-string glob match ignoring case: * any run, ? one char"),
)}


def arith(op: str, a, b):
    if op == "+":
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        if isinstance(a, list) and isinstance(b, list):
            return a + b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return a + b if op == "+" else a - b
    raise EvalError(f"'{op}' cannot combine {type_name(a)} and {type_name(b)}")
