"""policies.yaml: policy selection, parameter values and their types, severity overrides, and every error
reported with file:line:col (table in tests/cases/policies/cases.yaml, run through `argus scan`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

TESTS = Path(__file__).resolve().parent
HERE = TESTS / "cases" / "policies"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
SNAPSHOT = TESTS / "data" / "snapshots" / "tables.json"


@pytest.fixture
def scan(argus, tmp_path, monkeypatch):
    """Run `argus scan` with a policies file beside rules/pack.argus, from that directory."""
    (tmp_path / "rules").mkdir()
    shutil.copy(HERE / "pack.argus", tmp_path / "rules" / "pack.argus")
    monkeypatch.chdir(tmp_path)

    def run(policies: str, *args: str):
        (tmp_path / "policies.yaml").write_text(policies, encoding="utf-8")
        return argus("scan", "--policies", "policies.yaml", "--snapshot", SNAPSHOT, "--format", "json", *args)
    return run


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: c["name"])
def test_valid_policy(case, scan):
    code, out, err = scan(case["policies"], *case.get("args", []))
    assert err == ""
    doc = json.loads(out)
    assert [[f["rule_id"], f["status"], f["severity"], f["message"]] for f in doc["findings"]] == case["findings"]
    assert doc["run"]["parameters"] == case["parameters"]
    assert code == case["exit"]


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["name"])
def test_invalid_policy_is_located_and_exits_2(case, scan):
    code, out, err = scan(case["policies"], *case.get("args", []))
    assert (code, out, err) == (2, "", case["stderr"])


def test_missing_policies_file(argus, tmp_path):
    code, out, err = argus("scan", "--policies", tmp_path / "nope.yaml", "--snapshot", SNAPSHOT)
    assert (code, out, err) == (2, "", f"argus scan: error: {tmp_path / 'nope.yaml'}: cannot read: No such file or directory\n")


def test_policy_file_rules_are_relative_to_the_policy_file(argus, tmp_path, monkeypatch):
    (tmp_path / "pack" / "rules").mkdir(parents=True)
    shutil.copy(HERE / "pack.argus", tmp_path / "pack" / "rules" / "pack.argus")
    (tmp_path / "pack" / "policies.yaml").write_text(
        "version: 1\npolicies:\n  only:\n    rules: [rules]\n    include: [POL-1]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = argus("scan", "--policies", "pack/policies.yaml", "--snapshot", SNAPSHOT, "--format", "json")
    doc = json.loads(out)
    assert (code, err, doc["run"]["policy"]) == (0, "", "only")
    assert [r["path"] for r in doc["run"]["rule_files"]] == ["pack/rules/pack.argus"]
    assert [(f["rule_id"], f["status"]) for f in doc["findings"]] == [("POL-1", "pass")]
