"""Baselines: a second scan of a changed snapshot, compared with the first as JSON and as SARIF."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from argus.state import baseline
from argus.reports import sarif
from argus.diagnostics import DiagnosticError
from argus.reports.report import is_new
from argus.errors import UserError
from reportdata import REPORTS, report

REPO = Path(__file__).resolve().parents[1]
FIRST = str(REPORTS / "scan-2026-11-20.json")


def states(doc: dict) -> list[tuple[str, str, str, str | None]]:
    return [(f["rule_id"], f["subject"]["name"], f["status"], f.get("baseline_state")) for f in doc["findings"]]


# What changed between the two snapshots: lsacontoso03 appeared with public access, er-contoso-fra got
# provisioned (so its route filter is now checked and missing), app01's bypass list grew but still misses
# the storage host. Passes and skips carry no state.
EXPECTED_STATES = [
    ("ARGUS-PE-001", "lsacontoso01", "fail", "unchanged"),
    ("ARGUS-PE-001", "lsacontoso02", "pass", None),
    ("ARGUS-PE-001", "lsacontoso03", "fail", "new"),
    ("ARGUS-DNS-002", "privatelink.blob.core.windows.net", "fail", "unchanged"),
    ("ARGUS-ER-003", "er-contoso-ams", "pass", None),
    ("ARGUS-ER-003", "er-contoso-fra", "pass", None),
    ("ARGUS-APP-004", "contoso-mig-app01", "fail", "updated"),
    ("ARGUS-APP-004", "contoso-mig-app02", "not_evaluated", "unchanged"),
    ("ARGUS-RF-005", "er-contoso-ams", "error", "unchanged"),
    ("ARGUS-RF-005", "er-contoso-fra", "fail", "new"),
    ("ARGUS-VAULT-006", "rsv-contoso-migrate", "warn", "unchanged"),
    ("ARGUS-GW-007", "", "not_evaluated", "unchanged"),
]
EXPECTED_ABSENT = [{
    "rule_id": "ARGUS-ER-003", "title": "ExpressRoute circuit is provisioned by the connectivity provider",
    "severity": "critical", "status": "fail",
    "subject": {"id": "/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourceGroups/rg-hub-weu/providers/"
                      "Microsoft.Network/expressRouteCircuits/er-contoso-fra",
                "name": "er-contoso-fra", "type": "microsoft.network/expressroutecircuits"},
}]


@pytest.fixture()
def first_as_sarif(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # the report's snapshot paths are relative to the repository root
    path = tmp_path / "first.sarif"
    path.write_text(sarif.render(report("scan-2026-11-20.json")), encoding="utf-8")
    return str(path)


def test_second_scan_against_json_baseline():
    doc = report()
    baseline.apply(doc, baseline.load(FIRST))
    assert states(doc) == EXPECTED_STATES
    assert [{k: v for k, v in a.items() if k != "message"} for a in doc["absent"]] == EXPECTED_ABSENT
    assert doc["absent"][0]["message"] == "serviceProviderProvisioningState is 'NotProvisioned', expected 'Provisioned'"
    assert doc["run"]["baseline"] == {"path": FIRST, "format": "json", "started_at": "2026-11-20T09:30:00Z"}


def test_second_scan_against_sarif_baseline(first_as_sarif):
    doc = report()
    baseline.apply(doc, baseline.load(first_as_sarif))
    assert states(doc) == EXPECTED_STATES
    assert [{k: v for k, v in a.items() if k != "message"} for a in doc["absent"]] == EXPECTED_ABSENT
    assert doc["absent"][0]["message"] == ("er-contoso-fra: serviceProviderProvisioningState is 'NotProvisioned', "
                                           "expected 'Provisioned'")
    assert doc["run"]["baseline"]["format"] == "sarif"


def test_annotated_report_follows_the_report_schema():
    doc = report()
    baseline.apply(doc, baseline.load(FIRST))
    schema = json.loads((REPO / "engine" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)


def test_same_scan_is_all_unchanged_and_nothing_absent():
    doc = report()
    baseline.apply(doc, baseline.load(str(REPORTS / "scan-2026-11-27.json")))
    assert {f.get("baseline_state") for f in doc["findings"] if f["status"] != "pass"} == {"unchanged"}
    assert doc["absent"] == []


def test_new_only_for_fail_on_new():
    doc = report()
    baseline.apply(doc, baseline.load(FIRST))
    assert [f["subject"]["name"] for f in doc["findings"] if is_new(f)] == ["lsacontoso03", "er-contoso-fra"]


def test_subject_ids_compare_case_insensitively():
    # scan 1 recorded lsacontoso01 with a lower-cased id, scan 2 with the portal casing
    first, second = report("scan-2026-11-20.json"), report()
    assert first["findings"][0]["subject"]["id"] != second["findings"][0]["subject"]["id"]
    baseline.apply(second, baseline.load(FIRST))
    assert second["findings"][0]["baseline_state"] == "unchanged"


def test_status_change_between_problems_is_updated():
    doc = report()
    doc["findings"][10]["status"] = "fail"  # the vault was warn in the baseline
    baseline.apply(doc, baseline.load(FIRST))
    assert doc["findings"][10]["baseline_state"] == "updated"
    assert doc["findings"][10]["baseline_previous"] == {"status": "warn", "severity": "info",
                                                       "message": "publicNetworkAccess is 'Enabled'"}
    assert "baseline_previous" not in doc["findings"][0]  # unchanged: nothing to tell


# (index of the finding in scan-2026-11-27, what it becomes, --fail-on, new for --fail-on-new: the baseline
# did not already fail on it at or above --fail-on; scan.exit_code checks the current severity itself)
BECAME = [
    (10, {"status": "fail"}, "info", True),                        # warn -> fail
    (7, {"status": "fail"}, "info", True),                         # not_evaluated -> fail
    (8, {"status": "fail"}, "info", True),                         # error -> fail
    (6, {"message": "bypass list is empty"}, "info", False),       # fail -> fail, only the message changed
    (6, {"severity": "critical"}, "critical", True),               # fail high -> critical: now above --fail-on
    (6, {"severity": "critical"}, "high", False),                  # ... already failed at --fail-on high before
    (2, {}, "info", True),                                         # new
    (0, {}, "info", False),                                        # unchanged
]


@pytest.mark.parametrize("index,change,fail_on,expected", BECAME)
def test_is_new_counts_what_newly_fails(index, change, fail_on, expected):
    doc = report()
    doc["findings"][index].update(change)
    baseline.apply(doc, baseline.load(FIRST))
    assert is_new(doc["findings"][index], fail_on) is expected


def test_duplicate_keys_pair_up_in_order():
    doc = report()
    doc["findings"].append(json.loads(json.dumps(doc["findings"][0])))
    baseline.apply(doc, baseline.load(FIRST))
    assert (doc["findings"][0]["baseline_state"], doc["findings"][-1]["baseline_state"]) == ("unchanged", "new")


@pytest.mark.parametrize("content,message", [
    ("[1, 2]", "baseline is neither an argus JSON report nor a SARIF log"),
    ('{"schema_version": "1.0", "run": {}}', "baseline is not a valid argus report at (top): 'rules' is a required property"),
    ('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "CodeQL"}}, "results": []}]}',
     "baseline SARIF was not written by argus"),
    ('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "argus"}}, "results": [{"ruleId": "X"}]}]}',
     "baseline SARIF is malformed (missing 'result properties status/severity/subject')"),
])
def test_bad_baselines(tmp_path, content, message):
    path = tmp_path / "previous.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        baseline.load(str(path))
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "previous.json"
    path.write_text('{"runs": [\n  oops', encoding="utf-8")
    with pytest.raises(DiagnosticError) as caught:
        baseline.load(str(path))
    assert str(caught.value) == f"{path}:2:3: E408: baseline is not valid JSON: Expecting value\n    oops\n    ^"


def test_missing_baseline_file(tmp_path):
    with pytest.raises(UserError, match="cannot read baseline: No such file or directory"):
        baseline.load(str(tmp_path / "nope.json"))


def test_sarif_cut_at_the_limit_is_refused_as_baseline(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    path = tmp_path / "cut.sarif"
    path.write_text(sarif.render(report("scan-2026-11-20.json"), max_results=3), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        baseline.load(str(path))
    assert str(caught.value) == (
        f"{path}: this SARIF log left out 5 results (GitHub's limit of 25,000 per run), so as a baseline it would "
        "make them all new; use that scan's JSON report (--format json) as the baseline instead")


@pytest.mark.parametrize("value", ['"3"', "-1", "true"])
def test_sarif_with_a_bad_omitted_count_is_malformed(tmp_path, value):
    path = tmp_path / "odd.sarif"
    path.write_text('{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "argus"}}, "results": [], '
                    f'"properties": {{"omittedResults": {value}}}}}]}}', encoding="utf-8")
    with pytest.raises(UserError) as caught:
        baseline.load(str(path))
    assert str(caught.value) == (f"{path}: baseline SARIF is malformed (run.properties.omittedResults is "
                                 f"{json.loads(value)!r}, not a count)")
