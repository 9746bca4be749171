"""Compiler: checked AST -> closures over a frame (a Python list), planned for the snapshot's shape.

In: a Program from the checker. Out: `Unit`s (a closure plus its frame size) for each global let and
parameter default, and `CompiledRule`s for the evaluator, each with its steps and their compiled message
templates. Frame slots: 0 = evaluation context, 1 = evidence
list (or None), then variables. Planning done here, once:
- paths compile to getters (argus.paths); pattern literals and JSONPaths are prepared by the checker;
- `SET where <row path> ==|=~ <value not depending on the row>` over a set that does not depend on the rule's
  subject becomes a hash-index lookup (index built once per snapshot on the (case-folded) key), so joins cost
  O(N + M) and `resources where type == "..."` is a lookup in a per-type index;
- a `where` that depends on nothing in the rule is evaluated once per snapshot and memoized.
Comparisons in `require`/`when` clauses (outside filters and quantifiers) record evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from . import ast as A
from .compile_ops import Ops
from .frame import CTX, FIRST_VAR, Compiled
from .paths import PROJECT, compile_path, compile_slot_path
from .values import EvalError, Missing, Partial, type_name


@dataclass(slots=True)
class Unit:
    fn: Callable
    nslots: int


@dataclass
class Step:
    kind: str             # let | when | require
    node: object
    fn: Callable
    slot: int | None = None
    text: str = ""
    message: list | None = None   # a require's message template: its parts (str | closure)


@dataclass
class CompiledRule:
    node: A.Rule
    var: str
    var_slot: int
    source: Compiled
    source_text: str
    steps: list[Step]
    nslots: int
    otherwise_subject: Compiled | None = None
    globals_used: set = field(default_factory=set)
    otherwise_message: list | None = None   # the `otherwise` message template: its parts (str | closure)


@lru_cache(maxsize=64)
def _source_lines(text: str) -> tuple:
    """A rule file's lines, split once: span_text runs for every node the compiler meets (thousands per pack)."""
    return tuple(ln.rstrip("\r") for ln in text.split("\n"))  # as the parser counts them


def span_text(sources: dict[str, str], span: A.Span) -> str:
    lines = _source_lines(sources.get(span.file, ""))
    if not lines or span.line > len(lines):
        return ""
    if span.line == span.end_line:
        return lines[span.line - 1][span.col - 1: span.end_col - 1]
    chunk = [lines[span.line - 1][span.col - 1:], *lines[span.line: span.end_line - 1], lines[span.end_line - 1][: span.end_col - 1]]
    return " ".join(part.strip() for part in chunk)


class Compiler(Ops):
    def __init__(self, program):
        self.program = program
        self.sources = program.sources
        self.nslots = FIRST_VAR
        self.used: set[str] = set()
        self.memo_keys: dict = {}
        self.element_slots: set[int] = set()  # for/where/quantifier variables: always a value, never Missing

    # ---- units
    def unit(self, node) -> tuple[Unit, set]:
        self.nslots, self.used, self.element_slots = FIRST_VAR, set(), set()
        c = self.expr(node, [], rec=False)
        return Unit(c.fn, self.nslots), self.used

    def rule(self, rule: A.Rule) -> CompiledRule:
        self.nslots, self.used, self.element_slots = FIRST_VAR, set(), set()
        scopes: list[dict] = [{}]
        steps: list[Step] = []
        compiled = None
        for stmt in rule.body:
            if isinstance(stmt, A.For):
                source = self.expr(stmt.source, scopes, rec=False)
                other = self.expr(stmt.otherwise.subject, scopes, rec=False) if stmt.otherwise and stmt.otherwise.subject else None
                other_message = self.template(stmt.otherwise.message, scopes) if stmt.otherwise else None
                slot = self.slot(element=True)
                scopes[0][stmt.var] = slot
                source = Compiled(_subjects(source.fn), source.deps)
                compiled = CompiledRule(rule, stmt.var, slot, source, self.text(stmt.source.span), steps, 0, other,
                                        otherwise_message=other_message)
            elif isinstance(stmt, A.Let):
                c = self.expr(stmt.value, scopes, rec=False)
                slot = self.slot()
                scopes[0][stmt.name] = slot
                steps.append(Step("let", stmt, c.fn, slot, self.text(stmt.span)))
            elif isinstance(stmt, (A.When, A.Require)):
                c = self.expr(stmt.cond, scopes, rec=True)
                message = self.template(stmt.message, scopes) if isinstance(stmt, A.Require) and stmt.message else None
                steps.append(Step("when" if isinstance(stmt, A.When) else "require", stmt, c.fn, None, self.text(stmt.cond.span),
                                  message))
        assert compiled is not None, "checker guarantees a for clause"
        compiled.nslots = self.nslots
        compiled.globals_used = set(self.used)
        return compiled

    def template(self, tpl: A.Template, scopes_for_rule) -> list:
        return [p if isinstance(p, str) else self.expr(p, scopes_for_rule, rec=False).fn for p in tpl.parts]

    # ---- helpers
    def slot(self, element: bool = False) -> int:
        self.nslots += 1
        if element:
            self.element_slots.add(self.nslots - 1)
        return self.nslots - 1

    def text(self, span: A.Span) -> str:
        return span_text(self.sources, span)

    def memo_key(self, node) -> int:
        """The per-snapshot memo key of a subject-independent expression. Nodes are frozen dataclasses that
        compare by value, so a node a rewrite rebuilt equal (same span, same fields) shares the key, and no key
        can pass to another node, as an id() can once its node is freed; the memo then hashes an int, per lookup,
        rather than a tree."""
        return self.memo_keys.setdefault(node, len(self.memo_keys))

    def lookup(self, name: str, scopes):
        for scope in scopes:
            if name in scope:
                return scope[name]
        return None

    def expr(self, node, scopes, rec: bool) -> Compiled:
        c = getattr(self, "_" + type(node).__name__)(node, scopes, rec)
        if not c.text:
            c.text = self.text(node.span)
        return c

    # ---- names and paths
    def _Name(self, node: A.Name, scopes, rec):
        slot = self.lookup(node.name, scopes)
        if isinstance(slot, int):
            return Compiled(lambda env: env[slot], frozenset((slot,)), row_slot=slot, row_path="")
        return self._global(node.name) or self._row_field(node, scopes)

    def _global(self, name: str) -> Compiled | None:
        prog = self.program
        if name in prog.params or name in prog.lets:
            self.used.add(name)
            return Compiled(lambda env: env[CTX].value(name))
        if name in prog.data:
            value = prog.data[name]
            return Compiled(lambda env: value)
        from .snapshot import KNOWN_TABLES
        if name in KNOWN_TABLES:
            return Compiled(lambda env: env[CTX].table(name))
        return None

    def _row_field(self, node: A.Name, scopes) -> Compiled:
        row = self.lookup("\0row", scopes)
        assert row is not None, f"checker guarantees '{node.name}' resolves"
        get = compile_path((node.name,), node.name)
        return Compiled(lambda env: get(env[row]), frozenset((row,)), row_slot=row, row_path=node.name)

    def _It(self, node, scopes, rec):
        row = self.lookup("\0row", scopes)
        return Compiled(lambda env: env[row], frozenset((row,)), row_slot=row, row_path="")

    def _path_chain(self, node):
        """(base, steps) of a path: the steps run from the outermost postfix in to the base, which is where the
        chain stops being a literal path, or a projecting path in parentheses (`(xs[*].v)[0]`: the projection
        ends at the parenthesis, so [0] indexes the projected list)."""
        steps: list = []
        while True:
            if steps and _ends_projection(node):
                return node, tuple(reversed(steps))
            if isinstance(node, A.Attr):
                steps.append(node.name)
            elif isinstance(node, A.Project):
                steps.append(PROJECT)
            elif isinstance(node, A.Index) and isinstance(node.index, A.Literal) and isinstance(node.index.value, (str, int)) and not isinstance(node.index.value, bool):
                steps.append(node.index.value)
            else:
                return node, tuple(reversed(steps))
            node = node.obj

    def _path(self, node, scopes, rec):
        base_node, steps = self._path_chain(node)
        text = self.text(node.span)
        slot, lead = self._element_root(base_node, scopes)
        if slot is not None and steps:
            full = lead + steps
            return Compiled(compile_slot_path(slot, full, text), frozenset((slot,)), row_slot=slot,
                            row_path=_join_rel("", full), projects=PROJECT in full)
        base = self.expr(base_node, scopes, rec=False)
        get = compile_path(steps, text)
        bfn = base.fn

        def fn(env):
            b = bfn(env)
            return b if b.__class__ is Missing else get(b)
        if _ends_projection(base_node):  # the projection is over: what follows reads the list it made
            rel = _join_rel(f"({base.row_path})", steps) if base.row_slot is not None else None
            return Compiled(fn, base.deps, row_slot=base.row_slot, row_path=rel, projects=PROJECT in steps)
        rel = _join_rel(base.row_path, steps) if base.row_slot is not None else None
        return Compiled(fn, base.deps, row_slot=base.row_slot, row_path=rel, projects=PROJECT in steps or base.projects)

    def _element_root(self, node, scopes) -> tuple[int | None, tuple]:
        """(slot, leading steps) when a path starts at an element variable, `it`, or a bare field of the row."""
        if isinstance(node, A.It):
            return self.lookup("\0row", scopes), ()
        if isinstance(node, A.Name):
            slot = self.lookup(node.name, scopes)
            if isinstance(slot, int):
                return (slot, ()) if slot in self.element_slots else (None, ())
            if self._global_kind(node.name) is None:
                return self.lookup("\0row", scopes), (node.name,)
        return None, ()

    def _global_kind(self, name: str):
        prog = self.program
        from .snapshot import KNOWN_TABLES
        if name in prog.params or name in prog.lets or name in prog.data or name in KNOWN_TABLES:
            return "global"
        return None

    _Attr = _path
    _Project = _path

    def _Index(self, node: A.Index, scopes, rec):
        lit = node.index.value if isinstance(node.index, A.Literal) else None
        if isinstance(lit, (str, int)) and not isinstance(lit, bool):  # `a[true]` is a type error, below
            return self._path(node, scopes, rec)
        obj, idx = self.expr(node.obj, scopes, False), self.expr(node.index, scopes, False)
        of, ix, text = obj.fn, idx.fn, self.text(node.span)

        def fn(env):
            o, i = of(env), ix(env)
            if o.__class__ is Missing:
                return o
            if i.__class__ is Missing:
                return i
            if type(o) is dict and isinstance(i, str):
                return o[i] if i in o else Missing(f"{text} (no entry '{i}')", o.get("id") if isinstance(o.get("id"), str) else None, static=not (obj.deps or idx.deps))
            if (type(o) is list or type(o) is Partial) and type(i) is int:
                return o[i] if -len(o) <= i < len(o) else Missing(text)
            raise EvalError(f"{text}: cannot index {_a(type_name(o))} with {_a(type_name(i))}")
        return Compiled(fn, obj.deps | idx.deps)

    # ---- literals
    def _Literal(self, node: A.Literal, scopes, rec):
        value = self.program.prepared.get(id(node), node.value)
        return Compiled(lambda env: value)

    def _ListExpr(self, node: A.ListExpr, scopes, rec):
        items = [self.expr(i, scopes, False) for i in node.items]
        if all(not i.deps for i in items) and all(isinstance(i, A.Literal) for i in node.items):
            value = [i.value for i in node.items]
            return Compiled(lambda env: value)
        fns = [i.fn for i in items]

        def fn(env):
            out = [f(env) for f in fns]
            for v in out:
                if v.__class__ is Missing:
                    return _first_static(out, v)  # a list with an unknown element is unknown as a whole
            return out
        return Compiled(fn, frozenset().union(*(i.deps for i in items)))


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _ends_projection(node) -> bool:
    """Is node a path in parentheses that projects (`(xs[*].v)`)? Parentheses around a path without `[*]`
    change nothing (`(a.b).c` is `a.b.c`), so only these end a path."""
    if not getattr(node, "grouped", False):
        return False
    while isinstance(node, (A.Attr, A.Project, A.Index)):
        if isinstance(node, A.Project):
            return True
        node = node.obj
    return False


def _first_static(values, first):
    """The first static Missing among values (it poisons a whole set), else `first`."""
    return next((v for v in values if v.__class__ is Missing and v.static), first)


def _subjects(source):
    """A rule's subjects: the set as the evaluator reports it. A Partial (rows a `where` could not decide, or a
    set that is incomplete) stays one, so that no undecided row disappears: the evaluator reports each as
    not_evaluated. With nothing decided and no row to name, the whole set is unknown (not_evaluated)."""
    def subjects(env):
        v = source(env)
        if v.__class__ is Partial and not v and not v.pending:
            return v.missing
        return v
    return subjects


def _join_rel(base_rel: str | None, steps) -> str:
    parts = [base_rel] if base_rel else []
    for s in steps:
        if s is PROJECT:
            parts[-1:] = [(parts[-1] if parts else "") + "[*]"]
        elif isinstance(s, int):
            parts[-1:] = [(parts[-1] if parts else "") + f"[{s}]"]
        else:
            parts.append(s)
    return ".".join(parts)


@dataclass
class Plan:
    """Everything the evaluator needs: compiled globals and rules (with their message templates)."""

    program: object
    globals: dict[str, Unit]
    globals_used: dict[str, set]
    rules: list[CompiledRule]

    def params_used(self, rules: list[CompiledRule]) -> set[str]:
        """Parameters the given rules read, directly or through global lets and parameter defaults."""
        seen: set[str] = set()
        todo = [n for r in rules for n in r.globals_used]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.globals_used.get(name, ()))
        return {n for n in seen if n in self.program.params}


def compile_program(program) -> Plan:
    comp = Compiler(program)
    units: dict[str, Unit] = {}
    used: dict[str, set] = {}
    for name, let in program.lets.items():
        units[name], used[name] = comp.unit(let.value)
    for name, param in program.params.items():
        if param.default is not None:
            units[name], used[name] = comp.unit(param.default)
    rules = [comp.rule(rule) for rule in program.rules]
    return Plan(program, units, used, rules)

