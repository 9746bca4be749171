"""`argus explain`: only the flags it honours, --output written atomically, parameters needed only by the
explained rule, paths relative only under the current directory, and the decisive clause(s) per verdict."""

from __future__ import annotations

import json
import os

import pytest

RULES = """\
param migration_subscription: string

rule EX-01 "Storage accounts are v2 with TLS 1.2" {
  severity high
  for account in resources where type == "microsoft.storage/storageaccounts"
  when account.location == "westeurope"
  require account.kind == "StorageV2" else "{account.name} is of kind {account.kind}"
  require account.properties.minimumTlsVersion == "TLS1_2" else "{account.name} accepts {account.properties.minimumTlsVersion}"
  require account.properties.allowBlobPublicAccess == false else warn "{account.name} allows public blobs"
}

rule EX-02 "Migration storage accounts exist" {
  severity low
  for account in resources where type == "microsoft.storage/storageaccounts" and subscriptionId =~ migration_subscription
  require account.kind != ""
}
"""
SUB = "a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74"


def _row(name: str, location: str, kind: str, tls, public) -> dict:
    props = {"minimumTlsVersion": tls}
    if public is not None:
        props["allowBlobPublicAccess"] = public
    return {"id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{name}",
            "name": name, "type": "Microsoft.Storage/storageAccounts", "kind": kind, "location": location,
            "subscriptionId": SUB, "properties": props}


ROWS = [_row("stpass", "westeurope", "StorageV2", "TLS1_2", False), _row("stfail", "westeurope", "StorageV2", "TLS1_0", False),
        _row("stskip", "northeurope", "Storage", "TLS1_0", False), _row("stwarn", "westeurope", "StorageV2", "TLS1_2", True),
        _row("stunknown", "westeurope", "StorageV2", "TLS1_2", None)]
FOR = 'for account in resources where type == "microsoft.storage/storageaccounts"'
WHEN = 'when account.location == "westeurope"'
KIND = 'require account.kind == "StorageV2"'
TLS = 'require account.properties.minimumTlsVersion == "TLS1_2"'
PUBLIC = "require account.properties.allowBlobPublicAccess == false"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack/rules.argus").write_text(RULES)
    (tmp_path / "snap.json").write_text(json.dumps({"resources": ROWS}))
    return tmp_path


BASE = ("--rules", "pack", "--snapshot", "snap.json")

DECISIVE = [
    ("stpass", "pass", [KIND, TLS, PUBLIC]),           # a pass needed every require
    ("stfail", "fail", [TLS]),
    ("stskip", "skip", [WHEN]),
    ("stwarn", "warn", [PUBLIC]),
    ("stunknown", "not_evaluated", [PUBLIC]),
]


@pytest.mark.parametrize("subject, status, decisive", DECISIVE, ids=[d[0] for d in DECISIVE])
def test_decisive_clauses_per_verdict(ws, argus, subject, status, decisive):
    code, out, err = argus("explain", "EX-01", *BASE, "--subject", subject, "--format", "json")
    assert (code, err) == (0, "")
    (entry,) = json.loads(out)["subjects"]
    assert entry["status"] == status
    assert [c["text"] for c in entry["clauses"] if c["decisive"]] == decisive


def test_text_marks_every_require_of_a_pass(ws, argus):
    code, out, _ = argus("explain", "EX-01", *BASE, "--subject", "stpass")
    marked = [line for line in out.splitlines() if line.startswith("  ▶ ")]
    assert code == 0 and marked == [f"  ▶ {KIND}", f"  ▶ {TLS}", f"  ▶ {PUBLIC}"]
    assert "      at pack/rules.argus:6:3  →  true" in out.splitlines()


REJECTED = [
    (["--history", "h.db"], "unrecognized arguments: --history h.db"),
    (["--baseline", "old.json"], "unrecognized arguments: --baseline old.json"),
    (["--fail-on-new"], "unrecognized arguments: --fail-on-new"),
    (["--include-passed"], "unrecognized arguments: --include-passed"),
    (["--fail-on", "high"], "unrecognized arguments: --fail-on high"),
    (["--waivers", "w.yaml"], "unrecognized arguments: --waivers w.yaml"),
    (["--live"], "unrecognized arguments: --live"),
    (["--format", "sarif"], "argument -f/--format/--as: invalid choice: 'sarif' (choose from 'text', 'json')"),
]


@pytest.mark.parametrize("flags, message", REJECTED, ids=[r[0][0] + (" " + r[0][1] if len(r[0]) > 1 else "") for r in REJECTED])
def test_flags_explain_does_not_honour_are_refused(ws, argus, flags, message):
    code, out, err = argus("explain", "EX-01", *BASE, *flags)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"argus explain: error: {message}"


def test_output_file_holds_what_stdout_would(ws, argus):
    _, shown, _ = argus("explain", "EX-01", *BASE, "--format", "json")
    assert argus("explain", "EX-01", *BASE, "--format", "json", "--output", "why.json") == (0, "", "")
    assert (ws / "why.json").read_text() == shown
    assert argus("explain", "EX-01", *BASE, "--as", "json") == (0, shown, "")   # --as is another name for --format
    code, out, err = argus("explain", "EX-01", *BASE, "--output", "missing-dir/why.txt")
    assert (code, out) == (2, "")
    assert err == "argus explain: error: missing-dir/why.txt: cannot write: directory missing-dir does not exist\n"
    assert sorted(os.listdir(ws)) == ["pack", "snap.json", "why.json"]


def test_only_the_explained_rule_needs_its_parameters(ws, argus):
    code, out, err = argus("explain", "EX-01", *BASE, "--subject", "stpass")
    assert (code, err) == (0, "") and "verdict  PASS: Storage accounts are v2 with TLS 1.2: satisfied" in out
    code, out, err = argus("explain", "EX-02", *BASE)
    assert (code, out) == (2, "")
    assert ("pack/rules.argus:1:1: E204: parameter 'migration_subscription' has no value and no default; set it in "
            "policies.yaml or pass --param migration_subscription=VALUE") in err
    code, out, _ = argus("explain", "EX-02", *BASE, "--param", f"migration_subscription={SUB}", "--subject", "stskip")
    assert code == 0 and "verdict  PASS: Migration storage accounts exist: satisfied" in out


def test_rule_locations_relative_only_under_the_current_directory(ws, argus, monkeypatch):
    _, out, _ = argus("explain", "EX-01", *BASE, "--subject", "stfail", "--format", "json")
    tree = json.loads(out)
    assert tree["rule"]["location"] == "pack/rules.argus:3"
    assert tree["subjects"][0]["clauses"][1]["location"] == "pack/rules.argus:6:3"
    (ws / "elsewhere").mkdir()
    monkeypatch.chdir(ws / "elsewhere")
    _, out, _ = argus("explain", "EX-01", "--rules", "../pack", "--snapshot", "../snap.json", "--subject", "stfail", "--format", "json")
    tree = json.loads(out)
    assert tree["rule"]["location"] == f"{ws}/pack/rules.argus:3"
    assert tree["subjects"][0]["clauses"][1]["location"] == f"{ws}/pack/rules.argus:6:3"


def test_unknown_and_unselected_rules(ws, argus):
    assert argus("explain", "EX-1", *BASE) == (2, "", "argus explain: error: no rule 'EX-1' (did you mean 'EX-01'?) in the loaded rules\n")
    (ws / "policies.yaml").write_text("version: 1\npolicies:\n  mine:\n    rules: [pack]\n    include: [EX-02]\n"
                                      f"    parameters: {{migration_subscription: {SUB}}}\n")
    assert argus("explain", "EX-01", "--policy", "mine", "--snapshot", "snap.json") == (
        2, "", "argus explain: error: rule EX-01 is not selected by policy 'mine' (policies.yaml); "
               "pass --rules PATH to explain it without the policy\n")


def test_a_parameter_read_shows_its_value_beside_its_name(ws, argus):
    (ws / "pack/tls.argus").write_text(
        'param min_tls: string = "TLS1_2"\n\n'
        'rule EX-03 "TLS floor" {\n  severity low\n'
        '  for account in resources where type == "microsoft.storage/storageaccounts"\n'
        '  require account.properties.minimumTlsVersion == min_tls\n}\n')
    code, out, _ = argus("explain", "EX-03", *BASE, "--subject", "stfail", "--format", "json", "--param", "min_tls=TLS1_3")
    reads = json.loads(out)["subjects"][0]["clauses"][1]["reads"]
    assert (code, [(r["path"], r["actual"], r["expected"]) for r in reads]) == (
        0, [("properties.minimumTlsVersion", "TLS1_0", '== min_tls ("TLS1_3")')])
