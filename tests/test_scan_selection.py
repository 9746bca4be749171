"""`argus scan` selection and CLI conveniences: --rule/--skip-rule/--severity (what runs, said in the report),
-f/-o, --verbose, the summary on stderr when every format goes to a file, the CI formats end to end with the
GitHub job summary, and the usage errors (unknown rule or severity, two formats on stdout: exit 2)."""

from __future__ import annotations

import json
import re
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    monkeypatch.chdir(ROOT)
    for key in [k for k in os.environ if k.startswith(("ARGUS_", "GITHUB_"))] + ["COLUMNS"]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def scan_json(argus, tmp_path, *argv):
    code, out, err = argus("scan", "--example", *argv, "-f", "json", "-o", tmp_path / "r.json")
    return code, json.loads((tmp_path / "r.json").read_text(encoding="utf-8")), err


def test_rule_globs_any_case_skip_and_severity_select_what_runs(argus, tmp_path):
    code, doc, err = scan_json(argus, tmp_path, "--rule", "amx-pp-0*", "--rule", "AMX-MP-05",
                               "--skip-rule", "AMX-PP-02,amx-pp-03", "--severity", "HIGH")
    ran = sorted({f["rule_id"] for f in doc["findings"]})
    assert ran == ["AMX-MP-05", "AMX-PP-01", "AMX-PP-06", "AMX-PP-07", "AMX-PP-09"]
    assert [r["id"] for r in doc["rules"]] and {r["severity"] for r in doc["rules"]} == {"high"}
    assert doc["run"]["selection"] == {"rules": ["amx-pp-0*", "AMX-MP-05"], "skip_rules": ["AMX-PP-02", "amx-pp-03"],
                                       "severities": ["high"], "selected": 5, "available": 23}
    assert code == 1 and err.startswith("argus scan: ")


def test_without_selection_the_header_says_every_rule_ran(argus, tmp_path):
    _, doc, _ = scan_json(argus, tmp_path)
    assert doc["run"]["selection"] == {"rules": [], "skip_rules": [], "severities": [], "selected": 23,
                                       "available": 23}


def test_text_says_what_was_selected_and_fail_on_stays_in_charge(argus):
    code, out, err = argus("scan", "--example", "--severity", "critical", "--fail-on", "critical")
    assert out.splitlines()[3] == "selected 7 of 23 rules: --severity critical"
    assert code == 1  # AMX-PP-03 fails, critical
    code, out, err = argus("scan", "--example", "--severity", "low", "--fail-on", "high")
    assert code == 0
    assert err == ("argus scan: note: --severity low selects only rules below --fail-on high: their failures are "
                   "reported but cannot fail the run\n")


@pytest.mark.parametrize("argv,message", [
    (["--rule", "AMX-XX-01"], "argus scan: error: --rule AMX-XX-01: no rule has this id (did you mean 'AMX-PP-01'?) "
                              "(`argus rules` lists them)\n"),
    (["--skip-rule", "nothing*"], "argus scan: error: --skip-rule nothing*: no rule has this id "
                                  "(`argus rules` lists them)\n"),
    (["--policy", "azure-migrate-private-peering", "--rule", "AMX-MP-05"],
     "argus scan: error: --rule AMX-MP-05: AMX-MP-05 is not in the policy being run; choose the policy that has it "
     "(--policy NAME) or its rule file (--rules)\n"),
    (["-f", "github", "-f", "text"], "argus scan: error: only one format can go to stdout; give --output FILE for "
                                     "the others\n"),
])
def test_bad_selection_and_two_stdout_formats_exit_2(argus, argv, message):
    assert argus("scan", "--example", *argv) == (2, "", message)


def test_unknown_severity_is_a_usage_error(argus):
    code, out, err = argus("scan", "--example", "--severity", "urgent")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == ("argus scan: error: argument --severity: unknown severity 'urgent': expected one "
                                    "of critical, high, medium, low, info")


def test_short_flags_and_the_summary_on_stderr(argus, tmp_path):
    code, out, err = argus("scan", "--example", "-f", "sarif", "-o", tmp_path / "a.sarif", "-f", "text", "-o",
                           tmp_path / "a.txt")
    assert (code, out) == (1, "")
    assert err == (f"argus scan: 27 findings: 5 fail, 3 warn, 1 skip, 18 pass (written to {tmp_path / 'a.sarif'}, "
                   f"{tmp_path / 'a.txt'})\n")
    text = (tmp_path / "a.txt").read_text(encoding="utf-8")
    assert "\x1b[" not in text and text.endswith("27 findings: 5 fail, 3 warn, 1 skip, 18 pass\n")


def test_verbose_lists_passing_rules_and_full_ids(argus):
    code, out, err = argus("scan", "--example", "--verbose")
    assert (code, err) == (1, "")
    assert "  PASS  er-ams-contoso-01  rg/rg-network-hub · expressRouteCircuits/er-ams-contoso-01" in out.splitlines()
    assert ("        /subscriptions/a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74/resourceGroups/RG-Migrate/providers/"
            "Microsoft.Storage/storageAccounts/lsa7c1d0e93ab") in out.splitlines()
    assert "rules passed" not in out


def test_github_format_on_stdout_and_the_job_summary(argus, tmp_path, monkeypatch):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out, err = argus("scan", "--example", "-f", "github")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert len(lines) == 9 and lines[-1] == "argus: 27 findings: 5 fail, 3 warn, 1 skip, 18 pass"
    assert lines[0].startswith("::error file=examples/appliance/contoso-mig-app01.facts.json,line=4,col=7,"
                               "title=AMX-PP-12 (high)%3A The blob endpoint is not bypassed wholesale::")
    written = summary.read_text(encoding="utf-8")
    _, markdown, _ = argus("scan", "--example", "-f", "markdown")  # the job summary is the Markdown report
    scanned = re.compile(r"scanned \S+")
    assert scanned.sub("scanned <time>", written) == scanned.sub("scanned <time>", f"earlier step\n{markdown}\n")
    assert markdown.startswith("## argus: azure-migrate\n\n**5 fail · 3 warn · 1 skip · 18 pass** — 27 findings")


def test_azuredevops_format_to_a_file(argus, tmp_path):
    code, out, err = argus("scan", "--example", "--format", "azuredevops", "--output", tmp_path / "ado.log")
    assert (code, out) == (1, "")
    lines = (tmp_path / "ado.log").read_text(encoding="utf-8").splitlines()
    assert sum(line.startswith("##vso[task.logissue type=error;") for line in lines) == 5
    assert sum(line.startswith("##vso[task.logissue type=warning;") for line in lines) == 3



def test_github_format_to_a_file_holds_what_stdout_would(argus, tmp_path):
    code, on_stdout, _ = argus("scan", "--example", "-f", "github")
    code_file, out, err = argus("scan", "--example", "--format", "github", "--output", tmp_path / "gh.log")
    assert (code, code_file, out) == (1, 1, "")
    assert (tmp_path / "gh.log").read_text(encoding="utf-8") == on_stdout
    assert err == f"argus scan: 27 findings: 5 fail, 3 warn, 1 skip, 18 pass (written to {tmp_path / 'gh.log'})\n"


def test_explain_has_the_short_flags_too(argus, tmp_path):
    code, out, err = argus("explain", "AMX-PP-07", "--example", "-f", "json", "-o", tmp_path / "e.json")
    assert (code, out, err) == (0, "", "")
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["rule"]["id"] == "AMX-PP-07"
