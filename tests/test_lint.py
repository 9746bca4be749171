"""Snapshot lint (`argus check --snapshot`): rule text x a realistic network snapshot -> exact located W506
(paths, including under nested lists, quantifier variables, let aliases and resource() joins), W508 (resource
types) and W509 (literal types). Table: tests/cases/lint.yaml; snapshot: tests/data/lint/network.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from argus.snapshots import snapshot
from argus.language.checker import check
from argus.commands.cli import main
from argus.diagnostics import has_errors
from argus.snapshots.lint import lint
from argus.language.parser import parse_file

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
NETWORK = TESTS / "data" / "lint" / "network.json"
CASES = yaml.safe_load((TESTS / "cases" / "lint.yaml").read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def network():
    return snapshot.load([str(NETWORK)])


def lint_text(text: str, snap) -> list[str]:
    rule_file, syntax = parse_file("rules.argus", text)
    program, diags = check([rule_file])
    assert not has_errors(syntax + diags), [d.message for d in syntax + diags]
    found = sorted(lint(program, snap), key=lambda d: (d.span.line, d.span.col, d.code))
    return [f"{d.span.line}:{d.span.col}: {d.code}: {d.message}" for d in found]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_lint_diagnostics(case, network):
    assert lint_text(case["text"], network) == case["diagnostics"]


def test_check_command_reports_nested_paths_located_with_a_caret(tmp_path, capsys):
    rule = tmp_path / "nsg.argus"
    rule.write_text(CASES[0]["text"], encoding="utf-8")
    assert main(["check", str(rule), "--snapshot", str(NETWORK)]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"{rule}:6:53: W506: path 'properties.securityRules[*].properties.acces' never occurs in "
        "microsoft.network/networksecuritygroups rows of the snapshot (did you mean 'properties.securityRules[*].properties.access'?)",
        '    let open_rdp = nsg.properties.securityRules where properties.acces =~ "Allow" and properties.direction =~ "Inbound"',
        "                                                      ^~~~~~~~~~~~~~~~",
        "1 file, 1 rule: 0 errors, 1 warning",
    ]
    assert main(["check", str(rule), "--snapshot", str(NETWORK), "--strict"]) == 2


def test_a_path_is_checked_only_against_the_rows_of_the_types_read(network):
    # networkSecurityGroup occurs on subnets of VNets, never on NSG rules: the same path is fine in one place only
    text = '''rule X-1 "x" {
  severity low
  for nsg in resources where type == "microsoft.network/networksecuritygroups"
  require all(r in nsg.properties.securityRules: exists(r.properties.networkSecurityGroup))
}
'''
    assert lint_text(text, network) == [
        "4:57: W506: path 'properties.securityRules[*].properties.networkSecurityGroup' never occurs in "
        "microsoft.network/networksecuritygroups rows of the snapshot"]


def test_bundled_rule_pack_is_clean_against_the_example_estate(capsys):
    estate = [str(ROOT / "examples" / "estate"), str(ROOT / "examples" / "appliance" / "contoso-mig-app01.facts.json")]
    assert main(["check", str(ROOT / "rules"), "--strict"] + [a for p in estate for a in ("--snapshot", p)]) == 0
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith(": 0 errors, 0 warnings"), err


def test_types_a_pushdown_collection_left_out_are_not_called_absent(tmp_path):
    # `argus collect --types` kept only NSGs: storage accounts are not absent, just not collected, and the scan
    # says so (not_evaluated); a type it did collect is still checked
    document = json.loads(NETWORK.read_text(encoding="utf-8"))
    document["header"] = {"collected_at": "2026-11-20T09:00:00Z", "pushdown": ["microsoft.network/networksecuritygroups"]}
    document["resources"] = [r for r in document["resources"] if r["type"] == "Microsoft.Network/networkSecurityGroups"]
    collected = tmp_path / "pushdown.json"
    collected.write_text(json.dumps(document), encoding="utf-8")
    text = '''rule X-2 "x" {
  severity low
  for sa in resources where type == "microsoft.storage/storageaccounts" or type == "microsoft.storage/storageacount"
  require count(resources where type =~ "Microsoft.Network/networkSecurityGroups") > 0
}
'''
    assert lint_text(text, snapshot.load([str(collected)])) == []
    assert lint_text(text, snapshot.load([str(NETWORK)])) == [
        "3:84: W508: type 'microsoft.storage/storageacount' never occurs in resources rows of the snapshot "
        "(did you mean 'microsoft.storage/storageaccounts'?)"]


def test_a_type_the_estate_lacks_is_not_a_misspelling_of_a_longer_or_shorter_one(tmp_path):
    # no gateway in this estate: virtualnetworkgateways is seven letters from virtualnetworks, not a typo of it
    document = json.loads(NETWORK.read_text(encoding="utf-8"))
    document["resources"] = [r for r in document["resources"] if r["type"] != "Microsoft.Network/virtualNetworkGateways"]
    estate = tmp_path / "no-gateway.json"
    estate.write_text(json.dumps(document), encoding="utf-8")
    text = '''rule X-3 "x" {
  severity low
  for gw in resources where type == "microsoft.network/virtualnetworkgateways"
  require count(resources where type =~ "microsoft.network/virtualnetworks/subnets") == 0
  require gw.properties.gatewayType =~ "ExpressRoute"
}
'''
    assert lint_text(text, snapshot.load([str(estate)])) == []
