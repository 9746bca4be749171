"""`argus scan` end to end on the bundled example: export formats, waivers, baselines, history, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from junitparser import JUnitXml

from argus.commands.cli import main

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = REPO / "tests" / "data" / "schemas" / "sarif-schema-2.1.0.json"  # see its README
REPORT_SCHEMA = REPO / "engine" / "schemas" / "report.schema.json"
FACTS = "examples/appliance/contoso-mig-app01.facts.json"


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch):
    monkeypatch.chdir(REPO)  # as CI runs it: relative snapshot paths are repository paths
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="module")
def failing(tmp_path_factory) -> list[str]:
    """The rules with fail findings on the bundled example (see examples/README.md for what is wrong there)."""
    out = tmp_path_factory.mktemp("example") / "example.json"
    main(["scan", "--snapshot", str(REPO / "examples" / "estate"), "--snapshot", str(REPO / FACTS),
          "--format", "json", "--output", str(out)])
    rules = sorted({f["rule_id"] for f in load(out)["findings"] if f["status"] == "fail"})
    assert len(rules) >= 3
    return rules


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def problems(doc: dict) -> dict[str, str | None]:
    return {f["rule_id"]: f.get("baseline_state") for f in doc["findings"] if f["status"] in ("fail", "warn")}


def changed_estate(tmp_path: Path) -> str:
    """The example estate a week later: the v1 account upgraded, the endpoint connection re-requested,
    the gateway account's allowed IP changed."""
    estate = tmp_path / "estate"
    shutil.copytree(REPO / "examples" / "estate", estate)
    resources = estate / "resources.json"
    data = json.loads(resources.read_text(encoding="utf-8"))

    def edit(node):
        if isinstance(node, dict):
            if node.get("name") == "lsa7c1d0e93ab" and node.get("kind") == "Storage":
                node["kind"] = "StorageV2"
            if node.get("status") == "Approved":
                node["status"] = "Pending"
            if node.get("value") == "203.0.113.24":
                node["value"] = "198.51.100.7"
            for value in node.values():
                edit(value)
        elif isinstance(node, list):
            for value in node:
                edit(value)

    edit(data)
    resources.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return str(estate)


def test_sarif_junit_json_markdown_from_one_scan(tmp_path, capsys, failing):
    out = {fmt: tmp_path / f"argus.{fmt}" for fmt in ("sarif", "junit", "json", "markdown")}
    argv = ["scan", "--example"] + [arg for fmt, path in out.items() for arg in ("--format", fmt, "--output", str(path))]
    assert main(argv) == 1  # the example has failing findings
    assert capsys.readouterr().out == ""

    log = load(out["sarif"])
    jsonschema.Draft4Validator(load(SARIF_SCHEMA)).validate(log)
    results = log["runs"][0]["results"]
    doc = load(out["json"])
    severe = sorted(f["rule_id"] for f in doc["findings"] if f["status"] == "fail" and f["severity"] in ("critical", "high"))
    assert sorted(r["ruleId"] for r in results if r["level"] == "error") == severe
    assert {r["ruleId"] for r in results if r["properties"]["status"] == "fail"} == set(failing)
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert (REPO / uri).is_file(), uri  # repository-relative, as code scanning needs

    jsonschema.Draft202012Validator(load(REPORT_SCHEMA)).validate(doc)
    xml = JUnitXml.fromfile(str(out["junit"]))
    assert xml.tests == doc["summary"]["total"]
    assert xml.failures == doc["summary"]["by_status"]["fail"] + doc["summary"]["by_status"]["warn"]
    assert out["markdown"].read_text(encoding="utf-8").startswith("## argus: azure-migrate\n")


def test_include_passed_adds_pass_results(tmp_path):
    path = tmp_path / "all.sarif"
    main(["scan", "--example", "--format", "sarif", "--output", str(path), "--include-passed"])
    kinds = {r.get("kind", "fail") for r in load(path)["runs"][0]["results"]}
    assert kinds == {"fail", "pass", "notApplicable"}


def test_second_scan_of_a_changed_snapshot(tmp_path):
    first = tmp_path / "first.sarif"
    assert main(["scan", "--example", "--format", "sarif", "--output", str(first)]) == 1
    second = tmp_path / "second.json"
    code = main(["scan", "--snapshot", changed_estate(tmp_path), "--snapshot", FACTS, "--baseline", str(first),
                 "--format", "json", "--output", str(second), "--fail-on-new"])
    doc = load(second)
    states = problems(doc)
    # the re-requested endpoint connection fails anew; the gateway account's warning names the new IP
    assert (states.pop("AMX-PP-04"), states.pop("AMX-PP-10")) == ("new", "updated")
    assert states and set(states.values()) == {"unchanged"}
    assert [(a["rule_id"], a["subject"]["name"]) for a in doc["absent"]] == [("AMX-PP-02", "lsa7c1d0e93ab")]
    assert code == 1  # AMX-PP-04 is new and fails


def test_fail_on_new_passes_when_nothing_is_new(tmp_path):
    first = tmp_path / "first.json"
    main(["scan", "--example", "--format", "json", "--output", str(first)])
    assert main(["scan", "--example", "--format", "json", "--output", str(tmp_path / "again.json"), "--baseline", str(first),
                 "--fail-on-new"]) == 0
    assert main(["scan", "--example", "--format", "json", "--output", str(tmp_path / "again.json"), "--baseline", str(first)]) == 1


def test_waivers_from_policies_file_and_waivers_file(tmp_path, capsys, failing):
    assert "AMX-PP-07" in failing  # the DNS zone not linked to the spoke, waived in policies.yaml below
    policies = tmp_path / "policies.yaml"
    policies.write_text(
        "version: 1\n"
        "policies:\n"
        f"  ci:\n    rules: [{REPO / 'rules' / 'azure-migrate'}]\n"
        "waivers:\n"
        "  - rule: AMX-PP-07\n"
        "    subject: '*/privateDnsZones/privatelink.blob.core.windows.net'\n"
        "    justification: spoke link is created with the landing zone refresh\n"
        "    owner: netops\n"
        "    expires: 2099-12-31\n", encoding="utf-8")
    extra = tmp_path / "waivers.yaml"
    extra.write_text("waivers:\n" + "".join(
        f"  - {{rule: {rule}, subject: '*', justification: accepted for the pilot, owner: cloud team, "
        f"expires: 2099-12-31}}\n" for rule in failing if rule != "AMX-PP-07") +
        "  - {rule: AMX-PP-09, subject: '*', justification: old, owner: cloud team, expires: 2001-01-01}\n"
        "  - {rule: AMX-MP-01, subject: '*', justification: never needed, owner: cloud team, expires: 2099-12-31}\n",
        encoding="utf-8")
    out = tmp_path / "waived.json"
    code = main(["scan", "--example", "--policies", str(policies), "--waivers", str(extra), "--format", "json", "--output", str(out)])
    doc = load(out)
    assert code == 0  # every failing finding is waived
    assert sorted({f["rule_id"] for f in doc["findings"] if "waiver" in f}) == failing
    assert [(w["rule"], w["state"], w["source"]) for w in doc["waivers"]] == (
        [("AMX-PP-07", "active", f"{policies}:6")]
        + [(rule, "active", f"{extra}:{i + 2}") for i, rule in enumerate(r for r in failing if r != "AMX-PP-07")]
        + [("AMX-PP-09", "expired", f"{extra}:6"), ("AMX-MP-01", "unused", f"{extra}:7")])
    assert all(f["status"] == "fail" for f in doc["findings"] if "waiver" in f)


def test_unknown_rule_in_waivers_is_a_usage_error(tmp_path, capsys):
    extra = tmp_path / "waivers.yaml"
    extra.write_text("- {rule: AMX-PP-007, subject: '*', justification: j, owner: o, expires: 2099-12-31}\n")
    out = tmp_path / "never.sarif"
    assert main(["scan", "--example", "--waivers", str(extra), "--format", "sarif", "--output", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"{extra}:1:10: E404: waiver 1: unknown rule 'AMX-PP-007' (did you mean 'AMX-PP-07'?)\n"
        "  - {rule: AMX-PP-007, subject: '*', justification: j, owner: o, expires: 2099-12-31}\n"
        "           ^~~~~~~~~~\n")
    assert not out.exists()


def test_history_records_each_scan(tmp_path, capsys):
    db = tmp_path / "history.db"
    for _ in range(2):
        assert main(["scan", "--example", "--format", "json", "--output", str(tmp_path / "r.json"), "--history", str(db)]) == 1
    capsys.readouterr()
    assert main(["history", str(db), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["scans"]) == 2 and data["by_rule"]["AMX-PP-07"] == [1, 1]


@pytest.mark.parametrize("argv,message", [
    (["--fail-on-new"], "--fail-on-new needs --baseline PREVIOUS"),
    (["--baseline", "does-not-exist.json"], "does-not-exist.json: cannot read baseline"),
])
def test_usage_errors(capsys, argv, message):
    assert main(["scan", "--example", "--format", "json", "--output", "/dev/null", *argv]) == 2
    assert message in capsys.readouterr().err
