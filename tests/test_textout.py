"""Terminal text output: grouping, marks, summary, and when colour is used."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from argus.state import baseline
from argus.reports import present, textout
from argus.policy import waivers
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


def test_rules_with_problems_first_most_severe_first_and_passing_rules_on_one_line():
    lines = textout.render(report(), color=False).splitlines()
    rule_lines = [line for line in lines if line.startswith("ARGUS-")]
    assert rule_lines == [
        "ARGUS-APP-004  high  Appliance proxy bypass list covers the replication storage host",
        "ARGUS-PE-001  high  Replication storage account accepts traffic only through its private endpoint",
        "ARGUS-DNS-002  medium  privatelink.blob DNS zone is linked to the hub virtual network",
        "ARGUS-GW-007  medium  Hub has an ExpressRoute gateway connection",
        "ARGUS-RF-005  low  Microsoft peering carries a route filter",
        "ARGUS-VAULT-006  info  Recovery Services vault refuses public network access",
    ]
    start = lines.index(rule_lines[1])
    assert lines[start + 1:start + 9] == [
        "  (1 passed)",
        "  FAIL  lsacontoso01  rg/rg-migrate-weu · storageAccounts/lsacontoso01",
        "        publicNetworkAccess is 'Enabled', expected 'Disabled'",
        "  FAIL  lsacontoso03  rg/rg-migrate-weu · storageAccounts/lsacontoso03",
        "        publicNetworkAccess is 'Enabled', expected 'Disabled'",
        "  Fix   Set publicNetworkAccess to Disabled on the storage account and keep the private endpoint",
        "        approved.",
        "  Help  https://learn.microsoft.com/azure/migrate/replicate-using-expressroute",
    ]
    assert "  NOT EVALUATED  (rule)" in lines
    assert "1 rule passed: ARGUS-ER-003 (--verbose shows them)" in lines
    assert max(len(line) for line in lines if "https://" not in line and ": warning: " not in line) <= 100


def test_verbose_shows_every_rule_and_finding_with_the_full_id_unbroken():
    lines = textout.render(report(), color=False, width=60, verbose=True).splitlines()
    assert "ARGUS-ER-003  critical  ExpressRoute circuit is" in lines
    full = f"        {SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso01"
    assert full in lines  # longer than the width, on its own line, whole
    assert not any("passed: " in line for line in lines)
    passes = [line for line in lines if line.startswith("  PASS")]
    assert len(passes) == 3


def test_skipped_findings_are_counted_not_listed():
    lines = textout.render(report("scan-2026-11-20.json"), color=False, width=160).splitlines()
    assert "ARGUS-RF-005  low  Microsoft peering carries a route filter  (1 skipped)" in lines
    assert not any("circuit is not provisioned by the provider" in line for line in lines)


def test_header_and_diagnostics():
    lines = textout.render(report(), color=False, width=200).splitlines()
    assert lines[:2] == [
        "argus 0.1.0 · policy contoso-migration · tests/data/reports/snapshots/contoso-2026-11-27.json, "
        "collected 2026-11-27T09:00:00Z · scanned 2026-11-27T09:30:00Z",
        "rules/expressroute.argus:24:5: warning: W201 path properties.peerings[*].properties.routeFilter matches no "
        "row in the snapshot",
    ]


def test_selection_line_only_when_the_rules_were_narrowed():
    doc = report()
    doc["run"]["selection"] = {"rules": [], "skip_rules": [], "severities": [], "selected": 7, "available": 7}
    assert "selected" not in textout.render(doc, color=False).splitlines()[1]
    doc["run"]["selection"] = {"rules": ["ARGUS-*"], "skip_rules": ["argus-er-003"], "severities": ["high", "low"],
                               "selected": 3, "available": 7}
    assert textout.render(doc, color=False, width=160).splitlines()[1] == (
        "selected 3 of 7 rules: --rule ARGUS-* · --skip-rule argus-er-003 · --severity high, low")


def test_baseline_and_waiver_marks_and_sections():
    text = textout.render(annotated(), color=False, width=160)
    lines = text.splitlines()
    assert "  FAIL  lsacontoso03  rg/rg-migrate-weu · storageAccounts/lsacontoso03 [new]" in lines
    assert "  FAIL           contoso-mig-app01  appliance/contoso-mig-app01 [updated]" in lines
    assert ("  FAIL  privatelink.blob.core.windows.net  rg/rg-hub-weu · privateDnsZones/privatelink.blob.core.windows.net "
            "[waived until 2026-12-31 by netops]") in lines
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
    assert present.summary_line(report("scan-2026-11-20.json")) == lines[-1]
    assert "Waivers" not in lines and "Gone since the baseline" not in lines


def test_colour_only_when_asked_and_critical_reads_most_severe():
    plain = textout.render(report(), color=False)
    coloured = textout.render(report(), color="standard")
    assert "\x1b[" not in plain
    assert "\x1b[1;31m  FAIL  \x1b[0mlsacontoso01\x1b[2m  rg/rg-migrate-weu · storageAccounts/lsacontoso01\x1b[0m" in coloured
    assert "\x1b[1mARGUS-APP-004\x1b[0m  \x1b[1;31mhigh\x1b[0m" in coloured
    assert textout.STYLE["critical"] == "bold reverse red" and textout.STYLE["high"] == "bold red"
    assert "\x1b[" not in textout.render(report(), color=None)
    no_color = textout.render(report(), color="standard", no_color=True)  # NO_COLOR: bold stays, colours go
    assert "\x1b[1mARGUS-APP-004\x1b[0m" in no_color and "\x1b[31m" not in no_color and "1;31" not in no_color


@pytest.mark.parametrize("resource_id,short", [
    (f"{SUB}/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/sa1", "rg/rg-a · storageAccounts/sa1"),
    (f"{SUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1",
     "rg/rg-a · virtualNetworks/v1/subnets/s1"),
    (f"{SUB}/resourceGroups/rg-a", "sub/0b1f6471 · rg/rg-a"),
    (f"{SUB}/providers/Microsoft.Security/pricings/VirtualMachines", "sub/0b1f6471 · pricings/VirtualMachines"),
    (SUB, "sub/0b1f6471"),
    ("appliance/contoso-mig-app01", "appliance/contoso-mig-app01"),
])
def test_short_locator(resource_id, short):
    assert present.short_locator(resource_id) == short


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty,env,color,no_color", [
    (True, {}, "256", False),
    (False, {}, None, False),
    (True, {"NO_COLOR": "1"}, "256", True),  # rich: styles stay, colours go
    (True, {"NO_COLOR": ""}, "256", False),  # no-color.org: only a non-empty value disables colour
    (True, {"TERM": "dumb"}, None, False),
    (False, {"FORCE_COLOR": "1"}, "256", False),  # force-color.org
    (False, {"TTY_COMPATIBLE": "1"}, "256", False),
])
def test_terminal_follows_rich_conventions(monkeypatch, tty, env, color, no_color):
    for key in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLORTERM", "COLUMNS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    looks = textout.terminal(FakeStream(tty))
    assert (looks["color"], looks["no_color"]) == (color, no_color)


@pytest.mark.parametrize("tty,columns,width", [(False, None, 100), (False, "72", 72), (True, "132", 132)])
def test_terminal_width(monkeypatch, tty, columns, width):
    monkeypatch.delenv("COLUMNS", raising=False)
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    assert textout.terminal(FakeStream(tty))["width"] == width


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
    lines = textout.render(doc, color=False, width=160).splitlines()
    assert "  FAIL  rsv-contoso-migrate  rg/rg-migrate-weu · vaults/rsv-contoso-migrate [updated, was warn]" in lines
    assert "  FAIL           contoso-mig-app01  appliance/contoso-mig-app01 [updated]" in lines  # same status: no "was"


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
    lines = textout.render(doc, color=False, width=200).splitlines()
    assert f"  ABSENT        ARGUS-ER-003 er-contoso-fra  (was {said})" in lines
