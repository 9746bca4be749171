"""Comparison and arithmetic operators: one table, read by the checker (operand kinds) and the compiler.

In: operator token text from the grammar. Out: `OPERATORS[op]` with its implementation on two non-missing
values. Implementations raise EvalError on operand types that cannot be compared. Case-insensitive operators
compare `str.casefold()`ed text (`matches~` has RE2 ignore case). Regex and glob patterns arrive pre-compiled when they are literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from argus.language import regex
from argus.language.values import Count, EvalError, Partial, bounds, partial, type_name


def json_eq(a, b) -> bool:
    """Equality of JSON values: a bool equals only the same bool (Python's True == 1 does not hold in JSON),
    recursively through lists and objects; 1 and 1.0 are the same number."""
    if a.__class__ is str:
        return a == b  # a string equals only a string, and str.__eq__ never says otherwise
    if a.__class__ is bool or b.__class__ is bool:
        return a is b
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(json_eq(x, y) for x, y in zip(a, b))
    if a.__class__ is dict:
        return b.__class__ is dict and a.keys() == b.keys() and all(json_eq(v, b[k]) for k, v in a.items())
    return a == b


def json_eq_fold(a, b) -> bool:
    """`=~`: strings compare case-folded, everything else as json_eq."""
    if a.__class__ is str:
        return b.__class__ is str and a.casefold() == b.casefold()
    return json_eq(a, b)


def member(a, items, fold: bool) -> bool:
    """Is a JSON-equal to an element of items (case-folded strings when fold)?"""
    c = a.__class__
    if c is str:
        if fold:
            fa = a.casefold()
            return any(x.__class__ is str and x.casefold() == fa for x in items)
        return a in items  # str.__eq__ is JSON equality already
    if c is bool:
        return any(x is a for x in items)
    if c is int or c is float or a is None:
        return any(x.__class__ is not bool and x == a for x in items)
    return any(json_eq(a, x) for x in items)


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
        if b.__class__ is dict:  # an object's keys, which are strings
            return a.__class__ is str and (any(k.casefold() == a.casefold() for k in b) if fold else a in b)
        if not isinstance(b, (list, tuple)):
            raise EvalError(f"'{op}' needs a list on the right, got {type_name(b)}")
        return member(a, b, fold)
    return impl


def _pattern(op: str, kind: str, compile_text, matches):
    """A pattern operator: the right side is a pattern, pre-compiled when it was a literal."""
    def impl(a, b):
        _need_str(op, a)
        try:
            pattern = b if isinstance(b, regex.Regex) else compile_text(b) if isinstance(b, str) else None
        except regex.RegexError as exc:  # a pattern read from the data; literals were checked at compile time (E303)
            raise EvalError(f"'{op}': {b!r} is not a valid {kind}: {exc}") from None
        if pattern is None:
            raise EvalError(f"'{op}' needs a {kind} string, got {type_name(b)}")
        return matches(pattern, a)
    return impl


_matches = _pattern("matches", "regular expression", regex.compile, lambda p, a: p.search(a))
_matches_fold = _pattern("matches~", "regular expression", lambda p: regex.compile(p, True), lambda p, a: p.search(a))
_like = _pattern("like", "glob pattern", regex.compile_glob, lambda p, a: p.fullmatch(a))


def _contains(a, b):
    if isinstance(a, str):
        _need_str("contains", b)
        return b.casefold() in a.casefold()
    if isinstance(a, (list, tuple)):
        return member(b, a, True)
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
    ignore_case: bool = False   # compares ignoring case (`=~`, `in~`, `matches~`, ...: the `~` forms)
    family: str = ""            # equality | order | membership | string | contains | pattern (planner, lint ask)
    doc: str = ""

    @property
    def lookup(self) -> bool:
        """`==`, `=~`, `in`, `in~`: a filter on them can be answered from a hash index of the key."""
        return self.family in ("equality", "membership") and not self.negated


OPERATORS: dict[str, Operator] = {op.token: op for op in (
    Operator("==", json_eq, family="equality", doc="equal, exact (case-sensitive)"),
    Operator("!=", json_eq, negated=True, family="equality", doc="not equal, exact"),
    Operator("=~", json_eq_fold, family="equality", ignore_case=True, doc="equal ignoring case (use for ids, types, names, locations)"),
    Operator("!~", json_eq_fold, negated=True, family="equality", ignore_case=True, doc="not equal ignoring case"),
    Operator("<", _order("<", lambda a, b: a < b), family="order", doc="less than (numbers or strings)"),
    Operator("<=", _order("<=", lambda a, b: a <= b), family="order", doc="less than or equal"),
    Operator(">", _order(">", lambda a, b: a > b), family="order", doc="greater than"),
    Operator(">=", _order(">=", lambda a, b: a >= b), family="order", doc="greater than or equal"),
    Operator("in", _member("in", False), family="membership", doc="member of a list, exact"),
    Operator("!in", _member("!in", False), negated=True, family="membership", doc="not a member of a list, exact"),
    Operator("in~", _member("in~", True), family="membership", ignore_case=True, doc="member of a list ignoring case"),
    Operator("!in~", _member("!in~", True), negated=True, family="membership", ignore_case=True, doc="not a member ignoring case"),
    Operator("startswith", _starts, family="string", doc="string prefix, ignoring case (as in KQL)"),
    Operator("endswith", _ends, family="string", doc="string suffix, ignoring case"),
    Operator("contains", _contains, family="contains", doc="substring (ignoring case) or list membership (ignoring case)"),
    Operator("!contains", _contains, negated=True, family="contains", doc="negation of contains"),
    Operator("matches", _matches, pattern="regex", family="pattern", doc="regular expression search (RE2 syntax)"),
    Operator("matches~", _matches_fold, pattern="regex", ignore_case=True, family="pattern", doc="regular expression search ignoring case"),
    Operator("like", _like, pattern="glob", family="pattern", doc="whole-string glob match ignoring case: * any run, ? one char"),
)}


_RANGE_TESTS = {  # op -> (true for every pair, false for every pair) of ranges a = [a1, a2], b = [b1, b2]
    "<": lambda a1, a2, b1, b2: (a2 < b1, a1 >= b2),
    "<=": lambda a1, a2, b1, b2: (a2 <= b1, a1 > b2),
    ">": lambda a1, a2, b1, b2: (a1 > b2, a2 <= b1),
    ">=": lambda a1, a2, b1, b2: (a1 >= b2, a2 < b1),
    "==": lambda a1, a2, b1, b2: (a1 == a2 == b1 == b2, a2 < b1 or b2 < a1),
    "=~": lambda a1, a2, b1, b2: (a1 == a2 == b1 == b2, a2 < b1 or b2 < a1),
}


def compare_count(op: "Operator", a, b):
    """A comparison with a Count (the count of an incomplete list) on either side: decided when it holds, or
    fails, for every count in range; otherwise the Count's Missing. Against a non-number it is the plain
    comparison (a count is never equal to a string; '<' with a string is a type error)."""
    c = a if a.__class__ is Count else b
    other = b if c is a else a
    test = _RANGE_TESTS.get(op.token if op.token not in ("!=", "!~") else "==")
    if test is None and ((op.token in ("in", "!in", "in~", "!in~") and c is a)
                         or (op.token in ("contains", "!contains") and c is b)):
        return c.missing  # is an uncertain count in the list?
    if isinstance(other, list):
        return c.missing  # against a projection: some element could equal some count in range
    if test is None or other.__class__ is bool or not isinstance(other, (int, float)):
        return op.impl(a, b) != op.negated
    yes, no = test(*bounds(a), *bounds(b))
    if op.negated:
        yes, no = no, yes
    return True if yes else False if no else c.missing


def unsure_fn(op, lproj: bool, rproj: bool):
    """(a, b, hit) -> the Missing that makes a comparison unknown because an operand is a Partial list, or None.
    "Some element matches" holds on a certain match; a miss could be a match among the left-out elements; and
    a whole-list equality with a Partial list is unknown either way."""
    member = op.token in ("in", "!in", "in~", "!in~")
    contains = op.token in ("contains", "!contains")
    whole = op.token in ("==", "!=", "=~", "!~") and not lproj and not rproj

    def unsure(a, b, hit):
        if whole:
            if (a.__class__ is Partial and isinstance(b, list)) or (b.__class__ is Partial and isinstance(a, list)):
                return a.missing if a.__class__ is Partial else b.missing
            return None
        if hit:
            return None
        if (lproj or contains) and a.__class__ is Partial:
            return a.missing
        if (rproj or member) and b.__class__ is Partial:
            return b.missing
        return None
    return unsure


def arith(op: str, a, b):
    if a.__class__ is Count or b.__class__ is Count:
        return _count_arith(op, a, b)
    if a.__class__ is Partial or b.__class__ is Partial:
        if op == "+" and isinstance(a, list) and isinstance(b, list):
            extra = None if None in (getattr(a, "extra", 0), getattr(b, "extra", 0)) else \
                getattr(a, "extra", 0) + getattr(b, "extra", 0)
            return partial(a + b, a.missing if a.__class__ is Partial else b.missing, extra)
    if op == "+":
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        if isinstance(a, list) and isinstance(b, list):
            return a + b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return a + b if op == "+" else a - b
    raise EvalError(f"'{op}' cannot combine {type_name(a)} and {type_name(b)}")


def _count_arith(op: str, a, b):
    """Range arithmetic with a Count: [a1, a2] + [b1, b2] and [a1, a2] - c; a range with no lower bound is
    unknown (the Count's Missing)."""
    c = a if a.__class__ is Count else b
    for v in (a, b):
        if v.__class__ is bool or not isinstance(v, (int, float)):
            raise EvalError(f"'{op}' cannot combine {type_name(a)} and {type_name(b)}")
    (a1, a2), (b1, b2) = bounds(a), bounds(b)
    if op == "+":
        lo, hi = a1 + b1, a2 + b2
    elif b.__class__ is not Count:
        lo, hi = a1 - b1, a2 - b1
    else:
        return c.missing
    if lo == hi:
        return lo
    if lo != int(lo):
        return c.missing
    return Count(lo, None if hi == float("inf") else hi, c.missing)
