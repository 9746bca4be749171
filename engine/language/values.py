"""Runtime values beyond plain JSON: the Missing marker and evaluation errors.

In: nothing. Out: `Missing` (absent data, carrying what was missing and where — never equal to anything, so
comparisons with it are unknown, not false), `Partial` (a list with elements that could not be read or
decided) and `Count` (the count of a Partial: a range, not a number), and `EvalError` (a type error in a rule,
reported as an `error` finding). Rows themselves stay the parsed dicts of the snapshot; they are never wrapped
or copied.
"""

from __future__ import annotations


class Missing:
    """Absent data. `static` marks absence that does not depend on the row under test (a parameter without a
    value, a table not in the snapshot): such absence poisons a whole set rather than one element of it."""

    __slots__ = ("what", "resource", "static", "leaf")

    def __init__(self, what: str, resource: str | None = None, static: bool = False, leaf: bool = False):
        self.what = what
        self.resource = resource
        self.static = static
        # `leaf`: only the last step of a path was absent, from an object (or list) that is there. That absence
        # may mean the platform default, which default() may supply; an absent parent means the data is not.
        self.leaf = leaf

    def describe(self) -> str:
        where = f" on {self.resource}" if self.resource else ""
        return f"{self.what}{where}"

    def __repr__(self) -> str:
        return f"Missing({self.describe()!r})"

    def __bool__(self) -> bool:
        raise TypeError("Missing has no truth value; check `is True` explicitly")


class Partial(list):
    """A list known to be incomplete: some elements could not be read (a projection met a missing path) or not
    decided (a `where` predicate was unknown for them). It holds the certain elements; `missing` is the first
    Missing met, `extra` how many elements were left out (None when unknown: a projection flattens, so one
    missing element may stand for any number of values). Comparisons, quantifiers and count() read the marker:
    an answer the left-out elements could change is unknown. Everything else sees an ordinary list."""

    __slots__ = ("missing", "extra", "pending")


def partial(items, missing: Missing, extra: int | None = None, pending: list | None = None) -> Partial:
    """`pending`: the rows a `where` left undecided, each with the Missing that left it so, in set order; a
    rule's `for` reports each as a not_evaluated subject instead of dropping it."""
    p = Partial(items)
    p.missing, p.extra, p.pending = missing, extra, pending
    return p


class Count(int):
    """count()/len() of a Partial list: at least int(self), at most `hi` (None: no upper bound). Comparisons
    decide only when every count in that range gives the same answer; otherwise they are unknown (`missing`)."""

    def __new__(cls, lo: int, hi: int | None, missing: Missing):
        c = super().__new__(cls, lo)
        c.hi, c.missing = hi, missing
        return c

    def __repr__(self) -> str:
        return f"Count({int(self)}..{'' if self.hi is None else self.hi})"


def bounds(v) -> tuple:
    """(lowest, highest) value of a number or Count."""
    if v.__class__ is Count:
        return int(v), float("inf") if v.hi is None else v.hi
    return v, v


class EvalError(Exception):
    """A type error while evaluating a rule: the finding gets status `error` with this message, and the
    evaluator adds the clause it arose in with its location (`error in `<clause>` (file:line): ...`)."""


def article(word: str) -> str:
    """`a list`, `an object`: a word (a type name) with its indefinite article, for messages."""
    return ("an " if word[:1] in "aeiou" else "a ") + word


def type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, Missing):
        return "missing"
    return type(value).__name__


def json_text(value, compact: bool = False) -> str:
    """A value as JSON text for a message: the stdlib writer, which takes integers of any size (msgspec decodes
    a number beyond 64 bits exactly, and orjson cannot write one). `compact`: no spaces after , and :."""
    import json
    return json.dumps(value, default=str, ensure_ascii=False, separators=(",", ":") if compact else None)


def short(value, limit: int = 80) -> str:
    """A one-line rendering of a value for messages."""
    if isinstance(value, Missing):
        return "<missing>"
    if value.__class__ is Count:
        return f"at least {int(value)}" if value.hi is None else f"{int(value)} to {value.hi}"
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict) and "id" in value and isinstance(value.get("id"), str):
        text = value["id"]
    else:
        text = json_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_BOOL, _JSON = object(), object()


def json_key(v, fold: bool):
    """The hashable form of a value under == (fold=False) or =~ (fold=True): JSON equality, so a bool never
    meets the number 1; strings case-folded for =~; lists and objects by value (hash indexes, distinct())."""
    c = v.__class__
    if c is str:
        return v.casefold() if fold else v
    if c is bool:
        return (_BOOL, v)
    if c is int or c is float or v is None:
        return v
    return (_JSON, _canon(v))


def _canon(v):
    if v.__class__ is bool:
        return (_BOOL, v)
    if isinstance(v, list):
        return tuple(_canon(x) for x in v)
    if isinstance(v, dict):  # a plain object, or one holding values a what-if could not predict
        return frozenset((k, _canon(x)) for k, x in v.items())
    return v
