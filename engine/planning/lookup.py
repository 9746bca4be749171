"""Runtime of `where` filters: the row loop and the hash indexes that turn joins into lookups.

In: a set (list or Partial), compiled conjuncts (closures over a frame), and for an indexed filter a
`JoinPlan` (how to read the key(s) of a row and the probe value). Out: the rows every conjunct holds for; a
`Partial` when some rows could not be decided (a conjunct unknown for them, and none false), or when the set
itself was incomplete; a static Missing (a parameter without value, a table not exported) poisons the whole
set. Conjuncts combine in Kleene logic: a false one excludes a row even after an unknown one.

Index keys follow the comparison operators exactly (`key`): JSON equality, so a bool never meets the number
1; strings case-folded for `=~`; lists and objects by value. An index holds, besides its buckets, the rows
whose key could not be read (`undecided`) and the rows whose key raised a type error (`errors`): a lookup
re-checks those against the whole predicate, so the indexed filter gives what the row-by-row filter gives,
in the same (set) order. An index is memoized under the steps of its key path (`path_name`); the snapshot's type
partition is turned into the index on `type` (`type_partition`) so that no filter reads every row for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from argus.planning.frame import CTX
from argus.language.values import Count, EvalError, Missing, Partial, json_key as key, partial, type_name


class Shape(Exception):
    """A row's key cannot be read for a structural reason the original predicate reports itself."""


class Index(dict):
    """key -> rows (in set order), plus the rows a lookup must re-check with the full predicate. `rows` is the
    indexed set: rows gathered from several buckets are put back in its order (`pos`, built on first need)."""

    __slots__ = ("undecided", "errors", "parentless", "lost", "static", "rows", "pos")

    def start(self, rows, lost=None) -> "Index":
        self.undecided, self.errors, self.static, self.lost, self.rows, self.pos = [], [], None, lost, rows, None
        self.parentless = []  # rows whose key's holder is absent: the data is not there, so even a lookup re-checks
        return self

    def in_set_order(self, rows: list) -> list:
        """`rows` (distinct rows of the set) sorted as the set holds them, as a scan would give them."""
        pos = self.pos
        if pos is None:
            pos = self.pos = {id(r): i for i, r in enumerate(self.rows)}
        rows.sort(key=lambda r: pos[id(r)])
        return rows


@dataclass(slots=True)
class JoinPlan:
    """An indexed conjunct. `keys(env, row)` -> (values, incomplete) reads a row's key values; `probe(env)`
    the value looked up; `each`: look up each element of a (projected) probe; `fold`: =~; `lookup`: a join
    on data, where a row or probe element without the key is simply no match (else such rows stay undecided);
    `name`: the memo key of the index, shared by every filter of the same set on the same key. `narrow`: the
    index only narrows the rows, the whole filter still decides each candidate; `members`: the probe is the list
    of an `in`/`in~` (looked up element by element, and only when it is a list)."""

    keys: Callable
    probe: Callable
    each: bool
    fold: bool
    lookup: bool
    name: tuple
    narrow: bool = False
    members: bool = False


def build_index(rows, plan: JoinPlan, env, row: int) -> Index:
    if rows.__class__ is not list and rows.__class__ is not Partial:
        raise EvalError(f"'where' filters a set or list, got {type_name(rows)}")
    index = Index().start(rows, rows.missing if rows.__class__ is Partial else None)
    keys_of, fold = plan.keys, plan.fold
    for r in rows:
        try:
            values, unsure = keys_of(env, r)
        except (EvalError, Shape):
            index.errors.append(r)
            continue
        if values.__class__ is Missing:  # only a static one: absence outside the row poisons the set
            index.static = values
            return index
        if unsure:
            index.undecided.append(r)
            if unsure is not LEAF:
                index.parentless.append(r)
        for v in values:
            if v.__class__ is str:
                k = v.casefold() if fold else v
            else:
                k = key(v, fold)
            bucket = index.get(k)
            if bucket is None:
                index[k] = [r]
            elif bucket[-1] is not r:
                bucket.append(r)
    index.undecided += index.errors  # re-checked by filters on a constant; lookups re-check errors only
    return index


def path_name(steps) -> tuple:
    """The memo name of an index keyed on a path of the row: its steps, never their dotted text, since
    `properties["a.b"]` and `properties.a.b` are different keys."""
    return ("path", tuple(steps))


TYPE_NAME = path_name(("type",))
LEAF = "leaf"  # a key reader's `unsure` when only the key itself was absent from an object that is there


def type_partition(rows: list, groups: dict, fold: bool) -> Index | None:
    """The index a join on `type` would build over `rows`, made from the snapshot's type partition (raw type
    value -> rows, in set order) without reading every row again. Keys are made as `key` makes them; rows
    without a type are undecided, as build_index leaves them. None when `=~` would merge partition groups
    (a type case-folding changes, such as "straße"): the planner then builds the index itself."""
    index = Index().start(rows)
    for t, group in groups.items():
        if t.__class__ is str:
            if fold and t.casefold() != t:
                return None
            index[t] = group
            continue
        # null, numbers, bools (True and 1 share a partition group) and rows with no type at all: rare
        for r in group:
            if "type" not in r:
                index.undecided.append(r)
            else:
                index.setdefault(key(r["type"], fold), []).append(r)
    return index


_EMPTY: list = []


def probe_rows(index: Index, want, plan: JoinPlan):
    """The candidate rows for a projected probe: the union of the buckets of its elements, in set order (a
    scan meets the rows in set order, whatever the order of the probe's elements)."""
    fold = plan.fold
    buckets = [b for b in (index.get(key(w, fold)) for w in want) if b]
    if not buckets:
        return _EMPTY
    first = buckets[0]
    if all(b is first for b in buckets):
        return first  # one bucket is already in set order
    out, seen = [], set()
    for bucket in buckets:
        for r in bucket:
            if id(r) not in seen:
                seen.add(id(r))
                out.append(r)
    return index.in_set_order(out)


def scan(env, row: int, rows, preds: list, texts: list, out: list, skip=None):
    """Append to `out` the rows every conjunct holds for. Returns (first unknown, the undecided rows with the
    Missing that left each undecided); a static unknown is returned at once and poisons the set."""
    unknown, undecided = None, []
    for r in rows:
        if skip is not None and id(r) in skip:
            continue
        env[row] = r
        for p in preds:
            v = p(env)
            if v is not True:
                break
        else:
            out.append(r)
            continue
        if v is False:
            continue
        v = _rest(v, p, preds, texts, env)
        if v is False:
            continue
        if v.static:
            return v, []
        undecided.append((r, v))
        if unknown is None:
            unknown = v
    return unknown, undecided


def _rest(v, p, preds, texts, env):
    """Kleene `and` after conjunct p gave v (not true, not false): false if a later conjunct is false, else
    the (first static, else first) unknown."""
    i = preds.index(p)
    if v.__class__ is not Missing:
        raise EvalError(f"`{texts[i]}` is a {type_name(v)}, not true/false")
    if v.static:
        return v
    for q, text in zip(preds[i + 1:], texts[i + 1:]):
        w = q(env)
        if w is True:
            continue
        if w is False:
            return False
        if w.__class__ is not Missing:
            raise EvalError(f"`{text}` is a {type_name(w)}, not true/false")
        if w.static:
            return w
    return v


def result(out: list, lost, unknown, undecided: list):
    """The filtered set: a Partial when rows were left undecided (`unknown`; `undecided` holds them) or the set
    itself was incomplete (`lost`: then how many rows are unknown is unknown too)."""
    if lost is not None:
        return partial(out, unknown if unknown is not None else lost, None, undecided or None)
    if unknown is not None:
        return partial(out, unknown, len(undecided), undecided)
    return out


def check_outer(outer: list, env):
    """A value from outside the element that is missing (or an uncertain count) makes the set unknown."""
    for value_of in outer:
        v = value_of(env)
        if v.__class__ is Missing:
            return v
        if v.__class__ is Count:
            return v.missing
    return None


def where_fn(src, row: int, preds: list, texts: list, outer: list):
    """A filter that visits every row."""
    def fn(env):
        if outer:
            m = check_outer(outer, env)
            if m is not None:
                return m
        rows = src(env)
        if rows.__class__ is not list:
            if rows.__class__ is Missing:
                return rows
            if rows.__class__ is not Partial and rows.__class__ is not tuple:
                raise EvalError(f"'where' filters a set or list, got {type_name(rows)}")
        if not preds:
            return rows
        out: list = []
        unknown, undecided = scan(env, row, rows, preds, texts, out)
        if unknown is not None and unknown.static:
            return unknown
        return result(out, rows.missing if rows.__class__ is Partial else None, unknown, undecided)
    return fn


def indexed_where_fn(src, row: int, plan: JoinPlan, index_key: tuple, rest: list, rest_texts: list,
                     preds: list, texts: list, outer: list):
    """A filter answered from a hash index on one conjunct: the candidates for the probe are checked against
    the other conjuncts (`rest`); rows the index could not place are checked against all of them (`preds`)."""
    probe, lookup = plan.probe, plan.lookup

    fold, each = plan.fold, plan.each
    # a narrowing index takes only a probe it can look up exactly as the comparison compares it (a string, or
    # a list for `in`/`in~` and projections); any other probe (missing, partial, a number...) is a plain scan
    scan_all = where_fn(src, row, preds, texts, outer) if plan.narrow else None
    narrow_str = plan.narrow and not plan.members

    def fn(env):
        if outer:
            m = check_outer(outer, env)
            if m is not None:
                return m
        memo = env[CTX].memo
        index = memo.get(index_key)
        if index is None:
            rows = src(env)
            if rows.__class__ is Missing:
                return rows
            index = memo[index_key] = build_index(rows, plan, env, row)
        want = probe(env)
        c = want.__class__
        if scan_all is not None and not ((c is str and narrow_str) or (c is list and each)):
            return scan_all(env)
        if c is str:  # the usual probe: an id or a name
            rows = index.get(want.casefold() if fold else want, _EMPTY)
        elif c is Missing:
            return want
        elif c is Count:
            return want.missing
        elif each and (c is list or c is Partial):
            rows = probe_rows(index, want, plan)
        else:
            rows = index.get(key(want, fold), _EMPTY)
        if index.static is not None:
            return index.static
        # a lookup row without the key is no match, unless the object holding the key is absent (data not there)
        recheck = index.errors + index.parentless if lookup else index.undecided
        if not recheck and index.lost is None:
            return _residual(env, row, rows, rest, rest_texts) if rest else rows
        out: list = []
        unknown, undecided = scan(env, row, rows, rest, rest_texts, out)
        if unknown is None or not unknown.static:
            found = len(out)
            more, n = scan(env, row, recheck, preds, texts, out, skip={id(r) for r in rows})
            unknown, undecided = (unknown if unknown is not None else more), undecided + n
            if found and len(out) > found:  # re-checked rows that matched go where the set has them
                index.in_set_order(out)
        if unknown is not None and unknown.static:
            return unknown
        return result(out, index.lost, unknown, undecided)
    return fn


def _residual(env, row, rows, rest, rest_texts):
    if not rest:
        return rows  # sets are never mutated, so an index bucket can be handed out as it is
    out: list = []
    unknown, undecided = scan(env, row, rows, rest, rest_texts, out)
    if unknown is not None and unknown.static:
        return unknown
    return result(out, None, unknown, undecided)
