"""Golden outputs: the text report (80 and 160 columns, with and without colour, verbose), the GitHub and Azure
DevOps annotation formats (escaping included), `check --format sarif` and `test --format junit`, compared with
the files in tests/data/golden/. Volatile fields (times, durations, the engine version) are fixed before
rendering. After an intended change, rewrite them with UPDATE_GOLDEN=1 and review the diff."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest

from argus.reports import cicommands, textout
from argus.commands import cli

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "data" / "golden"
FIXED_TIME = "2026-01-01T00:00:00.000Z"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert path.read_text(encoding="utf-8") == text, f"{name} differs; UPDATE_GOLDEN=1 rewrites it"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    monkeypatch.chdir(ROOT)  # report paths are relative to the repository, as in the README
    for key in [k for k in os.environ if k.startswith(("ARGUS_", "GITHUB_"))] + ["COLUMNS", "NO_COLOR", "FORCE_COLOR"]:
        monkeypatch.delenv(key, raising=False)


def normalized(doc: dict) -> dict:
    run = doc["run"]
    run.update(started_at=FIXED_TIME, finished_at=FIXED_TIME, duration_ms=0)
    run["engine"]["version"] = "0.0.0"
    run.pop("now", None)
    return doc


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict:
    """The JSON report of `argus scan --example`, normalized."""
    out = tmp_path_factory.mktemp("example") / "example.json"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert cli.main(["scan", "--example", "--format", "json", "--output", str(out)]) == 1
    finally:
        os.chdir(cwd)
    return normalized(json.loads(out.read_text(encoding="utf-8")))


@pytest.mark.parametrize("width", [80, 160])
@pytest.mark.parametrize("color", [None, "standard"])
def test_text_report(example, width, color):
    text = textout.render(copy.deepcopy(example), color=color, width=width)
    check_golden(f"text-{width}{'-color' if color else ''}.{'ansi' if color else 'txt'}", text)
    if color is None:
        assert "\x1b[" not in text
        long_lines = [line for line in text.splitlines() if len(line) > width]
        assert all(re.fullmatch(r"  Help +https://\S+", line) for line in long_lines), long_lines


def test_text_report_verbose(example):
    check_golden("text-verbose-100.txt", textout.render(copy.deepcopy(example), verbose=True, width=100))


def escaping_doc(example: dict) -> dict:
    """The example with one failing finding whose text holds every character the CI formats escape."""
    doc = copy.deepcopy(example)
    finding = next(f for f in doc["findings"] if f["status"] == "fail")
    finding["message"] = "100% broken: a,b; c]\r\nnext line ::error::not a command"
    finding["title"] = "Title: with, commas; and ]brackets%"
    doc["findings"] = [finding]
    doc["rules"] = [r for r in doc["rules"] if r["id"] == finding["rule_id"]]
    doc["summary"] = {"total": 1, "by_status": {"fail": 1}, "by_severity": {}}
    return doc


@pytest.mark.parametrize("fmt,render", [("github", cicommands.render_github),
                                        ("azuredevops", cicommands.render_azuredevops)])
def test_ci_formats(example, fmt, render):
    check_golden(f"{fmt}.txt", render(copy.deepcopy(example), repo_root=str(ROOT)))
    escaped = render(escaping_doc(example), repo_root=str(ROOT))
    check_golden(f"{fmt}-escaping.txt", escaped)
    assert "\r" not in escaped and escaped.count("\n") == 2  # one annotation, one summary line


def test_check_format_sarif(argus, tmp_path):
    import jsonschema
    code, out, err = argus("check", "tests/data/golden/check", "--format", "sarif")
    assert code == 2 and err == "1 file, 2 rules: 1 error, 2 warnings\n"
    log = json.loads(out)
    schema = json.loads((ROOT / "tests" / "data" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [("W501", "warning"), ("W503", "warning"), ("E200", "error")]
    assert results[2]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/data/golden/check/lint-me.argus", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 13, "startColumn": 51, "endLine": 13, "endColumn": 60}}
    run = log["runs"][0]
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///REPO/"  # where the checkout is varies
    run["tool"]["driver"].update(fullName="argus 0.0.0 check", version="0.0.0", semanticVersion="0.0.0")
    check_golden("check.sarif", json.dumps(log, indent=2, ensure_ascii=False) + "\n")
    assert argus("check", "tests/data/golden/check", "-f", "sarif", "-o", tmp_path / "c.sarif")[0] == 2
    assert json.loads((tmp_path / "c.sarif").read_text(encoding="utf-8"))["runs"][0]["results"] == results


def test_check_format_json(argus):
    code, out, err = argus("check", "tests/data/golden/check", "-f", "json")
    doc = json.loads(out)
    assert (doc["files"], doc["rules"], doc["errors"], doc["warnings"]) == (1, 2, 1, 2)
    assert doc["diagnostics"][2] == {"code": "E200", "severity": "error", "message": "undefined name 'tls_floor'",
                                     "file": "tests/data/golden/check/lint-me.argus", "line": 13, "col": 51,
                                     "end_line": 13, "end_col": 60}


def test_test_format_junit(argus, tmp_path):
    from junitparser import Failure, JUnitXml, Skipped
    code, out, err = argus("test", "tests/data/golden/testpack", "--format", "junit", "--output", tmp_path / "t.xml")
    assert code == 1 and out.startswith("FAIL a wrong expectation & <markup> is reported as a failure")
    xml = (tmp_path / "t.xml").read_text(encoding="utf-8")
    check_golden("test-junit.xml", re.sub(r'time="[0-9.]+"', 'time="0.000"', xml))
    suites = list(JUnitXml.fromfile(str(tmp_path / "t.xml")))
    assert [s.name for s in suites] == ["tests/data/golden/testpack/fixtures/https.yaml", "rules without fixtures"]
    cases = list(suites[0])
    assert [c.name for c in cases] == ["the secure account passes and the plain one fails",
                                       "a wrong expectation & <markup> is reported as a failure"]
    assert cases[0].is_passed and isinstance(cases[1].result[0], Failure)
    assert cases[1].result[0].text.startswith("unexpected finding: fail /subscriptions/sub-1/")
    assert isinstance(list(suites[1])[0].result[0], Skipped)
    code, out, err = argus("test", "tests/data/golden/testpack", "-f", "junit", "--require-fixtures")
    assert code == 1 and out.startswith("<?xml") and "failing case" in err  # JUnit on stdout: the text on stderr
    assert '<failure message="no fixture checks GOLD-UNTESTED' in out


def test_test_text_to_a_file(argus, tmp_path):
    code, out, err = argus("test", "tests/data/golden/testpack", "-o", tmp_path / "t.txt")
    assert (code, out, err) == (1, "", "")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8").endswith(
        "1 fixture file, 1 rule; 1 failing case; 1 rule without fixtures\n")
