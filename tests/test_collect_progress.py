"""`argus collect` progress on stderr: nothing when stderr is not a terminal, a live line on one (counting ARG
queries, as the summary does, and showing other reads and throttling waits while they last), every event
with -v, nothing with --quiet."""

from __future__ import annotations

import io

import pytest

from argstandin import SUB_HUB, SUB_MIGRATE, ArgStandIn, arg_request, load_estate, reply
from argus.commands.cli import main
from test_collect import ZONE_GROUP_TYPE, collect_argv


@pytest.fixture(autouse=True)
def _standin(standin_token, clock):
    """Every test here talks to the stand-in with its token, on the fake clock."""


@pytest.fixture
def estate():
    return load_estate()


class TtyStream(io.StringIO):
    def isatty(self):
        return True


def test_quiet_when_stderr_is_not_a_terminal(tmp_path, estate, capsys):
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, tmp_path / "snap.json")) == 0
    assert capsys.readouterr().err == ""


def test_verbose_reports_each_query_and_each_wait(tmp_path, estate, capsys):
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        standin.script(arg_request("microsoft.storage/storageaccounts"), reply(
            429, {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:03"}))
        assert main(collect_argv(standin, out, "-v")) == 0
    assert capsys.readouterr().err.splitlines() == [
        "argus collect: resource_containers: 4 rows",
        "argus collect: HTTP 429; retrying in 3 s",
        "argus collect: storage_accounts: 1 row",
        "argus collect: private_endpoints: 5 rows",
        "argus collect: private_dns_zones: 2 rows",
        "argus collect: dns_records: 2 rows",
        "argus collect: networks: 4 rows",
        "argus collect: expressroute: 2 rows",
        "argus collect: migrate_projects: 1 row",
        "argus collect: private_dns_zone_groups: 1 row from 2 private endpoints",
        f"argus collect: wrote {out}: 22 rows from 8 queries and 2 private endpoints",
    ]


def test_terminal_gets_a_live_progress_line(tmp_path, estate, monkeypatch):
    stream = TtyStream()
    monkeypatch.setattr("sys.stderr", stream)
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, out, "--types", "microsoft.storage/storageaccounts")) == 0
    assert stream.getvalue() == (
        "\r\x1b[Kargus collect: 0/2 queries done, 2 rows so far"
        "\r\x1b[Kargus collect: 1/2 queries done, 2 rows so far"
        "\r\x1b[Kargus collect: 1/2 queries done, 3 rows so far"
        "\r\x1b[Kargus collect: 2/2 queries done, 3 rows so far"
        f"\r\x1b[Kargus collect: wrote {out}: 3 rows from 2 queries\n")


def test_live_line_counts_queries_and_shows_reads_and_waits(tmp_path, estate, monkeypatch):
    """The count is of ARG queries, as in the summary; zone-group reads and a throttling wait show as status."""
    stream = TtyStream()
    monkeypatch.setattr("sys.stderr", stream)
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        standin.script(arg_request("microsoft.network/privateendpoints"), reply(
            429, {"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:03"}))
        assert main(collect_argv(standin, out, "--types", ZONE_GROUP_TYPE)) == 0
    assert stream.getvalue() == (
        "\r\x1b[Kargus collect: 0/2 queries done, 2 rows so far"
        "\r\x1b[Kargus collect: 1/2 queries done, 2 rows so far"
        "\r\x1b[Kargus collect: HTTP 429; retrying in 3 s, 2 rows so far"
        "\r\x1b[Kargus collect: 1/2 queries done, 4 rows so far"
        "\r\x1b[Kargus collect: 2/2 queries done, 4 rows so far"
        "\r\x1b[Kargus collect: private DNS zone groups: 1/2 private endpoints, 4 rows so far"
        "\r\x1b[Kargus collect: private DNS zone groups: 2/2 private endpoints, 5 rows so far"
        f"\r\x1b[Kargus collect: wrote {out}: 5 rows from 2 queries and 2 private endpoints\n")


def test_live_line_is_cleared_before_an_error(tmp_path, estate, monkeypatch):
    stream = TtyStream()
    monkeypatch.setattr("sys.stderr", stream)
    with ArgStandIn(estate) as standin:
        standin.script(arg_request("microsoft.storage/storageaccounts"),
                       reply(400, body={"error": {"code": "BadRequest", "message": "Provide a valid query."}}))
        assert main(collect_argv(standin, tmp_path / "snap.json")) == 2
    assert stream.getvalue() == (
        "\r\x1b[Kargus collect: 0/8 queries done, 4 rows so far"
        "\r\x1b[Kargus collect: 1/8 queries done, 4 rows so far"
        f"\r\x1b[Kargus collect: error: query 'storage_accounts' (resources) on subscriptions {SUB_HUB}, "
        f"{SUB_MIGRATE}: HTTP 400 BadRequest: Provide a valid query.\n")


def test_quiet_flag_silences_the_terminal(tmp_path, estate, monkeypatch):
    stream = TtyStream()
    monkeypatch.setattr("sys.stderr", stream)
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, tmp_path / "snap.json", "--quiet")) == 0
    assert stream.getvalue() == ""


