"""Regressions of the Azure Migrate rule pack that a fixture case cannot pin (issue 11, "never a silent pass").

A fixture case can remove rows but not a whole table, and it runs one rule on the fixture estates; these run
`argus scan` on the bundled example estate and on snapshots without a `dnsresources` table, and compare exact
statuses, subjects and messages.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from argus.commands import cli

ROOT = Path(__file__).resolve().parents[1]
ESTATE = ROOT / "examples" / "estate"
FACTS = ROOT / "examples" / "appliance" / "contoso-mig-app01.facts.json"
HUB = ROOT / "rules" / "azure-migrate" / "fixtures" / "_base" / "hub" / "arg.json"

EXAMPLE_PE = ("/subscriptions/a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74/resourceGroups/RG-Migrate/providers/"
              "Microsoft.Network/privateEndpoints/pe-lsa4f8e2b1c9d-blob")
EXAMPLE_A_RECORD = ("/subscriptions/0c4f2a7e-31b8-4d95-a6e2-8f1b7c3d5e90/resourceGroups/rg-dns/providers/"
                    "Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net/A/lsa4f8e2b1c9d")
HUB_PE = ("/subscriptions/c7e2a1f4-5b38-4d96-8e0a-3f1b6d9c2e75/resourceGroups/RG-Northwind-Migrate/providers/"
          "Microsoft.Network/privateEndpoints/pe-lsa8d4f2a6e1b0c-blob")
ZONE_GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"


@pytest.fixture
def scan(monkeypatch, tmp_path):
    """scan(*snapshots) -> the report's findings as (rule, status, subject id, message), in report order."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    for key in [k for k in os.environ if k.startswith("ARGUS_")]:
        monkeypatch.delenv(key)
    runs = iter(range(1000))

    def run(*snapshots) -> list[tuple]:
        out = tmp_path / f"report-{next(runs)}.json"
        argv = ["scan", "--format", "json", "--output", str(out)]
        for snapshot in snapshots:
            argv += ["--snapshot", str(snapshot)]
        assert cli.main(argv) in (0, 1)
        report = json.loads(out.read_text(encoding="utf-8"))
        return [(f["rule_id"], f["status"], (f["subject"] or {}).get("id", ""), f["message"])
                for f in report["findings"]]
    return run


def _pp08(findings: list[tuple]) -> list[tuple]:
    return [f for f in findings if f[0] == "AMX-PP-08"]


def test_pp08_example_estate_without_its_a_record_fails_despite_the_zone_group(scan, tmp_path):
    """Issue 11 item 3, as reported: the example estate with the cache account's A record deleted from the zone,
    `dnsresources` collected (the zone's SOA row is still there) and the zone group still bound. The record
    decides: AMX-PP-08 fails, and it is the only finding that changes."""
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate)
    rows = (ESTATE / "dnsresources.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [line for line in rows if json.loads(line)["id"] != EXAMPLE_A_RECORD]
    assert len(kept) == len(rows) - 1 and kept  # the A record went, the SOA row stayed
    (estate / "dnsresources.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")

    before = scan(ESTATE, FACTS)
    after = scan(estate, FACTS)
    assert _pp08(before) == [("AMX-PP-08", "pass", EXAMPLE_PE,
                              "The private DNS zone resolves the cache account to the private endpoint's IP: satisfied")]
    assert _pp08(after) == [("AMX-PP-08", "fail", EXAMPLE_PE,
                             "no A record lsa4f8e2b1c9d in privatelink.blob.core.windows.net, whose records are in "
                             "the snapshot; DNS zone group default on pe-lsa4f8e2b1c9d-blob does not stand in for it: "
                             "lsa4f8e2b1c9d.blob.core.windows.net will not resolve to 10.20.1.5")]
    assert [f for f in before if f[0] != "AMX-PP-08"] == [f for f in after if f[0] != "AMX-PP-08"]


def _hub_without_dnsresources(tmp_path: Path, record_sets=None) -> Path:
    """The hub fixture estate as a snapshot with no dnsresources table at all (not collected); record_sets, when
    given, replaces the record sets its DNS zone group lists."""
    doc = json.loads(HUB.read_text(encoding="utf-8"))
    del doc["dnsresources"]
    if record_sets is not None:
        (group,) = [r for r in doc["resources"] if r["type"] == ZONE_GROUP_TYPE]
        (config,) = group["properties"]["privateDnsZoneConfigs"]
        config["properties"]["recordSets"] = record_sets
    path = tmp_path / f"hub-no-dns-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_pp08_without_dnsresources_the_zone_group_counts_through_its_record_set(scan, tmp_path):
    """The zone's records were not collected: the zone group's record set for the account, holding the endpoint's
    IP, is what there is to go on."""
    assert _pp08(scan(_hub_without_dnsresources(tmp_path))) == [
        ("AMX-PP-08", "pass", HUB_PE,
         "The private DNS zone resolves the cache account to the private endpoint's IP: satisfied")]


def test_pp08_without_dnsresources_and_without_a_zone_group_is_not_evaluated(scan, tmp_path):
    doc = json.loads(_hub_without_dnsresources(tmp_path).read_text(encoding="utf-8"))
    doc["resources"] = [r for r in doc["resources"] if r["type"] != ZONE_GROUP_TYPE]
    snapshot = tmp_path / "hub-no-dns-no-group.json"
    snapshot.write_text(json.dumps(doc), encoding="utf-8")
    assert _pp08(scan(snapshot)) == [
        ("AMX-PP-08", "not_evaluated", HUB_PE, "not evaluated: table 'dnsresources' is not in the snapshot")]


def test_pp08_without_dnsresources_a_zone_group_without_the_record_set_is_not_evaluated(scan, tmp_path):
    """Bound to the zone but listing no record set for the account: being bound is not enough (issue 11 item 3)."""
    snapshot = _hub_without_dnsresources(tmp_path, record_sets=[])
    assert _pp08(scan(snapshot)) == [
        ("AMX-PP-08", "not_evaluated", HUB_PE, "not evaluated: table 'dnsresources' is not in the snapshot")]


def test_pp08_without_dnsresources_a_zone_group_record_set_with_another_ip_fails(scan, tmp_path):
    snapshot = _hub_without_dnsresources(tmp_path, record_sets=[{
        "fqdn": "lsa8d4f2a6e1b0c.privatelink.blob.core.windows.net", "ipAddresses": ["10.60.1.9"],
        "provisioningState": "Succeeded", "recordSetName": "lsa8d4f2a6e1b0c", "recordType": "A", "ttl": 10}])
    assert _pp08(scan(snapshot)) == [
        ("AMX-PP-08", "fail", HUB_PE,
         "DNS zone group default on pe-lsa8d4f2a6e1b0c-blob lists A record "
         "lsa8d4f2a6e1b0c.privatelink.blob.core.windows.net -> 10.60.1.9, not the private endpoint's IP 10.60.1.4")]
