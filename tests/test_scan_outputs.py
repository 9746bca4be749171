"""`argus scan` outputs end to end: --format/--output pairing by position, repository-relative SARIF paths,
--fail-on-new on findings that became failures, refused baselines, and history written only after the outputs."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ESTATE = REPO / "examples" / "estate"
FACTS = REPO / "examples" / "appliance" / "contoso-mig-app01.facts.json"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for key in list(os.environ):
        if key.startswith("ARGUS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NO_COLOR", "1")


def scan(argus, *argv):
    return argus("scan", "--snapshot", ESTATE, "--snapshot", FACTS, *argv)


def test_the_documented_multi_format_command_writes_each_file_in_its_format(argus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = scan(argus, "--format", "text", "--format", "sarif", "--output", "argus.sarif",
                          "--format", "json", "--output", "argus.json", "--format", "junit", "--output", "argus.xml",
                          "--format", "markdown", "--output", "summary.md")
    assert (code, err) == (1, "")
    assert out.startswith("argus 0.1.0 · policy azure-migrate · ") and out.endswith(
        "\n27 findings: 5 fail, 3 warn, 1 skip, 18 pass\n")
    log = json.loads((tmp_path / "argus.sarif").read_text(encoding="utf-8"))
    assert (log["version"], log["runs"][0]["tool"]["driver"]["name"]) == ("2.1.0", "argus")
    report = json.loads((tmp_path / "argus.json").read_text(encoding="utf-8"))
    assert (report["schema_version"], report["summary"]["total"]) == ("1.0", 27)
    suites = ET.parse(tmp_path / "argus.xml").getroot()
    assert (suites.tag, suites.get("tests"), suites.get("failures")) == ("testsuites", "27", "8")
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("## argus: azure-migrate\n\n**5 fail · 3 warn")


def test_stdout_format_may_come_anywhere(argus, tmp_path):
    code, out, err = scan(argus, "--format", "json", "--output", tmp_path / "r.json", "--format", "markdown")
    assert (code, err) == (1, "")
    assert out.startswith("## argus: azure-migrate\n")
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["total"] == 27


@pytest.mark.parametrize("argv,message", [
    (["--output", "a.json", "--format", "json"],
     "--output a.json comes before any --format; put it right after the format it is for (--format json --output a.json)"),
    (["--format", "json", "--output", "a.json", "--output", "b.json"],
     "--output b.json: --format json already writes to a.json; give each --format its own --output right after it"),
    (["--format", "text", "--format", "json", "--output", "a.json", "--format", "sarif"],
     "only one format can go to stdout; give --output FILE for the others"),
    (["--output", "argus.sarif", "--format", "sarif"], "--output argus.sarif comes before any --format; put it "
     "right after the format it is for (--format sarif --output argus.sarif)"),
    (["--output", "report", "--format", "sarif"], "--output report comes before any --format; put it "
     "right after the format it is for (--format FORMAT --output report)"),
    (["--format", "json", "--output", "a.out", "--format", "sarif", "--output", "./a.out"],
     "--output ./a.out is given for both --format json and --format sarif; one file holds one format"),
])
def test_pairing_mistakes_are_usage_errors(argus, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    assert scan(argus, *argv) == (2, "", f"argus scan: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_live_sarif_needs_a_saved_snapshot(argus, tmp_path):
    code, out, err = argus("scan", "--live", "--subscription", "0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40",
                           "--format", "sarif", "--output", tmp_path / "argus.sarif")
    assert (code, out, err) == (2, "", "argus scan: error: --live with --format sarif needs --save-snapshot FILE: "
                                       "SARIF results point at rows of the snapshot file, so it has to outlive the scan\n")


def test_sarif_paths_are_relative_to_the_git_work_tree(argus, tmp_path, monkeypatch):
    monkeypatch.chdir(REPO / "docs")  # a subdirectory of the repository
    out = tmp_path / "argus.sarif"
    assert argus("scan", "--snapshot", "../examples/estate", "--format", "sarif", "--output", out)[0] == 1
    run = json.loads(out.read_text(encoding="utf-8"))["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": REPO.as_uri() + "/"}}
    assert [a["location"] for a in run["artifacts"] if a["roles"] == ["analysisTarget"]] == [
        {"uri": f"examples/estate/{name}", "uriBaseId": "%SRCROOT%"}
        for name in ("dnsresources.jsonl", "resourcecontainers.pages.json", "resources.json")]
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%" and (REPO / location["uri"]).is_file()


def test_sarif_paths_outside_a_git_work_tree_are_relative_to_the_working_directory(argus, tmp_path, monkeypatch):
    if any((parent / ".git").exists() for parent in tmp_path.parents):
        pytest.skip("the temporary directory is inside a git work tree")
    shutil.copytree(ESTATE, tmp_path / "snap")
    monkeypatch.chdir(tmp_path)
    assert argus("scan", "--snapshot", "snap", "--format", "sarif", "--output", "argus.sarif")[0] == 1
    run = json.loads((tmp_path / "argus.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    assert run["artifacts"][2]["location"] == {"uri": "snap/resources.json", "uriBaseId": "%SRCROOT%"}
    rule_file = next(a for a in run["artifacts"] if a["roles"] == ["policy"])["location"]
    assert rule_file["uri"].startswith((REPO / "rules").as_uri()) and "uriBaseId" not in rule_file


def edited_report(argus, tmp_path, edit) -> Path:
    path = tmp_path / "previous.json"
    assert scan(argus, "--format", "json", "--output", path)[0] == 1
    doc = json.loads(path.read_text(encoding="utf-8"))
    for finding in doc["findings"]:
        edit(finding)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_fail_on_new_fails_on_a_finding_that_became_a_failure(argus, tmp_path):
    def was_warn(finding):
        if finding["rule_id"] == "AMX-PP-07":  # the DNS zone not linked to the spoke: fail now, warn before
            finding["status"] = "warn"
    previous = edited_report(argus, tmp_path, was_warn)
    out = tmp_path / "now.json"
    code, text, err = scan(argus, "--baseline", previous, "--fail-on-new", "--format", "json", "--output", out,
                           "--format", "text")
    assert (code, err) == (1, "")  # exit 0 before: "updated" never counted
    (zone,) = [f for f in json.loads(out.read_text(encoding="utf-8"))["findings"] if f["rule_id"] == "AMX-PP-07"]
    assert (zone["baseline_state"], zone["baseline_previous"]["status"]) == ("updated", "warn")
    assert "[updated, was warn]" in text
    assert scan(argus, "--baseline", previous, "--fail-on-new", "--fail-on", "critical", "--format", "json",
                "--output", out)[0] == 0  # AMX-PP-07 is high: below --fail-on critical


def test_fail_on_new_ignores_a_failure_whose_message_changed(argus, tmp_path):
    def reworded(finding):
        if finding["rule_id"] == "AMX-PP-07":
            finding["message"] = "the zone is not linked"
    previous = edited_report(argus, tmp_path, reworded)
    assert scan(argus, "--baseline", previous, "--fail-on-new", "--format", "json", "--output", tmp_path / "n.json")[0] == 0


def test_a_cut_sarif_baseline_is_refused(argus, tmp_path):
    previous = tmp_path / "previous.sarif"
    assert scan(argus, "--format", "sarif", "--output", previous)[0] == 1
    log = json.loads(previous.read_text(encoding="utf-8"))
    log["runs"][0]["properties"]["omittedResults"] = 3
    previous.write_text(json.dumps(log), encoding="utf-8")
    out = tmp_path / "now.json"
    code, _, err = scan(argus, "--baseline", previous, "--format", "json", "--output", out)
    assert (code, out.exists()) == (2, False)
    assert err == (f"argus scan: error: {previous}: this SARIF log left out 3 results (GitHub's limit of 25,000 per "
                   "run), so as a baseline it would make them all new; use that scan's JSON report (--format json) "
                   "as the baseline instead\n")


def recorded(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0]


def test_history_records_a_scan_only_once_its_outputs_are_written(argus, tmp_path):
    db = tmp_path / "history.db"
    code, _, err = scan(argus, "--history", db, "--format", "json", "--output", tmp_path / "r.json",
                        "--format", "sarif", "--output", tmp_path / "missing-dir" / "r.sarif")
    assert (code, err) == (2, f"argus scan: error: {tmp_path / 'missing-dir' / 'r.sarif'}: cannot write: "
                              f"directory {tmp_path / 'missing-dir'} does not exist\n")
    assert not db.exists()  # the failed run is not in the trend; a retry records the scan once
    assert scan(argus, "--history", db, "--format", "json", "--output", tmp_path / "r.json")[0] == 1
    assert recorded(db) == 1


def documented_command() -> list[str]:
    """The first `argus scan` command in docs/outputs.md, as words."""
    text = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(argus scan .*?)```", text, re.DOTALL).group(1)
    return shlex.split(block.replace("\\\n", " "))


def test_the_command_in_outputs_md_is_the_one_tested_above(argus, tmp_path, monkeypatch):
    words = documented_command()
    assert words == ["argus", "scan", "--snapshot", "snapshot.json", "--format", "text", "--format", "sarif",
                     "--output", "argus.sarif", "--format", "json", "--output", "argus.json", "--format", "junit",
                     "--output", "argus.xml", "--format", "markdown", "--output", "summary.md"]
    monkeypatch.chdir(tmp_path)
    shutil.copy(ESTATE / "resources.json", tmp_path / "snapshot.json")
    code, out, err = argus(*words[1:])
    assert (code, err) == (1, "") and out.startswith("argus 0.1.0 · ")
    assert json.loads((tmp_path / "argus.json").read_text(encoding="utf-8"))["schema_version"] == "1.0"
    assert json.loads((tmp_path / "argus.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert (tmp_path / "argus.xml").read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert (tmp_path / "summary.md").read_text(encoding="utf-8").startswith("## argus: azure-migrate\n")


def test_sarif_locates_rows_from_the_load_while_the_snapshot_lives(argus, tmp_path, monkeypatch):
    """The scanned snapshot outlives the rendering of every output, so SARIF finds each result's row around the
    anchors the projected load left (argus.snapshots.rowanchors), never by reading a file again (argus.snapshots.rowpos.RowIndex)."""
    from argus.snapshots import rowpos

    def no_second_read(*args):
        raise AssertionError("a snapshot file was read again to locate rows")
    monkeypatch.setattr(rowpos, "RowIndex", no_second_read)
    code, _, err = argus("scan", "--snapshot", ESTATE / "resources.json", "--format", "sarif",
                         "--output", tmp_path / "argus.sarif")
    assert (code, err) == (1, "argus scan: 27 findings: 4 fail, 3 warn, 7 not evaluated, 13 pass "
                              f"(written to {tmp_path / 'argus.sarif'})\n")
    results = json.loads((tmp_path / "argus.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in results)
