"""Compiled field paths: `a.b[0].c[*].d` -> one getter function, built once per rule, never re-parsed.

In: the steps of a path (keys, literal indexes, `[*]` projections) and its source text. Out: a function
row -> value | Missing. A missing key (or null on the way) gives Missing naming the path and the resource;
reading a field of a string or number is an EvalError. A projection maps the rest of the path over a list,
skips elements where it is missing, and flattens one level, as JMESPath's `[*]` and `[]` do; when it skipped
any, the result is a `Partial` list remembering the first Missing, so that "no element matches" and counts
are not decided on the elements that happened to be readable.
"""

from __future__ import annotations

from argus.language.unresolved import Marked, missing as unresolved
from argus.language.values import EvalError, Missing, Partial, partial, type_name

PROJECT = object()  # the `[*]` step
_MISS = object()


TAGS = "tags"


def _miss(text: str, root, leaf: bool = False) -> Missing:
    rid = root.get("id") if type(root) is dict else None
    return Missing(text, rid if isinstance(rid, str) else None, leaf=leaf)


def _holder(value) -> bool:
    """Is `value` a container a key could be absent from (as opposed to null or missing on the way)?"""
    return type(value) is dict or type(value) is list or type(value) is Marked


def _step(value, key, text):
    """One step; returns _MISS for absence, raises EvalError for reading into a scalar."""
    t = type(value)
    if t is dict:
        if type(key) is int:
            raise EvalError(f"{text}: cannot index an object with a number")
        return value.get(key, _MISS)
    if t is Partial and type(key) is int:
        return _MISS  # an element that could not be read may sit before (or after) the ones that were
    if t is list or t is Partial:
        if type(key) is int:
            return value[key] if -len(value) <= key < len(value) else _MISS
        raise EvalError(f"{text}: '{key}' read from a list; use [*] to project over its elements")
    if value is None:
        return _MISS
    if t is Marked:  # a container holding values a what-if could not predict (argus.language.unresolved)
        if type(key) is int:
            raise EvalError(f"{text}: cannot index an object with a number")
        m = unresolved(value, key, text)
        return m if m is not None else value.get(key, _MISS)
    if t is Missing:  # an unpredicted value met on the way: reading past it is as unknown as reading it
        return value
    raise EvalError(f"{text}: cannot read '{key}' of a {type_name(value)}")


def compile_path(steps: tuple, text: str):
    """steps: tuple of str/int keys and PROJECT markers. Returns get(root) -> value | Missing."""
    if PROJECT in steps:
        return _projection(steps, text)
    if len(steps) >= 2 and steps[0] == TAGS and type(steps[1]) is str:
        return _tag_path(steps, text)
    if len(steps) == 1:
        (k,) = steps

        def get1(root):
            if type(root) is dict and type(k) is str:
                v = root.get(k, _MISS)
            else:
                v = _step(root, k, text)
            return _miss(text, root, _holder(root)) if v is _MISS else v
        return get1
    if len(steps) == 2 and all(type(k) is str for k in steps):
        k1, k2 = steps

        def get2(root):
            if type(root) is dict:
                v = root.get(k1, _MISS)
                if type(v) is dict:
                    v2 = v.get(k2, _MISS)
                    return _miss(text, root, True) if v2 is _MISS else v2
            else:
                v = _step(root, k1, text)
            if v is _MISS:
                return _miss(text, root)
            v2 = _step(v, k2, text)
            return _miss(text, root, _holder(v)) if v2 is _MISS else v2
        return get2

    last = len(steps) - 1

    def getn(root):
        v = root
        for i, k in enumerate(steps):
            holder = v
            v = v.get(k, _MISS) if type(v) is dict and type(k) is str else _step(v, k, text)
            if v is _MISS:
                return _miss(text, root, i == last and _holder(holder))
        return v
    return getn


def _tag_path(steps: tuple, text: str):
    """`tags.<name>...` of a row. ARG's tags column is null or an object, and a tag has no default a literal
    could name: a tag the row does not carry is simply not set (null), in filters, requires, negations and
    counts alike, whether the row's tags are `{}`, null or left out (ARM bodies omit them when there are none).
    Tag names are case-insensitive in Azure, so `tags.env` reads a tag written `Env`."""
    name, rest = steps[1], steps[2:]
    folded = name.casefold()
    tail = compile_path(rest, text) if rest else None

    def get_tag(root):
        if type(root) is not dict:
            if type(root) is not Marked:
                return _miss(text, root) if root is None else _step(root, TAGS, text)
            tags = _step(root, TAGS, text)  # a row a what-if could not predict: its tags are unknown too
            if tags.__class__ is Missing:
                return tags
            tags = None if tags is _MISS else tags
        else:
            tags = root.get(TAGS)
        if tags is None:
            return None
        if type(tags) is Marked:
            key = name if name in tags else next((k for k in tags if k.casefold() == folded), name)
            v = unresolved(tags, key, text)  # one tag's value unpredicted by a what-if
            if v is not None:
                return v
        elif type(tags) is not dict:
            raise EvalError(f"{text}: tags is a {type_name(tags)}, not an object")
        v = tags.get(name, _MISS)
        if v is _MISS:
            v = next((val for key, val in tags.items() if key.casefold() == folded), None)
        if tail is None or v is None:
            return v
        return tail(v)
    return get_tag


def _projection(steps: tuple, text: str):
    cut = steps.index(PROJECT)
    head = compile_path(steps[:cut], text) if cut else None
    rest = steps[cut + 1:]
    tail = compile_path(rest, text) if rest else None

    def get(root):
        seq = head(root) if head else root
        if seq.__class__ is Missing:
            return seq
        lost = None
        if seq.__class__ is not list:
            if seq.__class__ is Partial:
                lost = seq.missing
            elif seq is None:
                return _miss(text, root)
            else:
                raise EvalError(f"{text}: [*] needs a list, got {type_name(seq)}")
        out = []
        for item in seq:
            v = tail(item) if tail else item
            c = v.__class__
            if c is list:
                out.extend(v)
            elif c is Missing:
                if lost is None:
                    lost = v if v.resource else _miss(text, root)
            elif c is Partial:
                out.extend(v)
                if lost is None:
                    lost = v.missing
            else:
                out.append(v)
        return out if lost is None else partial(out, lost)
    return get


def compile_slot_path(slot: int, steps: tuple, text: str):
    """A getter reading `steps` from the element in frame slot `slot` (a for/where/quantifier variable, never
    Missing): one closure instead of two on the hot path of filters and quantifiers."""
    if len(steps) == 1 and type(steps[0]) is str:
        (k,) = steps

        def slot1(env):
            root = env[slot]
            if type(root) is dict:
                v = root.get(k, _MISS)
                return _miss(text, root, True) if v is _MISS else v
            v = _step(root, k, text)
            return _miss(text, root, _holder(root)) if v is _MISS else v
        return slot1
    if len(steps) == 2 and all(type(k) is str for k in steps) and steps[0] != TAGS:
        k1, k2 = steps
        get2 = compile_path(steps, text)

        def slot2(env):
            root = env[slot]
            if type(root) is dict:
                v = root.get(k1, _MISS)
                if type(v) is dict:
                    v = v.get(k2, _MISS)
                    return _miss(text, root, True) if v is _MISS else v
            return get2(root)
        return slot2
    get = compile_path(steps, text)
    return lambda env: get(env[slot])
