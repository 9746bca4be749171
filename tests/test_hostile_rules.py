"""Rule text built to break the stages that recurse (parser's AST builder, checker, compiler, evaluator): each is
a located error with exit 2 from `argus check` and `argus scan`, never a traceback; and the one top-level
handler that turns any remaining bug into one line and exit 3 (issue: never a traceback)."""

from __future__ import annotations

import json

import pytest

from argus.commands import cli

HEAD = 'rule X-1 "t" {\n  severity low\n  for a in resources where type == "microsoft.storage/storageaccounts"\n  require '


def rule(body: str, before: str = "") -> str:
    return before + HEAD + body + "\n}\n"


def lets(n: int, cyclic: bool) -> str:
    return "".join(f"let l{i} = l{(i + 1) % n if cyclic else i + 1}\n" for i in range(n)) + ("" if cyclic else f"let l{n} = 1\n")


CASES = [
    ("500 parentheses", rule("(" * 500 + 'a.name == "x"' + ")" * 500), "E102",
     "expression nested more than 100 levels deep (parentheses, calls, quantifiers, operators); split it with `let`"),
    ("500 calls", rule("lower(" * 500 + "a.name" + ")" * 500 + ' == "x"'), "E102",
     "expression nested more than 100 levels deep (parentheses, calls, quantifiers, operators); split it with `let`"),
    ("500 quantifiers", rule("any(x0 in a.tags: " + "".join(f"any(x{i} in x{i - 1}: " for i in range(1, 500))
                             + "true" + ")" * 500), "E102",
     "expression nested more than 100 levels deep (parentheses, calls, quantifiers, operators); split it with `let`"),
    ("500 nots", rule("not " * 500 + "true"), "E102",
     "expression nested more than 100 levels deep (parentheses, calls, quantifiers, operators); split it with `let`"),
    ("5,000-digit number", rule("a.name == " + "9" * 5000), "E103",
     "number literal of 5000 characters; at most 40 are allowed"),
    ("400-digit float", rule("a.name == 1." + "0" * 400), "E103", "number literal of 402 characters; at most 40 are allowed"),
    ("3,000-long let cycle", rule("l0 == 1", lets(3000, cyclic=True)), "E207",
     "let 'l0' is defined in terms of itself: l0 -> l1 -> l2 -> l3 -> ... (2995 more) -> l2999 -> l0"),
    ("two-let cycle", rule("l0 == 1", lets(2, cyclic=True)), "E207", "let 'l0' is defined in terms of itself: l0 -> l1 -> l0"),
    ("self reference", rule("l0 == 1", "let l0 = [l0]\n"), "E207", "let 'l0' is defined in terms of itself: l0 -> l0"),
    ("self reference under all()", rule("all(v in l0: true)", "let l0 = l0\n"), "E207",  # found by the fuzz suite
     "let 'l0' is defined in terms of itself: l0 -> l0"),
    ("3,000-long let chain", rule("l0 == 1", lets(3000, cyclic=False)), "E207",
     "let 'l0' nests 3001 levels deep through the lets it names; at most 150 are allowed"),
]
SNAPSHOT = {"resources": [{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a",
                           "name": "a", "type": "microsoft.storage/storageaccounts", "subscriptionId": "s",
                           "resourceGroup": "r", "properties": {}}]}


@pytest.mark.parametrize("name,text,code,message", CASES, ids=[c[0] for c in CASES])
def test_hostile_rule_is_a_located_error(tmp_path, argus, name, text, code, message):
    (tmp_path / "r.argus").write_text(text, encoding="utf-8")
    (tmp_path / "s.json").write_text(json.dumps(SNAPSHOT), encoding="utf-8")
    exit_code, out, err = argus("check", tmp_path / "r.argus")
    located = [line for line in err.splitlines() if f": {code}: " in line]
    assert exit_code == 2 and len(located) == 1, err[-2000:]
    path, line, col, got_code, got = located[0].split(":", 4)
    assert (path, got_code.strip(), got.strip()) == (str(tmp_path / "r.argus"), code, message)
    assert int(line) >= 1 and int(col) >= 1
    exit_code, out, err = argus("scan", "--rules", tmp_path / "r.argus", "--snapshot", tmp_path / "s.json",
                                "--format", "json", "--output", tmp_path / "out.json")
    assert exit_code == 2 and "Traceback" not in err and f": {code}: {message}" in err
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("text,status", [
    (rule("(" * 40 + 'a.name == "a"' + ")" * 40), "pass"),
    (rule("lower(" * 90 + "a.name" + ")" * 90 + ' == "a"'), "pass"),
    (rule("lower(" * 90 + "l0" + ")" * 90 + ' == "x"', "".join(
        f"let l{i} = " + "lower(" * 48 + f"l{i + 1}" + ")" * 48 + "\n" for i in range(2))
        + "let l2 = " + "lower(" * 48 + '"X"' + ")" * 48 + "\n"), "pass"),  # just under both bounds
    (rule("l0 == 1", lets(140, cyclic=False)), "pass"),
])
def test_deep_but_allowed_rules_evaluate(tmp_path, argus, text, status):
    (tmp_path / "r.argus").write_text(text, encoding="utf-8")
    (tmp_path / "s.json").write_text(json.dumps(SNAPSHOT), encoding="utf-8")
    code, out, err = argus("scan", "--rules", tmp_path / "r.argus", "--snapshot", tmp_path / "s.json", "--format", "json")
    assert code == 0, err[-2000:]
    assert [f["status"] for f in json.loads(out)["findings"]] == [status]
    code, out, err = argus("explain", "X-1", "--rules", tmp_path / "r.argus", "--snapshot", tmp_path / "s.json")
    assert code == 0, err[-2000:]


@pytest.fixture
def crashing_scan(monkeypatch):
    from argus.commands import scan

    def boom(args):
        raise KeyError("surprise")
    monkeypatch.setattr(scan, "run", boom)


def test_internal_error_is_one_line_and_exit_3(crashing_scan, argus, monkeypatch):
    monkeypatch.delenv("ARGUS_DEBUG", raising=False)
    code, out, err = argus("scan", "--example")
    assert (code, out) == (3, "")
    assert err == ("argus scan: internal error (KeyError: 'surprise') while running `argus scan --example`; this is a "
                   "bug in argus 0.1.0: please report it to the argus maintainers with that command line and the "
                   "traceback that --debug (or ARGUS_DEBUG=1) prints\n")


@pytest.mark.parametrize("argv,env", [(["--debug", "scan", "--example"], None), (["scan", "--debug", "--example"], None),
                                      (["scan", "--example"], "1")])
def test_debug_prints_the_traceback(crashing_scan, argus, monkeypatch, argv, env):
    if env:
        monkeypatch.setenv("ARGUS_DEBUG", env)
    else:
        monkeypatch.delenv("ARGUS_DEBUG", raising=False)
    code, _, err = argus(*argv)
    assert code == 3
    assert err.startswith("Traceback (most recent call last):") and "KeyError: 'surprise'" in err
    assert err.splitlines()[-1].startswith("argus scan: internal error (KeyError: 'surprise')")


def test_exit_codes_are_in_every_help(capsys):
    for argv in (["--help"], *([name, "--help"] for name in cli.COMMANDS)):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args(argv)
        out = " ".join(capsys.readouterr().out.split())
        assert "exit codes: 0 ok, 1 failing findings" in out and "3 internal error in argus" in out


def test_a_control_character_in_a_title_does_not_shift_the_excerpt(tmp_path, argus):
    """str.splitlines() breaks at \\x1e, \\x0b, \\x85...; the parser counts only \\n (found by the fuzz suite)."""
    (tmp_path / "r.argus").write_text('rule X-1 "a\x1eb" {\n  severity low\n  for a in resources\n  require a.name == \n}\n',
                                      encoding="utf-8")
    code, _, err = argus("check", tmp_path / "r.argus")
    assert code == 2
    head, source, caret = err.splitlines()[:3]
    assert head.endswith(": E100: unexpected '}'; expected an expression") and source == "  }" and caret == "  ^"
