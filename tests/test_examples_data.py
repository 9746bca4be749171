"""Structural checks on the bundled example estate (examples/estate/).

Every file must parse in its own format, every row must look like an ARG row, and every ARM id the estate
mentions must resolve (case-insensitively) to a row or to a sub-resource embedded in one. The scenario
checks pin down the misconfigurations examples/README.md promises, so the demo keeps producing findings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonpath_ng import parse as jsonpath

ESTATE = Path(__file__).resolve().parents[1] / "examples" / "estate"
ARG_COLUMNS = {"id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
               "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation"}
ARM_ID = re.compile(r"^/subscriptions/[0-9a-f-]{36}(/|$)", re.IGNORECASE)
CACHE = "lsa4f8e2b1c9d"
PE_NAME = f"pe-{CACHE}-blob"
ZONE = "privatelink.blob.core.windows.net"


# ------------------------------------------------------------------ loading, one format per file
def load_az_graph_output(path: Path) -> list[dict]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(doc) == {"count", "data", "skip_token", "total_records"}, path.name
    assert doc["skip_token"] is None
    assert doc["count"] == doc["total_records"] == len(doc["data"])
    return doc["data"]


def load_rest_pages(path: Path) -> list[dict]:
    pages = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(pages, list) and len(pages) == 2
    for page in pages:
        assert page["resultTruncated"] == "false"
        assert page["count"] == len(page["data"])
        assert page["totalRecords"] == sum(p["count"] for p in pages)
    assert isinstance(pages[0]["$skipToken"], str) and pages[0]["$skipToken"]
    assert "$skipToken" not in pages[-1]
    return [row for page in pages for row in page["data"]]


def load_jsonl(path: Path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        assert line.strip(), f"{path.name}:{number}: blank line"
        rows.append(json.loads(line))
    return rows


FILES = {
    "resources.json": load_az_graph_output,
    "resourcecontainers.pages.json": load_rest_pages,
    "dnsresources.jsonl": load_jsonl,
}


@pytest.fixture(scope="module")
def tables() -> dict[str, list[dict]]:
    return {name: FILES[name](ESTATE / name) for name in FILES}


@pytest.fixture(scope="module")
def all_rows(tables) -> list[dict]:
    return [row for rows in tables.values() for row in rows]


def only(rows: list[dict], type_: str, name: str | None = None) -> dict:
    found = [r for r in rows if r["type"] == type_ and (name is None or r["name"] == name)]
    assert len(found) == 1, (type_, name, len(found))
    return found[0]


def values(row: dict, path: str) -> list:
    return [match.value for match in jsonpath(path).find(row)]


# ------------------------------------------------------------------ ARM id helpers
def type_of_id(arm_id: str) -> str:
    """The resource type an ARM id names, lower-cased (``.../providers/ns/t/n/child/c`` -> ``ns/t/child``)."""
    parts = arm_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return "microsoft.resources/subscriptions" + ("/resourcegroups" if len(parts) > 2 else "")
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    namespace, rest = parts[at + 1], parts[at + 2:]
    return "/".join([namespace] + rest[0::2]).lower()


def embedded_ids(row: dict) -> list[str]:
    """Ids of the sub-resources a row carries inside its properties (subnets, peerings, ipConfigurations...)."""
    prefix = row["id"].casefold() + "/"
    return [v for v in values(row, "properties..id") if isinstance(v, str) and v.casefold().startswith(prefix)]


@pytest.fixture(scope="module")
def defined(all_rows) -> dict[str, str]:
    """Case-folded id -> id as written, for every row and embedded sub-resource."""
    found = {}
    for row in all_rows:
        for arm_id in [row["id"], *embedded_ids(row)]:
            assert arm_id.casefold() not in found, f"duplicate id {arm_id}"
            found[arm_id.casefold()] = arm_id
    return found


def id_strings(node):
    if isinstance(node, str):
        if ARM_ID.match(node):
            yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from id_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from id_strings(value)


# ------------------------------------------------------------------ formats and columns
def test_estate_holds_exactly_the_known_files():
    assert sorted(p.name for p in ESTATE.iterdir()) == sorted(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_parses_in_its_format(name):
    assert FILES[name](ESTATE / name)


def test_json_files_are_indented_for_humans():
    for name in ("resources.json", "resourcecontainers.pages.json"):
        assert (ESTATE / name).read_text(encoding="utf-8").startswith(("{\n  ", "[\n  "))


def test_resources_json_uses_sorted_keys_like_az_cli(tables):
    assert all(list(row) == sorted(row) for row in tables["resources.json"])


@pytest.mark.parametrize("name", sorted(FILES))
def test_rows_carry_the_full_arg_column_set(tables, name):
    for row in tables[name]:
        assert set(row) == ARG_COLUMNS, row["id"]


def test_types_are_lower_case_and_match_the_id(all_rows):
    for row in all_rows:
        assert row["type"] == row["type"].lower(), row["id"]
        assert type_of_id(row["id"]) == row["type"], row["id"]


@pytest.mark.parametrize("name", ["resources.json", "dnsresources.jsonl"])
def test_resource_group_column_is_lower_case_and_matches_the_id(tables, name):
    for row in tables[name]:
        assert row["resourceGroup"] == row["resourceGroup"].lower(), row["id"]
        assert row["id"].split("/")[4].lower() == row["resourceGroup"], row["id"]
        assert row["id"].split("/")[2] == row["subscriptionId"], row["id"]


def test_resource_containers_keep_portal_casing_and_cover_every_row(tables):
    containers = tables["resourcecontainers.pages.json"]
    groups = {(r["subscriptionId"], r["name"].lower()): r["name"]
              for r in containers if r["type"] == "microsoft.resources/subscriptions/resourcegroups"}
    subscriptions = {r["subscriptionId"] for r in containers if r["type"] == "microsoft.resources/subscriptions"}
    assert sorted(groups.values()) == ["RG-Migrate", "rg-dns", "rg-network-hub", "rg-network-spoke"]
    assert len(subscriptions) == 2
    for row in tables["resources.json"] + tables["dnsresources.jsonl"]:
        assert row["subscriptionId"] in subscriptions, row["id"]
        assert (row["subscriptionId"], row["resourceGroup"]) in groups, row["id"]


def test_resources_table_keeps_the_rg_casing_inside_ids(tables):
    cache = only(tables["resources.json"], "microsoft.storage/storageaccounts", CACHE)
    assert "/resourceGroups/RG-Migrate/" in cache["id"] and cache["resourceGroup"] == "rg-migrate"


# ------------------------------------------------------------------ references
REFERENCES = [
    # (source type, JSONPath into the row, type of the row or sub-resource it must name)
    ("microsoft.network/privateendpoints", "properties.subnet.id", "microsoft.network/virtualnetworks/subnets"),
    ("microsoft.network/privateendpoints",
     "properties.privateLinkServiceConnections[*].properties.privateLinkServiceId",
     "microsoft.storage/storageaccounts"),
    ("microsoft.network/privateendpoints", "properties.networkInterfaces[*].id", "microsoft.network/networkinterfaces"),
    ("microsoft.network/networkinterfaces", "properties.ipConfigurations[*].properties.subnet.id",
     "microsoft.network/virtualnetworks/subnets"),
    ("microsoft.network/virtualnetworks", "properties.virtualNetworkPeerings[*].properties.remoteVirtualNetwork.id",
     "microsoft.network/virtualnetworks"),
    ("microsoft.network/virtualnetworks", "properties.virtualNetworkPeerings[*].properties.remoteGateways[*].id",
     "microsoft.network/virtualnetworkgateways"),
    ("microsoft.network/virtualnetworkgateways", "properties.ipConfigurations[*].properties.subnet.id",
     "microsoft.network/virtualnetworks/subnets"),
    ("microsoft.network/virtualnetworkgateways", "properties.ipConfigurations[*].properties.publicIPAddress.id",
     "microsoft.network/publicipaddresses"),
    ("microsoft.network/connections", "properties.virtualNetworkGateway1.id",
     "microsoft.network/virtualnetworkgateways"),
    ("microsoft.network/connections", "properties.peer.id", "microsoft.network/expressroutecircuits"),
    ("microsoft.network/expressroutecircuits", "properties.peerings[*].properties.routeFilter.id",
     "microsoft.network/routefilters"),
    ("microsoft.network/routefilters", "properties.peerings[*].id", "microsoft.network/expressroutecircuits/peerings"),
    ("microsoft.network/privatednszones/virtualnetworklinks", "properties.virtualNetwork.id",
     "microsoft.network/virtualnetworks"),
    ("microsoft.network/privateendpoints/privatednszonegroups",
     "properties.privateDnsZoneConfigs[*].properties.privateDnsZoneId", "microsoft.network/privatednszones"),
    ("microsoft.storage/storageaccounts", "properties.privateEndpointConnections[*].properties.privateEndpoint.id",
     "microsoft.network/privateendpoints"),
    ("microsoft.compute/virtualmachines", "properties.networkProfile.networkInterfaces[*].id",
     "microsoft.network/networkinterfaces"),
    ("microsoft.compute/virtualmachines", "properties.storageProfile.osDisk.managedDisk.id", "microsoft.compute/disks"),
    ("microsoft.compute/disks", "managedBy", "microsoft.compute/virtualmachines"),
]


@pytest.mark.parametrize("source, path, target", REFERENCES, ids=[f"{s.split('/')[-1]}:{p}" for s, p, _ in REFERENCES])
def test_reference_resolves_to_the_expected_type(all_rows, defined, source, path, target):
    refs = [ref for row in all_rows if row["type"] == source for ref in values(row, path)]
    assert refs, f"no {source} row has {path}"
    for ref in refs:
        assert ref.casefold() in defined, ref
        assert type_of_id(defined[ref.casefold()]) == target, ref


def test_every_arm_id_in_the_estate_resolves(all_rows, defined):
    unresolved = [(row["id"], ref) for row in all_rows
                  for ref in id_strings({k: v for k, v in row.items() if k != "id"})
                  if ref.casefold() not in defined]
    assert unresolved == []


@pytest.mark.parametrize("source, name, path", [
    ("microsoft.network/privateendpoints", PE_NAME,
     "properties.privateLinkServiceConnections[0].properties.privateLinkServiceId"),
    ("microsoft.network/connections", "cn-ergw-hub-weu-er-ams", "properties.peer.id"),
    ("microsoft.network/privatednszones/virtualnetworklinks", "mdq7nwhblbvy6", "properties.virtualNetwork.id"),
])
def test_references_use_other_casing_than_their_target(tables, defined, source, name, path):
    ref = values(only(tables["resources.json"], source, name), path)[0]
    assert defined[ref.casefold()] != ref


# ------------------------------------------------------------------ the scenario README.md describes
@pytest.fixture(scope="module")
def res(tables):
    return tables["resources.json"]


def test_cache_account_is_gpv2_with_deny_firewall_and_approved_pe(res, defined):
    cache = only(res, "microsoft.storage/storageaccounts", CACHE)
    props = cache["properties"]
    assert cache["kind"] == "StorageV2" and props["publicNetworkAccess"] == "Enabled"
    assert props["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [],
                                    "virtualNetworkRules": []}
    assert props["primaryEndpoints"]["blob"] == f"https://{CACHE}.blob.core.windows.net/"
    [conn] = props["privateEndpointConnections"]
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    assert conn["properties"]["privateLinkServiceConnectionState"]["actionRequired"] == "None"
    pe = defined[conn["properties"]["privateEndpoint"]["id"].casefold()]
    assert pe.endswith(f"/privateEndpoints/{PE_NAME}")


def test_old_cache_account_is_general_purpose_v1_without_pe(res):
    old = only(res, "microsoft.storage/storageaccounts", "lsa7c1d0e93ab")
    assert old["kind"] == "Storage"
    assert "publicNetworkAccess" not in old["properties"]
    assert old["properties"]["networkAcls"]["defaultAction"] == "Allow"
    assert old["properties"]["privateEndpointConnections"] == []


def test_gateway_account_admits_only_the_appliance_egress_ip(res):
    gw = only(res, "microsoft.storage/storageaccounts", "gwsa4f8e2b1c9d")
    assert gw["kind"] == "StorageV2" and gw["properties"]["publicNetworkAccess"] == "Enabled"
    assert gw["properties"]["networkAcls"]["defaultAction"] == "Deny"
    assert gw["properties"]["networkAcls"]["ipRules"] == [{"value": "203.0.113.24", "action": "Allow"}]


def test_private_endpoint_nic_and_records_agree_on_the_address(tables, res):
    pe = only(res, "microsoft.network/privateendpoints", PE_NAME)
    [conn] = pe["properties"]["privateLinkServiceConnections"]
    assert conn["properties"]["groupIds"] == ["blob"]
    assert conn["properties"]["privateLinkServiceConnectionState"]["status"] == "Approved"
    assert pe["properties"]["customDnsConfigs"] == [{"fqdn": f"{CACHE}.blob.core.windows.net",
                                                     "ipAddresses": ["10.20.1.5"]}]
    [nic] = [r for r in res if r["type"] == "microsoft.network/networkinterfaces"
             and r["name"].startswith(f"{PE_NAME}.nic.")]
    assert nic["id"].casefold() == pe["properties"]["networkInterfaces"][0]["id"].casefold()
    [ipconfig] = nic["properties"]["ipConfigurations"]
    assert ipconfig["properties"]["privateIPAddress"] == "10.20.1.5"
    assert ipconfig["properties"]["privateLinkConnectionProperties"] == {
        "groupId": "blob", "requiredMemberName": "blob", "fqdns": [f"{CACHE}.blob.core.windows.net"]}
    record = only(tables["dnsresources.jsonl"], "microsoft.network/privatednszones/a", CACHE)
    assert record["properties"]["aRecords"] == [{"ipv4Address": "10.20.1.5"}]
    assert record["properties"]["fqdn"] == f"{CACHE}.{ZONE}."
    assert record["properties"]["ttl"] == 10
    only(tables["dnsresources.jsonl"], "microsoft.network/privatednszones/soa", "@")


def test_dns_zone_is_linked_to_the_hub_but_not_to_the_pe_vnet(res, defined):
    zone = only(res, "microsoft.network/privatednszones", ZONE)
    links = [r for r in res if r["type"] == "microsoft.network/privatednszones/virtualnetworklinks"
             and r["id"].casefold().startswith(zone["id"].casefold() + "/")]
    assert len(links) == 1
    linked = defined[links[0]["properties"]["virtualNetwork"]["id"].casefold()]
    assert linked.endswith("/virtualNetworks/vnet-hub-weu")
    pe = only(res, "microsoft.network/privateendpoints", PE_NAME)
    pe_vnet = pe["properties"]["subnet"]["id"].rsplit("/subnets/", 1)[0]
    assert pe_vnet.endswith("/virtualNetworks/vnet-mig-spoke")
    assert pe_vnet.casefold() != linked.casefold()
    group = only(res, "microsoft.network/privateendpoints/privatednszonegroups", "default")
    assert group["id"].casefold().startswith(pe["id"].casefold() + "/privatednszonegroups/")
    assert values(group, "properties.privateDnsZoneConfigs[*].properties.privateDnsZoneId")[0].casefold() == \
        zone["id"].casefold()


def test_route_filter_lacks_the_entra_id_community(res, defined):
    rf = only(res, "microsoft.network/routefilters", "rf-er-ams-microsoft")
    [rule] = rf["properties"]["rules"]
    assert rule["name"] == "allow-weu"
    assert rule["properties"]["access"] == "Allow" and rule["properties"]["routeFilterRuleType"] == "Community"
    assert rule["properties"]["communities"] == ["12076:51002", "12076:52002"]
    assert "12076:5060" not in rule["properties"]["communities"]
    circuit = only(res, "microsoft.network/expressroutecircuits", "er-ams-contoso-01")
    peering = {p["name"]: p for p in circuit["properties"]["peerings"]}
    assert set(peering) == {"AzurePrivatePeering", "MicrosoftPeering"}
    assert all(p["properties"]["state"] == "Enabled" for p in peering.values())
    ms = peering["MicrosoftPeering"]["properties"]
    assert ms["routeFilter"]["id"].casefold() == rf["id"].casefold()
    assert ms["microsoftPeeringConfig"]["advertisedPublicPrefixes"]
    assert [p["id"].casefold() for p in rf["properties"]["peerings"]] == [peering["MicrosoftPeering"]["id"].casefold()]


def test_hub_and_spoke_reach_the_circuit_through_the_er_gateway(res, defined):
    spoke = only(res, "microsoft.network/virtualnetworks", "vnet-mig-spoke")
    hub = only(res, "microsoft.network/virtualnetworks", "vnet-hub-weu")
    assert spoke["properties"]["addressSpace"]["addressPrefixes"] == ["10.20.0.0/16"]
    assert hub["properties"]["addressSpace"]["addressPrefixes"] == ["10.0.0.0/16"]
    prefixes = {s["name"]: s["properties"]["addressPrefix"] for s in spoke["properties"]["subnets"]}
    assert prefixes["snet-pe"] == "10.20.1.0/24"
    assert "GatewaySubnet" in {s["name"] for s in hub["properties"]["subnets"]}
    [up] = spoke["properties"]["virtualNetworkPeerings"]
    [down] = hub["properties"]["virtualNetworkPeerings"]
    assert up["properties"]["useRemoteGateways"] is True and up["properties"]["peeringState"] == "Connected"
    assert down["properties"]["allowGatewayTransit"] is True and down["properties"]["peeringState"] == "Connected"
    gw = only(res, "microsoft.network/virtualnetworkgateways", "ergw-hub-weu")
    assert gw["properties"]["gatewayType"] == "ExpressRoute"
    assert defined[up["properties"]["remoteGateways"][0]["id"].casefold()] == gw["id"]
    conn = only(res, "microsoft.network/connections", "cn-ergw-hub-weu-er-ams")
    assert conn["properties"]["connectionType"] == "ExpressRoute"
    assert conn["properties"]["connectionStatus"] == "Connected"
    circuit = only(res, "microsoft.network/expressroutecircuits", "er-ams-contoso-01")
    assert conn["properties"]["peer"]["id"].casefold() == circuit["id"].casefold()
    assert circuit["properties"]["serviceProviderProvisioningState"] == "Provisioned"
    assert circuit["properties"]["circuitProvisioningState"] == "Enabled"


def test_migrate_project_sits_with_its_cache_accounts(res):
    project = only(res, "microsoft.migrate/migrateprojects", "contoso-migrate")
    assert project["location"] == "westeurope" and project["resourceGroup"] == "rg-migrate"
    lsa = [r["name"] for r in res if r["type"] == "microsoft.storage/storageaccounts" and r["name"].startswith("lsa")]
    assert sorted(lsa) == [CACHE, "lsa7c1d0e93ab"]
