"""Parser: expression precedence and shapes, rule-file structure, message templates, and syntax diagnostics
with exact text and location (tables in tests/cases/parser.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from argus.language import ast as A
from argus.language.parser import parse_expr, parse_file

TABLES = yaml.safe_load((Path(__file__).resolve().parent / "cases" / "parser.yaml").read_text(encoding="utf-8"))


def sx(node) -> str:
    """A compact s-expression of an expression AST, so expected shapes can be written by hand."""
    match node:
        case A.Name(name=name):
            return name
        case A.It():
            return "it"
        case A.Literal(value=value):
            return json.dumps(value)
        case A.ListExpr(items=items):
            return "[" + " ".join(sx(i) for i in items) + "]"
        case A.Attr(obj=obj, name=name):
            return f"(. {sx(obj)} {name})"
        case A.Project(obj=obj):
            return f"([*] {sx(obj)})"
        case A.Index(obj=obj, index=index):
            return f"([] {sx(obj)} {sx(index)})"
        case A.Call(func=func, args=args):
            return "(" + " ".join(["call", func] + [sx(a) for a in args]) + ")"
        case A.Quant(kind=kind, var=var, source=source, body=body):
            return f"({kind} {var} {sx(source)} {sx(body)})"
        case A.Compare(op=op, left=left, right=right) | A.Arith(op=op, left=left, right=right):
            return f"({op} {sx(left)} {sx(right)})"
        case A.And(left=left, right=right):
            return f"(and {sx(left)} {sx(right)})"
        case A.Or(left=left, right=right):
            return f"(or {sx(left)} {sx(right)})"
        case A.Not(operand=operand):
            return f"(not {sx(operand)})"
        case A.Where(source=source, pred=pred):
            return f"(where {sx(source)} {sx(pred)})"
    raise AssertionError(f"no s-expression for {node!r}")


@pytest.mark.parametrize("case", TABLES["expressions"], ids=lambda c: c["text"])
def test_expression_shape(case):
    assert sx(parse_expr("e.argus", case["text"])) == case["ast"]


@pytest.mark.parametrize("case", TABLES["syntax_errors"], ids=lambda c: c["name"])
def test_syntax_diagnostics(case):
    _, diags = parse_file("rules.argus", case["text"])
    assert [str(d.span) + f": {d.code}: {d.message}" for d in diags] == case["diagnostics"]


def test_rendered_syntax_error_shows_source_line_and_caret():
    text = 'rule T-1 "x" {\n  severity high\n  for a in resources\n  require a.name == "x\n}\n'
    rule_file, diags = parse_file("rules.argus", text)
    assert [d.render({"rules.argus": text}) for d in diags] == [
        'rules.argus:4:21: E100: unterminated string\n'
        '    require a.name == "x\n'
        '                      ^']


FILE = '''\
# Azure Migrate cache account
param project_rg: string = "rg-migrate"
data communities from "data/bgp.yaml"
let accounts = resources where resourceGroup =~ project_rg

rule AMX-PP-02 "Cache account is v2" {
  severity high
  tags "storage", "private-peering"
  description """Private endpoints need
general-purpose v2."""
  remediation 'Upgrade the account.'
  help "https://learn.microsoft.com/azure/migrate/"
  for account in accounts otherwise warn on project_rg "no account in {project_rg}"
  let kind = account.kind
  when account.name startswith "lsa"
  require kind == "StorageV2" else "{account.name} is {kind}; {{literal}}"
  require account.location =~ "westeurope" else warn "elsewhere"
  require exists(account.properties)
}
rule T-2 "after a multi-line string the lines still count" {
severity low
for a in accounts
let n = a.name
require n == "x"
}
'''


@pytest.fixture(scope="module")
def parsed():
    rule_file, diags = parse_file("pack.argus", FILE)
    assert diags == []
    return rule_file


def test_top_level_items(parsed):
    param, data, let, rule, rule2 = parsed.items
    assert (param.name, param.type_name, sx(param.default), param.span.line) == ("project_rg", "string", '"rg-migrate"', 2)
    assert (data.name, data.path, data.span.line) == ("communities", "data/bgp.yaml", 3)
    assert (let.name, sx(let.value)) == ("accounts", "(where resources (=~ resourceGroup project_rg))")
    assert (rule.id, rule.title, rule.span.line, rule.id_span.col) == ("AMX-PP-02", "Cache account is v2", 6, 6)
    assert (rule2.id, rule2.span.line) == ("T-2", 20)


def test_rule_metadata(parsed):
    rule = parsed.items[3]
    meta = {m.key: m.value for m in rule.body if isinstance(m, A.Meta)}
    assert meta == {
        "severity": "high", "tags": ("storage", "private-peering"),
        "description": "Private endpoints need\ngeneral-purpose v2.",
        "remediation": "Upgrade the account.", "help": "https://learn.microsoft.com/azure/migrate/"}


def test_rule_clauses_in_order(parsed):
    body = [s for s in parsed.items[3].body if not isinstance(s, A.Meta)]
    assert [type(s).__name__ for s in body] == ["For", "Let", "When", "Require", "Require", "Require"]
    for_, let, when, req1, req2, req3 = body
    assert (for_.var, sx(for_.source), for_.otherwise.level, sx(for_.otherwise.subject)) == (
        "account", "accounts", "warn", "project_rg")
    assert [p if isinstance(p, str) else sx(p) for p in for_.otherwise.message.parts] == ["no account in ", "project_rg"]
    assert (let.name, sx(let.value)) == ("kind", "(. account kind)")
    assert sx(when.cond) == '(startswith (. account name) "lsa")'
    assert (req1.level, [p if isinstance(p, str) else sx(p) for p in req1.message.parts]) == (
        "fail", ["(. account name)", " is ", "kind", "; {literal}"])
    assert (req2.level, req2.message.parts) == ("warn", ("elsewhere",))
    assert (req3.level, req3.message, sx(req3.cond)) == ("fail", None, "(call exists (. account properties))")


def test_template_expressions_keep_their_place_in_the_file(parsed):
    req1 = [s for s in parsed.items[3].body if isinstance(s, A.Require)][0]
    name_expr = req1.message.parts[0]
    # line 16: `  require kind == "StorageV2" else "{account.name} ...`; the expression starts after `"{`
    assert (name_expr.span.line, name_expr.span.col, name_expr.span.end_col) == (16, 38, 50)
    assert FILE.splitlines()[15][37:49] == "account.name"


def test_unindented_rule_body_is_one_rule(parsed):
    rule2 = parsed.items[4]
    assert [type(s).__name__ for s in rule2.body] == ["Meta", "For", "Let", "Require"]
    assert rule2.body[2].span.line == 23


def test_spans_are_one_based_and_cover_the_node():
    node = parse_expr("e.argus", "count(xs) > 0", line=7, col=11)
    assert (node.span.line, node.span.col, node.span.end_col) == (7, 11, 24)
    assert (node.left.span.col, node.left.span.end_col) == (11, 20)


def test_empty_and_comment_only_files_have_no_items():
    for text in ("", "\n\n", "# only a comment\n// and another\n"):
        rule_file, diags = parse_file("empty.argus", text)
        assert (rule_file.items, diags) == ((), [])
