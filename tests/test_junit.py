"""JUnit export, read back with junitparser as a CI test tab would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from argus.reports import junit
from argus.policy import waivers
from reportdata import report


def parse(doc: dict, tmp_path: Path) -> JUnitXml:
    path = tmp_path / "argus.xml"
    path.write_text(junit.render(doc), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def outcome(case) -> tuple[str, str | None, str | None]:
    if not case.result:
        return "passed", None, None
    (result,) = case.result
    return type(result).__name__, result.type, result.message


def test_suites_per_rule_with_counts(tmp_path):
    xml = parse(report(), tmp_path)
    got = [(s.name, s.tests, s.failures, s.errors, s.skipped) for s in xml]
    # most severe rule first; each suite counts its own cases
    assert got == [("ARGUS-ER-003", 2, 0, 0, 0), ("ARGUS-APP-004", 2, 1, 1, 0), ("ARGUS-PE-001", 3, 2, 0, 0),
                   ("ARGUS-DNS-002", 1, 1, 0, 0), ("ARGUS-GW-007", 1, 0, 1, 0), ("ARGUS-RF-005", 2, 1, 1, 0),
                   ("ARGUS-VAULT-006", 1, 1, 0, 0)]
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (12, 6, 3, 0)
    assert xml.time == 2.21


@pytest.mark.parametrize("suite,case_name,expected", [
    ("ARGUS-PE-001", "lsacontoso01 (/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/rg-migrate-weu/"
     "providers/Microsoft.Storage/storageAccounts/lsacontoso01)",
     ("Failure", "fail", "publicNetworkAccess is 'Enabled', expected 'Disabled'")),
    ("ARGUS-PE-001", "lsacontoso02 (/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/rg-migrate-weu/"
     "providers/Microsoft.Storage/storageAccounts/lsacontoso02)", ("passed", None, None)),
    ("ARGUS-APP-004", "contoso-mig-app02 (appliance/contoso-mig-app02)",
     ("Error", "not_evaluated", "no DNS answer recorded for lsacontoso01.blob.core.windows.net")),
    ("ARGUS-RF-005", "er-contoso-ams (/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/rg-hub-weu/"
     "providers/Microsoft.Network/expressRouteCircuits/er-contoso-ams)",
     ("Error", "error", "cannot compare list with string at properties.peerings[*].properties.routeFilter.id")),
    ("ARGUS-VAULT-006", "rsv-contoso-migrate (/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/"
     "rg-migrate-weu/providers/Microsoft.RecoveryServices/vaults/rsv-contoso-migrate)",
     ("Failure", "warn", "publicNetworkAccess is 'Enabled'")),
    ("ARGUS-GW-007", "ARGUS-GW-007", ("Error", "not_evaluated", "the snapshot has no microsoft.network/connections rows")),
])
def test_case_outcomes(tmp_path, suite, case_name, expected):
    xml = parse(report(), tmp_path)
    cases = {case.name: case for s in xml if s.name == suite for case in s}
    assert outcome(cases[case_name]) == expected
    assert cases[case_name].classname == suite


def test_failure_text_carries_evidence_and_remediation(tmp_path):
    xml = parse(report(), tmp_path)
    case = next(c for s in xml if s.name == "ARGUS-APP-004" for c in s if c.name.startswith("contoso-mig-app01"))
    assert case.result[0].text.splitlines() == [
        "high fail: bypass list does not cover lsacontoso01.blob.core.windows.net (entries: <local>, *.queue.core.windows.net)",
        "subject: appliance/contoso-mig-app01",
        'evidence: appliance/contoso-mig-app01 proxy.bypass[*].entry = ["<local>", "*.queue.core.windows.net"] '
        "(expected an entry matching lsacontoso01.blob.core.windows.net)",
        "related: /subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/rg-migrate-weu/providers/"
        "Microsoft.Network/privateEndpoints/pe-lsacontoso01-blob",
        "related: /subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/rg-migrate-weu/providers/"
        "Microsoft.Storage/storageAccounts/lsacontoso01",
        "remediation: Add the storage account blob host to the appliance proxy bypass list."]


def test_waived_finding_is_skipped_with_the_waiver(tmp_path):
    doc = report()
    waivers.apply(doc, waivers.load([{"rule": "ARGUS-DNS-002", "subject": "*", "owner": "netops",
                                      "justification": "hub link planned", "ticket": "CHG-4711",
                                      "expires": "2026-12-31"}], source="policies.yaml"),
                  today=dt.date(2026, 11, 27), known_rule_ids={r["id"] for r in doc["rules"]})
    xml = parse(doc, tmp_path)
    (case,) = [c for s in xml if s.name == "ARGUS-DNS-002" for c in s]
    assert outcome(case) == ("Skipped", None,
                             "waived (fail) until 2026-12-31 by netops: hub link planned [CHG-4711]")
    assert (xml.failures, xml.skipped) == (5, 1)


def test_skip_status_is_skipped_and_control_characters_are_dropped(tmp_path):
    doc = report("scan-2026-11-20.json")
    doc["findings"][0]["message"] = "bad\x00byte\x1b[31m and tab\tkept"
    xml = parse(doc, tmp_path)
    skipped = [c for s in xml for c in s if c.result and isinstance(c.result[0], Skipped)]
    assert [outcome(c) for c in skipped] == [("Skipped", None, "circuit is not provisioned by the provider: no peering to check")]
    failing = [c for s in xml if s.name == "ARGUS-PE-001" for c in s if c.result]
    assert failing[0].result[0].message == "badbyte[31m and tab\tkept"
    assert isinstance(failing[0].result[0], Failure)
    assert not any(isinstance(c.result[0], Error) for c in skipped)


def test_rule_without_findings_is_an_empty_suite(tmp_path):
    doc = report()
    doc["findings"] = [f for f in doc["findings"] if f["rule_id"] != "ARGUS-GW-007"]
    suites = {s.name: s for s in parse(doc, tmp_path)}
    assert suites["ARGUS-GW-007"].tests == 0
