"""`argus scan --what-if`: the bundled estate as a deployment would leave it, compared with the estate now.

The what-if files in tests/data/whatif are shaped like Azure's (the REST WhatIfOperationResult of
api-version 2021-04-01/2024-11-01, and the flattened form `az deployment group what-if --no-pretty-print`
prints), their bodies taken from the example estate's own rows: the spoke VNet's missing link to the
privatelink zone (AMX-PP-07 resolved), public network access disabled on the cache account (AMX-PP-09: its
warning becomes a failure), the route filter's Entra ID rule deleted (AMX-MP-05 introduced, on an estate whose
filter has that rule), and the predictions what-if cannot make.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
WHATIF = Path("tests/data/whatif")
SUB_MIG = "/subscriptions/a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74"
CACHE = f"{SUB_MIG}/resourceGroups/RG-Migrate/providers/Microsoft.Storage/storageAccounts/lsa4f8e2b1c9d"
RF = ("/subscriptions/0c4f2a7e-31b8-4d95-a6e2-8f1b7c3d5e90/resourceGroups/rg-network-hub/providers/"
      "Microsoft.Network/routeFilters/rf-er-ams-microsoft")
PP07_MESSAGE = ("privatelink.blob.core.windows.net is not linked to VNet vnet-mig-spoke of private endpoint "
                "pe-lsa4f8e2b1c9d-blob (linked: vnet-hub-weu)")
PP09_FAIL = ("lsa4f8e2b1c9d has public network access Disabled; Azure Migrate needs the public endpoint to move data "
             "to managed disks")
PP09_WARN = "lsa4f8e2b1c9d firewall denies by default; replication relies on the AzureServices bypass staying in place"
UNSUPPORTED_REASON = ("Changes to the resource declared at 'properties.template.resources[1]' on line 1 and column 812 "
                      "cannot be analyzed because its resource ID or API version cannot be calculated until the "
                      "deployment is under way.")


@pytest.fixture(autouse=True)
def _repo(monkeypatch):
    monkeypatch.chdir(REPO)  # fixture and example paths are relative to the repository, as in the docs
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("COLUMNS", raising=False)  # the text report is 100 columns wide off a terminal
    for key in [k for k in __import__("os").environ if k.startswith("ARGUS_")]:
        monkeypatch.delenv(key)


def scan(argus, tmp_path, *argv) -> tuple[int, dict | None, str]:
    out = tmp_path / "report.json"
    code, _, err = argus("scan", *argv, "--format", "json", "--output", out)
    return code, (json.loads(out.read_text(encoding="utf-8")) if out.exists() else None), err


def finding(doc: dict, rule: str, subject: str | None = None) -> dict:
    (found,) = [f for f in doc["findings"] if f["rule_id"] == rule and (subject is None or f["subject"]["name"] == subject)]
    return found


def tracked(doc: dict) -> list[tuple]:
    return [(f["rule_id"], f["subject"]["name"], f["status"], f.get("baseline_state")) for f in doc["findings"]
            if f.get("baseline_state") not in (None, "unchanged")]


def estate_with_entra_rule(tmp_path: Path) -> list[str]:
    """The example estate, but its route filter also allows Microsoft Entra ID (rule allow-entra-id), so
    AMX-MP-05 passes before the deployment that deletes the rule."""
    estate = tmp_path / "estate"
    shutil.copytree(REPO / "examples" / "estate", estate)
    doc = json.loads((estate / "resources.json").read_text(encoding="utf-8"))
    (rf,) = [r for r in doc["data"] if r["id"] == RF]
    rf["properties"]["rules"].append({
        "id": f"{RF}/routeFilterRules/allow-entra-id", "name": "allow-entra-id",
        "properties": {"access": "Allow", "communities": ["12076:5060"], "provisioningState": "Succeeded",
                       "routeFilterRuleType": "Community"}})
    (estate / "resources.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return ["--snapshot", str(estate), "--snapshot", "examples/appliance/contoso-mig-app01.facts.json"]


# ---- what the deployment changes, as findings

def test_spoke_link_resolves_pp07_and_changes_nothing_else(argus, tmp_path):
    code, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "spoke-link.rest.json", "--fail-on-new")
    assert code == 0  # the other failures were there before the deployment
    assert finding(doc, "AMX-PP-07")["status"] == "pass"
    assert [(a["rule_id"], a["status"], a["message"]) for a in doc["absent"]] == [("AMX-PP-07", "fail", PP07_MESSAGE)]
    assert tracked(doc) == []
    assert doc["run"]["what_if"]["summary"] == {"breaks": 0, "fixes": 1, "unknown": 0, "warns": 0}
    assert doc["run"]["what_if"]["applied"] == {"Create": 1}
    assert doc["run"]["baseline"]["path"] == "the snapshot before the deployment"


def test_cli_and_rest_forms_give_identical_findings(argus, tmp_path):
    def without_source(doc):
        return [{k: v for k, v in f.items() if k != "source"} for f in doc["findings"]]
    _, rest, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "spoke-link.rest.json")
    _, cli, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "spoke-link.cli.json")
    assert without_source(rest) == without_source(cli) and rest["absent"] == cli["absent"]
    assert [f["form"] for f in rest["run"]["what_if"]["files"] + cli["run"]["what_if"]["files"]] == ["rest", "cli"]


def test_public_access_disabled_on_the_cache_account_fails_pp09(argus, tmp_path):
    code, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "cache-lockdown.json", "--fail-on-new")
    assert code == 1
    pp09 = finding(doc, "AMX-PP-09", "lsa4f8e2b1c9d")
    assert (pp09["status"], pp09["message"], pp09["baseline_state"]) == ("fail", PP09_FAIL, "updated")
    # the account only warned before: the same rule and subject, so the baseline calls it updated, and
    # --fail-on-new fails on it, as on any failure that was not one before
    assert pp09["baseline_previous"] == {"status": "warn", "severity": "high", "message": PP09_WARN}
    assert pp09["source"] == {"file": str(WHATIF / "cache-lockdown.json"), "index": 0, "table": "resources",
                              "pointer": "/properties/changes/0", "line": 5, "change_type": "Modify"}
    assert tracked(doc) == [("AMX-PP-09", "lsa4f8e2b1c9d", "fail", "updated")] and doc["absent"] == []
    assert doc["run"]["what_if"]["summary"]["breaks"] == 1


def test_deleting_the_route_filters_entra_rule_introduces_mp05(argus, tmp_path):
    snapshot = estate_with_entra_rule(tmp_path)
    code, before, _ = scan(argus, tmp_path, *snapshot)
    assert finding(before, "AMX-MP-05")["status"] == "pass"
    code, doc, _ = scan(argus, tmp_path, *snapshot, "--what-if", WHATIF / "route-filter-entra-delete.json",
                        "--fail-on-new")
    assert code == 1
    mp05 = finding(doc, "AMX-MP-05")
    assert (mp05["status"], mp05["message"], mp05["baseline_state"]) == (
        "fail", "rf-er-ams-microsoft does not allow 12076:5060 (Microsoft Entra ID)", "new")
    # ARG keeps a route filter's rules inside the filter's row: the child's Delete changed that row
    assert mp05["source"]["change_type"] == "Delete" and mp05["source"]["pointer"] == "/properties/changes/0"
    assert tracked(doc) == [("AMX-MP-05", "rf-er-ams-microsoft", "fail", "new")]


def test_sarif_carries_the_baseline_states_and_points_at_the_change(argus, tmp_path):
    out = tmp_path / "r.sarif"
    code, _, _ = argus("scan", "--example", "--what-if", WHATIF / "pull-request.json", "--format", "sarif",
                       "--output", out)
    assert code == 1
    run = json.loads(out.read_text(encoding="utf-8"))["runs"][0]
    states = {(r["ruleId"], r["properties"]["subject"]["name"]): r.get("baselineState") for r in run["results"]}
    assert states[("AMX-PP-09", "lsa4f8e2b1c9d")] == "updated"
    assert states[("AMX-MP-05", "rf-er-ams-microsoft")] == "unchanged"
    assert [a["rule_id"] for a in run["properties"]["absent"]] == ["AMX-PP-07"]
    (pp09,) = [r for r in run["results"] if r["ruleId"] == "AMX-PP-09"]
    physical = pp09["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "tests/data/whatif/pull-request.json"
    assert physical["region"] == {"startLine": 72}
    assert run["properties"]["whatIf"]["summary"] == {"breaks": 1, "fixes": 1, "unknown": 0, "warns": 0}
    assert {"uri": "tests/data/whatif/pull-request.json", "uriBaseId": "%SRCROOT%"} in [
        a["location"] for a in run["artifacts"]]


def test_mp05_new_in_sarif(argus, tmp_path):
    out = tmp_path / "r.sarif"
    argus("scan", *estate_with_entra_rule(tmp_path), "--what-if", WHATIF / "route-filter-entra-delete.json",
          "--format", "sarif", "--output", out)
    results = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert [(r["ruleId"], r["baselineState"]) for r in results if r.get("baselineState") != "unchanged"] == [
        ("AMX-MP-05", "new")]


def test_text_report_leads_with_what_the_deployment_breaks_and_fixes(argus):
    code, out, _ = argus("scan", "--example", "--what-if", WHATIF / "pull-request.json")
    assert code == 1
    assert out.splitlines()[:9] == [  # 100 columns wide when not on a terminal
        "What-if tests/data/whatif/pull-request.json: this deployment breaks 1 check, fixes 1",
        "laid over the snapshot: 1 Create, 1 Modify; baseline: the snapshot before the deployment",
        "  BREAKS       AMX-PP-09 lsa4f8e2b1c9d  lsa4f8e2b1c9d has public network access Disabled; Azure",
        "               Migrate needs the public endpoint to move data to managed disks (was warn)  [Modify",
        "               at tests/data/whatif/pull-request.json:72 (/changes/2)]",
        "  FIXES        AMX-PP-07 privatelink.blob.core.windows.net  (was fail:",
        "               privatelink.blob.core.windows.net is not linked to VNet vnet-mig-spoke of private",
        "               endpoint pe-lsa4f8e2b1c9d-blob (linked: vnet-hub-weu))",
        "",
    ]
    assert out.splitlines()[9].startswith("argus ")


def test_the_docs_show_the_real_first_lines(argus):
    docs = (REPO / "docs" / "what-if.md").read_text(encoding="utf-8")
    shown = re.search(r"```text\n(What-if .*?)```", docs, re.S).group(1).splitlines()
    _, out, _ = argus("scan", "--example", "--what-if", WHATIF / "pull-request.json")
    assert out.splitlines()[:len(shown)] == shown


def test_markdown_comment_leads_with_what_the_change_breaks(argus):
    code, out, _ = argus("scan", "--example", "--what-if", WHATIF / "pull-request.json", "--format", "markdown")
    lines = out.splitlines()
    assert lines[:3] == ["## argus what-if: this deployment breaks 1 check, fixes 1", "",
                         "What-if `tests/data/whatif/pull-request.json`, laid over the snapshot: 1 Create, 1 Modify; "
                         "baseline: the snapshot before the deployment"]
    assert lines[4] == "### What this change breaks"
    assert lines[8] == (f"| AMX-PP-09 | high | lsa4f8e2b1c9d | {PP09_FAIL} (was warn) | "
                        "Modify at tests/data/whatif/pull-request.json:72 (/changes/2) |")
    assert lines.index("### What it fixes") < lines.index("## argus: azure-migrate")


def test_report_follows_the_schema(argus, tmp_path):
    schema = json.loads((REPO / "engine" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    for name in ("pull-request.json", "cache-unsupported.json", "route-filter-short-circuited.json",
                 "cache-lockdown-potential.json", "dr-zone-new-subscription.json"):
        _, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / name)
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)


# ---- never a silent pass from a prediction

def test_unsupported_change_makes_the_rules_reading_the_account_not_evaluated(argus, tmp_path):
    code, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "cache-unsupported.json",
                        "--fail-on-new", "--fail-on-not-evaluated")
    assert code == 1
    why = (f"what-if could not predict this resource (Unsupported at {WHATIF / 'cache-unsupported.json'} "
           f"/properties/changes/0, line 5: {UNSUPPORTED_REASON})")
    pp09 = finding(doc, "AMX-PP-09", "lsa4f8e2b1c9d")
    assert (pp09["status"], pp09["baseline_state"]) == ("not_evaluated", "updated")
    assert pp09["message"] == (f"not evaluated: {why}: account.properties.publicNetworkAccess on {CACHE} "
                               "(needed by `public_access !~ \"Disabled\"`)")
    assert finding(doc, "AMX-PP-02", "lsa4f8e2b1c9d")["message"] == (
        f"not evaluated: {why}: account.kind on {CACHE} (needed by `account.kind == \"StorageV2\"`)")
    assert tracked(doc) == [("AMX-PP-02", "lsa4f8e2b1c9d", "not_evaluated", "new"),
                            ("AMX-PP-04", "pe-lsa4f8e2b1c9d-blob", "not_evaluated", "new"),
                            ("AMX-PP-09", "lsa4f8e2b1c9d", "not_evaluated", "updated")]
    assert doc["run"]["what_if"]["unpredicted"] == [{
        "resource": CACHE, "change_type": "Unsupported", "reason": UNSUPPORTED_REASON,
        "file": str(WHATIF / "cache-unsupported.json"), "pointer": "/properties/changes/0", "line": 5}]


def test_unresolved_reference_is_not_evaluated_and_no_default_stands_in(argus, tmp_path):
    code, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "cache-reference.json")
    pp09 = finding(doc, "AMX-PP-09", "lsa4f8e2b1c9d")
    expression = ("[reference(resourceId('Microsoft.Resources/deployments', 'network-policy'), "
                  "'2022-09-01').outputs.publicNetworkAccess.value]")
    assert (pp09["status"], pp09["baseline_state"]) == ("not_evaluated", "updated")
    # the rule reads default(account.properties.publicNetworkAccess, "Enabled"): an unresolved value is not absent
    assert pp09["message"] == (
        "not evaluated: what-if cannot resolve reference() before the deployment runs "
        f"({WHATIF / 'cache-reference.json'} /properties/changes/0/after/properties/publicNetworkAccess holds "
        f"\"{expression[:99]}…\"): account.properties.publicNetworkAccess on {CACHE} "
        "(needed by `public_access !~ \"Disabled\"`)")
    (entry,) = doc["run"]["what_if"]["unpredicted"]
    assert entry["expression"] == expression
    assert entry["pointer"] == "/properties/changes/0/after/properties/publicNetworkAccess"
    assert tracked(doc) == [("AMX-PP-09", "lsa4f8e2b1c9d", "not_evaluated", "updated")]


@pytest.mark.parametrize("name,change,why", [
    ("cache-resource-id-only.json", "Deploy", "no predicted body: a ResourceIdOnly result"),
])
def test_a_change_without_a_body_is_not_evaluated(argus, tmp_path, name, change, why):
    _, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / name)
    assert finding(doc, "AMX-PP-09", "lsa4f8e2b1c9d")["message"] == (
        f"not evaluated: what-if could not predict this resource ({change} at {WHATIF / name} /properties/changes/0, "
        f"line 5: {why}): account.properties.publicNetworkAccess on {CACHE} (needed by `public_access !~ \"Disabled\"`)")


def test_ignore_after_nested_templates_were_cut_short_is_not_evaluated(argus, tmp_path):
    _, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "route-filter-short-circuited.json")
    mp05 = finding(doc, "AMX-MP-05")
    assert (mp05["status"], mp05["baseline_state"]) == ("not_evaluated", "updated")  # it failed before
    assert "Ignore at tests/data/whatif/route-filter-short-circuited.json /properties/changes/0, line 5: what-if " \
           "stopped expanding nested templates (NestedDeploymentShortCircuited: " in mp05["message"]
    assert mp05["message"].endswith(f"filter.properties.rules on {RF} (needed by `any(r in filter.properties.rules: "
                                    "r.properties.access =~ \"Allow\" and communities.services.entra_id in "
                                    "r.properties.communities)`)")
    assert doc["run"]["what_if"]["files"][0]["stopped"].startswith("NestedDeploymentShortCircuited: ")
    assert doc["run"]["what_if"]["summary"] == {"breaks": 0, "fixes": 0, "unknown": 3, "warns": 0}


def test_potential_changes_are_reported_and_applied_only_when_asked(argus, tmp_path):
    path = WHATIF / "cache-lockdown-potential.json"
    _, doc, _ = scan(argus, tmp_path, "--example", "--what-if", path)
    assert finding(doc, "AMX-PP-09", "lsa4f8e2b1c9d")["status"] == "warn" and tracked(doc) == []
    assert doc["run"]["what_if"]["not_applied"] == [{
        "resource": CACHE, "change_type": "Modify", "reason": "a potential change (applied with --what-if-potential)",
        "file": str(path), "pointer": "/properties/potentialChanges/0", "line": 167}]
    code, doc, _ = scan(argus, tmp_path, "--example", "--what-if", path, "--what-if-potential", "--fail-on-new")
    assert code == 1 and tracked(doc) == [("AMX-PP-09", "lsa4f8e2b1c9d", "fail", "updated")]
    assert doc["run"]["what_if"]["potential_applied"] is True and doc["run"]["what_if"]["not_applied"] == []


def test_resources_outside_the_snapshots_subscriptions_are_scanned_and_the_scope_is_named(argus, tmp_path):
    _, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "dr-zone-new-subscription.json")
    assert doc["run"]["what_if"]["uncovered_scopes"] == [
        {"scope": "/subscriptions/5d1e9f3a-7b2c-4e6d-9a8f-1c3b5e7d9f20", "changes": 2}]
    new_zone = [f for f in doc["findings"] if f["rule_id"] == "AMX-PP-07" and f.get("baseline_state") == "new"]
    assert [f["subject"]["id"].split("/")[2] for f in new_zone] == ["5d1e9f3a-7b2c-4e6d-9a8f-1c3b5e7d9f20"]
    code, out, _ = argus("scan", "--example", "--what-if", WHATIF / "dr-zone-new-subscription.json")
    assert ("the snapshot does not cover /subscriptions/5d1e9f3a-7b2c-4e6d-9a8f-1c3b5e7d9f20 (2 changes there): the "
            "rules see only what the what-if creates or changes in it, nothing else of that subscription") in \
        " ".join(out.split())


def test_several_what_if_files_apply_together(argus, tmp_path):
    _, doc, _ = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "spoke-link.cli.json",
                     "--what-if", WHATIF / "cache-lockdown.json")
    assert tracked(doc) == [("AMX-PP-09", "lsa4f8e2b1c9d", "fail", "updated")]
    assert [a["rule_id"] for a in doc["absent"]] == ["AMX-PP-07"]
    assert doc["run"]["what_if"]["applied"] == {"Create": 1, "Modify": 1}


# ---- refused input: exit 2, one located message, no output

def refused(argus, tmp_path, *argv) -> str:
    out = tmp_path / "report.json"
    code, stdout, err = argus("scan", "--example", *argv, "--format", "json", "--output", out)
    assert (code, stdout, out.exists()) == (2, "", False)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err.strip()


def test_a_failed_what_if_is_refused(argus, tmp_path):
    assert refused(argus, tmp_path, "--what-if", WHATIF / "failed.json") == (
        "argus scan: error: tests/data/whatif/failed.json: the what-if failed (status Failed, error "
        "InvalidTemplateDeployment: The template deployment 'pr-1234' is not valid according to the validation "
        "procedure.); fix the deployment and run what-if again")


@pytest.mark.parametrize("text,line,col,message", [
    ('{"status": "Succeeded",\n "changes": [ {,} ]}', 2, 16,
     "what-if is not valid JSON: unexpected character, expected a string key"),
    ('{"status": "Succeeded", "changes": [\n  {"resourceId": "/subscriptions/x/resourceGroups/r/providers/A.B/c/d",\n'
     '   "changeType": "Replace"}\n]}', 2, 3, '/changes/0/changeType: unknown change type "Replace"; expected one '
                                           "of Create, Delete, Deploy, Ignore, Modify, NoChange, Unsupported"),
    ('{"status": "Succeeded", "changes": [{"changeType": "Create"}]}', 1, 37,
     "/changes/0/resourceId: expected an Azure resource id, got null"),
    ('{"status": "Succeeded", "changes": [{"resourceId": "/subscriptions/x", "changeType": "Create", "after": []}]}',
     1, 37, "/changes/0/after: the predicted resource must be an object, got an array"),
])
def test_a_bad_change_or_bad_json_is_a_located_diagnostic(argus, tmp_path, text, line, col, message):
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "report.json"
    code, stdout, err = argus("scan", "--example", "--what-if", bad, "--format", "json", "--output", out)
    assert (code, stdout, out.exists()) == (2, "", False)
    source = text.split("\n")[line - 1]
    assert err == f"{bad}:{line}:{col}: E413: {message}\n  {source}\n  {' ' * (col - 1)}^\n"


@pytest.mark.parametrize("text,message", [
    ('{"status": "Running", "changes": []}', "bad.json: the what-if did not succeed (status Running); only a Succeeded "
                                             "preview can be scanned"),
    ('{"changes": []}', "bad.json: the what-if has no 'status' (absent), so it cannot be told from a failed one"),
    ('[1, 2]', "bad.json: not a what-if result: expected a JSON object, got an array"),
    ('{"status": "Succeeded", "changes": [{"after": ' + '{"a": ' * 120 + '1' + '}' * 120 + '}]}',
     "bad.json: the what-if nests more than 100 levels deep; not a deployment preview"),
    ('{"resources": []}', "bad.json: not a what-if result: no 'changes' (REST: 'properties.changes')"),
])
def test_a_what_if_of_the_wrong_shape_names_the_file(argus, tmp_path, text, message):
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    err = refused(argus, tmp_path, "--what-if", bad)
    assert err.startswith(f"argus scan: error: {tmp_path}/{message}"), err


def test_what_if_flags_misused(argus, tmp_path):
    assert refused(argus, tmp_path, "--what-if-potential") == \
        "argus scan: error: --what-if-potential needs --what-if FILE"
    previous = tmp_path / "previous.json"
    argus("scan", "--example", "--format", "json", "--output", previous)
    assert refused(argus, tmp_path, "--what-if", WHATIF / "cache-lockdown.json", "--baseline", previous) == (
        "argus scan: error: --what-if compares the estate after the deployment with the estate now; drop --baseline "
        "(the two comparisons cannot both be made)")
    assert refused(argus, tmp_path, "--what-if", tmp_path / "nowhere.json") == \
        f"argus scan: error: {tmp_path}/nowhere.json: no such what-if file"
    assert refused(argus, tmp_path, "--what-if", WHATIF / "cache-lockdown.json", "--history", tmp_path / "h.db") == \
        "argus scan: error: --history records scans of the estate; a --what-if scan is a prediction: drop --history"


def test_a_history_from_the_environment_is_not_appended_to(argus, tmp_path, monkeypatch):
    monkeypatch.setenv("ARGUS_HISTORY", str(tmp_path / "h.db"))
    code, doc, err = scan(argus, tmp_path, "--example", "--what-if", WHATIF / "cache-lockdown.json")
    assert code == 1 and doc is not None and not (tmp_path / "h.db").exists()
    assert (f"argus: note: ARGUS_HISTORY={tmp_path}/h.db is not appended to: a --what-if scan is a "
            "prediction, not the estate\n") in err
