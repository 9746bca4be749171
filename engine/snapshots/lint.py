"""Snapshot-aware lint: what a rule reads or compares that the snapshot says can never be there.

In: a checked Program and a Snapshot. Out: warnings, with a did-you-mean from what does occur:
- W506 a field path never occurs where the rule reads it: in the rows of the types it filters on, or under
  the nested list it iterates (a `where` over properties.securityRules reads properties.securityRules[*]...);
- W508 a resource type compared with `type` never occurs in the table (ignoring case) while a near-identical
  one does, or another table holds it (a type simply absent from the estate is not a misspelling);
- W509 a literal compared with a path is of a JSON type the path never holds (for `contains` and `in` on a
  list, its elements), naming the observed type, an example value and the literal to write instead.
Conditions, filters, lets and messages are read (a path a condition already misspells is not reported again
for a message). What a name stands for is inferred as an `El` (table, types, is_set, path under the row):
through `where type ==` filters, lets, for and quantifier variables, first/only/nonempty/distinct/default,
attribute, index and `[*]` chains, and resource(id) joins resolved through the ids the snapshot holds at that
path. Anything else (a computed key, another function's result) is not checked, and neither is anything under
a list the sampled rows never show with an element. What occurs comes from argus.snapshots.shapes (sampled rows).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from argus import gcpause
from argus.language import ast as A
from argus.diagnostics import Diagnostic, closest
from argus.language.functions import id_prefix, parent_id, resource_group_id
from argus.language.operators import OPERATORS
from argus.snapshots.shapes import DEPTH, STAR, Shapes, render
from argus.language.tables import KNOWN_TABLES
from argus.language.static import types_admitted
from argus.language.values import EvalError, Missing, type_name

_FAMILY = {token: op.family for token, op in OPERATORS.items()}  # the operator table says what each compares
_ID_FUNCS = {"id_prefix": id_prefix, "parent_id": parent_id, "resource_group_id": resource_group_id}
_NUMBER = re.compile(r"-?\d+(\.\d+)?")  # as the grammar writes numbers


@dataclass(frozen=True, slots=True)
class El:
    """What an expression holds: rows of `table` (None: any table) of `types` (None: any), and the path `at`
    from the row to the value (is_set False) or to each element of the list (is_set True)."""
    table: str | None
    types: frozenset | None
    is_set: bool
    at: tuple = ()




class Linter:
    def __init__(self, program, snapshot):
        self.program = program
        self.shapes = Shapes(snapshot)
        self.diags: list[Diagnostic] = []
        self.reported: set = set()
        self.let_values: dict = {}
        self.in_messages = False
        self.rule_keys: set = set()  # (code, path) reported for the current rule
        self.lenient = None  # the first argument of the default() being checked: its leaf may be unset

    def run(self) -> list[Diagnostic]:
        for rule in self.program.rules:
            env: dict = {}
            messages = []  # read last: a path a condition already misspells is not reported again for its message
            for stmt in rule.body:
                if isinstance(stmt, A.For):
                    self.visit(stmt.source, env)
                    if stmt.otherwise:
                        messages.append((dict(env), stmt.otherwise.message.parts + (stmt.otherwise.subject,)))
                    env[stmt.var] = self.elements(self.value(stmt.source, env))
                elif isinstance(stmt, A.Let):
                    self.visit(stmt.value, env)
                    env[stmt.name] = self.value(stmt.value, env)
                elif isinstance(stmt, (A.When, A.Require)):
                    self.visit(stmt.cond, env)
                    if getattr(stmt, "message", None):
                        messages.append((dict(env), stmt.message.parts))
            self.in_messages = True
            for scope, parts in messages:
                for part in parts:
                    if part is not None and not isinstance(part, str):
                        self.visit(part, scope)
            self.in_messages, self.rule_keys = False, set()
        for let in self.program.lets.values():
            self.visit(let.value, {})
        return self.diags

    def warn(self, code: str, span, key, message: str) -> None:
        if (code, span, key) in self.reported or (self.in_messages and (code, key) in self.rule_keys):
            return
        self.reported.add((code, span, key))
        self.rule_keys.add((code, key))
        self.diags.append(Diagnostic(code, span, message))

    # ---- what an expression holds
    def value(self, node, env, row=None) -> El | None:
        if isinstance(node, A.Name):
            return self.name(node, env, row)
        if isinstance(node, A.It):
            return row
        if isinstance(node, (A.Attr, A.Project, A.Index)):
            return self.chain(node, env, row)
        if isinstance(node, A.Where):
            src = self.elements(self.value(node.source, env, row))
            if src is None:
                return None
            types = types_admitted(node.pred) if not src.at else None
            return El(src.table, types if types is not None else src.types, True, src.at)
        if isinstance(node, A.Call) and node.args:
            if node.func in ("first", "only"):
                return self.elements(self.value(node.args[0], env, row))
            if node.func in ("nonempty", "distinct", "sort", "sort_by"):  # the same elements, maybe reordered
                return self.value(node.args[0], env, row)
            if node.func == "default":
                self.defaulted(node, env, row)
                return None
            if node.func == "resource":
                return self.joined(node.args[0], env, row)
        return None

    def name(self, node: A.Name, env, row) -> El | None:
        name = node.name
        if name in env:
            return env[name]
        if name in self.program.lets:
            if name not in self.let_values:
                self.let_values[name] = None  # a let that refers to itself resolves to nothing
                self.let_values[name] = self.value(self.program.lets[name].value, {})
            return self.let_values[name]
        if name in self.program.params or name in self.program.data:
            return None
        if name in KNOWN_TABLES:
            return El(name, None, True)
        if row is None or row.is_set:
            return None
        return self.step(row, name, node)  # inside a where: a field of the element

    def elements(self, el: El | None) -> El | None:
        """The element of a set or of the list a value holds."""
        if el is None:
            return None
        if el.is_set:
            return El(el.table, el.types, False, el.at)
        return El(el.table, el.types, False, el.at + (STAR,)) if el.at else None

    def chain(self, node, env, row) -> El | None:
        """An attribute/index/[*] chain, checked link by link from its base."""
        links = []
        while isinstance(node, (A.Attr, A.Project, A.Index)):
            links.append(node)
            node = node.obj
        el = self.value(node, env, row)
        projected = False
        for link in reversed(links):
            if el is None:
                return None
            if isinstance(link, A.Attr):
                key = link.name
            elif isinstance(link, A.Project) or (isinstance(link.index, A.Literal) and type(link.index.value) is int):
                key = STAR
                projected = projected or isinstance(link, A.Project)
            elif isinstance(link.index, A.Literal) and isinstance(link.index.value, str):
                key = link.index.value
            else:
                return None  # a computed key: what follows it cannot be placed
            if el.is_set:  # only [*] or an index reads the elements of a set
                el = El(el.table, el.types, False, el.at) if key == STAR else None
            else:
                el = self.step(el, key, link)
        if el is None or not projected:
            return el
        return self.flattened(el)

    def flattened(self, el: El) -> El | None:
        """A projection flattens one level: where the values it reaches are lists, its elements are theirs."""
        kinds = {type_name(v) for v in self.shapes.values(el.table, el.types, el.at)} - {"null"}
        if kinds == {"list"}:
            return El(el.table, el.types, True, el.at + (STAR,))
        return El(el.table, el.types, True, el.at) if "list" not in kinds else None

    def step(self, el: El, key: str, node) -> El | None:
        """`el` one step further, or None (with W506 when the snapshot shows what occurs there instead)."""
        at = el.at + (key,)
        shape = self.shapes.shape(el.table, el.types)
        if shape is None or len(at) > DEPTH:
            return None
        children, filled = shape
        here = children.get(el.at, set())
        if key in here:
            return El(el.table, el.types, False, at)
        if el.at and el.at[-1] == STAR and el.at[:-1] not in filled:
            return None  # a list never seen with an element says nothing about its elements' shape
        guess = closest(key, sorted(here - {STAR})) if key != STAR else None
        if guess is None and node is self.lenient:
            return None  # a defaulted leaf that is simply not set anywhere in this snapshot
        hint = f" (did you mean '{render(el.at + (guess,))}'?)" if guess else ""
        self.warn("W506", node.span, at, f"path '{render(at)}' never occurs in {_kind(el)} rows of the snapshot{hint}")
        return None

    def defaulted(self, call: A.Call, env, row) -> None:
        """default(p, v): ARG leaves a property out when nobody set it, which is what default() is for, so p's
        last step may never occur in the snapshot. It is still checked, but warned about only when a key
        close to it does occur (a misspelling); the steps before it are checked as usual."""
        self.lenient = call.args[0]
        try:
            self.visit(call.args[0], env, row)
        finally:
            self.lenient = None

    def joined(self, arg, env, row) -> El | None:
        """resource(id): the rows the ids found at that path name, when the snapshot holds any of them."""
        found = self.shapes.resolve(self.ids(arg, env, row))
        tables = {t for t, _ in found}
        if not found:
            return None
        return El(tables.pop() if len(tables) == 1 else None, frozenset(t for _, t in found if t), False)

    def ids(self, node, env, row) -> list:
        if isinstance(node, A.Call) and node.func in _ID_FUNCS and node.args:
            extra = [a.value for a in node.args[1:] if isinstance(a, A.Literal)]
            if len(extra) != len(node.args) - 1:
                return []
            out = []
            for rid in self.ids(node.args[0], env, row):
                try:
                    v = _ID_FUNCS[node.func](rid, *extra)
                except EvalError:  # an id the function refuses names nothing
                    continue
                if not isinstance(v, Missing):
                    out.append(v)
            return out
        el = self.value(node, env, row)
        if el is None or not el.at:
            return []
        return [v for v in self.shapes.values(el.table, el.types, el.at) if isinstance(v, str)]

    # ---- walking the rule
    def visit(self, node, env, row=None) -> None:
        if isinstance(node, A.Where):
            self.visit(node.source, env, row)
            element = self.elements(self.value(node.source, env, row))
            types = types_admitted(node.pred) if element is not None and not element.at else None
            if types is not None:  # rows of other types fail the filter, so the rest of it only reads these
                element = El(element.table, types, False)
            self.visit(node.pred, env, element)
            return
        if isinstance(node, A.Quant):
            self.visit(node.source, env, row)
            self.visit(node.body, dict(env, **{node.var: self.elements(self.value(node.source, env, row))}), row)
            return
        if isinstance(node, (A.Name, A.Attr, A.Project, A.Index)):
            self.value(node, env, row)  # checks the path, link by link
            while isinstance(node, (A.Attr, A.Project, A.Index)):
                if isinstance(node, A.Index):
                    self.visit(node.index, env, row)
                node = node.obj
            if not isinstance(node, (A.Name, A.It)):
                self.visit(node, env, row)
            return
        if isinstance(node, A.Compare):
            self.compare(node, env, row)
        if isinstance(node, A.Call) and node.func == "default" and node.args:
            self.defaulted(node, env, row)
            for child in node.args[1:]:
                self.visit(child, env, row)
            return
        for child in A.children(node):
            self.visit(child, env, row)

    def compare(self, node: A.Compare, env, row) -> None:
        left, right, family = node.left, node.right, _FAMILY[node.op]
        if isinstance(left, A.Literal) and not isinstance(right, (A.Literal, A.ListExpr)):
            if family == "membership":  # "blob" in~ c.properties.groupIds
                self.literal_type(right, [left], env, row, "member")
                return
            if family != "equality":
                return
            left, right = right, left
        if isinstance(right, A.ListExpr) and family == "membership":
            literals = [item for item in right.items if isinstance(item, A.Literal)]
        elif isinstance(right, A.Literal) and family in ("equality", "string", "pattern", "contains"):
            literals = [right]
        else:
            return
        if not self.resource_type(left, literals, env, row):
            mode = {"contains": "contains", "string": "string", "pattern": "string"}.get(family, "value")
            self.literal_type(left, literals, env, row, mode)

    def resource_type(self, side, literals, env, row) -> bool:
        """W508 for `type` of rows (or of resource(...)) compared with types no row of the table has."""
        table = self.rows_table(side, env, row)
        if table is False:
            return False
        present = self.shapes.types_in(table)
        for lit in literals:
            if not (present and isinstance(lit.value, str)):
                continue
            rtype = lit.value.casefold()
            if rtype in present or not self.collected(table, rtype):
                continue
            # Types share long prefixes, so similarity ratios mislead (virtualnetworkgateways is not a typo of
            # virtualnetworks); a misspelling is a couple of edits away. As with paths, only evidence speaks: a
            # type the snapshot simply lacks (none that close, in no table) is the estate's business.
            guess = min(((_edits(rtype, t), t) for t in present), default=(3, None))
            guess = guess[1] if guess[0] <= 2 else None
            elsewhere = [t for t in self.shapes.tables() if rtype in self.shapes.types_in(t)]
            if not guess and not elsewhere:
                continue
            hint = f" (did you mean '{guess}'?)" if guess else f" (it occurs in {elsewhere[0]} rows)"
            where = f"{table} rows" if table else "any table"
            self.warn("W508", lit.span, rtype, f"type '{lit.value}' never occurs in {where} of the snapshot{hint}")
        return True

    def rows_table(self, side, env, row):
        """The table (None: any) whose rows' `type` column `side` reads, or False when it reads something else."""
        if isinstance(side, A.Name) and side.name == "type":
            program = self.program
            bound = any(side.name in names for names in (env, program.lets, program.params, program.data))
            return row.table if row is not None and not row.at and not bound else False
        if not (isinstance(side, A.Attr) and side.name == "type"):
            return False
        el = self.value(side.obj, env, row)
        if el is None:  # resource() of ids the snapshot does not hold: a row of any table
            return None if isinstance(side.obj, A.Call) and side.obj.func == "resource" else False
        return el.table if not el.at and not el.is_set else False

    def collected(self, table, rtype: str) -> bool:
        """False when a pushdown collection left the type out: the scan reports that as not_evaluated."""
        coverage = getattr(self.shapes.snapshot, "coverage", None)
        if coverage is None or not coverage.partial:
            return True
        tables = [table] if table is not None else list(coverage.partial)
        return all(coverage.typed(t, frozenset((rtype,))) is None for t in tables)

    def literal_type(self, side, literals, env, row, mode: str) -> None:
        """W509 for literals of a JSON type the values at the path never have. mode: value (==, in [...]),
        member (literal in path), contains (path contains literal), string (startswith, matches, ...)."""
        el = self.value(side, env, row)
        if el is None or not el.at:
            return
        at, seen = el.at, self.observed(el, el.at)
        if mode in ("member", "contains") and not el.is_set:
            if ("string" in seen and mode == "contains") or "object" in seen:
                return  # a substring test, or membership among an object's keys: any string can match
            if set(seen) != {"list"}:
                return
            at = at + (STAR,)
            seen = self.observed(el, at)
        if not seen:
            return
        for lit in literals:
            kind = "string" if mode == "string" else type_name(lit.value)
            if lit.value is None or kind in seen:
                continue
            examples = ", ".join(_source(seen[k], 60) for k in sorted(seen))
            fix = _suggest(lit.value, set(seen))
            self.warn("W509", lit.span, at, f"{type_name(lit.value)} {_source(lit.value)} is compared with '{render(at)}', "
                      f"which only holds {' or '.join(sorted(seen))} values in {_kind(el)} rows of the snapshot "
                      f"(e.g. {examples}){'; write ' + fix if fix else ''}")

    def observed(self, el: El, at: tuple) -> dict:
        """JSON type name -> the first value of that type at the path (nulls say nothing about the type)."""
        seen: dict = {}
        for v in self.shapes.values(el.table, el.types, at):
            seen.setdefault(type_name(v), v)
        seen.pop("null", None)
        return seen


def _edits(a: str, b: str) -> int:
    """Characters inserted, deleted or replaced to turn a into b (as difflib aligns them)."""
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _kind(el: El) -> str:
    if el.types:
        return "/".join(sorted(el.types))
    return el.table or "snapshot"


def _source(value, limit: int | None = None) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."


def _suggest(value, kinds: set) -> str | None:
    """The literal written as the one type the path holds, when it converts."""
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    if kind == "bool" and isinstance(value, str) and value.casefold() in ("true", "false"):
        return value.casefold()
    if kind == "number" and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return value.strip()
    if kind == "string" and not isinstance(value, (str, list, dict)) and value is not None:
        return _source(_source(value))
    return None


def lint(program, snapshot) -> list[Diagnostic]:
    """The collector is paused as while evaluating: an id index over a big snapshot makes no cycles, and the
    collector's passes over its millions of containers would dominate the run time."""
    with gcpause.paused():
        return Linter(program, snapshot).run()
