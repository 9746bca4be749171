"""Terminal text output: grouping, marks, summary, and when colour is used."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from argus import baseline, textout, waivers
from reportdata import REPORTS, SUB, report


def annotated() -> dict:
    doc = report()
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    waivers.apply(doc, waivers.load([
        {"rule": "ARGUS-DNS-002", "subject": "*", "owner": "netops", "justification": "planned",
         "expires": "2026-12-31"},
        {"rule": "ARGUS-PE-001", "subject": "*/lsacontoso99", "owner": "storage", "justification": "gone",
         "expires": "2027-01-31"},
        {"rule": "ARGUS-VAULT-006", "subject": "*", "owner": "backup", "justification": "pending",
         "expires": "2026-11-26"},
    ], source="waivers.yaml"), today=dt.date(2026, 11, 27), known_rule_ids={r["id"] for r in doc["rules"]})
    return doc


def test_rules_grouped_most_severe_first_with_one_line_per_finding():
    lines = textout.render(report(), color=False).splitlines()
    rule_lines = [line for line in lines if line.startswith("ARGUS-")]
    assert rule_lines == [
        "ARGUS-ER-003  critical  ExpressRoute circuit is provisioned by the connectivity provider  (2 passed)",
        "ARGUS-APP-004  high  Appliance proxy bypass list covers the replication storage host",
        "ARGUS-PE-001  high  Replication storage account accepts traffic only through its private endpoint  (1 passed)",
        "ARGUS-DNS-002  medium  privatelink.blob DNS zone is linked to the hub virtual network",
        "ARGUS-GW-007  medium  Hub has an ExpressRoute gateway connection",
        "ARGUS-RF-005  low  Microsoft peering carries a route filter",
        "ARGUS-VAULT-006  info  Recovery Services vault refuses public network access",
    ]
    start = lines.index(rule_lines[2])
    assert lines[start + 1:start + 3] == [
        "  FAIL          lsacontoso01  publicNetworkAccess is 'Enabled', expected 'Disabled'  "
        f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso01",
        "  FAIL          lsacontoso03  publicNetworkAccess is 'Enabled', expected 'Disabled'  "
        f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso03",
    ]
    assert "  NOT EVALUATED (rule)  the snapshot has no microsoft.network/connections rows" in lines


def test_skipped_findings_are_counted_not_listed():
    lines = textout.render(report("scan-2026-11-20.json"), color=False).splitlines()
    assert "ARGUS-RF-005  low  Microsoft peering carries a route filter  (1 skipped)" in lines
    assert not any("circuit is not provisioned by the provider" in line for line in lines)


def test_header_and_diagnostics():
    lines = textout.render(report(), color=False).splitlines()
    assert lines[:2] == [
        "argus 0.1.0 · policy contoso-migration · tests/data/reports/snapshots/contoso-2026-11-27.json, "
        "collected 2026-11-27T09:00:00Z · scanned 2026-11-27T09:30:00Z",
        "rules/expressroute.argus:24:5: warning: W201 path properties.peerings[*].properties.routeFilter matches no "
        "row in the snapshot",
    ]


def test_baseline_and_waiver_marks_and_sections():
    text = textout.render(annotated(), color=False)
    lines = text.splitlines()
    assert ("  FAIL          lsacontoso03  publicNetworkAccess is 'Enabled', expected 'Disabled' [new]  "
            f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso03") in lines
    assert any(line.startswith("  FAIL          contoso-mig-app01  bypass list") and "[updated]" in line for line in lines)
    assert any(line.startswith("  FAIL          privatelink.blob.core.windows.net ")
               and "[waived until 2026-12-31 by netops]" in line for line in lines)
    tail = lines[lines.index("Waivers"):]
    assert tail == [
        "Waivers",
        "  UNUSED waiver for ARGUS-PE-001 */lsacontoso99 from waivers.yaml (waiver 2) matched no fail or warn finding",
        "  EXPIRED waiver for ARGUS-VAULT-006 * from waivers.yaml (waiver 3) expired on 2026-11-26: 1 finding no longer waived",
        "",
        "Gone since the baseline",
        "  ABSENT        ARGUS-ER-003 er-contoso-fra  (was fail: serviceProviderProvisioningState is 'NotProvisioned', "
        "expected 'Provisioned')",
        "",
        "12 findings: 5 fail, 1 warn, 1 error, 2 not evaluated, 3 pass",
        "1 waived (not counted for --fail-on)",
        "since baseline: 2 new, 1 updated, 6 unchanged, 1 absent",
    ]


def test_summary_without_extras():
    lines = textout.render(report("scan-2026-11-20.json"), color=False).splitlines()
    assert lines[-1] == "11 findings: 4 fail, 1 warn, 1 error, 2 not evaluated, 1 skip, 2 pass"
    assert "Waivers" not in lines and "Gone since the baseline" not in lines


def test_colour_only_when_asked():
    plain = textout.render(report(), color=False)
    coloured = textout.render(report(), color=True)
    assert "\x1b[" not in plain
    assert "\x1b[1;31mFAIL         \x1b[0m lsacontoso01" in coloured
    assert "\x1b[1mARGUS-ER-003\x1b[0m  \x1b[1;31mcritical\x1b[0m" in coloured
    assert coloured.replace("\x1b[0m", "").count("\x1b[") == coloured.count("\x1b[0m")


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty,env,expected", [
    (True, {}, True),
    (False, {}, False),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value disables colour
    (True, {"TERM": "dumb"}, False),
])
def test_want_color(monkeypatch, tty, env, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert textout.want_color(FakeStream(tty)) is expected


def test_want_color_without_isatty(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert textout.want_color(object()) is False


@pytest.mark.parametrize("keep,summary", [
    (1, "1 finding: 1 fail"),
    (0, "0 findings: none"),
    (2, "2 findings: 1 fail, 1 pass"),
])
def test_summary_counts_in_singular_and_plural(keep, summary):
    doc = report()
    doc["findings"] = doc["findings"][:keep]
    doc["summary"] = {"total": keep, "by_status": {s: sum(f["status"] == s for f in doc["findings"])
                                                   for s in ("pass", "fail", "warn", "skip", "not_evaluated", "error")},
                      "by_severity": {}}
    assert textout.render(doc, color=False).splitlines()[-1] == summary


def test_updated_finding_says_what_it_was():
    doc = report()
    doc["findings"][10]["status"] = "fail"  # the vault was warn in the baseline
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    lines = textout.render(doc, color=False).splitlines()
    assert ("  FAIL          rsv-contoso-migrate  publicNetworkAccess is 'Enabled' [updated, was warn]  "
            f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.RecoveryServices/vaults/rsv-contoso-migrate") in lines
    assert any(line.startswith("  FAIL          contoso-mig-app01  bypass list") and line.count("[updated]") == 1
               for line in lines)  # same status, new message: no "was"


@pytest.mark.parametrize("status,message,said", [
    ("not_evaluated", "not evaluated: no row has properties.dns", "not evaluated: no row has properties.dns"),
    ("not_evaluated", "no DNS answer recorded", "not evaluated: no DNS answer recorded"),
    ("error", "error in `x > 1`: boom", "error in `x > 1`: boom"),
    ("fail", "Microsoft peering has no route filter", "fail: Microsoft peering has no route filter"),
])
def test_absent_lines_say_the_status_once(status, message, said):
    doc = report()
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    doc["absent"][0].update(status=status, message=message)
    lines = textout.render(doc, color=False).splitlines()
    assert f"  ABSENT        ARGUS-ER-003 er-contoso-fra  (was {said})" in lines
