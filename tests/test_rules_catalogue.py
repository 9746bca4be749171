"""`argus rules`: the rule catalogue in text, JSON and Markdown, per policy with its severity overrides."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RULES = '''rule ST-01 "Storage accounts require TLS 1.2" {
  severity high
  tags "storage", "tls"
  help "https://example.test/st-01"
  for a in resources where type == "microsoft.storage/storageaccounts"
  require a.properties.minimumTlsVersion == "TLS1_2"
}

rule NET-01 "Subnets have an NSG" {
  severity low
  for s in resources where type == "microsoft.network/virtualnetworks/subnets"
  require exists(s.properties.networkSecurityGroup.id)
}
'''
POLICIES = '''version: 1
default_policy: all
policies:
  all:
    rules: [rules]
  storage:
    rules: [rules]
    include: [ST-*]
    severity: {ST-01: critical}
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.argus").write_text(RULES, encoding="utf-8")
    (tmp_path / "policies.yaml").write_text(POLICIES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_text_catalogue(project, argus):
    code, out, err = argus("rules")
    assert (code, err) == (0, "")
    assert out == (
        "2 rules (policies.yaml)\n"
        "\n"
        "ST-01   high      Storage accounts require TLS 1.2\n"
        "        tags: storage, tls · policies: all, storage\n"
        "        https://example.test/st-01\n"
        "NET-01  low       Subnets have an NSG\n"
        "        policies: all\n")


def test_json_catalogue_for_one_policy_applies_its_severities(project, argus):
    code, out, _ = argus("rules", "--policy", "storage", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"config": "policies.yaml", "policy": "storage", "rules": [
        {"id": "ST-01", "severity": "critical", "title": "Storage accounts require TLS 1.2", "tags": ["storage", "tls"],
         "policies": ["all", "storage"], "help": "https://example.test/st-01", "description": "",
         "location": {"file": "rules/r.argus", "line": 1}}]}


def test_markdown_catalogue(project, argus):
    code, out, _ = argus("rules", "-f", "markdown")
    assert code == 0
    assert out == ("# Rules\n\n| id | severity | title | tags | policies |\n|---|---|---|---|---|\n"
                   "| [ST-01](https://example.test/st-01) | high | Storage accounts require TLS 1.2 | storage, tls | all, storage |\n"
                   "| NET-01 | low | Subnets have an NSG |  | all |\n")


@pytest.mark.parametrize("argv,message", [
    (["--policy", "nope"], "argus rules: error: policies.yaml: no policy named 'nope'; known: all, storage\n"),
    (["--format", "xml"], None),
])
def test_bad_input_is_exit_2(project, argus, argv, message):
    code, out, err = argus("rules", *argv)
    assert (code, out) == (2, "")
    if message:
        assert err == message
    else:
        assert err.splitlines()[-1].startswith("argus rules: error: argument -f/--format: invalid choice: 'xml'")


def test_bundled_catalogue_matches_the_policy_includes(tmp_path, monkeypatch, argus):
    monkeypatch.chdir(tmp_path)  # no project: the bundled pack and policies
    ids = sorted(re.findall(r'^rule (\S+) "', "".join(p.read_text(encoding="utf-8")
                                                       for p in (REPO / "rules" / "azure-migrate").glob("*.argus")), re.M))
    code, out, _ = argus("rules", "--format", "json")
    got = json.loads(out)["rules"]
    assert code == 0 and sorted(r["id"] for r in got) == ids
    private = {r["id"] for r in got if "azure-migrate-private-peering" in r["policies"]}
    assert private == {i for i in ids if i.startswith("AMX-PP-")}
    microsoft = {r["id"] for r in got if "azure-migrate-microsoft-peering" in r["policies"]}
    assert microsoft == {i for i in ids if i.startswith("AMX-MP-")} | {"AMX-PP-01", "AMX-PP-09", "AMX-PP-10"}
    assert all(r["help"].startswith("https://learn.microsoft.com/") for r in got)
