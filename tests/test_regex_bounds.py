"""Patterns from rules and data run in linear time (issue 11, item 7): engine/language/regex.py puts them on RE2.

Catastrophic patterns (`(.+)+\\.nothere` in a facts row, `"aaa…!" matches "^(a+)+$"` in a rule, a pattern built
from data, `*a*a*…*b` as a WinINet entry) once ran for minutes; they are run in a subprocess with a timeout, so a
regression fails instead of hanging the suite. Syntax RE2 refuses is a located E303 for a literal and an `error`
finding naming the pattern or entry for data; the docs (docs/language.md, "Regular expressions") show the same
messages.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from argus.language import bypass, regex
from argus.language.operators import OPERATORS

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "examples" / "estate"
FACTS = ROOT / "rules" / "azure-migrate" / "fixtures" / "_base" / "hub" / "appliance-private-peering.json"
HOSTILE = "a" * 40 + "!"  # `^(a+)+$` backtracks 2^40 times on it under Python's re
TIMEOUT = 60  # seconds; each run below takes about one


def run(*argv, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "argus", *map(str, argv)], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT)


def facts_with(tmp_path: Path, *entries: dict) -> Path:
    """The private-peering appliance's facts with `entries` put first in its bypass list."""
    doc = json.loads(FACTS.read_text(encoding="utf-8"))
    doc["appliance"][0]["proxy"]["bypass"][:0] = list(entries)
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def outcomes(stdout: str) -> list[tuple]:
    return [(f["rule_id"], f["subject"]["id"], f["status"]) for f in json.loads(stdout)["findings"]]


# ---------------------------------------------------------------- no input hangs a scan
def test_catastrophic_appliance_entry_finishes_and_changes_nothing(tmp_path):
    plain = run("scan", "--snapshot", ESTATE, "--snapshot", facts_with(tmp_path), "--format", "json")
    (tmp_path / "hostile").mkdir()
    hostile = facts_with(tmp_path / "hostile", {"entry": r"(.+)+\.nothere", "origin": "appliance"})
    done = run("scan", "--snapshot", ESTATE, "--snapshot", hostile, "--format", "json")
    assert "Traceback" not in done.stderr
    assert (done.returncode, outcomes(done.stdout)) == (plain.returncode, outcomes(plain.stdout))


@pytest.mark.parametrize("rule, snapshot", [
    # a literal pattern, compiled once by the checker
    (f'require not ("{HOSTILE}" matches "^(a+)+$")', {"resources": [{"id": "/r/1", "name": "x", "type": "t"}]}),
    # a pattern built at run time from the data
    ('require not (r.name matches "^(" + r.tags.unit + "+)+$")',
     {"resources": [{"id": "/r/1", "name": HOSTILE, "type": "t", "tags": {"unit": "a"}}]}),
    # a `like` glob from the data
    ("require not (r.name like r.tags.glob)",
     {"resources": [{"id": "/r/1", "name": HOSTILE, "type": "t", "tags": {"glob": "*a" * 20 + "*b"}}]}),
], ids=["rule literal", "built from data", "glob from data"])
def test_catastrophic_rule_patterns_finish(tmp_path, rule, snapshot):
    (tmp_path / "r.argus").write_text(f'rule RX-1 "x" {{\n  severity low\n  for r in resources\n  {rule}\n}}\n')
    (tmp_path / "snap.json").write_text(json.dumps(snapshot))
    done = run("scan", "--rules", tmp_path / "r.argus", "--snapshot", tmp_path / "snap.json", "--format", "json")
    assert (done.returncode, outcomes(done.stdout)) == (0, [("RX-1", "/r/1", "pass")]), done.stderr


def test_catastrophic_wildcard_entry_finishes():
    # `.*a.*a…` backtracked for minutes against a 40-character host under Python's re
    code = f"from argus.language import bypass; print(bypass.entry_matches({'*a' * 12 + '*b'!r}, 'wininet', {'a' * 40!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert (done.returncode, done.stdout) == (0, "False\n"), done.stderr


# ---------------------------------------------------------------- refused syntax: located, exact
LITERALS = [  # (pattern as the rule's string holds it, the E303 reason)
    (r"^(st)\1", r"invalid escape sequence: \1 (RE2 has no backreferences)"),
    (r"(?P<p>st)(?P=p)", "invalid perl operator: (?P (RE2 has no (?P=name) backreferences; (?P<name>...) groups are fine)"),
    (r"^st(?=[0-9])", "invalid perl operator: (?= (RE2 has no lookahead)"),
    (r"(?<!x)st", "invalid perl operator: (?<! (RE2 has no lookbehind)"),
    (r"st[a-z]++", "bad repetition operator: ++ (RE2 has no possessive quantifiers)"),
    (r"(?>st)", "invalid perl operator: (?> (RE2 has no atomic groups)"),
    (r"(?x) st", "invalid perl operator: (?x (RE2's flags are i, m, s and U)"),
    (r"st\Z", r"invalid escape sequence: \Z (RE2 writes the end of the text \z)"),
    ("a{1001}", "invalid repetition size: {1001} (a count is at most 1000, and in {n,m} n is at most m)"),
    ("a{4294967296}", "invalid repetition size: {4294967296} (a count is at most 1000, and in {n,m} n is at most m)"),
    (r"\pL{100}", regex.TOO_LARGE),
    ("x" * 10_001, regex.TOO_LARGE),
    ("st[0-9", "missing ]: [0-9"),
    ("(st", "missing )"),
]


@pytest.mark.parametrize("pattern, reason", LITERALS, ids=[p[:20] for p, _ in LITERALS])
def test_refused_literal_is_a_located_e303(argus, tmp_path, pattern, reason):
    written = pattern.replace("\\", "\\\\")
    path = tmp_path / "rx.argus"
    path.write_text(f'rule RX-1 "x" {{\n  severity low\n  for r in resources\n  require r.name matches "{written}"\n}}\n')
    code, out, err = argus("check", path)
    assert code == 2
    assert f"{path}:4:26: E303: invalid regular expression {pattern!r}: {reason}" in (out + err).splitlines()


def test_refused_pattern_from_data_is_an_error_finding(run_rules):
    rules = 'rule P-DATA "x" {\n  severity info\n  for r in resources\n  require r.name matches r.kind\n}\n'
    snapshot = {"resources": [{"id": "/a", "name": "x", "type": "t", "kind": "(?=x)"},
                              {"id": "/b", "name": "x", "type": "t", "kind": "a{4294967296}"}]}
    assert [(f["subject"]["id"], f["status"], f["message"]) for f in run_rules(rules, snapshot)] == [
        ("/a", "error", "error in `r.name matches r.kind` (rules.argus:4): 'matches': '(?=x)' is not a valid "
                        "regular expression: invalid perl operator: (?= (RE2 has no lookahead)"),
        ("/b", "error", "error in `r.name matches r.kind` (rules.argus:4): 'matches': 'a{4294967296}' is not a valid "
                        "regular expression: invalid repetition size: {4294967296} (a count is at most 1000, and in "
                        "{n,m} n is at most m)"),
    ]


@pytest.mark.parametrize("entry, reason", [
    # Python's re raised OverflowError here: a traceback, exit code 1
    ("a{4294967296}", "invalid repetition size: {4294967296} (a count is at most 1000, and in {n,m} n is at most m)"),
    (r"(.+)\1\.blob\.core\.windows\.net", r"invalid escape sequence: \1 (RE2 has no backreferences)"),
    ("x" * 20_000, regex.TOO_LARGE),
])
def test_refused_appliance_entry_is_an_error_finding_naming_it(argus, tmp_path, entry, reason):
    facts = facts_with(tmp_path, {"entry": entry, "origin": "appliance"})
    code, out, err = argus("scan", "--snapshot", ESTATE, "--snapshot", facts, "--format", "json")
    errors = [f["message"] for f in json.loads(out)["findings"] if f["status"] == "error"]
    assert code == 2 and errors and "Traceback" not in err
    tail = f"appliance bypass entry {entry!r} is not a valid regular expression: {reason}"
    assert all(m.endswith(f"bypass_covers(): {tail}") for m in errors), errors


def test_appliance_facts_refuses_the_entry_before_writing(argus, tmp_path):
    code, out, err = argus("appliance-facts", "--name", "app01", "--kind", "agent-based", "--no-proxy",
                           "--bypass-appliance", ".*.vault.azure.net;a{4294967296}")
    assert (code, out) == (2, "")
    assert err == ("argus appliance-facts: error: --bypass-appliance: appliance bypass entry 'a{4294967296}' is not a "
                   "valid regular expression: invalid repetition size: {4294967296} (a count is at most 1000, and in "
                   "{n,m} n is at most m)\n")


# ---------------------------------------------------------------- what RE2 reads as Python's re did
@pytest.mark.parametrize("op, text, pattern, expected", [
    ("matches", "stdata01", "data", True),  # a search, not anchored
    ("matches", "stdata01", "^data", False),
    ("matches", "stdata01", "^st[a-z]+[0-9]{2}$", True),
    ("matches", "STdata01", "^st", False),  # case-sensitive
    ("matches", "STdata01", "(?i)^st", True),
    ("matches", "a\nb", "^b", False),
    ("matches", "a\nb", "(?m)^b", True),
    ("matches", "é1", r"^\w\d$", False),  # \w is ASCII in RE2 (documented)
    ("matches", "é1", r"^\pL\d$", True),
    ("like", "StData01", "st*0?", True),  # whole text, ignoring case
    ("like", "stdata01x", "st*0?", False),
    ("like", "st-a", "st[!a-z]a", True),
    ("like", "st[a", "st[a", True),  # a class without its `]` is a literal `[`
    ("like", "a\nb", "a*b", True),
])
def test_pattern_semantics(op, text, pattern, expected):
    assert OPERATORS[op].impl(text, pattern) is expected


@pytest.mark.parametrize("entry, origin, host, expected", [
    (".*.blob.core.windows.net", "appliance", "LSA1.Blob.Core.Windows.Net", True),  # whole host, ignoring case
    ("blob.core.windows.net", "appliance", "x.blob.core.windows.net", False),
    ("*.contoso.local", "wininet", "a.b.contoso.local", True),
    ("a?c.contoso.local", "wininet", "abc.contoso.local", False),  # `?` and `[` are literal in Windows lists
    ("a+b.contoso.local", "winhttp", "a+b.contoso.local", True),
    ("a+b.contoso.local", "winhttp", "aab.contoso.local", False),
])
def test_bypass_semantics(entry, origin, host, expected):
    assert bypass.entry_matches(entry, origin, host) is expected


GLOBS = ["*", "", "st*0?", "[a-c]x", "[!a-c]x", "[]a]", "[!]a]", "[z-a]", "[!z-a]", "[a-]", "[-a]", "[a-c-e]",
         "[", "x[", "[\\]", "a**b", "*.*", "[^a]", "[[]", "?*?", "a\\*b", "(a|b)", "a+b{2}$"]
TEXTS = ["", "a", "b", "x", "ax", "dx", "-", "]", "[", "\\", "^", "st-01", "stx0", "a*b", "aab", "ab", "(a|b)", "a+b{2}$",
         "a.b", "\n", "z"]


@pytest.mark.parametrize("glob", GLOBS)
def test_like_globs_read_as_fnmatch(glob):
    want = re.compile(fnmatch.translate(glob), re.IGNORECASE)
    assert [regex.compile_glob(glob).fullmatch(t) for t in TEXTS] == [want.fullmatch(t) is not None for t in TEXTS]


# ---------------------------------------------------------------- the module itself
@pytest.mark.parametrize("pattern", [r"\{4294967296}", "[{4294967296}]", r"\Q{4294967296}\E", "[]{4294967296}]",
                                     "[[:alpha:]{4294967296}]"])
def test_a_long_count_in_literal_text_is_not_a_count(pattern):
    regex.compile(pattern)


def test_no_log_line_on_stderr_for_a_refused_pattern(capfd):
    with pytest.raises(regex.RegexError):
        regex.compile("(?=x)")
    assert capfd.readouterr().err == ""
