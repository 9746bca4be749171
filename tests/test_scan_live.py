"""`argus scan --live` collects through the real SDK client (against the stand-in) and evaluates what it got."""

from __future__ import annotations

import json
from pathlib import Path

from argstandin import ArgStandIn
from argus.commands.cli import main
import pytest

from test_collect_scan import EXAMPLE, example_tables, standin_estate

RULES = Path(__file__).resolve().parent.parent / "rules" / "azure-migrate"
# No rule here reads resource(id) or a whole table, so the live scan collects only the types they filter on.
SUBSET = ["AMX-PP-01", "AMX-PP-02", "AMX-PP-03", "AMX-PP-04", "AMX-PP-06", "AMX-PP-07", "AMX-PP-08", "AMX-MP-01",
          "AMX-MP-03"]


@pytest.fixture(autouse=True)
def _standin(standin_token, clock):
    """Every test here talks to the stand-in with its token, on the fake clock."""


def _subscriptions(tables):
    return [row["subscriptionId"] for row in tables["resourcecontainers"] if row["type"] == "microsoft.resources/subscriptions"]


def test_scan_live_gives_the_offline_findings_and_keeps_the_snapshot_when_asked(tmp_path, capsys):
    tables = example_tables()
    saved = tmp_path / "live.json"
    with ArgStandIn(standin_estate(tables), page_size=5) as standin:
        argv = ["scan", "--live", "--arm-endpoint", standin.url, "--quiet", "--save-snapshot", str(saved), "--format", "json"]
        code = main(argv + [a for s in _subscriptions(tables) for a in ("--subscription", s)])
        assert standin.violations == []
    live = json.loads(capsys.readouterr().out)
    assert code == 1 and saved.exists()
    # AMX-PP-05 and AMX-MP-02 follow ids with resource(), which may land on any type: everything is collected
    assert json.loads(saved.read_text(encoding="utf-8"))["header"]["pushdown"] is None
    assert main(["scan", "--snapshot", str(EXAMPLE), "--format", "json"]) == 1
    offline = json.loads(capsys.readouterr().out)
    key = lambda doc: sorted((f["rule_id"], f["status"], f["subject"]["id"].casefold(), f["message"]) for f in doc["findings"])  # noqa: E731
    assert key(live) == key(offline)
    assert live["run"]["collected_at"] is not None and offline["run"]["collected_at"] is None


def test_scan_live_refuses_a_snapshot_and_needs_a_scope(capsys):
    assert main(["scan", "--live", "--snapshot", "x.json", "--subscription", "s"]) == 2
    assert "argus scan: error: --live collects its own snapshot; drop --snapshot" in capsys.readouterr().err
    assert main(["scan", "--live"]) == 2
    assert "argus scan: error: --live needs --subscription ID or --management-group ID" in capsys.readouterr().err


def _key(doc):
    return sorted((f["rule_id"], f["status"], f["subject"]["id"].casefold(), f["message"]) for f in doc["findings"])


def test_scan_live_collects_only_what_the_selected_rules_read(tmp_path, capsys):
    policies = tmp_path / "policies.yaml"
    policies.write_text(json.dumps({"version": 1, "policies": {"subset": {"rules": [str(RULES)], "include": SUBSET}}}),
                        encoding="utf-8")
    tables = example_tables()
    saved = tmp_path / "live.json"
    with ArgStandIn(standin_estate(tables)) as standin:
        argv = ["scan", "--live", "--arm-endpoint", standin.url, "--quiet", "--save-snapshot", str(saved),
                "--policies", str(policies), "--policy", "subset", "--format", "json"]
        code = main(argv + [a for s in _subscriptions(tables) for a in ("--subscription", s)])
        assert standin.violations == []
        sent = [r["body"]["query"] for r in standin.arg_requests()]
    live = json.loads(capsys.readouterr().out)
    header = json.loads(saved.read_text(encoding="utf-8"))["header"]
    assert header["pushdown"] == [
        "microsoft.migrate/migrateprojects", "microsoft.network/expressroutecircuits",
        "microsoft.network/networkinterfaces", "microsoft.network/privatednszones",
        "microsoft.network/privatednszones/a", "microsoft.network/privatednszones/virtualnetworklinks",
        "microsoft.network/privateendpoints", "microsoft.network/privateendpoints/privatednszonegroups",
        "microsoft.network/routefilters", "microsoft.resources/subscriptions",
        "microsoft.resources/subscriptions/resourcegroups", "microsoft.storage/storageaccounts"]
    # no rule reads virtual networks, gateways or connections: the networks query is not sent; of the DNS records
    # only A records are read
    assert [q["name"] for q in header["queries"]] == [
        "resource_containers", "storage_accounts", "private_endpoints", "private_dns_zones", "dns_records",
        "expressroute", "migrate_projects"]
    assert sent[4] == ("dnsresources\n| where type in~ ('microsoft.network/privatednszones/a')\n"
                       "| where type in~ ('microsoft.network/privatednszones/a', 'microsoft.network/privatednszones/aaaa', "
                       "'microsoft.network/privatednszones/cname', 'microsoft.network/privatednszones/mx', "
                       "'microsoft.network/privatednszones/ptr', 'microsoft.network/privatednszones/soa', "
                       "'microsoft.network/privatednszones/srv', 'microsoft.network/privatednszones/txt')\n"
                       "| order by id asc")
    assert main(["scan", "--snapshot", str(EXAMPLE), "--policies", str(policies), "--policy", "subset",
                 "--format", "json"]) == code == 1
    offline = json.loads(capsys.readouterr().out)
    assert {f["rule_id"] for f in offline["findings"]} == set(SUBSET)
    assert not any(f["status"] == "not_evaluated" for f in live["findings"])
    assert _key(live) == _key(offline)
