"""Built-in functions on numbers, order and versions: number, min, max, sum, sort, sort_by, version_compare.

In: argument values as the evaluator passes them (plain JSON values, rows, `Partial` lists; never a Missing,
which argus.language.functions passes through before calling these). Out: a value, a `Missing` (the answer depends on
data that is not there: a null, an empty or incomplete list) or an `EvalError` naming the offending value. The
declarations (names, parameter kinds, docs) are in the one table, argus.language.functions.FUNCTIONS.

Why min/max/sum of an empty or incomplete list is missing rather than 0 or the best of what was read: a rule
comparing it would otherwise pass or fail on data that was never seen.
"""

from __future__ import annotations

import math
import re

from argus.language.paths import compile_path
from argus.language.values import article, EvalError, Missing, Partial, short, type_name

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", re.ASCII)  # JSON's syntax (ASCII digits), leading zeros allowed
MAX_DIGITS = 40  # as the grammar's number literals (E103): longer text is no count or port anyone writes
_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def number(v):
    """A number, or the number a numeric string spells ("3389" -> 3389, " 1.5 " -> 1.5)."""
    if v is None:
        return Missing("number(): the value is null")
    if _is_number(v):
        return v
    if not isinstance(v, str):
        raise EvalError(f"number(): {short(v)} is a {type_name(v)}, not a number or numeric string")
    text = v.strip()
    if len(text) > MAX_DIGITS or not _NUMBER.fullmatch(text):
        raise EvalError(f"number(): {v!r} is not a number")
    if not any(c in text for c in ".eE"):
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise EvalError(f"number(): {v!r} is out of range")
    return value


def _items(name: str, xs) -> list | Missing:
    """The elements of a complete list; an incomplete (Partial) list or null is missing data."""
    if xs is None:
        return Missing(f"{name}(): the list is null")
    if xs.__class__ is Partial:
        return xs.missing  # an element that could not be read could be the smallest, largest or change the sum
    if not isinstance(xs, list):
        raise EvalError(f"{name}() needs a list, got {type_name(xs)}")
    return xs


def _ordered_kind(name: str, values, what=lambda i: f"element {i + 1}") -> str:
    """'number' or 'string': what every value is. Anything else, or a mix, has no order: an error naming it."""
    kind = None
    for i, v in enumerate(values):
        k = "number" if _is_number(v) else "string" if isinstance(v, str) else None
        if k is None:
            raise EvalError(f"{name}(): {what(i)} is {article(type_name(v))} ({short(v, 60)}); only numbers or strings "
                            "have an order")
        if kind is not None and k != kind:
            raise EvalError(f"{name}(): {what(i)} is {article(k)} among {kind}s; numbers and strings have no common "
                            "order (convert with number())")
        kind = k
    return kind or "number"


def _extreme(name: str, pick):
    def impl(xs):
        items = _items(name, xs)
        if items.__class__ is Missing:
            return items
        if not items:
            return Missing(f"{name}(): the list is empty")
        _ordered_kind(name, items)
        return pick(items)
    impl.__name__ = name
    return impl


minimum = _extreme("min", min)
maximum = _extreme("max", max)


def total(xs):
    items = _items("sum", xs)
    if items.__class__ is Missing:
        return items
    if not items:
        return Missing("sum(): the list is empty")
    for i, v in enumerate(items):
        if not _is_number(v):
            raise EvalError(f"sum(): element {i + 1} is {article(type_name(v))} ({short(v, 60)}), not a number")
    if all(isinstance(v, int) for v in items):
        return sum(items)
    return math.fsum(items)  # exact rounding: the order of the elements does not change the total


def _keep_partial(out: list, xs):
    """`out`, incomplete as `xs` was: the left-out elements have a place in the order nobody knows."""
    if xs.__class__ is not Partial:
        return out
    p = Partial(out)
    p.missing, p.extra, p.pending = xs.missing, None, None
    return p


def sort(xs):
    if xs is None:
        return Missing("sort(): the list is null")
    if not isinstance(xs, list):
        raise EvalError(f"sort() needs a list, got {type_name(xs)}")
    _ordered_kind("sort", xs)
    return _keep_partial(sorted(xs), xs)


def path_steps(text: str) -> tuple:
    """The steps of a sort_by key path (`properties.priority`, `tags.owner`, `ipConfigurations[0].name`);
    ValueError for text that is no such path."""
    steps: list = []
    for part in text.split("."):
        m = _PATH.fullmatch(part.strip())
        if m is None:
            raise ValueError("write field names separated by dots, with optional [N] indexes: properties.priority")
        steps.append(m.group(1))
        steps.extend(int(i) for i in re.findall(r"\d+", m.group(2)))
    return tuple(steps)


def prepare_path(text: str):
    """A sort_by key path compiled once, by the checker (which reports a ValueError as E304), into a getter."""
    getter = compile_path(path_steps(text), text)
    getter.text = text  # for messages
    return getter


def sort_by(xs, key):
    """Rows in ascending order of the value at a path; equal keys keep their order (a stable sort)."""
    if xs is None:
        return Missing("sort_by(): the list is null")
    if not isinstance(xs, list):
        raise EvalError(f"sort_by() needs a list of rows, got {type_name(xs)}")
    keys = []
    for i, row in enumerate(xs):
        if not isinstance(row, dict):
            raise EvalError(f"sort_by(): element {i + 1} is {article(type_name(row))}, not a row (an object)")
        k = key(row)
        if k.__class__ is Missing or k is None:
            # sorting it first or last would decide "the first rule by priority" on data that is not there
            raise EvalError(f"sort_by(): {_row_name(row, i)} has no '{key.text}'"
                            + (" (it is null)" if k is None else ""))
        keys.append(k)
    _ordered_kind("sort_by", keys, lambda i: f"'{key.text}' of {_row_name(xs[i], i)}")
    order = sorted(range(len(xs)), key=keys.__getitem__)
    return _keep_partial([xs[i] for i in order], xs)


def _row_name(row: dict, i: int) -> str:
    name = row.get("name")
    rid = row.get("id")
    label = name if isinstance(name, str) and name else rid if isinstance(rid, str) and rid else None
    return f"element {i + 1} ({label})" if label else f"element {i + 1}"


def version_compare(a, b):
    """-1, 0 or 1 as version a is lower than, equal to or higher than b. Parts are split at dots; two parts of
    digits compare as numbers (10 > 9), any other pair as text; a version with fewer parts is padded with 0
    (1.2 == 1.2.0)."""
    pa, pb = _version("a", a), _version("b", b)
    if pa.__class__ is Missing:
        return pa
    if pb.__class__ is Missing:
        return pb
    n = max(len(pa), len(pb))
    pa, pb = pa + ["0"] * (n - len(pa)), pb + ["0"] * (n - len(pb))
    for x, y in zip(pa, pb):
        if _digits(x) and _digits(y):
            x, y = int(x), int(y)
        if x != y:
            return -1 if x < y else 1
    return 0


def _version(which: str, v) -> list[str] | Missing:
    if v is None:
        return Missing(f"version_compare(): version {which} is null")
    if not isinstance(v, str):
        hint = " (write versions as text: as a number, 1.10 is 1.1)" if _is_number(v) else ""
        raise EvalError(f"version_compare(): version {which} is {article(type_name(v))} ({short(v, 40)}), not a "
                        f"version string{hint}")
    parts = [p.strip() for p in v.strip().split(".")]
    if not v.strip() or "" in parts:
        raise EvalError(f"version_compare(): {v!r} is not a dotted version (empty part)")
    return parts


def _digits(part: str) -> bool:
    return part.isascii() and part.isdigit()  # str.isdigit() alone accepts superscripts, which int() refuses
