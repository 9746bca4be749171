"""Checker: rule text -> exact located diagnostics (table in tests/cases/checker.yaml), rendering with the
source line and a caret, data files, and one namespace across several files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from argus.language.checker import check
from argus.language.loader import load_rules, load_texts
from argus.language.parser import parse_file

TABLES = yaml.safe_load((Path(__file__).resolve().parent / "cases" / "checker.yaml").read_text(encoding="utf-8"))
CASES = TABLES["cases"]


def diagnose(text: str, path: str = "rules.argus"):
    rule_file, syntax = parse_file(path, text)
    assert syntax == [], syntax
    program, diags = load_texts([(path, text)])  # the loader reads the files `data` declarations name
    return program, sorted(diags, key=lambda d: (d.span.line, d.span.col, d.code))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_checker_diagnostics(case):
    _, diags = diagnose(case["text"])
    assert [f"{d.span}: {d.code}: {d.message}" for d in diags] == case["diagnostics"]


@pytest.mark.parametrize("case", TABLES["with_syntax_errors"], ids=lambda c: c["name"])
def test_diagnostics_of_files_with_syntax_errors(case):
    rule_file, syntax = parse_file("rules.argus", case["text"])
    _, semantic = check([rule_file])
    diags = sorted(syntax + semantic, key=lambda d: (d.span.line, d.span.col, d.code))
    assert [f"{d.span}: {d.code}: {d.message}" for d in diags] == case["diagnostics"]


def test_a_let_used_only_by_a_broken_rule_in_another_file_is_not_reported_unused(tmp_path):
    (tmp_path / "common.argus").write_text(
        'let accounts = resources where type == "microsoft.storage/storageaccounts"\nlet unused = 1\n', encoding="utf-8")
    (tmp_path / "rules.argus").write_text(
        'rule T-1 "x" {\n  severity low\n  for a in accounts\n  require a.kind = "StorageV2"\n}\n', encoding="utf-8")
    _, diags = load_rules([str(tmp_path)])
    assert [f"{d.span}: {d.code}: {d.message}" for d in diags] == [
        f"{tmp_path / 'rules.argus'}:4:18: E100: unexpected '='; did you mean '=='?",
        f"{tmp_path / 'common.argus'}:2:1: W501: let 'unused' is never used"]


def test_rendering_shows_the_source_line_and_a_caret_under_the_span():
    text = 'rule T-1 "x" {\n  severity low\n  for a in resources\n  require lenn(a.name) > 3\n}\n'
    program, diags = diagnose(text)
    assert [d.render(program.sources) for d in diags] == [
        "rules.argus:4:11: E300: unknown function 'lenn' (did you mean 'len'?)\n"
        "    require lenn(a.name) > 3\n"
        "            ^~~~~~~~~~~~"]


def test_diagnostic_as_report_dict():
    _, diags = diagnose('rule T-1 "x" {\n  severity low\n  for a in resources where id == "x"\n  require a.name == "y"\n}\n')
    assert [d.to_dict() for d in diags] == [{
        "code": "W500", "severity": "warning",
        "message": "'id' is an Azure resource id, which is case-insensitive; compare with '=~'",
        "file": "rules.argus", "line": 3, "col": 28}]


def test_data_file_is_read_relative_to_the_rule_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "regions.yaml").write_text("- westeurope\n- northeurope\n", encoding="utf-8")
    rules = tmp_path / "pack.argus"
    rules.write_text('data regions from "data/regions.yaml"\n'
                     'rule T-1 "x" {\n  severity low\n  for a in resources\n  require a.location in~ regions\n}\n',
                     encoding="utf-8")
    program, diags = load_rules([str(rules)])
    assert diags == []
    assert program.data == {"regions": ["westeurope", "northeurope"]}


def test_invalid_yaml_data_file_is_located(tmp_path):
    (tmp_path / "bad.yaml").write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    rules = tmp_path / "pack.argus"
    rules.write_text('data bad from "bad.yaml"\n'
                     'rule T-1 "x" {\n  severity low\n  for a in resources\n  require a.name in bad\n}\n',
                     encoding="utf-8")
    _, diags = load_rules([str(rules)])
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diags] == [
        ("E402", 1, 15, f"data file 'bad.yaml' is not valid YAML: {tmp_path / 'bad.yaml'}:2:2: "
                       "expected ',' or ']', but got ':'")]


def test_files_loaded_together_share_one_namespace(tmp_path):
    (tmp_path / "common.argus").write_text(
        'let accounts = resources where type == "microsoft.storage/storageaccounts"\n'
        'rule T-1 "x" {\n  severity low\n  for a in accounts\n  require a.kind == "StorageV2"\n}\n', encoding="utf-8")
    (tmp_path / "more.argus").write_text(
        '\nlet accounts = 1\nrule T-1 "again" {\n  severity low\n  for a in accounts\n  require a.name == "x"\n}\n',
        encoding="utf-8")
    _, diags = load_rules([str(tmp_path)])
    common, more = tmp_path / "common.argus", tmp_path / "more.argus"
    assert [f"{d.span}: {d.code}: {d.message}" for d in diags] == [
        f"{more}:2:1: E201: 'accounts' is already defined (first defined at {common}:1)",
        f"{more}:3:6: E202: duplicate rule id 'T-1' (first defined at {common}:2)"]


GOOD = 'rule {id} "x" {{\n  severity low\n  for a in resources\n  require a.name == "x"\n}}\n'
BROKEN = 'rule {id} "x" {{\n  severity low\n  for a in resources\n  require a.name = "x"\n}}\n'


@pytest.mark.parametrize("text,code,summary", [
    pytest.param(GOOD.format(id="C-1") + GOOD.format(id="C-2") + GOOD.format(id="C-3"),
                 0, "1 file, 3 rules: 0 errors, 0 warnings", id="all parsed"),
    pytest.param(GOOD.format(id="C-1") + BROKEN.format(id="C-2") + GOOD.format(id="C-3"),
                 2, "1 file, 3 rules (1 could not be parsed): 1 error, 0 warnings", id="one of three unparsable"),
    pytest.param("# rule in a comment\n" + BROKEN.format(id="C-1").replace(
                     "  severity low\n", '  severity low\n  description """\nrule in a string\n"""\n'),
                 2, "1 file, 1 rule (1 could not be parsed): 1 error, 0 warnings", id="rule in comments and strings"),
    pytest.param("param p: string\n" + BROKEN.format(id="C-1") + BROKEN.format(id="C-2"),
                 2, "1 file, 2 rules (2 could not be parsed): 2 errors, 1 warning", id="all rules unparsable"),
])
def test_check_counts_rules_that_could_not_be_parsed(argus, tmp_path, monkeypatch, text, code, summary):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pack.argus").write_text(text, encoding="utf-8")
    status, out, err = argus("check", "pack.argus")
    assert (status, out, err.splitlines()[-1]) == (code, "", summary)


def test_the_checker_reads_no_files_itself():
    """Reading the YAML a `data` declaration names is the loader's job; the checker alone reports it unread."""
    rule_file, syntax = parse_file("rules.argus", 'data communities from "data/communities.yaml"\n')
    _, diags = check([rule_file])
    assert [f"{d.span}: {d.code}: {d.message}" for d in diags] == [
        "rules.argus:1:23: E402: data file 'data/communities.yaml' not read: rule files with data declarations are "
        "loaded through argus.language.loader"]


@pytest.mark.parametrize("text, where", [
    pytest.param('rule R-2 "x" {\n  severity critical\n  description """a\rb"""\n  for s in resources\n'
                 '  require nosuch == 1\n}\n', "5:11", id="a lone CR in a string"),
    pytest.param('rule R-2 "x" {\r\n  severity critical # a\rb\r\n  for s in resources\r\n  require nosuch == 1\r\n}\r\n',
                 "4:11", id="CRLF lines, a lone CR in a comment"),
])
def test_lines_end_at_newline_only_as_the_parser_counts_them(tmp_path, text, where):
    """A rule file is read as it is: universal newlines would make a lone \\r a line break the parser does not
    know, and every later location would be off by one (found by the fuzz suite)."""
    path = tmp_path / "cr.argus"
    path.write_bytes(text.encode("utf-8"))
    program, diags = load_rules([str(path)])
    assert [f"{d.span.line}:{d.span.col}: {d.code}: {d.message}" for d in diags] == [
        f"{where}: E200: undefined name 'nosuch'"]
