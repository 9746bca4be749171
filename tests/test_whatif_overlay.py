"""The what-if overlay on small snapshots: rows as ARG would hold them after the deployment, and how rules read
what the preview could not predict (argus.deployment.whatif, argus.language.unresolved)."""

from __future__ import annotations

import json

from argus.deployment import whatif, whatif_load
from conftest import session_of, snapshot_of

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
RG = f"{SUB}/resourceGroups/RG-Net"
RF = f"{RG}/providers/Microsoft.Network/routeFilters/rf1"
SA = f"{RG}/providers/Microsoft.Storage/storageAccounts/sa1"
TENANT = "99999999-8888-7777-6666-555555555555"


def row(rid: str, rtype: str, **properties) -> dict:
    return {"id": rid, "name": rid.rsplit("/", 1)[-1], "type": rtype, "subscriptionId": SUB.split("/")[2],
            "resourceGroup": "rg-net", "tenantId": TENANT, "location": "westeurope", "tags": {"env": "prod"},
            "properties": properties}


def estate() -> dict:
    rule = {"id": f"{RF}/routeFilterRules/allow-weu", "name": "allow-weu",
            "properties": {"access": "Allow", "communities": ["12076:51002"]}}
    return {"resources": [row(RF, "microsoft.network/routefilters", rules=[rule]),
                          row(SA, "microsoft.storage/storageaccounts", publicNetworkAccess="Enabled"),
                          row(f"{SA}/blobServices/default", "microsoft.storage/storageaccounts/blobservices")]}


def overlay(tmp_path, changes: list[dict], **top):
    path = tmp_path / "whatif.json"
    path.write_text(json.dumps({"status": "Succeeded", "changes": changes, **top}, indent=2), encoding="utf-8")
    snap = snapshot_of(estate())
    return snap, whatif.build(snap, [whatif_load.load(str(path))])


def findings(text: str, snap) -> list[tuple[str, str, str]]:
    return [(f.subject.name, f.status, f.message) for f in session_of(text).evaluate(snap)]


def test_a_created_resource_gets_its_arg_columns_and_points_at_its_change(tmp_path):
    rid = f"{SUB}/resourceGroups/RG-New/providers/Microsoft.Storage/storageAccounts/sa2"
    snap, result = overlay(tmp_path, [{"resourceId": rid, "changeType": "Create", "after": {
        "apiVersion": "2023-05-01", "id": rid, "name": "sa2", "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope", "properties": {"publicNetworkAccess": "Disabled"}}}])
    created = result.after.by_id(rid)
    assert {k: created[k] for k in ("type", "subscriptionId", "resourceGroup", "tenantId")} == {
        "type": "microsoft.storage/storageaccounts", "subscriptionId": SUB.split("/")[2], "resourceGroup": "rg-new",
        "tenantId": TENANT}
    assert "apiVersion" not in created and result.applied == {"Create": 1}
    assert result.after.origin(created).to_dict() == {"file": str(tmp_path / "whatif.json"), "index": 0,
                                                      "table": "resources", "pointer": "/changes/0", "line": 4,
                                                      "change_type": "Create"}
    kept = result.after.by_id(SA)
    assert kept is snap.by_id(SA) and result.after.origin(kept) == snap.origin(kept)  # untouched rows are the same


def test_a_resource_group_goes_to_resourcecontainers(tmp_path):
    rid = f"{SUB}/resourceGroups/RG-New"
    _, result = overlay(tmp_path, [{"resourceId": rid, "changeType": "Create", "after": {
        "id": rid, "name": "RG-New", "type": "Microsoft.Resources/resourceGroups", "location": "westeurope"}}])
    (group,) = result.after.tables["resourcecontainers"]
    assert (group["type"], group["resourceGroup"]) == ("microsoft.resources/subscriptions/resourcegroups", "RG-New")


def test_delete_removes_the_resource_and_what_is_inside_it(tmp_path):
    _, result = overlay(tmp_path, [{"resourceId": SA, "changeType": "Delete"}])
    assert [r["name"] for r in result.after.tables["resources"]] == ["rf1"]


def test_children_arg_keeps_inside_the_parent_change_there(tmp_path):
    entra = f"{RF}/routeFilterRules/allow-entra"
    snap, result = overlay(tmp_path, [
        {"resourceId": entra, "changeType": "Create", "after": {
            "id": entra, "name": "allow-entra", "type": "Microsoft.Network/routeFilters/routeFilterRules",
            "properties": {"access": "Allow", "communities": ["12076:5060"]}}},
        {"resourceId": f"{RF}/routeFilterRules/allow-weu", "changeType": "Delete"}])
    rules = result.after.by_id(RF)["properties"]["rules"]
    assert [(r["name"], r["properties"]["communities"]) for r in rules] == [("allow-entra", ["12076:5060"])]
    assert "subscriptionId" not in rules[0] and result.after.by_id(entra) is None
    assert result.after.origin(result.after.by_id(RF)).pointer == "/changes/1"
    assert len(snap.by_id(RF)["properties"]["rules"]) == 1 and snap.by_id(RF)["properties"]["rules"][0]["name"] == "allow-weu"


def test_an_unresolved_list_element_leaves_the_list_incomplete(tmp_path):
    after = {"id": RF, "name": "rf1", "type": "Microsoft.Network/routeFilters", "properties": {"rules": [
        {"id": f"{RF}/routeFilterRules/r", "name": "r",
         "properties": {"access": "Allow", "communities": ["12076:51002", "[reference('regions').outputs.entra.value]"]}}]}}
    snap, result = overlay(tmp_path, [{"resourceId": RF, "changeType": "Modify", "after": after}])
    text = """
rule T-1 "weu" { severity low
  for f in resources where type == "microsoft.network/routefilters"
  require any(r in f.properties.rules: "12076:51002" in r.properties.communities) }
rule T-2 "entra" { severity low
  for f in resources where type == "microsoft.network/routefilters"
  require any(r in f.properties.rules: "12076:5060" in r.properties.communities) }
"""
    (weu,), (entra,) = [[f for f in findings(text, result.after) if f[0] == "rf1"][i:i + 1] for i in (0, 1)]
    assert weu[1] == "pass"  # a known element decides
    assert entra[1] == "not_evaluated" and "what-if cannot resolve reference() before the deployment runs" in entra[2]
    assert f"{tmp_path}/whatif.json /changes/0/after/properties/rules/0/properties/communities/1 holds" in entra[2]


def test_an_unresolved_tag_and_an_unpredicted_new_resource(tmp_path):
    sa3 = f"{RG}/providers/Microsoft.Storage/storageAccounts/sa3"
    after = dict(estate()["resources"][1], tags={"Env": "[reference('naming').outputs.env.value]"})
    _, result = overlay(tmp_path, [
        {"resourceId": SA, "changeType": "Modify", "after": after},
        {"resourceId": sa3, "changeType": "Unsupported", "unsupportedReason": "the name is computed at deployment"}])
    text = """
rule T-1 "prod" { severity low
  for a in resources where type == "microsoft.storage/storageaccounts"
  require a.tags.env == "prod" }
"""
    got = {name: (status, message) for name, status, message in findings(text, result.after)}
    assert got["sa1"][0] == "not_evaluated" and got["sa1"][1].endswith(f"): a.tags.env on {SA} (needed by "
                                                                         "`a.tags.env == \"prod\"`)")
    assert got["sa3"] == ("not_evaluated", (
        f"not evaluated: what-if could not predict this resource (Unsupported at {tmp_path}/whatif.json /changes/1, "
        f"line 23: the name is computed at deployment): a.tags.env on {sa3} (needed by `a.tags.env == \"prod\"`)"))
    assert result.after.by_id(sa3)["resourceGroup"] == "rg-net"  # its identity is known: type, group, name


def test_an_extension_resource_and_an_orphan_child_are_reported_not_applied(tmp_path):
    orphan = f"{RG}/providers/Microsoft.Network/virtualNetworks/vnet9/subnets/s1"
    _, result = overlay(tmp_path, [
        {"changeType": "Create", "extension": {"name": "MicrosoftGraph", "version": "1.0"},
         "identifiers": {"uniqueName": "app"}, "after": {"displayName": "app"}},
        {"resourceId": orphan, "changeType": "Create", "after": {"id": orphan, "properties": {}}}])
    assert [(n["resource"], n["reason"]) for n in result.not_applied] == [
        ("MicrosoftGraph", "a resource of the Bicep extension MicrosoftGraph, not an Azure resource"),
        (orphan, f"its parent {RG}/providers/Microsoft.Network/virtualNetworks/vnet9 is not in the snapshot")]
