"""Faults during `argus collect`: survived (throttling, transient errors) with the waits the headers ask
for, or reported with exit 2 and a message naming query and scope, leaving no snapshot behind."""

from __future__ import annotations

import json
import socket

import pytest
from azure.mgmt.resourcegraph.models import QueryResponse, ResultTruncated

from argstandin import SUB_HUB, SUB_MIGRATE, ArgStandIn, arg_request, arm_request, load_estate, reply
from argus.collection import argclient, collect
from argus.commands.cli import main
from test_collect import PE_BLOB, PE_MIGRATE, expected_tables

BOTH = f"subscriptions {SUB_HUB}, {SUB_MIGRATE}"
BACKOFF = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]  # eight retries, then give up


def error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def quota(remaining: str, resets: str) -> dict:
    return {"x-ms-user-quota-remaining": remaining, "x-ms-user-quota-resets-after": resets}


INTERNAL = error("InternalServerError", "The server encountered an internal error.")
STORAGE, NETWORKS, CONTAINERS = "microsoft.storage/storageaccounts", "virtualnetworkgateways", "resourcecontainers"


@pytest.fixture(autouse=True)
def _standin(standin_token, clock):
    """Every test here talks to the stand-in with its token, on the fake clock."""


SURVIVED = [
    pytest.param([(arg_request(STORAGE), [reply(429, quota("0", "00:00:03"))])], [3.0], id="429-waits-quota-reset"),
    pytest.param([(arg_request(STORAGE), [reply(429, {"Retry-After": "7", **quota("0", "00:00:03")})])], [7.0],
                 id="429-prefers-retry-after"),
    pytest.param([(arg_request(STORAGE), [reply(429, quota("0", "01:30:00"))])], [120.0], id="429-wait-capped"),
    pytest.param([(arg_request(STORAGE), [reply(429, {"Retry-After": "3600"})])], [120.0],
                 id="retry-after-capped"),
    pytest.param([(arg_request(STORAGE), [reply(429)])], [1.0], id="429-without-headers-backs-off"),
    pytest.param([(arg_request(CONTAINERS), [reply(200, quota("0", "00:00:02"))])], [2.0],
                 id="spent-quota-paces-next-request"),
    pytest.param([(arg_request(CONTAINERS), [reply(200, quota("0", "00:00:00.5"))])], [0.5],
                 id="fractional-reset"),
    pytest.param([(arg_request(CONTAINERS), [reply(200, quota("3", "00:00:02"))])], [], id="quota-left-no-wait"),
    pytest.param([(arg_request(STORAGE), [reply(500, body=INTERNAL)])], [1.0], id="500-then-success"),
    pytest.param([(arg_request(NETWORKS), [reply(502), reply(503), reply(504)])], [1.0, 2.0, 4.0],
                 id="502-503-504-then-success"),
    pytest.param([(arg_request(NETWORKS, page=1), [reply(503)])], [1.0], id="503-on-second-page"),
    pytest.param([(arm_request("pe-lsacontoso01-blob"), [reply(429, {"Retry-After": "5"})])], [5.0],
                 id="arm-429-retry-after"),
    pytest.param([(arm_request("pe-contoso-migrate"), [reply(503)])], [1.0], id="arm-503-then-success"),
]


@pytest.mark.parametrize("scripts, sleeps", SURVIVED)
def test_survived(tmp_path, clock, capsys, scripts, sleeps):
    estate = load_estate()
    out = tmp_path / "snap.json"
    with ArgStandIn(estate, page_size=2) as standin:
        for match, replies in scripts:
            standin.script(match, *replies)
        code = main(["collect", "--subscription", SUB_HUB, "--subscription", SUB_MIGRATE,
                     "--arm-endpoint", standin.url, "--output", str(out)])
        assert standin.violations == []
    assert (code, capsys.readouterr().err) == (0, "")
    assert clock.sleeps == sleeps
    snapshot = json.loads(out.read_text(encoding="utf-8"))
    assert {t: snapshot[t] for t in collect.TABLES} == expected_tables(estate)


def _without_zone_groups_of(pe_id: str) -> dict:
    estate = load_estate()
    del estate["zone_groups"][pe_id]
    return estate


FOREIGN_GROUP = ("/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/privateEndpoints/z"
                 "/privateDnsZoneGroups/d")
SCOPE_ERRORS = ("the scope is missing or only partly readable (the identity needs Reader on it), "
                "so the snapshot would be partial")
FAILED = [
    pytest.param([(arg_request(STORAGE), [reply(500, body=INTERNAL)] * 9)], None,
                 f"query 'storage_accounts' (resources) on {BOTH}: HTTP 500 InternalServerError: "
                 "The server encountered an internal error. (still failing after retries)", BACKOFF,
                 id="500-until-retries-run-out"),
    pytest.param([(arg_request(STORAGE), [reply(429, quota("0", "00:00:03"),
                                                error("RateLimiting", "Please provide below info when asking for "
                                                      "support: timestamp = 2026-11-20T09:12:00Z"))] * 9)], None,
                 f"query 'storage_accounts' (resources) on {BOTH}: HTTP 429 RateLimiting: Please provide below info "
                 "when asking for support: timestamp = 2026-11-20T09:12:00Z (still failing after retries)", [3.0] * 8,
                 id="429-until-retries-run-out"),
    pytest.param([(arg_request("dnsresources"), [reply(400, body=error("BadRequest", "Provide a valid query."))])],
                 None, f"query 'dns_records' (dnsresources) on {BOTH}: HTTP 400 BadRequest: Provide a valid query.",
                 [], id="400-is-not-retried"),
    pytest.param([(arg_request(NETWORKS), [reply(patch={"resultTruncated": "true"})])], None,
                 f"query 'networks' (resources) on {BOTH}: ARG truncated the result (resultTruncated true) and gave "
                 "no skip token to page on", [], id="result-truncated"),
    pytest.param([(arg_request(CONTAINERS), [reply(headers={"x-ms-tenant-subscription-limit-hit": "true"})])],
                 ["--management-group", "mg-contoso-platform"],
                 "query 'resource_containers' (resourcecontainers) on management group mg-contoso-platform: ARG read "
                 "only part of the scope (x-ms-tenant-subscription-limit-hit: the identity can see more subscriptions "
                 "than ARG evaluates at once); split the scope into smaller ones", [], id="partial-scope-header"),
    pytest.param([], ["--subscription", SUB_HUB, "--subscription", "11111111-2222-4333-8444-555555555555"],
                 f"query 'resource_containers' (resourcecontainers) on subscriptions {SUB_HUB}, "
                 "11111111-2222-4333-8444-555555555555: no subscription row for 11111111-2222-4333-8444-555555555555: "
                 + SCOPE_ERRORS, [], id="subscription-not-readable"),
    pytest.param([], ["--management-group", "mg-contoso-empty"],
                 "query 'resource_containers' (resourcecontainers) on management group mg-contoso-empty: no readable "
                 "subscription under mg-contoso-empty: " + SCOPE_ERRORS, [], id="management-group-not-readable"),
    pytest.param([(arg_request("expressroute"), [reply(patch={"totalRecords": 7})])], None,
                 f"query 'expressroute' (resources) on {BOTH}: ARG reported 7 matching rows (totalRecords) but paging "
                 "returned 2", [], id="rows-missing-from-pages"),
    pytest.param([(arg_request("migrateprojects"), [reply(patch={"count": 3})])], None,
                 f"query 'migrate_projects' (resources) on {BOTH}: ARG page says count 3, but its data has 1", [],
                 id="page-count-mismatch"),
    pytest.param([(arg_request("microsoft.network/privateendpoints", page=1),
                   [reply(patch={"data": [{"id": PE_MIGRATE.replace("privateEndpoints/pe-contoso-migrate",
                                           "networkInterfaces/pe-contoso-migrate.nic.8e7d6c5b-4a39-4281-b0c1-"
                                           "d2e3f4a5b6c7")}], "count": 1})])], None,
                 f"query 'private_endpoints' (resources) on {BOTH}: paging returned row "
                 + PE_MIGRATE.replace("privateEndpoints/pe-contoso-migrate",
                                      "networkInterfaces/pe-contoso-migrate.nic.8e7d6c5b-4a39-4281-b0c1-d2e3f4a5b6c7")
                 + " twice; the result is not stable", [], id="row-on-two-pages"),
    pytest.param([(arg_request("migrateprojects"), [reply(patch={"data": [{"name": "contoso-migrate"}]})])], None,
                 f"query 'migrate_projects' (resources) on {BOTH}: ARG returned a row without an id; paging cannot be "
                 "checked", [], id="row-without-id"),
    pytest.param([(arg_request("migrateprojects"), [reply(patch={"data": {"columns": [], "rows": []}, "count": 0})])],
                 None, f"query 'migrate_projects' (resources) on {BOTH}: ARG did not answer with an object array "
                 "(resultFormat objectArray)", [], id="table-format"),
    pytest.param([(arm_request("pe-contoso-migrate"), [reply(403, body=error(
        "AuthorizationFailed", "The client does not have authorization to perform action "
        "'Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read'."))])], None,
                 f"ARM read 'private_dns_zone_groups' of private endpoint {PE_MIGRATE} (subscription {SUB_MIGRATE}): "
                 "HTTP 403 AuthorizationFailed: The client does not have authorization to perform action "
                 "'Microsoft.Network/privateEndpoints/privateDnsZoneGroups/read'. (the identity needs Reader on every "
                 "scope collected)", [], id="arm-403"),
    pytest.param([(arm_request("pe-lsacontoso01-blob"), [reply(500, body=INTERNAL)] * 9)], None,
                 f"ARM read 'private_dns_zone_groups' of private endpoint {PE_BLOB} (subscription {SUB_MIGRATE}): "
                 "HTTP 500 InternalServerError: The server encountered an internal error. (still failing after "
                 "retries)", BACKOFF, id="arm-500-until-retries-run-out"),
    pytest.param([(arm_request("pe-contoso-migrate"), [reply(body={"value": [], "nextLink": "https://x.example/n"})])],
                 None, f"ARM read 'private_dns_zone_groups' of private endpoint {PE_MIGRATE} (subscription "
                 f"{SUB_MIGRATE}): ARM nextLink 'https://x.example/n' leaves the ARM endpoint {{url}}", [],
                 id="arm-next-link-elsewhere"),
    pytest.param([(arm_request("pe-contoso-migrate"), [reply(body={"value": [{"id": FOREIGN_GROUP}]})])], None,
                 f"ARM read 'private_dns_zone_groups' of private endpoint {PE_MIGRATE} (subscription {SUB_MIGRATE}): "
                 f"ARM returned a zone group with id '{FOREIGN_GROUP}', not under the private endpoint", [],
                 id="arm-zone-group-elsewhere"),
    pytest.param([(arm_request("pe-contoso-migrate"), [reply(body={"values": []})])], None,
                 f"ARM read 'private_dns_zone_groups' of private endpoint {PE_MIGRATE} (subscription {SUB_MIGRATE}): "
                 "ARM answered without a 'value' list", [], id="arm-unexpected-body"),
]


@pytest.mark.parametrize("scripts, scope, message, sleeps", FAILED)
def test_reported(tmp_path, clock, capsys, scripts, scope, message, sleeps):
    out = tmp_path / "snap.json"
    out.write_text("previous snapshot", encoding="utf-8")
    with ArgStandIn(load_estate(), page_size=2) as standin:
        for match, replies in scripts:
            standin.script(match, *replies)
        code = main(["collect", *(scope or ["--subscription", SUB_HUB, "--subscription", SUB_MIGRATE]),
                     "--arm-endpoint", standin.url, "--output", str(out)])
        assert standin.violations == []
        url = standin.url
    assert (code, capsys.readouterr().err) == (2, f"argus collect: error: {message.format(url=url)}\n")
    assert clock.sleeps == sleeps
    assert out.read_text(encoding="utf-8") == "previous snapshot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap.json"]


def test_private_endpoint_gone_from_arm(tmp_path, capsys):
    out = tmp_path / "snap.json"
    with ArgStandIn(_without_zone_groups_of(PE_BLOB)) as standin:
        code = main(["collect", "--subscription", SUB_MIGRATE, "--arm-endpoint", standin.url, "--output", str(out)])
    assert (code, capsys.readouterr().err) == (2, (
        f"argus collect: error: ARM read 'private_dns_zone_groups' of private endpoint {PE_BLOB} (subscription "
        f"{SUB_MIGRATE}): HTTP 404 ResourceNotFound: The Resource '{PE_BLOB}' was not found.\n"))
    assert not out.exists()


def test_rejected_token(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARGUS_ACCESS_TOKEN", "expired-token")
    out = tmp_path / "snap.json"
    with ArgStandIn(load_estate()) as standin:
        code = main(["collect", "--subscription", SUB_HUB, "--arm-endpoint", standin.url, "--output", str(out)])
    assert (code, capsys.readouterr().err) == (2, (
        f"argus collect: error: query 'resource_containers' (resourcecontainers) on subscription {SUB_HUB}: "
        "HTTP 401 AuthenticationFailed: stand-in: missing or wrong bearer token (the token was rejected: expired, "
        "or issued for another cloud or tenant)\n"))
    assert not out.exists()


def test_nothing_listening(tmp_path, capsys, clock):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "snap.json"
    code = main(["collect", "--subscription", SUB_HUB, "--arm-endpoint", f"http://127.0.0.1:{port}",
                 "--output", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"argus collect: error: query 'resource_containers' (resourcecontainers) on subscription "
                          f"{SUB_HUB}: ServiceRequestError: ")
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert not out.exists()


def test_no_credential_available(tmp_path, capsys, monkeypatch):
    from azure.identity import CredentialUnavailableError

    class NoCredential:
        def __init__(self, **kwargs):
            pass

        def get_token(self, *scopes, **kwargs):
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token from the included "
                                             "credentials.\nAttempted credentials: ...")

        def close(self):
            pass

    monkeypatch.delenv("ARGUS_ACCESS_TOKEN")
    monkeypatch.setattr(argclient, "DefaultAzureCredential", NoCredential)
    out = tmp_path / "snap.json"
    with ArgStandIn(load_estate()) as standin:
        code = main(["collect", "--subscription", SUB_HUB, "--arm-endpoint", standin.url, "--output", str(out)])
        assert standin.requests == []
    assert (code, capsys.readouterr().err) == (2, (
        f"argus collect: error: query 'resource_containers' (resourcecontainers) on subscription {SUB_HUB}: "
        "no usable Azure credential: DefaultAzureCredential failed to retrieve a token from the included "
        "credentials. (set ARGUS_ACCESS_TOKEN, or configure a managed identity, service principal or az login "
        "for DefaultAzureCredential)\n"))
    assert not out.exists()


# -- management groups: every subscription ARM lists under the group must be readable through ARG --

HIDDEN = "11111111-2222-4333-8444-555555555555"  # under the group in ARM, but ARG returns no row for it
PLATFORM = "mg-contoso-platform"


def _hidden_under(group: str, child: str | None = None) -> dict:
    estate = load_estate()
    if child:
        estate["management_groups"][child] = [HIDDEN]
        estate["management_group_children"] = {group: [child]}
    else:
        estate["management_groups"][group].append(HIDDEN)
    return estate


MANAGEMENT_GROUP_FAULTS = [
    pytest.param(_hidden_under(PLATFORM), [],
                 f"query 'resource_containers' (resourcecontainers) on management group {PLATFORM}: no subscription "
                 f"row for {HIDDEN} under management group {PLATFORM}: " + SCOPE_ERRORS, id="subscription-not-readable"),
    pytest.param(_hidden_under(PLATFORM, "mg-contoso-landing"), [],
                 f"query 'resource_containers' (resourcecontainers) on management group {PLATFORM}: no subscription "
                 f"row for {HIDDEN} under management group {PLATFORM}: " + SCOPE_ERRORS,
                 id="subscription-of-a-child-group-not-readable"),
    pytest.param(load_estate(), [(arm_request("/descendants"), [reply(403, body=error(
        "AuthorizationFailed", "The client does not have authorization to perform action "
        "'Microsoft.Management/managementGroups/descendants/read'."))])],
                 f"ARM read 'management_group_descendants' of management group {PLATFORM}: HTTP 403 "
                 "AuthorizationFailed: The client does not have authorization to perform action "
                 "'Microsoft.Management/managementGroups/descendants/read'. (the identity needs Reader on every scope "
                 "collected)", id="descendants-403"),
    pytest.param(load_estate(), [(arm_request("/descendants"), [reply(body={"value": [{"name": "x"}]})])],
                 f"ARM read 'management_group_descendants' of management group {PLATFORM}: ARM returned a descendant "
                 "without a type: {'name': 'x'}", id="descendant-without-type"),
    pytest.param(load_estate(), [(arm_request("/descendants"), [reply(body={"value": [
        {"name": "sub-a", "type": "Microsoft.Management/managementGroups/subscriptions"}]})])],
                 f"ARM read 'management_group_descendants' of management group {PLATFORM}: ARM returned a descendant "
                 "subscription whose name is not a subscription id: 'sub-a'", id="descendant-not-a-subscription-id"),
]


@pytest.mark.parametrize("estate, scripts, message", MANAGEMENT_GROUP_FAULTS)
def test_partly_readable_management_group(tmp_path, capsys, estate, scripts, message):
    out = tmp_path / "snap.json"
    with ArgStandIn(estate, arm_page_size=1) as standin:
        for match, replies in scripts:
            standin.script(match, *replies)
        code = main(["collect", "--management-group", PLATFORM, "--arm-endpoint", standin.url, "--output", str(out)])
        assert standin.violations == []
        # the check runs right after resource_containers, before any other query spends quota
        assert [r["body"]["query"].split("\n")[0] for r in standin.arg_requests()] == ["resourcecontainers"]
    assert (code, capsys.readouterr().err) == (2, f"argus collect: error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- the SDK model's enum for resultTruncated --

@pytest.mark.parametrize("flag, truncated", [
    (ResultTruncated.TRUE, True), ("true", True), ("True", True), (ResultTruncated.FALSE, False), ("false", False)])
def test_result_truncated_is_read_from_the_enum_and_from_strings(flag, truncated):
    response = QueryResponse(total_records=1, count=1, result_truncated=flag, data=[{"id": "/subscriptions/x"}])
    if truncated:
        with pytest.raises(argclient.FetchError) as exc:
            argclient._check_page(response, {})
        assert str(exc.value) == "ARG truncated the result (resultTruncated true) and gave no skip token to page on"
    else:
        assert argclient._check_page(response, {}) == [{"id": "/subscriptions/x"}]
