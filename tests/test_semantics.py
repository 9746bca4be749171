"""Evaluation semantics, table-driven: rule text + snapshot -> exact findings.

The tables live in tests/cases/semantics/*.yaml (outcomes, missing data, case folding). Below them, the
fields every finding carries: subject, evidence, related ids, rule location and source row.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = Path(__file__).resolve().parent / "cases" / "semantics"


def _cases() -> list:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


@pytest.mark.parametrize("case", _cases())
def test_case(case, run_rules):
    findings = run_rules(case["rules"], case["snapshot"], case.get("params"))
    got = [{"rule": f["rule_id"], "status": f["status"], "subject": f["subject"]["id"], "message": f["message"]}
           for f in findings]
    assert got == case["expect"]


SA = "/subscriptions/s1/resourceGroups/rg-migrate/providers/Microsoft.Storage/storageAccounts/lsa01"
PE = "/subscriptions/s1/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/pe-lsa01-blob"
NIC = "/subscriptions/s1/resourceGroups/rg-net/providers/Microsoft.Network/networkInterfaces/pe-lsa01-blob.nic"

ESTATE = {
    "resources": [
        {"id": SA, "name": "lsa01", "type": "Microsoft.Storage/storageAccounts", "kind": "Storage",
         "location": "westeurope", "properties": {"minimumTlsVersion": "TLS1_2"}},
        {"id": PE, "name": "pe-lsa01-blob", "type": "Microsoft.Network/privateEndpoints", "location": "westeurope",
         "properties": {"privateLinkServiceConnections": [{"properties": {
             "privateLinkServiceId": SA.upper(), "groupIds": ["blob"]}}],
             "networkInterfaces": [{"id": NIC.lower()}]}},
        {"id": NIC, "name": "pe-lsa01-blob.nic", "type": "Microsoft.Network/networkInterfaces", "properties": {}},
    ],
}

RULES = '''\
# a comment line before the rules
let accounts = resources where type == "microsoft.storage/storageaccounts"
let endpoints = resources where type == "microsoft.network/privateendpoints"

rule EV-1 "Account is v2 and has HTTPS only" {
  severity high
  description "Both settings are needed."
  tags "storage", "tls"
  for a in accounts
  require a.kind == "StorageV2" else "{a.name} is {a.kind}"
  require a.properties.supportsHttpsTrafficOnly == true
}

rule EV-2 "Endpoints and their NICs" {
  severity medium
  for a in accounts
  let pes = endpoints where properties.privateLinkServiceConnections[*].properties.privateLinkServiceId =~ a.id
  let nics = resources where id =~ pes[*].properties.networkInterfaces[*].id
  require count(nics) == 0 else "{a.name} is reached through {nics[*].name}"
}
'''


@pytest.fixture
def findings(run_rules):
    return run_rules(RULES, ESTATE)


def test_a_finding_carries_rule_subject_and_location(findings):
    first = findings[0]
    assert {k: first[k] for k in ("rule_id", "title", "severity", "status", "message")} == {
        "rule_id": "EV-1", "title": "Account is v2 and has HTTPS only", "severity": "high", "status": "fail",
        "message": "lsa01 is Storage"}
    assert first["subject"] == {"id": SA, "name": "lsa01", "type": "microsoft.storage/storageaccounts"}
    assert first["rule_location"] == {"file": "rules.argus", "line": 5}
    assert findings[1]["rule_location"] == {"file": "rules.argus", "line": 14}
    assert first["source"] == {"file": "snapshot.json", "index": 0, "table": "resources"}


def test_evidence_names_path_actual_and_expected(findings):
    # the fail stops at the first failing require; the later one was never read
    assert findings[0]["evidence"] == [
        {"resource": SA, "path": "kind", "actual": "Storage", "expected": '== "StorageV2"'}]


def test_evidence_of_missing_data_says_the_value_is_missing(run_rules):
    rules = RULES.replace('a.kind == "StorageV2"', 'a.kind =~ "storage"')
    first = run_rules(rules, ESTATE)[0]
    assert first["status"] == "not_evaluated"
    assert first["evidence"] == [
        {"resource": SA, "path": "kind", "actual": "Storage", "expected": '=~ "storage"'},
        {"resource": SA, "path": "properties.supportsHttpsTrafficOnly", "actual": None,
         "expected": "== true (value missing)"}]


def test_related_ids_follow_the_join_chain(findings):
    second = findings[1]
    assert (second["rule_id"], second["status"], second["message"]) == (
        "EV-2", "fail", "lsa01 is reached through pe-lsa01-blob.nic")
    assert second["related"] == [PE, NIC]


def test_pass_carries_no_related_ids_when_lets_hold_none(run_rules):
    estate = {"resources": [dict(ESTATE["resources"][0], kind="StorageV2",
                                 properties={"supportsHttpsTrafficOnly": True})]}
    found = run_rules(RULES, estate)
    assert [(f["rule_id"], f["status"], f["related"]) for f in found] == [("EV-1", "pass", []), ("EV-2", "pass", [])]


def test_findings_do_not_modify_snapshot_rows(run_rules):
    estate = {"resources": [dict(r) for r in ESTATE["resources"]]}
    before = repr(estate)
    run_rules(RULES, estate)
    # only `type` is lower-cased, on a copy; the caller's rows are as they were
    assert repr(estate) == before
