"""policies.yaml: policy selection, parameter values and their types, severity overrides, and every error
reported as `file:line:col: CODE: message` with the source line and a caret (table in
tests/cases/policies/cases.yaml, run through `argus scan`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urljoin

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

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
    # lines compared without trailing blanks: the source line of an empty file is blank
    assert (code, out, [line.rstrip() for line in err.splitlines()]) == (2, "", case["stderr"].splitlines())


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


def test_missing_rule_paths_are_shown_relative_to_where_argus_runs(argus, tmp_path, monkeypatch):
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "policies.yaml").write_text(
        "version: 1\npolicies:\n  only:\n    rules:\n      - rulez\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = argus("scan", "--policies", "pack/policies.yaml", "--snapshot", SNAPSHOT)
    assert (code, out, err) == (2, "", "pack/policies.yaml:5:9: E403: policies/only/rules/0: no such rule file or "
                                       "directory: pack/rulez\n"
                                       "        - rulez\n"
                                       "          ^~~~~\n")


SCHEMAS = TESTS.parent / "engine" / "schemas"


def test_policy_waivers_are_the_waiver_schema_for_editors_too():
    """The waivers of policies.yaml refer to waivers.schema.json by a path relative to the schema file, which is
    how the YAML language server resolves it; by the schemas' $ids it names the same document."""
    policies = json.loads((SCHEMAS / "policies.schema.json").read_text(encoding="utf-8"))
    waivers = json.loads((SCHEMAS / "waivers.schema.json").read_text(encoding="utf-8"))
    ref = policies["properties"]["waivers"]["items"]["$ref"]
    file, pointer = ref.split("#")
    assert (file, pointer) == ("waivers.schema.json", "/$defs/waiver")
    assert urljoin(policies["$id"], file) == waivers["$id"]
    registry = Registry().with_resource(waivers["$id"], Resource.from_contents(waivers))
    bad = {"version": 1, "policies": {"p": {"rules": ["rules"]}},
           "waivers": [{"rule": "R-1", "subject": "*", "owner": "o", "expires": "2026-12-31", "tickt": "x"}]}
    for draft in (jsonschema.Draft202012Validator, jsonschema.Draft7Validator):  # draft-07: the YAML language server
        assert sorted(e.message for e in draft(policies, registry=registry).iter_errors(bad)) == [
            "'justification' is a required property",
            "Additional properties are not allowed ('tickt' was unexpected)"]
