"""Compiler: checked AST -> closures over a frame (a Python list), planned for the snapshot's shape.

In: a Program from the checker. Out: a `Plan`: `Unit`s (a closure plus its frame size) for each global let and
parameter default, and `CompiledRule`s for the evaluator, each with its steps and their compiled message
templates. Frame slots: 0 = evaluation context, 1 = evidence list (or None), then variables.

The compiler is one dispatch table, `BUILDERS`, from AST node type to the builder that turns such a node into
a closure; builders are plain functions of a `CompileContext` (argus.planning.compile_context), the node and its scope,
and compile their children through `CompileContext.expr`, the one planner switch. Planning done here, once:
- paths compile to getters (argus.planning.compile_paths, argus.language.paths); pattern literals and JSONPaths are prepared by
  the checker;
- `SET where <row path> ==|=~ <value not depending on the row>` over a set that does not depend on the rule's
  subject becomes a hash-index lookup (argus.planning.joins; the index is built once per snapshot on the (case-folded)
  key), so joins cost O(N + M) and `resources where type == "..."` is a lookup in a per-type index;
- a `where` that depends on nothing in the rule is evaluated once per snapshot and memoized.
Comparisons in `require`/`when` clauses (outside filters and quantifiers) record evidence: the clause's
condition is compiled by argus.planning.compile_evidence, which wraps each comparison it turns on once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from argus.language import ast as A
from argus.planning.compile_context import CompileContext, Scope, span_text
from argus.planning.compile_evidence import compile_condition
from argus.planning.compile_ops import build_and, build_arith, build_call, build_compare, build_not, build_or, build_quant
from argus.planning.compile_paths import build_index, build_it, build_list, build_literal, build_name, build_path
from argus.planning.frame import Compiled
from argus.planning.joins import build_where
from argus.language.values import Partial

__all__ = ["BUILDERS", "CompiledRule", "Plan", "Step", "Unit", "compile_program", "span_text"]

BUILDERS: dict[type, Callable] = {
    A.Name: build_name,
    A.It: build_it,
    A.Literal: build_literal,
    A.ListExpr: build_list,
    A.Attr: build_path,
    A.Project: build_path,
    A.Index: build_index,
    A.Call: build_call,
    A.Quant: build_quant,
    A.Compare: build_compare,
    A.Arith: build_arith,
    A.And: build_and,
    A.Or: build_or,
    A.Not: build_not,
    A.Where: build_where,
}


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


@dataclass
class Plan:
    """Everything the evaluator needs: compiled globals and rules (with their message templates)."""

    program: object
    globals: dict[str, Unit]
    globals_used: dict[str, set]
    rules: list[CompiledRule]

    def globals_reached(self, rules: list[CompiledRule]) -> set[str]:
        """Global lets and parameters the given rules read, directly or through other lets and defaults."""
        seen: set[str] = set()
        todo = [n for r in rules for n in r.globals_used]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.globals_used.get(name, ()))
        return seen

    def params_used(self, rules: list[CompiledRule]) -> set[str]:
        """Parameters the given rules read, directly or through global lets and parameter defaults."""
        return {n for n in self.globals_reached(rules) if n in self.program.params}


def compile_program(program) -> Plan:
    cx = CompileContext(program, BUILDERS)
    units: dict[str, Unit] = {}
    used: dict[str, set] = {}
    for name, let in program.lets.items():
        units[name], used[name] = compile_unit(cx, let.value)
    for name, param in program.params.items():
        if param.default is not None:
            units[name], used[name] = compile_unit(cx, param.default)
    rules = [compile_rule(cx, rule) for rule in program.rules]
    return Plan(program, units, used, rules)


def compile_unit(cx: CompileContext, node) -> tuple[Unit, set]:
    """A global let's value or a parameter's default: a closure of its own frame, and the globals it reads."""
    cx.begin_frame()
    compiled = cx.expr(node, Scope())
    return Unit(compiled.fn, cx.frame_size), cx.globals_used


def compile_rule(cx: CompileContext, rule: A.Rule) -> CompiledRule:
    """A rule's clauses in order: the `for` (its subjects), then a step per let, when and require."""
    cx.begin_frame()
    scope = Scope()
    steps: list[Step] = []
    compiled = None
    for stmt in rule.body:
        if isinstance(stmt, A.For):
            compiled = _compile_for(cx, rule, stmt, scope, steps)
        elif isinstance(stmt, A.Let):
            value = cx.expr(stmt.value, scope)
            slot = cx.new_slot()
            scope.bind(stmt.name, slot)
            steps.append(Step("let", stmt, value.fn, slot, cx.text(stmt.span)))
        elif isinstance(stmt, (A.When, A.Require)):
            condition = compile_condition(cx, stmt.cond, scope)
            message = _template(cx, stmt.message, scope) if isinstance(stmt, A.Require) and stmt.message else None
            kind = "when" if isinstance(stmt, A.When) else "require"
            steps.append(Step(kind, stmt, condition.fn, None, cx.text(stmt.cond.span), message))
    assert compiled is not None, "checker guarantees a for clause"
    compiled.nslots = cx.frame_size
    compiled.globals_used = set(cx.globals_used)
    return compiled


def _compile_for(cx: CompileContext, rule: A.Rule, stmt: A.For, scope: Scope, steps: list) -> CompiledRule:
    source = cx.expr(stmt.source, scope)
    other = stmt.otherwise
    other_subject = cx.expr(other.subject, scope) if other and other.subject else None
    other_message = _template(cx, other.message, scope) if other else None
    slot = cx.new_slot(element=True)
    scope.bind(stmt.var, slot)
    subjects = Compiled(_subjects(source.fn), source.deps)
    return CompiledRule(rule, stmt.var, slot, subjects, cx.text(stmt.source.span), steps, 0, other_subject,
                        otherwise_message=other_message)


def _template(cx: CompileContext, template: A.Template, scope: Scope) -> list:
    return [p if isinstance(p, str) else cx.expr(p, scope).fn for p in template.parts]


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
