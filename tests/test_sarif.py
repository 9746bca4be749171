"""SARIF export: schema-valid, shaped for GitHub code scanning, read by sarif-tools."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from argus.state import baseline
from argus.reports import locate, present, sarif
from argus.policy import waivers
from reportdata import REPORTS, SUB, report

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = REPO / "tests" / "data" / "schemas" / "sarif-schema-2.1.0.json"  # see its README
REPORT_SCHEMA = REPO / "engine" / "schemas" / "report.schema.json"
SNAP2 = "tests/data/reports/snapshots/contoso-2026-11-27.json"
SARIF_TOOL = Path(sys.executable).with_name("sarif")


def validate_sarif(log: dict) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)


def results_by_subject(log: dict) -> dict[tuple[str, str], dict]:
    return {(r["ruleId"], r["properties"]["subject"]["name"]): r for r in log["runs"][0]["results"]}


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch):
    # Report paths are relative to where the scan ran: the repository root.
    monkeypatch.chdir(REPO)


@pytest.mark.parametrize("name", ["scan-2026-11-20.json", "scan-2026-11-27.json"])
def test_input_reports_follow_the_report_schema(name):
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(report(name))


@pytest.mark.parametrize("include_passed", [False, True])
@pytest.mark.parametrize("name", ["scan-2026-11-20.json", "scan-2026-11-27.json"])
def test_output_is_valid_sarif_2_1_0(name, include_passed):
    log = json.loads(sarif.render(report(name), include_passed=include_passed))
    validate_sarif(log)
    assert log["version"] == "2.1.0"


# (rule, subject name, level, file, line, column, message)
EXPECTED_RESULTS = [
    ("ARGUS-PE-001", "lsacontoso01", "error", SNAP2, 11, 7,
     "lsacontoso01: publicNetworkAccess is 'Enabled', expected 'Disabled'"),
    ("ARGUS-PE-001", "lsacontoso03", "error", SNAP2, 61, 7,
     "lsacontoso03: publicNetworkAccess is 'Enabled', expected 'Disabled'"),
    ("ARGUS-DNS-002", "privatelink.blob.core.windows.net", "warning", SNAP2, 115, 7,
     "privatelink.blob.core.windows.net: no virtual network link points at vnet-hub-weu (linked: vnet-spoke-migrate)"),
    ("ARGUS-APP-004", "contoso-mig-app01", "error", SNAP2, 206, 7,
     "contoso-mig-app01: bypass list does not cover lsacontoso01.blob.core.windows.net "
     "(entries: <local>, *.queue.core.windows.net)"),
    ("ARGUS-APP-004", "contoso-mig-app02", "warning", SNAP2, 241, 7,
     "contoso-mig-app02: not evaluated: no DNS answer recorded for lsacontoso01.blob.core.windows.net"),
    ("ARGUS-RF-005", "er-contoso-ams", "warning", SNAP2, 142, 7,
     "er-contoso-ams: rule error: cannot compare list with string at properties.peerings[*].properties.routeFilter.id"),
    ("ARGUS-RF-005", "er-contoso-fra", "note", SNAP2, 165, 7, "er-contoso-fra: Microsoft peering has no route filter"),
    ("ARGUS-VAULT-006", "rsv-contoso-migrate", "warning", SNAP2, 188, 7,
     "rsv-contoso-migrate: publicNetworkAccess is 'Enabled'"),
    ("ARGUS-GW-007", "", "warning", "rules/expressroute.argus", 40, None,
     "Not evaluated: the snapshot has no microsoft.network/connections rows"),
]


def test_results_level_location_and_message():
    log = sarif.build(report("scan-2026-11-27.json"))
    got = []
    for result in log["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        got.append((result["ruleId"], result["properties"]["subject"]["name"], result["level"],
                    physical["artifactLocation"]["uri"], physical["region"]["startLine"],
                    physical["region"].get("startColumn"), result["message"]["text"]))
    assert got == EXPECTED_RESULTS


def test_every_result_has_what_github_requires():
    log = sarif.build(report("scan-2026-11-27.json"), include_passed=True)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(run["results"]) == 12
    for result in run["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] and physical["region"]["startLine"] >= 1
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        assert set(result["partialFingerprints"]) == {"primaryLocationLineHash", "argusFinding/v1"}


def test_driver_and_rule_metadata():
    run = sarif.build(report("scan-2026-11-27.json"))["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["semanticVersion"]) == ("argus", "0.1.0")
    assert [r["id"] for r in driver["rules"]] == ["ARGUS-PE-001", "ARGUS-DNS-002", "ARGUS-ER-003", "ARGUS-APP-004",
                                                  "ARGUS-RF-005", "ARGUS-VAULT-006", "ARGUS-GW-007"]
    pe = driver["rules"][0]
    assert pe["name"] == "ReplicationStorageAccountAcceptsTrafficOnlyThroughItsPrivateEndpoint"
    assert pe["shortDescription"]["text"] == "Replication storage account accepts traffic only through its private endpoint"
    assert pe["fullDescription"]["text"].startswith("Replication over ExpressRoute private peering needs")
    assert pe["helpUri"] == "https://learn.microsoft.com/azure/migrate/replicate-using-expressroute"
    assert "**Remediation:** Set publicNetworkAccess to Disabled" in pe["help"]["markdown"]
    app = driver["rules"][3]
    assert app["help"]["text"].startswith("When the appliance uses a proxy")
    assert "https://learn.microsoft.com/azure/migrate/migrate-appliance" in app["help"]["markdown"]
    assert "Remediation: Set publicNetworkAccess to Disabled" in pe["help"]["text"]
    assert pe["defaultConfiguration"] == {"level": "error"}
    assert pe["properties"]["tags"] == ["security", "private-endpoint", "storage"]
    vault = driver["rules"][5]
    assert "helpUri" not in vault  # its help text carries no web address
    assert run["automationDetails"] == {"id": "argus/contoso-migration/"}
    for rule in driver["rules"]:
        assert rule["name"] != rule["id"]


@pytest.mark.parametrize("severity,score,level", [
    ("critical", "9.5", "error"), ("high", "8.0", "error"), ("medium", "5.5", "warning"),
    ("low", "3.0", "note"), ("info", "0.0", "note")])
def test_security_severity_and_default_level_follow_severity(severity, score, level):
    run = sarif.build(report("scan-2026-11-27.json"))["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        if rule["properties"]["severity"] == severity:
            assert rule["properties"]["security-severity"] == score
            assert rule["defaultConfiguration"]["level"] == level


def test_passes_and_skips_only_when_asked():
    doc = report("scan-2026-11-20.json")
    default = results_by_subject(sarif.build(doc))
    assert ("ARGUS-PE-001", "lsacontoso02") not in default
    assert ("ARGUS-RF-005", "er-contoso-fra") not in default
    everything = results_by_subject(sarif.build(doc, include_passed=True))
    passed, skipped = everything[("ARGUS-PE-001", "lsacontoso02")], everything[("ARGUS-RF-005", "er-contoso-fra")]
    assert (passed["level"], passed["kind"], passed["message"]["text"]) == (
        "none", "pass", "lsacontoso02: passed: publicNetworkAccess is 'Disabled'")
    assert (skipped["level"], skipped["kind"]) == ("none", "notApplicable")
    assert len(everything) == 11 and len(default) == 8


def test_rule_level_finding_points_at_the_rule_file_without_logical_location():
    result = results_by_subject(sarif.build(report("scan-2026-11-27.json")))[("ARGUS-GW-007", "")]
    assert result["locations"][0] == {"physicalLocation": {"artifactLocation": {"uri": "rules/expressroute.argus"},
                                                           "region": {"startLine": 40}}}


def test_logical_location_carries_the_arm_id():
    result = results_by_subject(sarif.build(report("scan-2026-11-27.json")))[("ARGUS-PE-001", "lsacontoso03")]
    assert result["locations"][0]["logicalLocations"] == [{
        "name": "lsacontoso03", "kind": "resource",
        "fullyQualifiedName": f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso03"}]


def test_subject_id_found_case_insensitively():
    # scan 1 names the account with a lower-cased id; the snapshot keeps the portal casing
    result = results_by_subject(sarif.build(report("scan-2026-11-20.json")))[("ARGUS-PE-001", "lsacontoso01")]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 11, "startColumn": 7}


@pytest.mark.parametrize("indent", [2, None])  # pretty-printed JSON, and JSON Lines
def test_a_rows_own_id_wins_over_an_earlier_reference(tmp_path, indent):
    circuit = f"{SUB}/resourceGroups/rg-hub-weu/providers/Microsoft.Network/expressRouteCircuits/er-contoso-ams"
    route_filter = f"{SUB}/resourceGroups/rg-hub-weu/providers/Microsoft.Network/routeFilters/rf-ms"
    rows = [{"id": circuit, "properties": {"peerings": [{"properties": {"routeFilter": {"id": route_filter}}}]}},
            {"id": route_filter, "type": "microsoft.network/routefilters", "properties": {"rules": []}}]
    path = tmp_path / "snapshot.json"
    if indent:
        path.write_text(json.dumps({"resources": rows}, indent=indent), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    row_start = f'      "id": "{route_filter}",' if indent else f'{{"id": "{route_filter}"'
    own = next(i for i, line in enumerate(lines, 1) if line.startswith(row_start))
    doc = report("scan-2026-11-27.json")
    doc["findings"][0]["subject"] = {"id": route_filter, "name": "rf-ms", "type": "microsoft.network/routefilters"}
    doc["findings"][0]["source"] = {"file": str(path), "index": 1}
    result = sarif.build(doc)["runs"][0]["results"][0]
    region = result["locations"][0]["physicalLocation"]["region"]
    first_mention = next(i for i, line in enumerate(lines, 1) if route_filter in line)
    assert region["startLine"] == own and own > first_mention


def test_related_locations_follow_the_join_chain():
    results = results_by_subject(sarif.build(report("scan-2026-11-27.json")))
    app = results[("ARGUS-APP-004", "contoso-mig-app01")]["relatedLocations"]
    assert [(r["id"], r["message"]["text"], r["physicalLocation"]["region"]["startLine"]) for r in app] == [
        (1, f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Network/privateEndpoints/pe-lsacontoso01-blob", 86),
        (2, f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso01", 11)]
    assert app[0]["logicalLocations"] == [{"fullyQualifiedName": app[0]["message"]["text"], "kind": "resource"}]
    assert "relatedLocations" not in results[("ARGUS-PE-001", "lsacontoso03")]


def test_related_id_missing_from_snapshot_falls_back_to_the_subject_row():
    doc = report("scan-2026-11-27.json")
    doc["findings"][2]["related"] = ["/subscriptions/x/resourceGroups/gone/providers/Microsoft.Network/virtualNetworks/v"]
    result = results_by_subject(sarif.build(doc))[("ARGUS-PE-001", "lsacontoso03")]
    (related,) = result["relatedLocations"]
    assert related["message"]["text"].endswith("/virtualNetworks/v (not a row of the snapshot)")
    assert related["physicalLocation"]["region"] == {"startLine": 61, "startColumn": 7}


def test_missing_snapshot_file_still_gives_a_location():
    doc = report("scan-2026-11-27.json")
    doc["findings"][0]["source"]["file"] = "tests/data/reports/snapshots/moved-away.json"
    log = sarif.build(doc)
    result = results_by_subject(log)[("ARGUS-PE-001", "lsacontoso01")]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/data/reports/snapshots/moved-away.json"}, "region": {"startLine": 1}}
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "snapshot file tests/data/reports/snapshots/moved-away.json could not be read; results from it point at its line 1"]


def test_fingerprints_stable_across_scans_and_case():
    first = results_by_subject(sarif.build(report("scan-2026-11-20.json")))
    second = results_by_subject(sarif.build(report("scan-2026-11-27.json")))
    key = ("ARGUS-PE-001", "lsacontoso01")
    assert first[key]["partialFingerprints"] == second[key]["partialFingerprints"]
    subject = f"{SUB}/resourceGroups/rg-migrate-weu/providers/Microsoft.Storage/storageAccounts/lsacontoso01"
    digest = hashlib.sha256(f"ARGUS-PE-001\x00{subject.casefold()}".encode()).hexdigest()
    assert second[key]["partialFingerprints"] == {"primaryLocationLineHash": f"{digest[:16]}:1",
                                                  "argusFinding/v1": f"{digest}:1"}
    other = second[("ARGUS-PE-001", "lsacontoso03")]["partialFingerprints"]
    assert other["primaryLocationLineHash"] != second[key]["partialFingerprints"]["primaryLocationLineHash"]


def test_repeated_rule_and_subject_get_distinct_occurrences():
    doc = report("scan-2026-11-27.json")
    doc["findings"].insert(1, json.loads(json.dumps(doc["findings"][0])))
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in sarif.build(doc)["runs"][0]["results"]][:2]
    assert prints[0][:16] == prints[1][:16] and (prints[0][-2:], prints[1][-2:]) == (":1", ":2")


def test_baseline_state_and_suppressions():
    doc = report("scan-2026-11-27.json")
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    waivers.apply(doc, waivers.load([{"rule": "ARGUS-DNS-002", "subject": "*/privatednszones/*", "owner": "netops",
                                      "justification": "hub link is planned for January", "ticket": "CHG-4711",
                                      "expires": "2026-12-31"}], source="policies.yaml"),
                  today=dt.date(2026, 11, 27), known_rule_ids={r["id"] for r in doc["rules"]})
    log = sarif.build(doc)
    validate_sarif(log)
    results = results_by_subject(log)
    assert {key: r.get("baselineState") for key, r in results.items()} == {
        ("ARGUS-PE-001", "lsacontoso01"): "unchanged", ("ARGUS-PE-001", "lsacontoso03"): "new",
        ("ARGUS-DNS-002", "privatelink.blob.core.windows.net"): "unchanged",
        ("ARGUS-APP-004", "contoso-mig-app01"): "updated", ("ARGUS-APP-004", "contoso-mig-app02"): "unchanged",
        ("ARGUS-RF-005", "er-contoso-ams"): "unchanged", ("ARGUS-RF-005", "er-contoso-fra"): "new",
        ("ARGUS-VAULT-006", "rsv-contoso-migrate"): "unchanged", ("ARGUS-GW-007", ""): "unchanged"}
    zone = results[("ARGUS-DNS-002", "privatelink.blob.core.windows.net")]
    assert zone["suppressions"] == [{"kind": "external", "status": "accepted",
                                     "justification": "hub link is planned for January",
                                     "properties": {"owner": "netops", "expires": "2026-12-31", "ticket": "CHG-4711",
                                                    "source": "policies.yaml (waiver 1)"}}]
    assert zone["level"] == "warning"  # a waived finding keeps its status and level
    assert sum("suppressions" in r for r in results.values()) == 1
    assert log["runs"][0]["properties"]["absent"][0]["subject"]["name"] == "er-contoso-fra"


def many_findings(count: int) -> dict:
    doc = report("scan-2026-11-27.json")
    template = doc["findings"][2]  # lsacontoso03, high
    severities = ["low", "high", "medium", "critical", "info"]
    doc["findings"] = []
    for i in range(count):
        finding = json.loads(json.dumps(template))
        finding["severity"] = severities[i % 5]
        finding["subject"]["id"] += f"-{i}"
        finding["subject"]["name"] = f"acct{i}"
        doc["findings"].append(finding)
    return doc


def test_results_cut_at_the_limit_keep_the_most_severe_and_say_so():
    log = sarif.build(many_findings(30), max_results=10)
    validate_sarif(log)
    run = log["runs"][0]
    kept = [r["properties"]["subject"]["name"] for r in run["results"]]
    # error level first (critical i % 5 == 3, then high i % 5 == 1), most severe first; kept in report order
    assert kept == ["acct1", "acct3", "acct6", "acct8", "acct11", "acct13", "acct16", "acct18", "acct23", "acct28"]
    assert run["properties"]["omittedResults"] == 20
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("20 results were left out: GitHub code scanning accepts at most 10 results")


def test_github_limit_is_the_default():
    run = sarif.build(many_findings(25001))["runs"][0]
    assert len(run["results"]) == 25000 and run["properties"]["omittedResults"] == 1


def test_paths_relative_to_repo_root(tmp_path):
    doc = report("scan-2026-11-27.json")
    outside = tmp_path / "elsewhere.json"
    outside.write_text('{"resources": []}\n')
    doc["findings"][0]["source"]["file"] = str(outside)
    doc["findings"][2]["source"]["file"] = str(REPO / SNAP2)
    run = sarif.build(doc, repo_root=str(REPO))["runs"][0]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"][:2]]
    assert locations == [{"uri": outside.as_uri()}, {"uri": SNAP2, "uriBaseId": "%SRCROOT%"}]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": REPO.as_uri() + "/"}}


def test_diagnostics_become_configuration_notifications():
    invocation = sarif.build(report("scan-2026-11-27.json"))["runs"][0]["invocations"][0]
    assert invocation["toolConfigurationNotifications"] == [{
        "level": "warning", "descriptor": {"id": "W201"},
        "message": {"text": "path properties.peerings[*].properties.routeFilter matches no row in the snapshot"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "rules/expressroute.argus"},
                                            "region": {"startLine": 24, "startColumn": 5}}}]}]


# --- a real consumer: sarif-tools ---

def write_sarif(tmp_path: Path, name: str = "scan.sarif") -> Path:
    path = tmp_path / name
    path.write_text(sarif.render(report("scan-2026-11-27.json")), encoding="utf-8")
    return path


def sarif_tool(*args: str) -> str:
    done = subprocess.run([str(SARIF_TOOL), *args], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def test_sarif_tools_summary_counts_levels(tmp_path):
    out = sarif_tool("summary", str(write_sarif(tmp_path)))
    counts = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert counts == ["error: 3", "warning: 5", "note: 1"]
    assert " - ARGUS-PE-001 " in out and " - ARGUS-GW-007 " in out


def test_sarif_tools_ls_lists_the_file(tmp_path):
    write_sarif(tmp_path, "argus.sarif")
    assert sarif_tool("ls", str(tmp_path)).splitlines()[:2] == [f"{tmp_path}:", "  argus.sarif"]


def test_sarif_tools_csv_reads_locations(tmp_path):
    source = write_sarif(tmp_path)
    out = tmp_path / "out.csv"
    sarif_tool("csv", str(source), "--output", str(out))
    rows = {(row["Code"], row["Location"], row["Line"]) for row in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows == {(rule, file, str(line)) for rule, _, _, file, line, _, _ in EXPECTED_RESULTS}


def test_help_markdown_keeps_angle_brackets_visible():
    doc = report("scan-2026-11-27.json")
    doc["rules"][3]["remediation"] = "Add <cache account>.blob.core.windows.net & retry."
    rule = sarif.build(doc)["runs"][0]["tool"]["driver"]["rules"][3]
    assert "**Remediation:** Add &lt;cache account&gt;.blob.core.windows.net &amp; retry." in rule["help"]["markdown"]
    assert "Remediation: Add <cache account>.blob.core.windows.net & retry." in rule["help"]["text"]


def test_a_rule_error_makes_the_invocation_unsuccessful_with_exit_code_2():
    doc = report("scan-2026-11-27.json")  # ARGUS-RF-005 errored on er-contoso-ams: argus scan exits 2
    invocation = sarif.build(doc)["runs"][0]["invocations"][0]
    assert (invocation["executionSuccessful"], invocation["exitCode"], invocation["exitCodeDescription"]) == (
        False, 2, "1 finding with status error (a rule could not run)")
    doc["findings"] = [f for f in doc["findings"] if f["status"] != "error"]
    invocation = sarif.build(doc)["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert "exitCode" not in invocation and "exitCodeDescription" not in invocation


@pytest.mark.parametrize("status,message,text", [
    # the evaluator's own messages already say what the status means: it is not said twice
    ("not_evaluated", "not evaluated: no row has properties.dns", "acct: not evaluated: no row has properties.dns"),
    ("not_evaluated", "Not Evaluated: x", "acct: Not Evaluated: x"),
    ("not_evaluated", "no DNS answer recorded", "acct: not evaluated: no DNS answer recorded"),
    ("error", "error in `x.a > 1` (r.argus:3:9): cannot compare", "acct: rule error in `x.a > 1` (r.argus:3:9): cannot compare"),
    ("error", "cannot compare list with string", "acct: rule error: cannot compare list with string"),
    ("fail", "not evaluated: a fail whose message says so", "acct: not evaluated: a fail whose message says so"),
])
def test_status_phrase_is_not_repeated(status, message, text):
    finding = {"status": status, "message": message, "subject": {"id": "/x/acct", "name": "acct", "type": "t"}}
    assert present.message_text(finding) == text


def test_status_phrase_without_subject_is_capitalised_once():
    finding = {"status": "not_evaluated", "message": "not evaluated: the snapshot has no microsoft.network/connections rows",
               "subject": {"id": "", "name": "", "type": ""}}
    assert present.message_text(finding) == "Not evaluated: the snapshot has no microsoft.network/connections rows"


def test_updated_result_carries_the_baseline_finding():
    doc = report("scan-2026-11-27.json")
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-20.json")))
    result = results_by_subject(sarif.build(doc))[("ARGUS-APP-004", "contoso-mig-app01")]
    assert result["baselineState"] == "updated"
    assert result["properties"]["baselinePrevious"] == {
        "status": "fail", "severity": "high",
        "message": "bypass list does not cover lsacontoso01.blob.core.windows.net (entries: <local>)"}


def test_find_repo_root(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "reports" / "daily").mkdir(parents=True)
    (tmp_path / "plain").mkdir()
    assert locate.find_repo_root(str(tmp_path / "repo" / "reports" / "daily")) == str(tmp_path / "repo")
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n")  # a linked work tree
    assert locate.find_repo_root(str(tmp_path / "worktree")) == str(tmp_path / "worktree")
    if not any((parent / ".git").exists() for parent in tmp_path.parents):
        assert locate.find_repo_root(str(tmp_path / "plain")) == str(tmp_path / "plain")


def test_paths_outside_the_repo_root_become_absolute_uris(tmp_path, monkeypatch):
    doc = report("scan-2026-11-27.json")
    monkeypatch.chdir(tmp_path)  # the report's relative paths now point outside the "repository" below
    (tmp_path / "repo").mkdir()
    run = sarif.build(doc, repo_root=str(tmp_path / "repo"))["runs"][0]
    rule_location = run["results"][-1]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert rule_location == {"uri": (tmp_path / "rules" / "expressroute.argus").as_uri()}
