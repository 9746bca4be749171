"""`argus scan --live` collects through the real SDK client (against the stand-in) and evaluates what it got."""

from __future__ import annotations

import json

from argstandin import ArgStandIn
from engine.cli import main
import pytest

from test_collect_scan import EXAMPLE, example_tables, standin_estate


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
