"""Built-in functions and `matches~`, table-driven: tests/cases/functions.yaml.

In: the case file's `cases` (an expression evaluated for one row, `r`, of a table `rows`, at the file's or the case's clock `now`,
and exactly one of `value`, `missing` or `error`) and its `diagnostics` (rule text -> the checker's diagnostics).
Out: one test per case. `value` is compared with JSON equality (1 and 1.0 alike, true never 1); `missing` and
`error` are the exact text of the Missing (its describe()) or the EvalError, so messages stay what a finding
shows. The expression runs as a rule's `let`, so calls name themselves as in a scan.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from argus.language.checker import check
from argus.language.fn_time import parse_instant
from argus.language.operators import json_eq
from argus.language.parser import parse_file
from argus.language.values import EvalError, Missing

from conftest import session_of, snapshot_of

TABLE = yaml.safe_load((Path(__file__).resolve().parent / "cases" / "functions.yaml").read_text(encoding="utf-8"))
OUTCOMES = ("value", "missing", "error")


def evaluate(expr: str, row: dict, now: str):
    """The value of `expr` with `r` bound to `row` (a resources row), or the EvalError it raised."""
    # a table of the case's own (ARG tables would have the checker refuse columns such as `r.n`)
    session = session_of(f'rule T-1 "t" {{\n  severity low\n  for r in table("rows")\n  let v = {expr}\n  require exists(v)\n}}\n',
                         now=parse_instant(now))
    snap = snapshot_of({"rows": [dict({"id": "/r", "name": "r", "type": "t"}, **row)]})
    cr = session.rules[0]
    frame = [None] * cr.nslots
    frame[0] = session.context(snap)
    frame[cr.var_slot] = snap.tables["rows"][0]
    try:
        return cr.steps[0].fn(frame)
    except EvalError as exc:
        return exc


@pytest.mark.parametrize("case", TABLE["cases"], ids=lambda c: c["expr"])
def test_function_case(case):
    want = [k for k in OUTCOMES if k in case]
    assert len(want) == 1, f"a case has exactly one of {OUTCOMES}"
    got = evaluate(case["expr"], case.get("row", {}), case.get("now", TABLE["now"]))
    if "value" in case:
        assert not isinstance(got, (Missing, EvalError)), got
        assert json_eq(got, case["value"]), got  # JSON equality: a bool equals only the same bool
    elif "missing" in case:
        assert isinstance(got, Missing), got
        assert got.describe() == case["missing"]
    else:
        assert isinstance(got, EvalError), got
        assert str(got) == case["error"]


@pytest.mark.parametrize("case", TABLE["diagnostics"], ids=lambda c: c["name"])
def test_checker_case(case):
    text = f'rule T-1 "t" {{\n  severity low\n  for r in table("rows")\n  require {case["require"]}\n}}\n'
    rule_file, syntax = parse_file("rules.argus", text)
    assert syntax == []
    _, diags = check([rule_file])
    assert [f"{d.span.line}:{d.span.col}: {d.code}: {d.message}" for d in diags] == case["diagnostics"]
