"""Markdown summary for pull request comments and job summaries."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from argus.state import baseline
from argus.reports import markdown
from argus.policy import waivers
from reportdata import REPORTS, SUB, report


def annotated() -> dict:
    doc = report()
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    waivers.apply(doc, waivers.load([
        {"rule": "ARGUS-DNS-002", "subject": "*/privateDnsZones/*", "owner": "@contoso/netops",
         "justification": "hub link planned for January", "ticket": "CHG-4711", "expires": "2026-12-31"},
        {"rule": "ARGUS-PE-001", "subject": "*/lsacontoso99", "owner": "storage team",
         "justification": "decommissioned", "expires": "2027-03-31"},
        {"rule": "ARGUS-VAULT-006", "subject": "*", "owner": "backup team",
         "justification": "private endpoint pending", "expires": "2026-11-26"},
    ], source="waivers.yaml"), today=dt.date(2026, 11, 27), known_rule_ids={r["id"] for r in doc["rules"]})
    return doc


def section(text: str, title: str) -> str:
    start = text.index(f"### {title}\n")
    end = text.find("\n### ", start + 1)
    return text[start:end if end > 0 else None]


def test_heading_and_counts():
    text = markdown.render(annotated())
    assert text.startswith(
        "## argus: contoso-migration\n\n"
        "**5 fail · 1 warn · 1 error · 2 not evaluated · 3 pass** (1 waived) — 12 findings from 7 rules  \n"
        "Snapshot `tests/data/reports/snapshots/contoso-2026-11-27.json` collected 2026-11-27T09:00:00Z · "
        "scanned 2026-11-27T09:30:00Z · argus 0.1.0  \n"
        f"Since the baseline `{REPORTS / 'scan-2026-11-20.json'}` (2026-11-20T09:30:00Z): "
        "2 new · 1 updated · 6 unchanged · 1 absent\n\n")
    assert ("| Severity | fail | warn | error | not evaluated | skip | pass |\n"
            "|---|---:|---:|---:|---:|---:|---:|\n"
            "| critical | 0 | 0 | 0 | 0 | 0 | 2 |\n"
            "| high | 3 | 0 | 0 | 1 | 0 | 1 |\n"
            "| medium | 1 | 0 | 0 | 1 | 0 | 0 |\n"
            "| low | 1 | 0 | 1 | 0 | 0 | 0 |\n"
            "| info | 0 | 1 | 0 | 0 | 0 | 0 |\n"
            "| **total** | **5** | **1** | **1** | **2** | **0** | **3** |\n") in text


def test_findings_to_act_on_grouped_by_rule_with_remediation_and_links():
    part = section(markdown.render(annotated()), "Findings to act on")
    headings = [line for line in part.splitlines() if line.startswith("#### ")]
    assert headings == [
        "#### [ARGUS-APP-004](https://learn.microsoft.com/azure/migrate/migrate-appliance) · high · "
        "Appliance proxy bypass list covers the replication storage host",
        "#### [ARGUS-PE-001](https://learn.microsoft.com/azure/migrate/replicate-using-expressroute) · high · "
        "Replication storage account accepts traffic only through its private endpoint",
        "#### [ARGUS-GW-007](https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-portal-resource-manager)"
        " · medium · Hub has an ExpressRoute gateway connection",
        "#### [ARGUS-RF-005](https://learn.microsoft.com/azure/expressroute/how-to-routefilter-portal) · low · "
        "Microsoft peering carries a route filter",
        "#### ARGUS-VAULT-006 · info · Recovery Services vault refuses public network access",
    ]
    assert "**Remediation:** Set publicNetworkAccess to Disabled on the storage account" in part
    assert "Rule: `rules/vault.argus:1`" in part  # no documentation link: point at the rule itself
    assert ("| fail (new) | **lsacontoso03**<br>"
            f"`{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso03` | "
            "publicNetworkAccess is 'Enabled', expected 'Disabled' |") in part
    assert "| not evaluated | (rule) | the snapshot has no microsoft.network/connections rows |" in part
    assert "privatelink.blob" not in part  # waived: listed under Waived instead


def test_markup_in_messages_is_escaped():
    part = section(markdown.render(annotated()), "Findings to act on")
    assert ("| fail (updated) | **contoso-mig-app01**<br>`appliance/contoso-mig-app01` | bypass list does not cover "
            "lsacontoso01.blob.core.windows.net (entries: &lt;local&gt;, \\*.queue.core.windows.net) |") in part
    assert "cannot compare list with string at properties.peerings\\[\\*\\].properties.routeFilter.id" in part


@pytest.mark.parametrize("raw,escaped", [
    ("a|b", "a\\|b"), ("<script>", "&lt;script&gt;"), ("@octocat", "&#64;octocat"), ("_x_ *y*", "\\_x\\_ \\*y\\*"),
    ("two\nlines", "two<br>lines"), ("[link](http://x)", "\\[link\\](http://x)"), ("a & b", "a &amp; b"),
])
def test_md_escape(raw, escaped):
    assert markdown.md(raw) == escaped


def test_waived_waivers_to_review_and_absent():
    text = markdown.render(annotated())
    assert section(text, "Waived") == (
        "### Waived\n\n| Rule | Subject | Status | Justification | Owner | Expires | Ticket |\n"
        "|---|---|---|---|---|---|---|\n"
        "| ARGUS-DNS-002 | privatelink.blob.core.windows.net | fail | hub link planned for January | "
        "&#64;contoso/netops | 2026-12-31 | CHG-4711 |\n")
    assert section(text, "Waivers to review") == (
        "### Waivers to review\n\n"
        "- **unused**: ARGUS-PE-001 `*/lsacontoso99` (waivers.yaml (waiver 2), owner storage team) "
        "matched no fail or warn finding\n"
        "- **expired** on 2026-11-26: ARGUS-VAULT-006 `*` (waivers.yaml (waiver 3), owner backup team); "
        "findings it no longer waives: 1\n")
    assert section(text, "Gone since the baseline") == (
        "### Gone since the baseline\n\n| Rule | Subject | Was |\n|---|---|---|\n"
        "| ARGUS-ER-003 | er-contoso-fra | fail: serviceProviderProvisioningState is 'NotProvisioned', "
        "expected 'Provisioned' |\n")
    assert section(text, "Diagnostics") == (
        "### Diagnostics\n\n- `rules/expressroute.argus:24:5` warning W201: path "
        "properties.peerings\\[\\*\\].properties.routeFilter matches no row in the snapshot\n")


def test_plain_report_has_no_baseline_or_waiver_sections():
    text = markdown.render(report("scan-2026-11-20.json"))
    assert "Since the baseline" not in text
    for title in ("Waived", "Waivers to review", "Gone since the baseline", "Diagnostics"):
        assert f"### {title}\n" not in text


def test_nothing_to_act_on():
    doc = report()
    doc["findings"] = [f for f in doc["findings"] if f["status"] == "pass"]
    assert section(markdown.render(doc), "Findings to act on") == "### Findings to act on\n\nNone.\n"


def test_long_reports_fit_a_comment_and_say_what_was_left_out():
    doc = report()
    template = doc["findings"][2]
    doc["findings"] = []
    for i in range(3000):
        finding = json.loads(json.dumps(template))
        finding["subject"]["id"] += f"-{i:04d}"
        finding["subject"]["name"] = f"lsacontoso{i:04d}"
        doc["findings"].append(finding)
    text = markdown.render(doc)
    assert len(text) <= markdown.COMMENT_LIMIT
    shown = text.count("| fail | **lsacontoso")
    assert 0 < shown < 3000
    assert (f"**{3000 - shown} more findings to act on are not shown** to keep this summary within GitHub's "
            "comment size; the JSON and SARIF outputs list them all.") in text
    assert "lsacontoso0000" in text and f"lsacontoso{shown - 1:04d}" in text and f"lsacontoso{shown:04d}" not in text


def copies(template: dict, count: int, name: str) -> list[dict]:
    out = []
    for i in range(count):
        item = json.loads(json.dumps(template))
        item["subject"]["id"] += f"-{i:05d}"
        item["subject"]["name"] = f"{name}{i:05d}"
        out.append(item)
    return out


def rows_shown(text: str, title: str, marker: str) -> int:
    return section(text, title).count(marker)


def test_every_section_shares_one_budget():
    """26,000 absent findings used to make a 1.3 MB summary: now every section draws on the same budget."""
    doc = annotated()
    doc["findings"] = copies(doc["findings"][2], 30000, "act")  # lsacontoso03: fail, high, not waived
    waived_template = {**json.loads(json.dumps(doc["findings"][0])), "waiver": {
        "rule": "ARGUS-PE-001", "subject": "*", "justification": "accepted", "owner": "storage team",
        "ticket": None, "expires": "2026-12-31", "source": "waivers.yaml:2"}}
    doc["findings"] += copies(waived_template, 5000, "waived")
    doc["waivers"] = [{**doc["waivers"][1], "subject": f"*/gone{i:05d}"} for i in range(5000)]  # all unused
    doc["absent"] = copies(doc["absent"][0], 26000, "absent")
    doc["diagnostics"] = doc["diagnostics"] * 5000
    text = markdown.render(doc)
    assert len(text) <= markdown.COMMENT_LIMIT
    shown_act = section(text, "Findings to act on").count("| fail (new) | **act")
    shown = {"Waived": rows_shown(text, "Waived", "| waived"), "Waivers to review": rows_shown(text, "Waivers to review", "- **unused**"),
             "Gone since the baseline": rows_shown(text, "Gone since the baseline", "| absent"),
             "Diagnostics": rows_shown(text, "Diagnostics", "warning W201")}
    assert 0 < shown_act < 30000
    cut_sarif = "the JSON report lists them all (the SARIF log keeps only the 25,000 most severe of its 35,000 results)"
    expected = [(30000, shown_act, "findings to act on", cut_sarif), (5000, shown["Waived"], "waived findings", cut_sarif),
                (5000, shown["Waivers to review"], "waivers to review", "the JSON report's `waivers` list has them all"),
                (26000, shown["Gone since the baseline"], "findings gone since the baseline",
                 "the JSON report's `absent` list has them all"),
                (5000, shown["Diagnostics"], "diagnostics", "the JSON report lists them all")]
    for total, rows, what, where in expected:
        more = " more" if rows else ""
        assert (f"**{total - rows}{more} {what} are not shown** to keep this summary within GitHub's comment size; "
                f"{where}.") in text
    assert "SARIF outputs list them all" not in text  # SARIF was cut at 25,000: it does not


def test_many_absent_findings_alone_fit_the_comment():
    doc = annotated()
    doc["absent"] = copies(doc["absent"][0], 26000, "absent")
    text = markdown.render(doc)
    assert len(text) <= markdown.COMMENT_LIMIT
    shown = rows_shown(text, "Gone since the baseline", "| absent")
    assert 0 < shown < 26000
    assert section(text, "Gone since the baseline").endswith(
        f"\n\n**{26000 - shown} more findings gone since the baseline are not shown** to keep this summary within "
        "GitHub's comment size; the JSON report's `absent` list has them all.\n")
    assert "absent00000" in text and f"absent{shown - 1:05d}" in text and f"absent{shown:05d}" not in text
    assert section(text, "Diagnostics") == ("### Diagnostics\n\n**1 diagnostic is not shown** to keep this summary "
                                            "within GitHub's comment size; the JSON report lists them all.\n")


@pytest.mark.parametrize("cut", [200, 700, 1100])
def test_small_budget_still_names_every_section_and_what_it_left_out(cut):
    doc = annotated()
    full = markdown.render(doc)
    text = markdown.render(doc, limit=len(full) - cut)
    assert len(text) <= len(full) - cut
    totals = {"Findings to act on": 8, "Waived": 1, "Waivers to review": 2, "Gone since the baseline": 1,
              "Diagnostics": 1}
    markers = {"Findings to act on": "\n| fail", "Waived": "\n| ARGUS-", "Waivers to review": "\n- **",
               "Gone since the baseline": "\n| ARGUS-", "Diagnostics": "\n- `"}
    for title, total in totals.items():
        part = section(text, title)
        shown = part.count(markers[title]) + (part.count("\n| not evaluated") + part.count("\n| error")
                                              + part.count("\n| warn") if title == "Findings to act on" else 0)
        more = re.search(r"\*\*(\d+) (more )?\D", part)
        assert (more is None or bool(more.group(2))) == (more is None or shown > 0)  # "more" only after some rows
        assert shown + (int(more.group(1)) if more else 0) == total, (title, part)
        if not shown:  # no table head without a row under it
            assert "|---|" not in part and more


def test_updated_finding_says_what_it_was():
    doc = report()
    doc["findings"][10]["status"] = "fail"  # warn in the baseline
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    part = section(markdown.render(doc), "Findings to act on")
    assert "| fail (updated, was warn) | **rsv-contoso-migrate**<br>" in part
    assert "| fail (updated) | **contoso-mig-app01**<br>" in part  # same status, message changed


def test_long_snapshot_lists_are_cut_in_the_heading():
    doc = report()
    doc["run"]["snapshots"] = [{"path": f"exports/part-{i:04d}.json", "sha256": "0" * 64} for i in range(800)]
    heading = markdown.render(doc).split("\n\n")[1]
    assert heading.startswith("**5 fail")
    assert ("Snapshot `exports/part-0000.json`, `exports/part-0001.json`, `exports/part-0002.json`, "
            "`exports/part-0003.json`, `exports/part-0004.json`, 795 more files collected 2026-11-27T09:00:00Z") in heading


def test_absent_not_evaluated_is_said_once():
    doc = report()
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    doc["absent"][0].update(status="not_evaluated", message="not evaluated: no row has properties.circuitProvisioningState")
    assert ("| ARGUS-ER-003 | er-contoso-fra | not evaluated: no row has properties.circuitProvisioningState |"
            in section(markdown.render(doc), "Gone since the baseline"))


def test_rule_prose_keeps_paragraphs_not_the_rule_files_line_breaks():
    """AMX-PP-01/03/05 break their remediation over source lines: joined, never `<br>` mid-sentence."""
    doc = report()
    rule = next(r for r in doc["rules"] if r["id"] == "ARGUS-PE-001")
    rule["remediation"] = "Set publicNetworkAccess to Disabled\non the storage account.\n\nThen approve\n  the endpoint."
    text = markdown.render(doc)
    assert ("**Remediation:** Set publicNetworkAccess to Disabled on the storage account.\n\n"
            "Then approve the endpoint.\n\n") in text
    assert "Disabled<br>" not in text


def test_example_remediation_has_no_line_break_tags(argus, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    code, out, err = argus("scan", "--example", "--format", "markdown")
    assert "**Remediation:** Storage account &gt; Networking" in out and "resource type<br>" not in out
