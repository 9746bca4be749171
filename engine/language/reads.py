"""What rules can read from snapshot rows: the paths projection keeps, per table and resource type.

In: a compiled Plan and the rules that will run. Out: `Reads`, one trie of keys per origin (table, types):
`table` None stands for any table (`resource(id)` can return a row of any), `types` None for any type. A
node marked whole keeps everything under it: a value compared, rendered in a message, hashed by distinct(),
passed to a function that reads it as a whole (bypass_covers, jsonpath, keys, len), indexed with a computed
key, or used as evidence. Lists are transparent: `a[*].b` and `a[0].b` keep `b` in every element of `a`, so
list lengths and positions never change. Every row keeps `id`, `name` and `type` (subjects, related ids,
duplicate detection, resource(id), messages naming the row); every element bound to a variable keeps its own
`id` (related ids, evidence), and a `for` element its `name` and `type` (its finding's subject).

Soundness over precision: a `where` predicate's reads count for every row of its source, not only for the
types it admits (a join conjunct runs before the type test), and any construct this analysis does not know
reads its operands whole. A path dropped here that a rule reads would be a silent pass, so when in doubt the
subtree is kept.
"""

from __future__ import annotations

import os

from argus.language import ast as A
from argus.language.static import types_admitted
from argus.language.tables import KNOWN_TABLES

WHOLE = "\0whole"  # a trie node holding this key keeps its whole subtree; a path ending in it is opaque
BASE = ("id", "name", "type")
# functions whose result is (part of) their first argument, read no deeper than its elements' identity
_PASS_FIRST = ("first", "only", "nonempty", "flatten")
_TOUCH_ONLY = ("count", "empty", "exists")


class Reads:
    """Tries of keys per origin (table or None, frozenset of types or None)."""

    def __init__(self) -> None:
        self.tries: dict[tuple, dict] = {}

    def mark(self, origin: tuple, path: tuple, whole: bool) -> None:
        node = self.tries.setdefault(origin, {})
        for key in path:
            if WHOLE in node:
                return
            if key == WHOLE:
                node[WHOLE] = True
                return
            node = node.setdefault(key, {})
        if whole and WHOLE not in node:
            node.clear()
            node[WHOLE] = True

    def for_table(self, table: str | None) -> dict:
        """The union of every trie that can apply to a row of `table` (None: of any table), with BASE kept."""
        out: dict = {key: {WHOLE: True} for key in BASE}
        out["properties"] = {}  # whether a row has properties (and is it null) is kept: the loader's checks ask
        for (t, _types), trie in self.tries.items():
            if table is None or t is None or t == table:
                merge(out, trie)
        return out

    def tables(self) -> set:
        return {t for t, _ in self.tries if t is not None}


def merge(into: dict, other: dict) -> None:
    """Union of two tries, in place: whole wins."""
    if WHOLE in into:
        return
    if WHOLE in other:
        into.clear()
        into[WHOLE] = True
        return
    for key, child in other.items():
        merge(into.setdefault(key, {}), child)


def is_whole(trie: dict) -> bool:
    return WHOLE in trie


def project(value, trie: dict):
    """`value` with only what `trie` keeps; lists are transparent, a list inside a list is kept whole (as the
    msgspec decoder of argus.snapshots.rowdecode keeps it), scalars are kept as they are."""
    if WHOLE in trie:
        return value
    if type(value) is dict:
        return {k: project(v, trie[k]) for k, v in value.items() if k in trie}
    if type(value) is list:
        return [project(v, trie) if type(v) is not list else v for v in value]
    return value


def for_scan(session) -> Reads | None:
    """What a scan keeps of each row, or None to keep rows whole: with ARGUS_NO_PROJECTION=1 (debugging, and
    the test that projection changes no finding). A --what-if scan does not project at all (argus.pipeline.scan_pipeline)."""
    if os.environ.get("ARGUS_NO_PROJECTION", "").strip().lower() not in ("", "0", "false", "no"):
        return None
    return reads_of(session.plan, session.rules)


def reads_of(plan, rules) -> Reads:
    """What `rules` (CompiledRules of `plan`) read, with the global lets and parameter defaults they use."""
    analysis = _Analysis(plan.program)
    for cr in rules:
        analysis.rule(cr.node)
    # a parameter given on the command line still has its default analysed: a superset is always safe
    return analysis.reads


_EMPTY: frozenset = frozenset()


class _Analysis:
    def __init__(self, program) -> None:
        self.program = program
        self.reads = Reads()
        self.globals: dict[str, frozenset] = {}

    # ---- refs: (origin, path) pairs, the values an expression can hold
    def _mark(self, refs, whole: bool) -> None:
        for origin, path in refs:
            self.reads.mark(origin, path, whole)

    def whole(self, refs) -> None:
        self._mark(refs, True)

    def touch(self, refs) -> None:
        self._mark(refs, False)

    def step(self, refs, key) -> frozenset:
        out = frozenset((o, p if p[-1:] == (WHOLE,) else p + (key,)) for o, p in refs)
        self.touch(out)
        if key == "tags":  # tag names are matched ignoring case: every key of tags is read
            self.whole(out)
        return out

    def bind(self, refs, subject: bool = False) -> frozenset:
        """An element bound to a variable keeps its own id (related ids, evidence); a subject its name and type."""
        for key in (BASE if subject else ("id",)):
            self.whole(self.step(refs, key))
        return refs

    # ---- rules and globals
    def rule(self, rule: A.Rule) -> None:
        env: dict = {}
        for stmt in rule.body:
            if isinstance(stmt, A.For):
                src = self.val(stmt.source, env, None)
                if stmt.otherwise is not None:
                    if stmt.otherwise.subject is not None:
                        self.bind(self.val(stmt.otherwise.subject, env, None), subject=True)
                    self.template(stmt.otherwise.message, env)
                env[stmt.var] = self.bind(src, subject=True)
            elif isinstance(stmt, A.Let):
                env[stmt.name] = self.bind(self.val(stmt.value, env, None))
            elif isinstance(stmt, (A.When, A.Require)):
                self.whole(self.val(stmt.cond, env, None, rec=True))
                if getattr(stmt, "message", None) is not None:
                    self.template(stmt.message, env)

    def template(self, tpl: A.Template, env) -> None:
        for part in tpl.parts:
            if part is not None and not isinstance(part, str):
                self.whole(self.val(part, env, None))

    def global_value(self, name: str) -> frozenset:
        if name not in self.globals:
            self.globals[name] = _EMPTY  # a let naming itself errors at run time: it reads nothing more
            prog = self.program
            node = prog.lets[name].value if name in prog.lets else prog.params[name].default
            self.globals[name] = self.val(node, {}, None) if node is not None else _EMPTY
        return self.globals[name]

    # ---- expressions
    def val(self, node, env: dict, row, rec: bool = False) -> frozenset:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:  # a node this analysis does not know: everything under it is read whole
            for child in A.children(node):
                self.whole(self.val(child, env, row))
            return _EMPTY
        return method(node, env, row, rec)

    def _Literal(self, node, env, row, rec):
        return _EMPTY

    def _It(self, node, env, row, rec):
        return row or _EMPTY

    def _Name(self, node: A.Name, env, row, rec):
        name, prog = node.name, self.program
        if name in env:
            return env[name]
        if name in prog.lets or name in prog.params:
            return self.global_value(name)
        if name in prog.data:
            return _EMPTY
        if name in KNOWN_TABLES:
            return frozenset((((name, None), ()),))
        return self.step(row or _EMPTY, name)

    def _Attr(self, node: A.Attr, env, row, rec):
        return self.step(self.val(node.obj, env, row), node.name)

    def _Project(self, node: A.Project, env, row, rec):
        return self.val(node.obj, env, row)  # lists are transparent

    def _Index(self, node: A.Index, env, row, rec):
        base = self.val(node.obj, env, row)
        lit = node.index.value if isinstance(node.index, A.Literal) else None
        if isinstance(lit, int) and not isinstance(lit, bool):
            return base
        if isinstance(lit, str):
            return self.step(base, lit)
        self.whole(base)  # a computed key can read any entry
        self.whole(self.val(node.index, env, row))
        return frozenset((o, p + (WHOLE,)) for o, p in base)

    def _ListExpr(self, node: A.ListExpr, env, row, rec):
        return frozenset().union(*(self.val(item, env, row) for item in node.items))

    def _Compare(self, node: A.Compare, env, row, rec):
        self.whole(self.val(node.left, env, row))
        self.whole(self.val(node.right, env, row))
        return _EMPTY

    def _Arith(self, node: A.Arith, env, row, rec):
        left, right = self.val(node.left, env, row), self.val(node.right, env, row)
        if node.op == "+":  # list concatenation keeps the elements; strings are leaves, read whole where used
            return left | right
        self.whole(left | right)
        return _EMPTY

    def _And(self, node, env, row, rec):
        self.whole(self.val(node.left, env, row, rec))
        self.whole(self.val(node.right, env, row, rec))
        return _EMPTY

    _Or = _And

    def _Not(self, node: A.Not, env, row, rec):
        self.whole(self.val(node.operand, env, row, rec))
        return _EMPTY

    def _Quant(self, node: A.Quant, env, row, rec):
        src = self.val(node.source, env, row)
        self.whole(self.val(node.body, {**env, node.var: self.bind(src)}, row))
        return _EMPTY

    def _Where(self, node: A.Where, env, row, rec):
        src = self.val(node.source, env, row)
        # the predicate runs on every element of the source, whatever types it admits
        self.whole(self.val(node.pred, env, self.bind(src)))
        prog = self.program
        admitted = types_admitted(node.pred, lambda n: n in env or n in prog.params or n in prog.lets
                                  or n in prog.data)
        if admitted is None:
            return src
        return frozenset((_narrow(o, admitted), p) if p == () else (o, p) for o, p in src)

    def _Call(self, node: A.Call, env, row, rec):
        func, args = node.func, [self.val(a, env, row) for a in node.args]
        if rec and args:  # a call in a condition records its first argument as evidence
            self.whole(args[0])
        if func in _PASS_FIRST:
            self.whole(frozenset().union(*args[1:]))
            return args[0] if args else _EMPTY
        if func in _TOUCH_ONLY:
            return _EMPTY
        if func in ("default", "coalesce"):
            return frozenset().union(*args)
        if func == "private_link_connections" and len(args) == 1:
            props = self.step(args[0], "properties")
            return (self.step(props, "privateLinkServiceConnections")
                    | self.step(props, "manualPrivateLinkServiceConnections"))
        if func == "resource":
            self.whole(frozenset().union(*args))
            return frozenset((((None, None), ()),))
        if func == "table":
            lit = node.args[0].value if node.args and isinstance(node.args[0], A.Literal) else None
            table = lit.casefold() if isinstance(lit, str) else None
            return frozenset((((table, None), ()),))
        # anything else reads its arguments whole; what it returns may be (part of) one of them
        every = frozenset().union(*args) if args else _EMPTY
        self.whole(every)
        return frozenset((o, p + (WHOLE,)) for o, p in every)


def _narrow(origin: tuple, admitted: frozenset) -> tuple:
    table, types = origin
    return table, admitted if types is None else types & admitted
