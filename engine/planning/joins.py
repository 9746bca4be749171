"""Builder of `where` filters: which conjunct is a join, and which can be answered from a hash index.

In: a Where node, the compile context and the scope. Out: a `Compiled` whose closure filters a set (argus.planning.lookup
runs it: the row loop, or a lookup in an index built once per snapshot).

A conjunct is a *join* when it compares something read from the element (the key) with `==`, `=~`, `in` or
`in~` against a value that does not depend on the element (the probe). Two kinds:
- a lookup, when the probe is data (read from the snapshot: the subject, a let, another row): an element, or
  a probe element, without the key is simply no match, as an absent reference points at nothing;
- a filter on a constant (a literal or parameter): an element without the key is undecided, since absence
  may mean a default the constant names, and the result is then a Partial list.
`==`/`=~` joins are indexed when the set does not depend on the rule's subject: the key may be a path of the
element, any expression of the element alone (`private_link_connections(it)[*].properties.privateLinkServiceId`),
or `any(v in <expression of the element>: <expression of v> ==|=~ probe)`, which is the lookup on every key
the quantifier would meet. The index is built once per snapshot (argus.planning.lookup) and shared by every filter of
the same set on the same key; it gives exactly what the row-by-row filter gives, Missing handling included,
because rows it cannot place are re-checked with the whole predicate, and because every filter, indexed or
not, evaluates the join conjunct first (errors in the others then show for the same rows). A filter that
depends on nothing in the rule is evaluated once per snapshot and memoized.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from argus.language import ast as A
from argus.planning.compile_context import CompileContext, Scope
from argus.planning.compile_paths import element_root, path_chain
from argus.planning.pushdown import guard, table_read
from argus.planning.frame import CTX, Compiled
from argus.language.functions import FUNCTIONS
from argus.language.operators import OPERATORS
from argus.planning.lookup import LEAF, JoinPlan, Shape, indexed_where_fn, path_name, where_fn
from argus.language.paths import compile_path
from argus.language.values import Missing, Partial


@dataclass(slots=True)
class Join:
    plan: JoinPlan | None   # None: a join that is not indexed (in, in~)
    lookup: bool
    probe: Compiled


def build_where(cx: CompileContext, node: A.Where, scope: Scope) -> Compiled:
    prog = cx.program
    # `T where type == "x"` reads only type x of table T: a pushdown snapshot that lacks it makes the result
    # missing (argus.planning.pushdown.guard), one that has it answers from the table as loaded
    read = table_read(node, lambda n: scope.slot(n) is not None or n in prog.params or n in prog.lets
                      or n in prog.data)
    typed = read is not None and read[1] is not None
    source = _loaded_table(read[0]) if typed else cx.expr(node.source, scope)
    row = cx.new_slot(element=True)
    inner = scope.inner(row=row)
    conjuncts = _conjuncts(node.pred)
    joins = [_join(cx, conjunct, inner, row) for conjunct in conjuncts]
    compiled = [cx.expr(conjunct, inner) for conjunct in conjuncts]
    preds = [_lenient(c.fn) if j is not None and j.lookup else c.fn for c, j in zip(compiled, joins)]
    texts = [cx.text(conjunct.span) for conjunct in conjuncts]
    outer = _outer_values(cx, conjuncts, joins, inner, row)
    deps = (source.deps | frozenset().union(*(c.deps for c in compiled))) - {row}
    chosen = [i for i, j in enumerate(joins) if j is not None and j.plan is not None and not j.plan.narrow]
    if not chosen and not source.deps:  # an index that only narrows is worth it where it is built once
        chosen = [i for i, j in enumerate(joins) if j is not None and j.plan is not None]
    if chosen:
        # the index answers the join conjunct before the others (on a probe that varies per subject; a
        # constant one, type == "...", is then a cheap filter), so a row it excludes never evaluates them;
        # the join goes first in every order the filter runs, indexed or not, so errors do not depend on it
        i = next((i for i in chosen if joins[i].probe.deps), chosen[0])
        preds.insert(0, preds.pop(i))
        texts.insert(0, texts.pop(i))
    if chosen and not source.deps:
        plan = joins[i].plan
        index_key = ("index", _source_key(cx, node.source), plan.name, plan.fold)
        rest = slice(0 if plan.narrow else 1, None)  # what the index does not decide: a narrowing one, nothing
        fn = indexed_where_fn(source.fn, row, plan, index_key, preds[rest], texts[rest], preds, texts, outer)
    else:
        fn = where_fn(source.fn, row, preds, texts, outer)
    if read is not None:
        fn = guard(fn, *read)
    if not deps:
        fn = _memoized(cx.memo_key(node), fn)
    return Compiled(fn, deps)


def _outer_values(cx: CompileContext, conjuncts: list, joins: list, inner: Scope, row: int) -> list:
    """The compared values from outside the element (the subject, a let): one that is missing makes the whole
    set unknown, however the filter runs."""
    outer = []
    for conjunct, join in zip(conjuncts, joins):
        if join is not None and join.lookup:
            outer.append(join.probe.fn)
        elif isinstance(conjunct, A.Compare):
            sides = (cx.expr(conjunct.left, inner), cx.expr(conjunct.right, inner))
            outer.extend(side.fn for side in sides if side.deps and row not in side.deps)
    return outer


def _join(cx: CompileContext, conjunct, inner: Scope, row: int) -> Join | None:
    if isinstance(conjunct, A.Quant):
        return _any_join(cx, conjunct, inner, row)
    if not isinstance(conjunct, A.Compare) or not OPERATORS[conjunct.op].lookup:
        return None
    equality = OPERATORS[conjunct.op].family == "equality"  # symmetric: the key may stand on either side
    sides = ((conjunct.left, conjunct.right), (conjunct.right, conjunct.left)) if equality else ((conjunct.left, conjunct.right),)
    for key_node, probe_node in sides:
        key, probe = cx.expr(key_node, inner), cx.expr(probe_node, inner)
        if key.deps != {row} or row in probe.deps:
            continue
        steps = _row_steps(cx, key_node, inner, row)
        # (an absent tag needs no exception here: its path reads as null, "not set", see paths._tag_path)
        lookup = not _constant(cx, probe_node, inner)
        if not equality:  # in / in~: a membership test of the row's key
            return Join(None, lookup, probe)
        # the index is named by what it reads: a path by its steps, any other key by its text
        name = path_name(steps) if steps else ("expr", cx.text(key_node.span))
        keys = _key_reader(key, compile_path(steps, cx.text(key_node.span)) if steps else None, row)
        return Join(JoinPlan(keys, probe.fn, probe.projects, conjunct.op == "=~", lookup, name), lookup, probe)
    return None


def _any_join(cx: CompileContext, q: A.Quant, inner: Scope, row: int) -> Join | None:
    """`any(v in S: V ==|=~ P)` with S an expression of the element, V one of v, P of neither: the index answers
    it. `any(v in S: V ==|=~|in|in~ P and ...)`, the comparison one conjunct of a longer body: the index on V
    only narrows the rows (`narrow`): each candidate, and each row it could not place, meets the whole filter."""
    if q.kind != "any":
        return None
    parts = _conjuncts(q.body)
    exact = len(parts) == 1
    comparisons = [p for p in parts if isinstance(p, A.Compare) and OPERATORS[p.op].lookup
                   and (not exact or OPERATORS[p.op].family == "equality")]
    if not comparisons:
        return None
    elements = cx.expr(q.source, inner)
    if elements.deps != {row}:
        return None
    var = cx.new_slot(element=True)
    scope = inner.inner({q.var: var})
    for body in comparisons:
        members = OPERATORS[body.op].family == "membership"  # V in P: P is the list, looked up element by element
        sides = ((body.left, body.right),) if members else ((body.left, body.right), (body.right, body.left))
        for value_node, probe_node in sides:
            value, probe = cx.expr(value_node, scope), cx.expr(probe_node, scope)
            if value.deps != {var} or probe.deps & {row, var}:
                continue
            # a narrowing index decides nothing itself, so a row without the key is re-checked, never dropped
            lookup = exact and not _constant(cx, probe_node, scope)
            name = ("any", cx.text(q.source.span), q.var, cx.text(value_node.span))
            keys = _any_key_reader(elements.fn, value.fn, value.projects, row, var)
            plan = JoinPlan(keys, probe.fn, probe.projects or members, OPERATORS[body.op].ignore_case, lookup, name,
                            narrow=not exact, members=members)
            return Join(plan, lookup, probe)
    return None


def _constant(cx: CompileContext, node, scope: Scope) -> bool:
    """Is the value one the rule author fixed (literals, parameters, data files and what functions make of
    them), rather than data read from the snapshot (a table, a let, a variable, `it`, a row field)?"""
    if isinstance(node, A.It):
        return False
    if isinstance(node, A.Name):
        if scope.slot(node.name) is not None:
            return False
        return node.name in cx.program.params or node.name in cx.program.data
    if isinstance(node, A.Call) and FUNCTIONS[node.func].needs_context:
        return False
    return all(_constant(cx, child, scope) for child in A.children(node))


def _row_steps(cx: CompileContext, key_node, inner: Scope, row: int) -> tuple | None:
    """The steps of a key that is a path of the row (read by a getter taking the row itself, so that the
    index is built in one tight loop), else None."""
    base, steps = path_chain(key_node)
    slot, lead = element_root(cx, base, inner)
    return lead + steps if slot == row and (lead + steps) else None


def _key_reader(key: Compiled, direct, row: int) -> Callable:
    """(env, r) -> (key values, incomplete) for a key that is an expression of the element: each element of
    a projection, else the value itself; a missing key gives none (a static Missing is handed up)."""
    key_fn, each = key.fn, key.projects

    def keys(env, r):
        if direct is not None:
            k = direct(r)
        else:
            env[row] = r
            k = key_fn(env)
        c = k.__class__
        if c is Missing:
            return (k if k.static else ()), (LEAF if k.leaf else True)
        if each:
            return k, c is Partial
        return (k,), False
    return keys


def _any_key_reader(elements_fn, value_fn, each: bool, row: int, var: int) -> Callable:
    """Keys of `any(v in S: V == ...)` for one element: V of every v in S, as the quantifier would meet them.
    A set that is not a list raises Shape: the row is re-checked with the quantifier, which reports it."""
    def keys(env, r):
        env[row] = r
        xs = elements_fn(env)
        c = xs.__class__
        if c is Missing:
            return (xs if xs.static else ()), (LEAF if xs.leaf else True)
        if c is not list and c is not tuple and c is not Partial:
            raise Shape()
        out, unsure = [], c is Partial
        for x in xs:
            env[var] = x
            v = value_fn(env)
            vc = v.__class__
            if vc is Missing:
                if v.static:
                    return v, True
                unsure = True if (unsure is True or not v.leaf) else LEAF
            elif each:
                out.extend(v)
                unsure = unsure or vc is Partial
            else:
                out.append(v)
        return out, unsure
    return keys


def _lenient(fn):
    """A lookup conjunct: a row (or probe element) without the key is no match, not an unknown; but when the
    object that would hold the key is itself absent, the data is not there and the row stays undecided."""
    def lookup(env):
        v = fn(env)
        return False if v.__class__ is Missing and v.leaf and not v.static else v
    return lookup


def _loaded_table(name: str) -> Compiled:
    return Compiled(lambda env: env[CTX].snapshot.table(name))


def _conjuncts(pred) -> list:
    if isinstance(pred, A.And):
        return _conjuncts(pred.left) + _conjuncts(pred.right)
    return [pred]


def _source_key(cx: CompileContext, source) -> tuple:
    """The memo name of the set an index is built on. A subject-independent name is a global: a table's key
    is the one the evaluator files the snapshot's type partition under (argus.evaluation.evaluator.Context)."""
    if isinstance(source, A.Name):
        return ("global", source.name)
    return ("node", cx.memo_key(source))


def _memoized(key, fn):
    def memo(env):
        m = env[CTX].memo
        v = m.get(key, m)
        if v is m:
            v = m[key] = fn(env)
        return v
    return memo
