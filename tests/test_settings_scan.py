"""`argus scan` with settings from the environment and policies.yaml: the policy still applies, paths in the
file are relative to it, and messages name the variable or file a bad value came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules" / "azure-migrate"
ESTATE = REPO / "examples" / "estate"
FACTS = REPO / "examples" / "appliance" / "contoso-mig-app01.facts.json"
WAIVER_PP07 = ("  - {rule: AMX-PP-07, subject: '*/privatelink.blob.core.windows.net', justification: spoke link pending, "
               "owner: netops, expires: 2099-12-31}\n")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for key in list(os.environ):
        if key.startswith("ARGUS_"):
            monkeypatch.delenv(key)


def write_policies(folder: Path, *, settings: str = "", extra_waivers: str = "", waive: bool = True) -> Path:
    """A pilot policy over two rules, with a severity override, a parameter and (``waive``) a waiver for the
    one that fails: with cache_account lsa4f8e2b1c9d, AMX-PP-02 passes and AMX-PP-07 fails."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "policies.yaml"
    path.write_text(
        "version: 1\n"
        "default_policy: pilot\n"
        + settings +
        "policies:\n"
        "  pilot:\n"
        f"    rules: [{os.path.relpath(RULES, folder)}]\n"
        "    include: [AMX-PP-02, AMX-PP-07]\n"
        "    severity: {AMX-PP-07: low}\n"
        "    parameters: {cache_account: lsa4f8e2b1c9d}\n"
        + ("waivers:\n" + (WAIVER_PP07 if waive else "") + extra_waivers if waive or extra_waivers else ""),
        encoding="utf-8")
    return path


def scan_json(argus, tmp_path, *argv) -> tuple[int, dict, str]:
    out = tmp_path / "report.json"
    code, _, err = argus("scan", "--snapshot", ESTATE, "--snapshot", FACTS, *argv, "--format", "json", "--output", out)
    return code, json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}, err


def summary(doc: dict) -> dict:
    return {"policy": doc["run"]["policy"], "rules": sorted(r["id"] for r in doc["rules"]),
            "severity": {r["id"]: r["severity"] for r in doc["rules"] if r["id"] == "AMX-PP-07"},
            "cache_account": doc["run"]["parameters"].get("cache_account"),
            "waived": sorted(f["rule_id"] for f in doc["findings"] if "waiver" in f)}


POLICY_APPLIED = {"policy": "pilot", "rules": ["AMX-PP-02", "AMX-PP-07"], "severity": {"AMX-PP-07": "low"},
                  "cache_account": "lsa4f8e2b1c9d", "waived": ["AMX-PP-07"]}


def test_rules_from_the_environment_run_under_the_policy(argus, tmp_path, monkeypatch):
    policies = write_policies(tmp_path / "cfg")
    monkeypatch.setenv("ARGUS_RULES", str(RULES))
    code, doc, _ = scan_json(argus, tmp_path, "--policies", policies)
    assert summary(doc) == POLICY_APPLIED
    assert doc["run"]["settings"]["rules"] == "ARGUS_RULES"
    assert code == 0  # AMX-PP-07 fails, waived


def test_rules_from_the_policies_file_settings_run_under_the_policy(argus, tmp_path):
    folder = tmp_path / "cfg"
    policies = write_policies(folder, settings=f"settings:\n  rules: [{os.path.relpath(RULES, folder)}]\n")
    code, doc, _ = scan_json(argus, tmp_path, "--policies", policies)
    assert summary(doc) == POLICY_APPLIED
    assert doc["run"]["settings"]["rules"] == "policies.yaml settings"


def test_rules_flag_runs_own_rules_but_keeps_the_files_waivers(argus, tmp_path):
    policies = write_policies(tmp_path / "cfg", extra_waivers=(
        "  - {rule: OTHER-PACK-01, subject: '*', justification: another pack, owner: team, expires: 2099-12-31}\n"))
    code, doc, err = scan_json(argus, tmp_path, "--policies", policies, "--rules", RULES)
    assert (doc["run"]["policy"], len(doc["rules"]) > 2) == (None, True)  # every rule of the pack, no policy
    assert sorted(f["rule_id"] for f in doc["findings"] if "waiver" in f) == ["AMX-PP-07"]
    # a waiver for a rule of another pack, not loaded now, is unused rather than a typo
    assert [(w["rule"], w["state"], w["source"]) for w in doc["waivers"]] == [
        ("AMX-PP-07", "active", f"{policies}:10"), ("OTHER-PACK-01", "unused", f"{policies}:11")]
    assert code == 1  # AMX-PP-02 fails for lsa7c1d0e93ab without the policy's cache_account


def test_unknown_rule_in_the_files_waivers_is_still_an_error_under_the_policy(argus, tmp_path):
    policies = write_policies(tmp_path / "cfg", extra_waivers=(
        "  - {rule: AMX-PP-7, subject: '*', justification: typo, owner: team, expires: 2099-12-31}\n"))
    code, doc, err = scan_json(argus, tmp_path, "--policies", policies)
    assert (code, doc) == (2, {})
    assert err == (f"{policies}:11:12: E404: waiver 2: unknown rule 'AMX-PP-7' (did you mean 'AMX-PP-07'?)\n"
                   "    - {rule: AMX-PP-7, subject: '*', justification: typo, owner: team, expires: 2099-12-31}\n"
                   "             ^~~~~~~~\n")


def test_paths_in_the_policies_file_are_relative_to_it(argus, tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    (folder / "state").mkdir(parents=True)
    (folder / "extra-waivers.yaml").write_text(
        "- {rule: AMX-PP-02, subject: '*', justification: upgrade booked, owner: storage, expires: 2099-12-31}\n",
        encoding="utf-8")
    policies = write_policies(folder, settings=(
        "settings:\n"
        f"  snapshot: [{os.path.relpath(ESTATE, folder)}, {os.path.relpath(FACTS, folder)}]\n"
        "  waivers: extra-waivers.yaml\n"
        "  history: state/history.db\n"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "report.json"
    code, _, err = argus("scan", "--policies", policies, "--format", "json", "--output", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert [Path(s["path"]).resolve() for s in doc["run"]["snapshots"]][-1] == FACTS.resolve()
    assert [(w["rule"], w["source"]) for w in doc["waivers"]] == [
        ("AMX-PP-07", f"{policies}:14"), ("AMX-PP-02", "../cfg/extra-waivers.yaml:1")]
    assert (folder / "state" / "history.db").is_file() and not (elsewhere / "state").exists()
    assert code == 0


@pytest.mark.parametrize("env,message", [
    ({"ARGUS_POLICY": "bogus"}, "ARGUS_POLICY=bogus: {policies}: no policy named 'bogus'; known: pilot"),
    ({"ARGUS_POLICIES": "{missing}"}, "ARGUS_POLICIES={missing}: {missing}: cannot read: No such file or directory"),
])
def test_bad_policy_settings_name_the_variable(argus, tmp_path, monkeypatch, env, message):
    policies, missing = write_policies(tmp_path / "cfg"), tmp_path / "missing.yaml"
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(missing=missing))
    args = ["--policies", policies] if "ARGUS_POLICIES" not in env else []
    code, doc, err = scan_json(argus, tmp_path, *args)
    assert (code, doc) == (2, {})
    assert err == "argus scan: error: " + message.format(policies=policies, missing=missing) + "\n"


def test_policy_from_the_environment_without_a_policies_file(argus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARGUS_POLICY", "pilot")
    monkeypatch.setattr("argus.pipeline.scan_pipeline.default_policies_file", lambda: None)
    code, doc, err = scan_json(argus, tmp_path, "--rules", RULES)
    assert (code, err) == (2, "argus scan: error: ARGUS_POLICY=pilot given but no policies.yaml found; "
                              "pass --policies FILE\n")


NOTE = ("argus: note: {label} asks to fail only on new findings, but there is no baseline to compare with "
        "(a first run?): every failing finding at or above --fail-on counts\n")


def test_fail_on_new_from_the_environment_on_a_first_run(argus, tmp_path, monkeypatch):
    policies = write_policies(tmp_path / "cfg", waive=False)
    monkeypatch.setenv("ARGUS_FAIL_ON_NEW", "true")
    code, doc, err = scan_json(argus, tmp_path, "--policies", policies)
    assert (code, err.splitlines(keepends=True)[0]) == (1, NOTE.format(label="ARGUS_FAIL_ON_NEW=true"))  # AMX-PP-07 fails, as on any first run
    monkeypatch.setenv("ARGUS_FAIL_ON", "never")
    assert scan_json(argus, tmp_path, "--policies", policies)[0] == 0


def test_fail_on_new_from_the_policies_file_on_a_first_run(argus, tmp_path):
    policies = write_policies(tmp_path / "cfg", settings="settings:\n  fail_on_new: true\n", waive=False)
    code, doc, err = scan_json(argus, tmp_path, "--policies", policies)
    assert (code, err.splitlines(keepends=True)[0]) == (1, NOTE.format(label="policies.yaml settings.fail_on_new"))


def test_fail_on_new_flag_without_baseline_is_still_an_error(argus, tmp_path):
    code, doc, err = scan_json(argus, tmp_path, "--policies", write_policies(tmp_path / "cfg"), "--fail-on-new")
    assert (code, doc, err) == (2, {}, "argus scan: error: --fail-on-new needs --baseline PREVIOUS (an earlier JSON "
                                       "or SARIF output)\n")
