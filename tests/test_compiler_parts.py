"""The compiler as one unit: the dispatch table covers every expression node, memo keys follow node values (a
rebuilt equal node shares its key, a different node never does), and scopes resolve the innermost binding."""

from __future__ import annotations

import dataclasses
import typing

from argus import ast as A
from argus.compile_context import CompileContext, Scope
from argus.compiler import BUILDERS
from argus.evaluator import Context, RuleRun, rule_info


def test_every_expression_node_has_one_builder():
    assert set(BUILDERS) == set(typing.get_args(A.Expr))


def _span(line: int, col: int) -> A.Span:
    return A.Span("rules.argus", line, col, line, col + 5)


def test_memo_keys_follow_node_values(compile_rules):
    plan, _ = compile_rules('rule T-1 "x" {\n  severity low\n  for r in resources\n  require r.name == "a"\n}\n')
    cx = CompileContext(plan.program, BUILDERS)
    where = A.Where(_span(1, 1), A.Name(_span(1, 1), "resources"),
                    A.Compare(_span(1, 3), "==", A.Name(_span(1, 3), "type"), A.Literal(_span(1, 4), "x")))
    rebuilt = dataclasses.replace(where, pred=dataclasses.replace(where.pred))
    elsewhere = dataclasses.replace(where, span=_span(2, 1))
    assert rebuilt is not where
    assert cx.memo_key(rebuilt) == cx.memo_key(where)
    assert len({cx.memo_key(where), cx.memo_key(elsewhere), cx.memo_key(where.source)}) == 3


def test_a_scope_resolves_the_innermost_binding_and_keeps_the_filter_row():
    rule = Scope({"x": 2})
    filtered = rule.inner(row=3)
    quantified = filtered.inner({"x": 4})
    assert (rule.slot("x"), rule.row) == (2, None)
    assert (filtered.slot("x"), filtered.row) == (2, 3)
    assert (quantified.slot("x"), quantified.row, quantified.slot("y")) == (4, 3, None)


def test_a_subject_independent_filter_is_memoized_under_its_key(compile_rules, make_snapshot):
    text = ('let named = resources where name == "a"\nrule T-1 "x" {\n  severity low\n  for r in resources\n'
            '  require count(resources where name == "a") == count(named)\n}\n')
    plan, _ = compile_rules(text)
    rows = [{"id": f"/r/{i}", "name": "a" if i % 2 else "b", "type": "t"} for i in range(6)]
    ctx = Context(plan, make_snapshot({"resources": rows}), {})
    [rule] = plan.rules
    assert [f.status for f in RuleRun(ctx, rule, rule_info(rule.node)).run()] == ["pass"] * 6
    filters = {k: v for k, v in ctx.memo.items() if isinstance(k, int)}  # one per distinct filter, computed once
    assert len(filters) == 2 and all([r["id"] for r in v] == ["/r/1", "/r/3", "/r/5"] for v in filters.values())
