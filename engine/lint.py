"""Snapshot-aware lint: field paths a rule reads that never occur in the snapshot for the rows it reads.

In: a checked Program and a Snapshot. Out: W506 diagnostics, one per path, with a did-you-mean from the paths
that do occur at that level. The element type of a set is inferred from `where type == "..."` (or `=~`,
`in`) filters on a table, through lets, first/only/nonempty; paths are checked up to their first computed
index. Rows of a type are sampled (the first 2,000) to collect the paths that occur.
"""

from __future__ import annotations

from . import ast as A
from .diagnostics import Diagnostic, did_you_mean
from .snapshot import KNOWN_TABLES

_SAMPLE = 2000
_DEPTH = 10
_PASS_THROUGH = ("first", "only", "nonempty", "distinct")


class _Paths:
    def __init__(self, snapshot):
        self.snapshot = snapshot
        self.cache: dict = {}

    def occurring(self, table: str, types: frozenset | None) -> set[str] | None:
        key = (table, types)
        if key not in self.cache:
            rows = self.snapshot.tables.get(table)
            if rows is None:
                self.cache[key] = None
            else:
                if types is not None:
                    rows = [r for t in types for r in self.snapshot.by_type.get(table, {}).get(t, [])]
                seen: set[str] = set()
                for row in rows[:_SAMPLE]:
                    _walk(row, "", seen, 0)
                self.cache[key] = seen if rows else None
        return self.cache[key]


def _walk(value, prefix: str, out: set, depth: int) -> None:
    if depth > _DEPTH:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            p = f"{prefix}.{k}" if prefix else k
            out.add(p)
            _walk(v, p, out, depth + 1)
    elif isinstance(value, list):
        p = f"{prefix}[*]"
        out.add(p)
        for item in value[:50]:
            _walk(item, p, out, depth + 1)


class Linter:
    def __init__(self, program, snapshot):
        self.program = program
        self.paths = _Paths(snapshot)
        self.diags: list[Diagnostic] = []
        self.reported: set = set()

    def run(self) -> list[Diagnostic]:
        for rule in self.program.rules:
            env: dict = {}
            for stmt in rule.body:
                if isinstance(stmt, A.For):
                    self.visit(stmt.source, env)
                    env[stmt.var] = _as_row(self.infer(stmt.source, env))
                elif isinstance(stmt, A.Let):
                    self.visit(stmt.value, env)
                    env[stmt.name] = self.infer(stmt.value, env)
                elif isinstance(stmt, (A.When, A.Require)):
                    self.visit(stmt.cond, env)
        for let in self.program.lets.values():
            self.visit(let.value, {})
        return self.diags

    # (table, types, is_set) of a set or row expression
    def infer(self, node, env):
        if isinstance(node, A.Name):
            if node.name in env:
                return env[node.name]
            if node.name in self.program.lets:
                return self.infer(self.program.lets[node.name].value, {})
            if node.name in KNOWN_TABLES:
                return (node.name, None, True)
            return None
        if isinstance(node, A.Where):
            base = self.infer(node.source, env)
            if base is None:
                return None
            types = _type_filter(node.pred)
            return (base[0], types if types is not None else base[1], True)
        if isinstance(node, A.Call) and node.func in _PASS_THROUGH and node.args:
            inner = self.infer(node.args[0], env)
            return _as_row(inner) if node.func in ("first", "only") else inner
        return None

    def visit(self, node, env, row=None) -> None:
        if isinstance(node, A.Where):
            self.visit(node.source, env, row)
            self.visit(node.pred, env, _as_row(self.infer(node.source, env)))
            return
        if isinstance(node, A.Quant):
            self.visit(node.source, env, row)
            self.visit(node.body, dict(env, **{node.var: _as_row(self.infer(node.source, env))}), row)
            return
        if isinstance(node, (A.Attr, A.Project, A.Index)):
            self.check_path(node, env, row)
            base = node
            while isinstance(base, (A.Attr, A.Project, A.Index)):  # inner links of the chain are the same path
                if isinstance(base, A.Index):
                    self.visit(base.index, env, row)
                base = base.obj
            self.visit(base, env, row)
            return
        for child in _children(node):
            self.visit(child, env, row)

    def check_path(self, node, env, row) -> None:
        steps, base = [], node
        while isinstance(base, (A.Attr, A.Project, A.Index)):
            if isinstance(base, A.Attr):
                steps.append(base.name)
            elif isinstance(base, A.Project):
                steps.append("[*]")
            elif isinstance(base.index, A.Literal) and isinstance(base.index.value, str):
                steps.append(base.index.value)
            else:
                steps = []  # a computed index: check only what follows it (nothing, conservatively)
            base = base.obj
        steps.reverse()
        element = None
        if isinstance(base, A.Name) and base.name in env:
            element = env[base.name]
        elif isinstance(base, A.It):
            element = row
        elif isinstance(base, A.Name) and row is not None and base.name not in self.program.lets \
                and base.name not in self.program.params and base.name not in self.program.data and base.name not in KNOWN_TABLES:
            element, steps = row, [base.name] + steps
        if element is None:
            return
        if element[2]:  # a set: only `set[*].path` reads its rows
            if not steps or steps[0] != "[*]":
                return
            steps = steps[1:]
        if not steps:
            return
        occurring = self.paths.occurring(element[0], element[1])
        if occurring is None:
            return
        path = ""
        for step in steps:
            nxt = f"{path}{step}" if step == "[*]" else (f"{path}.{step}" if path else step)
            if nxt not in occurring:
                key = (node.span, nxt)
                if key not in self.reported:
                    self.reported.add(key)
                    siblings = [p for p in occurring if p.rsplit(".", 1)[0] == path] if path else [p for p in occurring if "." not in p and "[" not in p]
                    hint = did_you_mean(nxt, siblings)
                    kind = "/".join(sorted(element[1])) if element[1] else element[0]
                    self.diags.append(Diagnostic("W506", node.span, f"path '{nxt}' never occurs in {kind} rows of the snapshot{hint}"))
                return
            path = nxt


def _as_row(element):
    return None if element is None else (element[0], element[1], False)


def _type_filter(pred) -> frozenset | None:
    if isinstance(pred, A.And):
        return _type_filter(pred.left) or _type_filter(pred.right)
    if isinstance(pred, A.Compare) and isinstance(pred.left, A.Name) and pred.left.name == "type":
        if pred.op in ("==", "=~") and isinstance(pred.right, A.Literal) and isinstance(pred.right.value, str):
            return frozenset({pred.right.value.lower()})
        if pred.op in ("in", "in~") and isinstance(pred.right, A.ListExpr):
            vals = [i.value.lower() for i in pred.right.items if isinstance(i, A.Literal) and isinstance(i.value, str)]
            return frozenset(vals) if vals else None
    return None


def _children(node):
    for name in getattr(node, "__slots__", ()):
        if name == "span":
            continue
        value = getattr(node, name)
        if isinstance(value, tuple):
            yield from (v for v in value if hasattr(v, "span"))
        elif hasattr(value, "span"):
            yield value


def lint(program, snapshot) -> list[Diagnostic]:
    return Linter(program, snapshot).run()
