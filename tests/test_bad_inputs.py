"""Bad input is a clean located error, never a traceback or a wrong answer (issue 11, item 9): snapshot
directories holding directories or broken links, any truthy `resultTruncated`, `data` statements naming no
file, and YAML/JSON files (policies, waivers, data files, DNS answers, appliance.json, fixtures, snapshots)
that are not UTF-8, hold a NUL, nest 5,000 levels deep or hold a 5,000-digit integer. Every case runs through
the command line and asserts the exit code 2 and the exact message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.language.loader import load_rules

TESTS = Path(__file__).resolve().parent
SNAPSHOT = TESTS / "data" / "snapshots" / "tables.json"
RULE = 'rule D-1 "Accounts are v2" {\n  severity low\n  for a in resources\n  require a.kind == "StorageV2"\n}\n'
ROW = {"id": "/s/x1", "name": "x1", "type": "microsoft.storage/storageaccounts", "kind": "StorageV2"}


@pytest.fixture
def rules(tmp_path):
    path = tmp_path / "rules.argus"
    path.write_text(RULE, encoding="utf-8")
    return path


# ---- a --snapshot directory whose *.json entries are not files

def _subdirectory(entry: Path) -> str:
    entry.mkdir()
    return f"{entry}: a directory, not a snapshot file"


def _dangling(entry: Path) -> str:
    entry.symlink_to(entry.parent / "gone.json")
    return f"{entry}: a symbolic link to {entry.parent / 'gone.json'}, which does not exist"


def _loop(entry: Path) -> str:
    entry.symlink_to(entry.name)
    return f"{entry}: a symbolic link loop (too many levels of symbolic links)"


@pytest.mark.parametrize("make", [_subdirectory, _dangling, _loop], ids=["subdirectory", "dangling", "loop"])
def test_a_snapshot_directory_entry_that_is_no_file_is_refused_by_name(tmp_path, rules, argus, make):
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps([ROW]), encoding="utf-8")
    message = make(folder / "x.json")
    out = tmp_path / "report.json"
    assert argus("scan", "--rules", rules, "--snapshot", folder, "--format", "json", "--output", out) == (
        2, "", f"argus scan: error: {message}\n")
    assert not out.exists()


# ---- resultTruncated: every truthy spelling is truncated, and a value that is neither is not guessed at

TRUNCATED = ("{path}: page 1 says resultTruncated: true — ARG cut this result; re-run the query with paging "
             "(argus collect does) instead of evaluating a partial snapshot")


@pytest.mark.parametrize("flag, message", [
    (True, TRUNCATED), ("true", TRUNCATED), ("True", TRUNCATED), (" TRUE ", TRUNCATED), (1, TRUNCATED),
    (2, TRUNCATED), ("1", TRUNCATED),
    ("maybe", "{path}: page 1 says resultTruncated: 'maybe', which is neither true nor false"),
    ([True], "{path}: page 1 says resultTruncated: [true], which is neither true nor false"),
])
def test_a_truthy_result_truncated_is_refused_as_true_is(tmp_path, rules, argus, flag, message):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"count": 1, "data": [ROW], "resultTruncated": flag}), encoding="utf-8")
    assert argus("scan", "--rules", rules, "--snapshot", path) == (
        2, "", f"argus scan: error: {message.format(path=path)}\n")


@pytest.mark.parametrize("flag", [False, "false", "False", 0, "0", None, ""])
def test_a_falsy_result_truncated_is_a_whole_result(tmp_path, rules, argus, flag):
    path = tmp_path / "page.json"
    path.write_text(json.dumps({"count": 1, "data": [ROW], "resultTruncated": flag}), encoding="utf-8")
    code, out, err = argus("scan", "--rules", rules, "--snapshot", path, "--format", "json")
    assert (code, err) == (0, "")
    assert [f["status"] for f in json.loads(out)["findings"]] == ["pass"]


# ---- `data d from ""` / `"."`: no file named

@pytest.mark.parametrize("name, message", [
    ("", "data file path is empty: name a YAML file (relative to the rule file)"),
    (".", "data file '.' is a directory, not a YAML file (looked in {dir}/.)"),
    ("sub", "data file 'sub' is a directory, not a YAML file (looked in {dir}/sub)"),
])
def test_a_data_statement_naming_no_file_is_located_at_the_string(tmp_path, argus, name, message):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "rules.argus"
    path.write_text(f'data d from "{name}"\n' + RULE.replace('== "StorageV2"', "in d"), encoding="utf-8")
    _, diags = load_rules([str(path)])
    expected = message.format(dir=tmp_path)
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diags] == [("E402", 1, 13, expected)]
    code, out, err = argus("check", path)
    assert (code, err.splitlines()[0]) == (2, f"{path}:1:13: E402: {expected}")


# ---- YAML that cannot be read: the same five bodies in every kind of YAML file argus reads.
# Each body is the value of a top-level key `a`; (line, col) is where the problem is, `reason` what it is, and
# `syntax` whether it is YAML's own complaint (the file's "not valid YAML" wording goes before it).

YAML_BODIES = [
    pytest.param(b"a: [\xff]\n", 1, 5, False, "not UTF-8 text (byte 0xff: invalid start byte)", id="invalid-utf8"),
    pytest.param(b"a: [b\x00]\n", 1, 6, True, "unacceptable character #x0000: special characters are not allowed",
                 id="nul"),
    pytest.param(b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n", 1, 103, False, "nested more than 100 levels deep",
                 id="5000-deep"),
    pytest.param(b"a: " + b"9" * 5000 + b"\n", 1, 4, False, "an integer of 5000 digits (at most 100 are read)",
                 id="5000-digits"),
    pytest.param(b"a: &x [1, *x]\n", 1, 11, False, "an alias refers to the node that holds it (a cycle)",
                 id="alias-cycle"),
    pytest.param(b"a: &x " + b"[" * 98 + b"]" * 98 + b"\nb: [[*x]]\n", 2, 6, False, "nested more than 100 levels deep",
                 id="deep-through-an-alias"),
]


def located(err: str) -> str:
    """The first line of a located error, after checking that the source line and a caret follow it (and
    nothing else: no traceback)."""
    lines = err.splitlines()
    assert len(lines) == 3 and lines[2].strip() == "^", err[:2000]
    return lines[0]


@pytest.mark.parametrize("body, line, col, syntax, reason", YAML_BODIES)
def test_policies_file(tmp_path, argus, body, line, col, syntax, reason):
    path = tmp_path / "policies.yaml"
    path.write_bytes(body)
    shown = f"invalid YAML: {reason}" if syntax else reason
    code, out, err = argus("scan", "--config", path, "--snapshot", SNAPSHOT)
    assert (code, out, located(err)) == (2, "", f"{path}:{line}:{col}: E403: {shown}")


@pytest.mark.parametrize("body, line, col, syntax, reason", YAML_BODIES)
def test_waivers_file(tmp_path, rules, argus, body, line, col, syntax, reason):
    path = tmp_path / "waivers.yaml"
    path.write_bytes(body)
    shown = f"invalid YAML: {reason}" if syntax else reason
    out = tmp_path / "report.json"
    code, stdout, err = argus("scan", "--rules", rules, "--snapshot", SNAPSHOT, "--waivers", path,
                              "--format", "json", "--output", out)
    assert (code, stdout, located(err)) == (2, "", f"{path}:{line}:{col}: E405: {shown}")
    assert not out.exists()


@pytest.mark.parametrize("body, line, col, syntax, reason", YAML_BODIES)
def test_data_file(tmp_path, argus, body, line, col, syntax, reason):
    data = tmp_path / "d.yaml"
    data.write_bytes(body)
    path = tmp_path / "rules.argus"
    path.write_text('data d from "d.yaml"\n' + RULE.replace('== "StorageV2"', "in d.a"), encoding="utf-8")
    what = "is not valid YAML" if syntax else "cannot be read"
    expected = f"data file 'd.yaml' {what}: {data}:{line}:{col}: {reason}"
    _, diags = load_rules([str(path)])
    assert [(d.code, d.span.line, d.span.col, d.message) for d in diags] == [("E402", 1, 13, expected)]
    code, out, err = argus("check", path)
    assert (code, err.splitlines()[0]) == (2, f"{path}:1:13: E402: {expected}")


@pytest.mark.parametrize("body, line, col, syntax, reason", YAML_BODIES)
def test_dns_answers_file(tmp_path, argus, body, line, col, syntax, reason):
    path = tmp_path / "answers.yaml"
    path.write_bytes(body)
    shown = f"DNS answers are not valid YAML/JSON: {reason}" if syntax else reason
    code, out, err = argus("appliance-facts", "--name", "a1", "--kind", "agent-based", "--no-proxy", "--dns-answers",
                           path, "--output", tmp_path / "facts.json")
    assert (code, out, located(err)) == (2, "", f"{path}:{line}:{col}: E407: {shown}")
    assert not (tmp_path / "facts.json").exists()


@pytest.mark.parametrize("body, line, col, syntax, reason", YAML_BODIES)
def test_fixture_file(tmp_path, argus, body, line, col, syntax, reason):
    (tmp_path / "pack" / "fixtures").mkdir(parents=True)
    (tmp_path / "pack" / "rules.argus").write_text(RULE, encoding="utf-8")
    path = tmp_path / "pack" / "fixtures" / "D-1.yaml"
    path.write_bytes(body)
    shown = f"invalid YAML: {reason}" if syntax else reason
    code, out, err = argus("test", tmp_path / "pack")
    assert (code, out, located(err)) == (2, "", f"{path}:{line}:{col}: E409: {shown}")


# ---- JSON: appliance.json and snapshot files

@pytest.mark.parametrize("body, message", [
    pytest.param(b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", "{path}:1:1031: E410: not valid JSON: depth limit exceeded",
                 id="5000-deep"),
    pytest.param(b'{"a": ' + b"9" * 5000 + b"}", "{path}:1:7: E410: not valid JSON: number is infinity when parsed as double",
                 id="5000-digits"),
])
def test_appliance_json(tmp_path, argus, body, message):
    path = tmp_path / "appliance.json"
    path.write_bytes(body)
    code, out, err = argus("appliance-facts", "--name", "a1", "--kind", "vmware-agentless", "--appliance-json", path,
                           "--no-proxy", "--output", tmp_path / "facts.json")
    assert (code, out, located(err)) == (2, "", message.format(path=path))


def test_appliance_json_nested_too_deeply_for_python(tmp_path, argus):
    """orjson reads it but says nothing of where: no place to point at."""
    path = tmp_path / "appliance.json"
    path.write_bytes(b'{"a": ' + b"[" * 1010 + b"]" * 1010 + b"}")
    assert argus("appliance-facts", "--name", "a1", "--kind", "vmware-agentless", "--appliance-json", path,
                 "--no-proxy", "--output", tmp_path / "facts.json") == (
        2, "", f"argus appliance-facts: error: {path}: not valid JSON: nested too deeply to read\n")


@pytest.mark.parametrize("name, body, message", [
    ("deep.json", b"[" * 5000 + b"]" * 5000, "{path}:1:1026: E412: invalid JSON: depth limit exceeded"),
    ("deep.jsonl", b"[" * 5000 + b"]" * 5000, "{path}:1:1026: E412: invalid JSON line: depth limit exceeded"),
    ("big.json", b'[{"id": "/s/x1", "type": "t", "n": ' + b"9" * 5000 + b"}]",
     "{path}:1:36: E412: invalid JSON: number is infinity when parsed as double"),
    ("big.jsonl", b'{"id": "/s/x1", "type": "t", "n": ' + b"9" * 5000 + b"}",
     "{path}:1:35: E412: invalid JSON line: number is infinity when parsed as double"),
])
def test_snapshot_json(tmp_path, rules, argus, name, body, message, monkeypatch):
    monkeypatch.setenv("ARGUS_NO_PROJECTION", "1")  # rows read whole: every number in the file is parsed
    path = tmp_path / name
    path.write_bytes(body)
    code, out, err = argus("scan", "--rules", rules, "--snapshot", path)
    assert (code, out, located(err)) == (2, "", message.format(path=path))


@pytest.mark.parametrize("name", ["big.json", "big.jsonl"])
def test_a_number_out_of_range_with_projection(tmp_path, rules, argus, name):
    """With projection (argus.language.reads) a field no rule reads is skipped, not parsed: a number out of range there
    no longer stops the scan; in a field a rule reads it is refused, located, as before."""
    row = b'{"id": "/s/x1", "type": "t", "kind": ' + b"9" * 5000 + b"}"
    path = tmp_path / name
    path.write_bytes(row if name.endswith("l") else b"[" + row + b"]")
    line = "line" if name.endswith("l") else ""
    at = "1:38" if name.endswith("l") else "1:39"
    code, out, err = argus("scan", "--rules", rules, "--snapshot", path)
    assert (code, out, located(err)) == (
        2, "", f"{path}:{at}: E412: invalid JSON{' ' + line if line else ''}: number is infinity when parsed as double")
    path.write_bytes(path.read_bytes().replace(b'"kind"', b'"kind": "StorageV2", "n"'))
    assert argus("scan", "--rules", rules, "--snapshot", path)[0] == 0  # scanned: the account is v2



# ---- a list parameter written as YAML text (--param, or a string in policies.yaml) is read with the same guards

LIST_RULE = 'param nets: list = []\n' + RULE.replace('== "StorageV2"', "in nets")


@pytest.mark.parametrize("text, reason", [
    ("[a", "expected ',' or ']', but got '<stream end>'"),
    ("[" * 5000 + "]" * 5000, "nested more than 100 levels deep"),
    ("[" + "9" * 5000 + "]", "an integer of 5000 digits (at most 100 are read)"),
])
def test_a_list_parameter_that_is_not_a_yaml_list(tmp_path, argus, text, reason):
    path = tmp_path / "rules.argus"
    path.write_text(LIST_RULE, encoding="utf-8")
    shown = text if len(text) <= 60 else text[:60] + "..."
    assert argus("scan", "--rules", path, "--snapshot", SNAPSHOT, "--param", f"nets={text}") == (
        2, "", f"E205: --param: parameter 'nets' (list): expected a list, got {shown!r} ({reason})\n")


def test_a_policies_key_yaml_reads_as_a_boolean_is_an_unknown_key_at_its_line(tmp_path, argus):
    """`on:` is true in YAML 1.1; it crashed the unknown-key message (found by the config fuzz suite)."""
    (tmp_path / "policies.yaml").write_text("version: 1\npolicies:\n  p:\n    rules: [rules]\non: 1\n", encoding="utf-8")
    (tmp_path / "rules").mkdir()
    code, out, err = argus("scan", "--config", tmp_path / "policies.yaml", "--example")
    assert (code, out) == (2, "")
    assert err == f"{tmp_path / 'policies.yaml'}:5:1: E403: unknown key 'True'\n  on: 1\n  ^~\n"


# ---- numbers beyond 64 bits (found by a long fuzz run): msgspec reads them exactly, and every writer copes

BIG = 100000000000000000000  # 10**20, past orjson's 64-bit integers


def test_an_integer_beyond_64_bits_in_a_row_reaches_the_json_report(tmp_path, argus):
    account = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"
    (tmp_path / "big.json").write_text(
        '{"resources": [{"id": "%s", "name": "st1", "type": "microsoft.storage/storageaccounts", '
        '"properties": {"minimumTlsVersion": %d}}]}' % (account, BIG), encoding="utf-8")
    (tmp_path / "big.argus").write_text(
        'rule R-1 "big" {\n  severity low\n  for s in resources where type == "microsoft.storage/storageaccounts"\n'
        '  require s.properties.minimumTlsVersion == "TLS1_2" else fail "got {s.properties.minimumTlsVersion}"\n}\n',
        encoding="utf-8")
    code, _, err = argus("scan", "--rules", tmp_path / "big.argus", "--snapshot", tmp_path / "big.json",
                         "--format", "json", "--output", tmp_path / "r.json")
    assert (code, err.startswith("argus scan: 1 finding: 1 fail")) == (1, True), err
    [finding] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["findings"]
    assert (finding["message"], finding["evidence"][0]["actual"]) == (f"got {BIG}", BIG)


@pytest.mark.parametrize("header, message", [
    ({"pushdown": BIG}, f"header 'pushdown' must be null or a list of resource types, got {BIG}"),
    ({"pushdown": [BIG]}, f"header 'pushdown' must be null or a list of resource types, got [{BIG}]"),
    ({"collected_at": BIG}, f"header 'collected_at' must be a timestamp string, got {BIG}"),
    ({"collected_at": [1]}, "header 'collected_at' must be a timestamp string, got [1]"),
])
def test_a_header_value_of_the_wrong_kind_is_refused_by_name(tmp_path, argus, header, message):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"resources": [], "header": header}), encoding="utf-8")
    code, out, err = argus("scan", "--snapshot", path, "--format", "json", "--output", tmp_path / "r.json")
    assert (code, out, err) == (2, "", f"argus scan: error: {path}: {message}\n")
    assert not (tmp_path / "r.json").exists()


# ---- \u escapes of surrogates in files read as YAML (found by a long fuzz run)

WAIVER = ('[{"rule": "AMX-PP-05", "subject": "%s", "owner": "netops", "justification": "accepted", '
          '"expires": "2099-01-01"}]\n')


def test_an_escaped_surrogate_pair_is_the_one_character_it_stands_for(tmp_path, argus):
    (tmp_path / "w.json").write_text(WAIVER % "\\ud83d\\ude00", encoding="utf-8")  # what json.dumps writes for 😀
    code, _, err = argus("scan", "--example", "--waivers", tmp_path / "w.json", "--format", "json",
                         "--output", tmp_path / "r.json")
    assert code == 1, err
    [waiver] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["waivers"]
    assert (waiver["subject"], waiver["state"]) == ("\U0001F600", "unused")


@pytest.mark.parametrize("name, text, where, excerpt", [
    ("w.json", WAIVER % "x\\ud800y", "1:35", WAIVER.rstrip("\n") % "x\\ud800y"),
    ("w.yaml", 'waivers:\n  - rule: AMX-PP-05\n    subject: "\\udc00"\n    owner: o\n    justification: j\n'
               '    expires: 2099-01-01\n', "3:14", '    subject: "\\udc00"'),
])
def test_a_lone_surrogate_escape_is_a_located_error(tmp_path, argus, name, text, where, excerpt):
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, out, err = argus("scan", "--example", "--waivers", tmp_path / name, "--format", "json",
                           "--output", tmp_path / "r.json")
    escape = "\\ud800" if name.endswith("json") else "\\udc00"
    assert (code, out) == (2, "")
    assert err.splitlines()[:2] == [
        f"{tmp_path / name}:{where}: E405: the escape {escape} is half of a surrogate pair without its other half, "
        "not a character", f"  {excerpt}"]
    assert not (tmp_path / "r.json").exists()
