"""Rule-authoring commands: new-rule scaffolds, explain trees, snapshot lint (W504-W506) and test --coverage."""

import json
import os


from argus.commands.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ESTATE = [os.path.join(ROOT, "examples", "estate"), os.path.join(ROOT, "examples", "appliance", "contoso-mig-app01.facts.json")]
ZONE = "/subscriptions/0c4f2a7e-31b8-4d95-a6e2-8f1b7c3d5e90/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
LSA_V1 = "/subscriptions/a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74/resourceGroups/RG-Migrate/providers/Microsoft.Storage/storageAccounts/lsa7c1d0e93ab"


def _snapshots():
    return [a for p in ESTATE for a in ("--snapshot", p)]


def test_new_rule_scaffold_checks_and_tests_green(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new-rule", "CUSTOM-ST-01", "--title", "Storage accounts are provisioned"]) == 0
    assert main(["check", "rules/custom", "--strict"]) == 0
    assert main(["test", "rules/custom"]) == 0
    out = capsys.readouterr().out
    assert "ok   CUSTOM-ST-01: 3 cases, 3 passed, 0 failed" in out
    assert main(["new-rule", "CUSTOM-ST-01"]) == 2
    assert "rule CUSTOM-ST-01 already exists in rules/custom" in capsys.readouterr().err



def test_the_scaffold_shows_the_newer_functions_in_rules_that_check(tmp_path, monkeypatch, capsys):
    """The commented examples of the scaffold are real rule text: uncommented, each checks without an error."""
    monkeypatch.chdir(tmp_path)
    assert main(["new-rule", "CUSTOM-NSG-01", "--type", "microsoft.network/networksecuritygroups"]) == 0
    text = (tmp_path / "rules" / "custom" / "custom.argus").read_text(encoding="utf-8")
    examples = [line.split("#", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("#   require")]
    used = {name for line in examples for name in ("days_since", "version_compare", "port_in", "cidr_contains",
                                                   "matches~", "max", "number") if name + "(" in line or name in line}
    assert used == {"days_since", "version_compare", "port_in", "cidr_contains", "matches~", "max", "number"}
    for i, require in enumerate(examples):
        rule = text.replace("rule CUSTOM-NSG-01", f"rule CUSTOM-NSG-9{i}").split("  # Other checks")[0]
        (tmp_path / "one.argus").write_text(rule + f"  {require}\n}}\n", encoding="utf-8")
        assert main(["check", str(tmp_path / "one.argus")]) == 0, (require, capsys.readouterr().out)

def test_explain_marks_the_decisive_clause_and_its_reads(capsys):
    assert main(["explain", "AMX-PP-02", "--subject", "lsa7c1d0e93ab", "--as", "json"] + _snapshots()) == 0
    tree = json.loads(capsys.readouterr().out)
    (entry,) = tree["subjects"]
    assert entry["subject"]["id"] == LSA_V1
    assert entry["status"] == "fail"
    assert entry["message"] == "lsa7c1d0e93ab is of kind Storage; private endpoints need a general-purpose v2 (StorageV2) account"
    decisive = [c for c in entry["clauses"] if c["decisive"]]
    assert [c["text"] for c in decisive] == ['require account.kind == "StorageV2"']
    assert decisive[0]["outcome"] == "false"
    assert decisive[0]["reads"] == [{"resource": LSA_V1, "path": "kind", "actual": "Storage", "expected": '== "StorageV2"'}]
    assert decisive[0]["location"].endswith("private-peering.argus:28:3")


def test_explain_shows_the_join_a_let_followed(capsys):
    assert main(["explain", "AMX-PP-07", "--as", "json"] + _snapshots()) == 0
    (entry,) = json.loads(capsys.readouterr().out)["subjects"]
    assert entry["subject"]["id"] == ZONE and entry["status"] == "fail"
    links = next(c for c in entry["clauses"] if c["text"].startswith("let links"))
    assert links["joined"] == [ZONE + "/virtualNetworkLinks/mdq7nwhblbvy6"]


def test_explain_unknown_subject_is_a_usage_error(capsys):
    assert main(["explain", "AMX-PP-02", "--subject", "lsa-nope"] + _snapshots()) == 2
    assert "'lsa-nope' is not a subject of AMX-PP-02" in capsys.readouterr().err


LINT_RULE = '''let storage = resources where type == "microsoft.storage/storageaccounts"
rule L-1 "firewall" {
  severity low
  for a in storage
  require a.properties.netwokAcls.defaultAction =~ "Deny"
  require all(r in a.properties.networkAcls.ipRules: r.action == "Allow")
  require 1 == 1
}
'''


def test_lint_warnings_are_located_and_strict_fails(tmp_path, capsys):
    rule = tmp_path / "lint.argus"
    rule.write_text(LINT_RULE)
    assert main(["check", str(rule), "--snapshot", ESTATE[0]]) == 0
    err = capsys.readouterr().err
    lines = [l for l in err.splitlines() if ": W5" in l]
    assert lines == [
        f"{rule}:5:11: W506: path 'properties.netwokAcls' never occurs in microsoft.storage/storageaccounts rows of the snapshot (did you mean 'properties.networkAcls'?)",
        f"{rule}:6:11: W504: all() over an empty set is true, so this passes when nothing is there; use nonempty(..., \"what\") to make absence not_evaluated, or require count(...) > 0 first",
        f"{rule}:7:11: W505: this condition is constant, so the requirement can never fail (or never pass)",
    ]
    assert main(["check", str(rule), "--snapshot", ESTATE[0], "--strict"]) == 2


def test_coverage_names_clauses_never_false(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new-rule", "CUSTOM-ST-02"]) == 0
    cases = tmp_path / "rules/custom/fixtures/CUSTOM-ST-02/cases.yaml"
    text = cases.read_text()
    cases.write_text(text[: text.index("  - name: a resource in another state fails")])  # keep only the passing case
    capsys.readouterr()
    assert main(["test", "rules/custom", "--coverage"]) == 0
    out = capsys.readouterr().out
    assert "CUSTOM-ST-02  rules/custom/custom.argus:9:3  require storageaccount.properties.provisioningState == \"Succeeded\"  never false" in out


OWN_RULE = '''param migration_subscription: string
let storage = resources where type == "microsoft.storage/storageaccounts"
rule ST-01 "No shared-key access on migration storage" {
  severity high
  for sa in storage where subscriptionId =~ migration_subscriptoin
  require default(sa.properties.allowSharedKeyAccess, true) == false
}
'''


def test_misspelled_parameter_used_as_a_bare_name_suggests_the_parameter(tmp_path, capsys):
    rule = tmp_path / "own.argus"
    rule.write_text(OWN_RULE)
    assert main(["check", str(rule)]) == 2
    err = capsys.readouterr().err
    assert f"{rule}:5:45: E206: unknown column 'migration_subscriptoin' for table resources (did you mean 'migration_subscription'?)" in err


def test_own_rules_without_policy_are_not_filtered_by_the_default_policy(tmp_path, capsys):
    rule = tmp_path / "own.argus"
    rule.write_text(OWN_RULE.replace("migration_subscriptoin", "migration_subscription"))
    code = main(["scan", "--rules", str(rule), "--format", "json", "--param",
                 "migration_subscription=a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74"] + _snapshots())
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["run"]["policy"] is None
    assert sorted((f["rule_id"], f["status"], f["subject"]["name"]) for f in doc["findings"]) == [
        ("ST-01", "fail", "gwsa4f8e2b1c9d"), ("ST-01", "fail", "lsa4f8e2b1c9d"), ("ST-01", "fail", "lsa7c1d0e93ab")]
