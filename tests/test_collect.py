"""`argus collect` through the real azure-mgmt-resourcegraph client against the ARG/ARM stand-in:
snapshot contents and header, paging, scopes, pushdown, endpoints, credentials, progress output."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from datetime import datetime, timezone

import pytest
from azure.core.credentials import AccessToken

from argstandin import SUB_HUB, SUB_MIGRATE, ArgStandIn, load_estate
from argus import __version__, resources
from argus.collection import argclient, collect, collectspec, scopes
from argus.commands import collectcmd, flags
from argus.commands.cli import main
from argus.errors import UserError

ZONE_GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"
PE_MIGRATE = (f"/subscriptions/{SUB_MIGRATE}/resourceGroups/rg-migrate-weu/providers/Microsoft.Network"
              "/privateEndpoints/pe-contoso-migrate")
PE_BLOB = (f"/subscriptions/{SUB_MIGRATE}/resourceGroups/rg-migrate-weu/providers/Microsoft.Network"
           "/privateEndpoints/pe-lsacontoso01-blob")
ZONE = (f"/subscriptions/{SUB_HUB}/resourceGroups/rg-connectivity-weu/providers/Microsoft.Network"
        "/privateDnsZones/privatelink.blob.core.windows.net")
TENANT = "5c1d8f2e-3b4a-4e6d-9f70-8a9b0c1d2e3f"

# Order: query by query (resource_containers first), ARG's id order within each, zone groups last.
# (Ordinal id order puts the migration subscription 0c9d... before the hub 6f1a....)
EXPECTED_NAMES = {
    "resourcecontainers": ["contoso-migration", "rg-migrate-weu", "contoso-connectivity", "rg-connectivity-weu"],
    "resources": [
        "lsacontoso01",
        "pe-contoso-migrate.nic.8e7d6c5b-4a39-4281-b0c1-d2e3f4a5b6c7",
        "pe-lsacontoso01-blob.nic.3f2a9c1e-7b4d-4e8f-a1c2-5d6e7f8a9b0c",
        "pe-contoso-migrate", "pe-lsacontoso01-blob", "vm-dns01-nic",
        "privatelink.blob.core.windows.net", "link-vnet-hub-weu",
        "vnet-migrate-weu", "conn-ergw-hub-er-ams", "ergw-hub-weu", "vnet-hub-weu",
        "er-contoso-ams", "rf-contoso-microsoft",
        "contoso-migrate",
    ],
    "dnsresources": ["lsacontoso01", "@"],
}
ZONE_GROUP_ROW = {
    "id": f"{PE_BLOB}/privateDnsZoneGroups/default", "name": "default", "type": ZONE_GROUP_TYPE,
    "tenantId": TENANT, "kind": "", "location": "", "resourceGroup": "rg-migrate-weu",
    "subscriptionId": SUB_MIGRATE, "managedBy": "", "sku": None, "plan": None,
    "properties": {
        "provisioningState": "Succeeded",
        "privateDnsZoneConfigs": [{
            "name": "privatelink-blob-core-windows-net",
            "id": f"{PE_BLOB}/privateDnsZoneGroups/default/privateDnsZoneConfigs/privatelink-blob-core-windows-net",
            "properties": {"privateDnsZoneId": ZONE, "recordSets": [{
                "recordType": "A", "recordSetName": "lsacontoso01",
                "fqdn": "lsacontoso01.privatelink.blob.core.windows.net", "ttl": 10,
                "ipAddresses": ["10.20.1.5"], "provisioningState": "Succeeded"}]}}]},
    "tags": None, "identity": None, "zones": None, "extendedLocation": None,
}


def expected_tables(estate: dict, names: dict = EXPECTED_NAMES, zone_groups: bool = True) -> dict:
    tables = {}
    for table, wanted in names.items():
        by_name = {row["name"]: row for row in estate[table]}
        tables[table] = [by_name[name] for name in wanted]
    if zone_groups:
        tables["resources"] = tables["resources"] + [ZONE_GROUP_ROW]
    return tables


@pytest.fixture(autouse=True)
def _standin(standin_token, clock):
    """Every test here talks to the stand-in with its token, on the fake clock."""


@pytest.fixture
def estate():
    return load_estate()


def collect_argv(standin: ArgStandIn, output, *extra: str, scope=("--subscription", SUB_HUB,
                                                                 "--subscription", SUB_MIGRATE)) -> list[str]:
    return ["collect", *scope, "--arm-endpoint", standin.url, "--output", str(output), *extra]


def read_snapshot(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def query_lines(name: str) -> list[str]:
    raw = (Path(resources.queries_dir()) / f"{name}.kql").read_text(encoding="utf-8")
    return [line for line in raw.splitlines() if line.strip() and not line.startswith("//")]


# -- the query files --

@pytest.mark.parametrize("spec", collectspec.QUERIES, ids=lambda spec: spec.name)
def test_query_file_selects_its_types_from_its_table_in_id_order(spec):
    lines = query_lines(spec.name)
    assert lines[0] == spec.table
    assert lines[-1] == "| order by id asc"
    assert len(lines) == 3
    match = re.fullmatch(r"\| where type in~ \((.*)\)", lines[1])
    assert match, lines[1]
    assert tuple(t.strip().strip("'") for t in match.group(1).split(",")) == spec.types


def test_every_query_file_is_run():
    assert sorted(p.name for p in Path(resources.queries_dir()).glob("*.kql")) == sorted(
        f"{spec.name}.kql" for spec in collectspec.QUERIES)



def test_a_query_file_that_does_not_start_with_its_table_is_a_broken_installation(tmp_path, monkeypatch):
    spec = collectspec.QUERIES[1]
    (tmp_path / f"{spec.name}.kql").write_text("// edited by hand\nresourcecontainers\n| limit 1\n", encoding="utf-8")
    monkeypatch.setattr(resources, "queries_dir", lambda: str(tmp_path))
    with pytest.raises(UserError) as caught:
        collectspec.load_query(spec)
    assert str(caught.value) == (f"broken installation: query file {tmp_path / (spec.name + '.kql')} does not start "
                                 f"with its table 'resources'; reinstall argus")


# -- a full collection --

def test_snapshot_tables_equal_the_rows_served(tmp_path, estate, clock):
    out = tmp_path / "snap.json"
    with ArgStandIn(estate, page_size=2, arm_page_size=1) as standin:
        assert main(collect_argv(standin, out)) == 0
        assert standin.violations == []
        requests = standin.requests
    snapshot = read_snapshot(out)
    assert [key for key in snapshot] == ["header", "resources", "resourcecontainers", "dnsresources"]
    assert {t: snapshot[t] for t in collect.TABLES} == expected_tables(estate)
    assert clock.sleeps == []
    assert {r["authorization"] for r in requests} == {"Bearer standin-token"}
    assert [(r["path"], r["params"]) for r in requests if r["kind"] == "arm"] == [
        (f"{PE_MIGRATE}/privateDnsZoneGroups", {"api-version": "2024-05-01"}),
        (f"{PE_BLOB}/privateDnsZoneGroups", {"api-version": "2024-05-01"}),
        (f"{PE_BLOB}/privateDnsZoneGroups", {"api-version": "2024-05-01", "$skiptoken": "1"}),
    ]


def test_requests_carry_scopes_page_size_format_and_skip_tokens(tmp_path, estate):
    with ArgStandIn(estate, page_size=2) as standin:
        assert main(collect_argv(standin, tmp_path / "snap.json")) == 0
        arg = standin.arg_requests()
    # rows per query in scope: 4, 1, 5, 2, 2, 4, 2, 1 -> pages of two
    pages = {"resource_containers": 2, "storage_accounts": 1, "private_endpoints": 3, "private_dns_zones": 1,
             "dns_records": 1, "networks": 2, "expressroute": 1, "migrate_projects": 1}
    expected = [(name, page) for name, count in pages.items() for page in range(count)]
    texts = {spec.name: "\n".join(query_lines(spec.name)) for spec in collectspec.QUERIES}
    by_text = {text: name for name, text in texts.items()}
    assert [(by_text[r["body"]["query"]], r["page"]) for r in arg] == expected
    for r in arg:
        assert r["body"]["subscriptions"] == [SUB_HUB, SUB_MIGRATE]
        assert "managementGroups" not in r["body"]
        assert r["params"] == {"api-version": "2021-03-01"}
        options = dict(r["body"]["options"])
        token = options.pop("$skipToken", None)
        assert options == {"$top": 1000, "resultFormat": "objectArray", "allowPartialScopes": False}
        assert (token is None) == (r["page"] == 0)


def test_header_records_scopes_queries_and_counts(tmp_path, estate):
    out = tmp_path / "snap.json"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, out)) == 0
        url = standin.url
    after = datetime.now(timezone.utc)
    header = read_snapshot(out)["header"]
    collected = datetime.strptime(header.pop("collected_at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= collected <= after
    rows = {"resource_containers": 4, "storage_accounts": 1, "private_endpoints": 5, "private_dns_zones": 2,
            "dns_records": 2, "networks": 4, "expressroute": 2, "migrate_projects": 1}
    queries = []
    for spec in collectspec.QUERIES:
        text = "\n".join(query_lines(spec.name))
        queries.append({"name": spec.name, "table": spec.table, "file": f"queries/{spec.name}.kql",
                        "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text, "rows": rows[spec.name]})
    assert header == {
        "format": "argus-snapshot/1", "cloud": "custom", "arm_endpoint": url,
        "scopes": {"subscriptions": [SUB_HUB, SUB_MIGRATE], "management_groups": []},
        "pushdown": None, "queries": queries,
        "arm_reads": [{"name": "private_dns_zone_groups", "type": ZONE_GROUP_TYPE, "api_version": "2024-05-01",
                       "parents": 2, "rows": 1}],
        "tool": {"name": "argus", "version": __version__},
    }


def test_collect_snapshot_returns_the_header_it_wrote(tmp_path, estate):
    out = tmp_path / "snap.json"
    parser = argparse_for_collect()
    with ArgStandIn(estate) as standin:
        args = parser.parse_args(["--subscription", SUB_HUB, "--subscription", SUB_MIGRATE,
                                  "--arm-endpoint", standin.url, "--output", str(out)])
        header = collect.collect_snapshot(flags.source(args), str(out), None)
    assert header == read_snapshot(out)["header"]


def test_management_group_scope(tmp_path, estate):
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, out, scope=("--management-group", "mg-contoso-platform"))) == 0
        bodies = [r["body"] for r in standin.arg_requests()]
    assert {json.dumps([b.get("subscriptions"), b["managementGroups"]]) for b in bodies} == {
        json.dumps([None, ["mg-contoso-platform"]])}
    snapshot = read_snapshot(out)
    assert snapshot["header"]["scopes"] == {"subscriptions": [], "management_groups": ["mg-contoso-platform"]}
    assert [read["name"] for read in snapshot["header"]["arm_reads"]] == ["management_group_descendants",
                                                                         "private_dns_zone_groups"]
    assert {t: snapshot[t] for t in collect.TABLES} == expected_tables(estate)


def test_management_group_subscriptions_are_listed_from_arm_with_child_groups(tmp_path, estate):
    """Descendants come from ARM (paged here, one per page); each subscription, the child group's included, has
    its resourcecontainers row, so the collection goes on; the header records the read."""
    estate["management_group_children"] = {"mg-contoso-platform": ["mg-contoso-sandbox"]}
    out = tmp_path / "snap.json"
    with ArgStandIn(estate, arm_page_size=1) as standin:
        assert main(collect_argv(standin, out, "--types", "microsoft.storage/storageaccounts",
                                 scope=("--management-group", "mg-contoso-platform"))) == 0
        assert standin.violations == []
        descendants = [r["params"] for r in standin.requests if r["path"].endswith("/descendants")]
    assert descendants == [{"api-version": "2020-05-01"}] + [
        {"api-version": "2020-05-01", "$skiptoken": str(n)} for n in (1, 2, 3)]
    snapshot = read_snapshot(out)
    assert snapshot["header"]["arm_reads"] == [{
        "name": "management_group_descendants", "type": "microsoft.management/managementgroups/subscriptions",
        "api_version": "2020-05-01", "parents": 1, "rows": 3}]
    assert [r["name"] for r in snapshot["resourcecontainers"]] == ["contoso-migration", "contoso-connectivity",
                                                                   "contoso-sandbox"]
    assert [r["name"] for r in snapshot["resources"]] == ["lsacontoso01", "stsandbox01"]


def test_pages_of_a_thousand_rows(tmp_path, estate):
    base = next(r for r in estate["resources"] if r["name"] == "lsacontoso01")
    bulk = []
    for i in range(2500):
        row = json.loads(json.dumps(base))
        row["name"] = f"stbulk{i:04d}"
        row["id"] = base["id"].replace("lsacontoso01", row["name"])
        bulk.append(row)
    estate["resources"].extend(reversed(bulk))
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, out)) == 0
        storage = [r for r in standin.arg_requests() if "storageaccounts" in r["query"]]
    assert [r["page"] for r in storage] == [0, 1, 2]
    rows = [r for r in read_snapshot(out)["resources"] if r["type"] == "microsoft.storage/storageaccounts"]
    assert rows == [base] + bulk  # lsacontoso01 sorts before stbulk0000


def test_subscriptions_are_sent_in_batches(tmp_path, estate, monkeypatch):
    monkeypatch.setattr(scopes, "SUBSCRIPTION_BATCH", 1)
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, out)) == 0
        storage = [r["body"]["subscriptions"] for r in standin.arg_requests() if "storageaccounts" in r["query"]]
    assert storage == [[SUB_HUB], [SUB_MIGRATE]]
    assert [r["name"] for r in read_snapshot(out)["resourcecontainers"]] == [
        "contoso-connectivity", "rg-connectivity-weu", "contoso-migration", "rg-migrate-weu"]


def test_proxy_environment_is_ignored_for_a_loopback_endpoint(tmp_path, estate, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # discard port: nothing listens
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, tmp_path / "snap.json")) == 0


# -- pushdown --

PUSHDOWN_CASES = [
    pytest.param(
        ["microsoft.storage/storageaccounts"],
        {"resource_containers": "resourcecontainers\n| where type in~ ('microsoft.resources/subscriptions')\n"
                                "| where type in~ ('microsoft.resources/subscriptions', "
                                "'microsoft.resources/subscriptions/resourcegroups')\n| order by id asc",
         "storage_accounts": None},
        {"resources": ["lsacontoso01"], "resourcecontainers": ["contoso-migration", "contoso-connectivity"]},
        False, id="storage-only"),
    pytest.param(
        [ZONE_GROUP_TYPE, "argus/appliance"],
        {"resource_containers": "resourcecontainers\n| where type in~ ('microsoft.resources/subscriptions')\n"
                                "| where type in~ ('microsoft.resources/subscriptions', "
                                "'microsoft.resources/subscriptions/resourcegroups')\n| order by id asc",
         "private_endpoints": "resources\n| where type in~ ('microsoft.network/privateendpoints')\n"
                              "| where type in~ ('microsoft.network/privateendpoints', "
                              "'microsoft.network/networkinterfaces')\n| order by id asc"},
        {"resources": ["pe-contoso-migrate", "pe-lsacontoso01-blob"],
         "resourcecontainers": ["contoso-migration", "contoso-connectivity"]},
        True, id="zone-groups-need-endpoints"),
    pytest.param(
        ["Microsoft.Network/privateDnsZones/A", "microsoft.resources/subscriptions/resourcegroups"],
        {"resource_containers": None,
         "dns_records": "dnsresources\n| where type in~ ('microsoft.network/privatednszones/a')\n"
                        "| where type in~ ('microsoft.network/privatednszones/a', "
                        "'microsoft.network/privatednszones/aaaa', 'microsoft.network/privatednszones/cname', "
                        "'microsoft.network/privatednszones/mx', 'microsoft.network/privatednszones/ptr', "
                        "'microsoft.network/privatednszones/soa', 'microsoft.network/privatednszones/srv', "
                        "'microsoft.network/privatednszones/txt')\n| order by id asc"},
        {"resourcecontainers": EXPECTED_NAMES["resourcecontainers"], "dnsresources": ["lsacontoso01"]},
        False, id="a-records"),
]


@pytest.mark.parametrize("types, texts, names, zone_groups", PUSHDOWN_CASES)
def test_pushdown_selects_only_the_wanted_types(tmp_path, estate, types, texts, names, zone_groups):
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        argv = collect_argv(standin, out, *[arg for t in types for arg in ("--types", t)])
        assert main(argv) == 0
        sent = [r["body"]["query"] for r in standin.arg_requests()]
        arm = [r for r in standin.requests if r["kind"] == "arm"]
    header = read_snapshot(out)["header"]
    unchanged = {name: "\n".join(query_lines(name)) for name in texts}
    expected_texts = [text or unchanged[name] for name, text in texts.items()]
    assert sent == expected_texts
    assert [q["text"] for q in header["queries"]] == expected_texts
    assert [q["name"] for q in header["queries"]] == list(texts)
    assert bool(arm) == zone_groups
    # tables no query ran on are left out (an empty one would claim "collected, holds nothing")
    written = read_snapshot(out)
    assert list(written) == ["header", *names]
    assert {t: written[t] for t in names} == expected_tables(estate, names, zone_groups)


def test_pushdown_records_the_types_collected(tmp_path, estate):
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        types = f"microsoft.storage/storageaccounts,{ZONE_GROUP_TYPE}"
        assert main(collect_argv(standin, out, "--types", types)) == 0
    assert read_snapshot(out)["header"]["pushdown"] == [
        "microsoft.network/privateendpoints", ZONE_GROUP_TYPE, "microsoft.resources/subscriptions",
        "microsoft.storage/storageaccounts"]


# -- endpoints and credentials --

ENDPOINT_CASES = [
    (None, None, argclient.Endpoint("public", "https://management.azure.com", "https://management.azure.com/.default",
                                    "login.microsoftonline.com", False)),
    ("usgov", None, argclient.Endpoint("usgov", "https://management.usgovcloudapi.net",
                                       "https://management.core.usgovcloudapi.net/.default",
                                       "login.microsoftonline.us", False)),
    ("china", None, argclient.Endpoint("china", "https://management.chinacloudapi.cn",
                                       "https://management.chinacloudapi.cn/.default",
                                       "login.chinacloudapi.cn", False)),
    (None, "http://127.0.0.1:8080/", argclient.Endpoint("custom", "http://127.0.0.1:8080",
                                                        "http://127.0.0.1:8080/.default", None, True)),
    (None, "http://[::1]:8080", argclient.Endpoint("custom", "http://[::1]:8080", "http://[::1]:8080/.default",
                                                   None, True)),
    ("usgov", "https://arm.contoso.example/", argclient.Endpoint(
        "usgov", "https://arm.contoso.example", "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us", False)),
]


@pytest.mark.parametrize("cloud, url, expected", ENDPOINT_CASES)
def test_resolve_endpoint(cloud, url, expected):
    assert argclient.resolve_endpoint(cloud, url) == expected


class RecordingCredential:
    """Stands in for DefaultAzureCredential: records how it was built and what tokens were asked for."""

    built: list[dict] = []
    asked: list[tuple] = []

    def __init__(self, **kwargs):
        RecordingCredential.built.append(kwargs)

    def get_token(self, *scopes, **kwargs):
        RecordingCredential.asked.append((scopes, kwargs.get("tenant_id")))
        return AccessToken("standin-token", 4102444800)

    def close(self):
        pass


def test_default_credential_gets_cloud_authority_and_tenant(tmp_path, estate, monkeypatch):
    monkeypatch.delenv("ARGUS_ACCESS_TOKEN")
    monkeypatch.setattr(argclient, "DefaultAzureCredential", RecordingCredential)
    RecordingCredential.built, RecordingCredential.asked = [], []
    out = tmp_path / "snap.json"
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, out, "--cloud", "usgov", "--tenant", TENANT)) == 0
    assert RecordingCredential.built == [{"authority": "login.microsoftonline.us",
                                          "additionally_allowed_tenants": [TENANT]}]
    assert set(RecordingCredential.asked) == {(("https://management.core.usgovcloudapi.net/.default",), TENANT)}
    assert read_snapshot(out)["header"]["cloud"] == "usgov"


def test_access_token_may_carry_a_bearer_prefix(tmp_path, estate, monkeypatch):
    monkeypatch.setenv("ARGUS_ACCESS_TOKEN", "Bearer standin-token\n")
    with ArgStandIn(estate) as standin:
        assert main(collect_argv(standin, tmp_path / "snap.json")) == 0
        assert {r["authorization"] for r in standin.requests} == {"Bearer standin-token"}


# -- flags and input errors (all found before any request) --

USAGE_CASES = [
    ([], "nothing to collect: give --subscription ID or --management-group ID"),
    (["--subscription", "not-a-guid"], "--subscription 'not-a-guid': not a subscription ID (a GUID)"),
    (["--management-group", "mg/../x"], "--management-group 'mg/../x': not a management group ID"),
    (["--subscription", SUB_HUB, "--arm-endpoint", "http://arm.contoso.example"],
     "--arm-endpoint 'http://arm.contoso.example': plain http is accepted only for a loopback address "
     "(127.0.0.0/8 or ::1); use https"),
    (["--subscription", SUB_HUB, "--arm-endpoint", "http://localhost:8080"],
     "--arm-endpoint 'http://localhost:8080': plain http is accepted only for a loopback address "
     "(127.0.0.0/8 or ::1); use https"),
    (["--subscription", SUB_HUB, "--arm-endpoint", "ftp://127.0.0.1"],
     "--arm-endpoint 'ftp://127.0.0.1': expected an https:// URL"),
    (["--subscription", SUB_HUB, "--arm-endpoint", "https://user:pw@arm.contoso.example"],
     "--arm-endpoint 'https://user:pw@arm.contoso.example': credentials, query and fragment are not allowed"),
    (["--subscription", SUB_HUB, "--types", "microsoft.compute/virtualmachines"],
     "no query collects microsoft.compute/virtualmachines; collectable types: "
     + ", ".join(sorted(collectspec.COLLECTABLE))),
]


@pytest.mark.parametrize("argv, message", USAGE_CASES)
def test_usage_errors(tmp_path, capsys, argv, message):
    out = tmp_path / "snap.json"
    assert main(["collect", *argv, "--output", str(out)]) == 2
    assert capsys.readouterr().err == f"argus collect: error: {message}\n"
    assert not out.exists()


def test_output_directory_must_exist(tmp_path, capsys):
    out = tmp_path / "missing" / "snap.json"
    assert main(["collect", "--subscription", SUB_HUB, "--output", str(out)]) == 2
    assert capsys.readouterr().err == (f"argus collect: error: --output {out}: directory {out.parent} "
                                       "does not exist\n")


def test_empty_access_token_is_an_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ARGUS_ACCESS_TOKEN", " ")
    assert main(["collect", "--subscription", SUB_HUB, "--output", str(tmp_path / "s.json")]) == 2
    assert capsys.readouterr().err == ("argus collect: error: ARGUS_ACCESS_TOKEN is set but empty; "
                                       "unset it to use DefaultAzureCredential\n")


def test_scope_flags_exclude_each_other(tmp_path, capsys):
    assert main(["collect", "--subscription", SUB_HUB, "--management-group", "mg-contoso-platform",
                 "--output", str(tmp_path / "s.json")]) == 2
    assert "argument --management-group: not allowed with argument --subscription" in capsys.readouterr().err


def test_unknown_cloud_is_refused(tmp_path, capsys):
    assert main(["collect", "--subscription", SUB_HUB, "--cloud", "moon", "--output", str(tmp_path / "s.json")]) == 2
    err = capsys.readouterr().err
    assert "argument --cloud: invalid choice: 'moon' (choose from 'china', 'public', 'usgov')" in err


def argparse_for_collect():
    parser = argparse.ArgumentParser()
    collectcmd.add_arguments(parser)
    return parser
