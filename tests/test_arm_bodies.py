"""ARM resource bodies as a snapshot (issue 11, item 6): a bare array (or JSON Lines) of ARM GET bodies, as
`az resource show`, `az rest` or the REST API write them, gets the ARG columns derived from each id
(subscriptionId, resourceGroup; `type` lower-cased as ARG has it; tenantId stays absent), the report says the
rows came from ARM bodies, and what is neither ARG rows nor ARM bodies is refused with a located message.
Data: tests/data/snapshots/arm-bodies.json (bodies shaped as the REST API spec examples' responses)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from argus.snapshots import snapshot
from argus.errors import UserError

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
BODIES = TESTS / "data" / "snapshots" / "arm-bodies.json"
SUB = "0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40"
RULE = 'rule D-1 "Accounts are v2" {\n  severity low\n  for a in resources\n  require a.kind == "StorageV2"\n}\n'

# (table, name, type, subscriptionId, resourceGroup): ARG lower-cases resourceGroup in every table but
# resourcecontainers, where a resource group keeps its name as written; subscription-level resources and
# management groups have an empty resourceGroup (and a management group an empty subscriptionId).
DERIVED = [
    ("resourcecontainers", "RG-Migrate", "microsoft.resources/subscriptions/resourcegroups", SUB, "RG-Migrate"),
    ("resources", "lsacontoso01", "microsoft.storage/storageaccounts", SUB, "rg-migrate"),
    ("resources", "pe-lsacontoso01-blob", "microsoft.network/privateendpoints", SUB, "rg-migrate"),
    ("resources", "privatelink.blob.core.windows.net", "microsoft.network/privatednszones", SUB, "rg-dns"),
    ("dnsresources", "lsacontoso01", "microsoft.network/privatednszones/a", SUB, "rg-dns"),
    ("resources", "nw-westeurope", "microsoft.network/networkwatchers", SUB, ""),
    ("resourcecontainers", "contoso", "microsoft.management/managementgroups", "", ""),
]


def loaded(path) -> list[tuple]:
    snap = snapshot.load([str(path)])
    return [(table, row["name"], row["type"], row["subscriptionId"], row["resourceGroup"])
            for table, rows in snap.tables.items() for row in rows]


def test_arm_bodies_get_the_arg_columns_from_their_ids():
    assert sorted(loaded(BODIES)) == sorted(DERIVED)


def test_nothing_else_in_a_body_changes_and_tenant_id_stays_absent():
    raw = json.loads(BODIES.read_text(encoding="utf-8"))
    snap = snapshot.load([str(BODIES)])
    for body in raw:
        row = snap.by_id(body["id"])
        added = {k: row[k] for k in row.keys() - body.keys()}
        assert set(added) == {"subscriptionId", "resourceGroup"}
        assert {k: v for k, v in row.items() if k in body and k != "type"} == {
            k: v for k, v in body.items() if k != "type"}
        assert "tenantId" not in row
    assert snap.files[0].to_dict()["shape"] == "arm-bodies"


def test_ids_are_read_ignoring_case_and_json_lines_work_too(tmp_path):
    raw = json.loads(BODIES.read_text(encoding="utf-8"))
    for body in raw:
        body["id"] = body["id"].replace("/subscriptions/", "/SUBSCRIPTIONS/").replace("/resourceGroups/",
                                                                                  "/resourcegroups/")
    path = tmp_path / "bodies.jsonl"
    path.write_text("".join(json.dumps(b) + "\n" for b in raw), encoding="utf-8")
    assert sorted(loaded(path)) == sorted(DERIVED)


def test_arg_rows_are_not_arm_bodies():
    """Rows with ARG columns keep them as exported, and the file has no shape note."""
    snap = snapshot.load([str(TESTS / "data" / "snapshots" / "bare-array.json")])
    assert "shape" not in snap.files[0].to_dict()


def test_argus_facts_rows_may_sit_beside_arm_bodies(tmp_path):
    """An appliance row (type argus/appliance) is neither an ARG row nor an ARM body, and needs to be neither."""
    facts = json.loads((ROOT / "examples" / "appliance" / "contoso-mig-app01.facts.json").read_text(encoding="utf-8"))
    path = tmp_path / "bodies.json"
    path.write_text(json.dumps([BODY, *facts["appliance"]]), encoding="utf-8")
    snap = snapshot.load([str(path)])
    assert {t: [r["name"] for r in rows] for t, rows in snap.tables.items()} == {
        "resources": ["sa1"], "appliance": ["contoso-mig-app01"]}
    assert "subscriptionId" not in snap.tables["appliance"][0]


def _as_bodies(rows: list[dict]) -> list[dict]:
    """ARG rows as ARM would return them: no subscriptionId, resourceGroup or tenantId, a resource group typed
    as ARM types it."""
    out = []
    for row in copy.deepcopy(rows):
        for column in ("subscriptionId", "resourceGroup", "tenantId"):
            row.pop(column, None)
        if row["type"] == "microsoft.resources/subscriptions/resourcegroups":
            row["type"] = "Microsoft.Resources/resourceGroups"
        out.append(row)
    return out


def test_the_example_estate_as_arm_bodies_gives_the_findings_of_its_arg_rows(tmp_path, argus):
    estate = ROOT / "examples" / "estate"
    rows = json.loads((estate / "resources.json").read_text(encoding="utf-8"))["data"]
    rows += [r for page in json.loads((estate / "resourcecontainers.pages.json").read_text(encoding="utf-8"))
             for r in page["data"]]
    rows += [json.loads(line) for line in (estate / "dnsresources.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    bodies = tmp_path / "bodies.json"
    bodies.write_text(json.dumps(_as_bodies(rows)), encoding="utf-8")
    facts = ROOT / "examples" / "appliance" / "contoso-mig-app01.facts.json"

    def findings(*snapshots):
        code, out, err = argus("scan", *[a for s in snapshots for a in ("--snapshot", s)], "--format", "json")
        assert code in (0, 1), err
        found = json.loads(out)["findings"]
        return code, [(f["rule_id"], f["status"], f["subject"]["id"], f["message"]) for f in found]

    from_arg = findings(estate, facts)
    assert {"pass", "fail"} <= {status for _, status, _, _ in from_arg[1]}  # verdicts to compare, not only gaps
    assert findings(bodies, facts) == from_arg


def test_the_report_says_the_rows_came_from_arm_bodies(tmp_path, argus):
    rules = tmp_path / "rules.argus"
    rules.write_text(RULE, encoding="utf-8")
    out = tmp_path / "report.json"
    code, text, err = argus("scan", "--rules", rules, "--snapshot", BODIES, "--format", "json", "--output", out,
                            "--format", "text", "--format", "markdown", "--output", tmp_path / "report.md")
    assert (code, err) == (0, "")
    doc = json.loads(out.read_text(encoding="utf-8"))
    [entry] = doc["run"]["snapshots"]
    assert (entry["path"], entry["rows"], entry["shape"]) == (str(BODIES), 7, "arm-bodies")
    schema = json.loads((ROOT / "engine" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert f"· {BODIES} (ARM bodies) ·" in text.splitlines()[0]
    assert f"Snapshot `{BODIES}` (ARM bodies) ·" in (tmp_path / "report.md").read_text(encoding="utf-8")


BODY = {"id": f"/subscriptions/{SUB}/resourceGroups/rg-a/providers/Microsoft.Storage/storageAccounts/sa1",
        "name": "sa1", "type": "Microsoft.Storage/storageAccounts", "kind": "StorageV2", "location": "westeurope",
        "properties": {"minimumTlsVersion": "TLS1_2"}}
SPEC = ("{path}: an Azure REST API spec example, not a snapshot: it holds a request's 'parameters' and its "
        "'responses'; the resource is responses.200.body (an ARM resource body, or a list of them under 'value'): "
        "put such bodies in a JSON array to scan them")


@pytest.mark.parametrize("document, message", [
    pytest.param([BODY, {"name": "sa2", "type": "Microsoft.Storage/storageAccounts", "properties": {}}],
                 "{path}: row 1: neither ARG columns (subscriptionId, resourceGroup, tenantId) nor an ARM resource "
                 "id (no 'id'); the other rows are ARM resource bodies", id="no-id"),
    pytest.param([{"id": "sa2", "name": "sa2", "type": "Microsoft.Storage/storageAccounts", "properties": {}}, BODY],
                 "{path}: row 0: neither ARG columns (subscriptionId, resourceGroup, tenantId) nor an ARM resource "
                 "id ('id' is 'sa2'); the other rows are ARM resource bodies", id="not-an-arm-id"),
    pytest.param({"parameters": {"api-version": "2023-05-01", "subscriptionId": SUB, "resourceGroupName": "rg-a",
                                 "accountName": "sa1"}, "responses": {"200": {"body": BODY}}}, SPEC, id="spec-example"),
    pytest.param({"parameters": {"api-version": "2024-05-01"}, "responses": {"200": {"body": {"value": [BODY]}}}},
                 SPEC, id="spec-example-of-a-list"),
])
def test_what_is_neither_arg_rows_nor_arm_bodies_is_refused(tmp_path, argus, document, message):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    rules = tmp_path / "rules.argus"
    rules.write_text(RULE, encoding="utf-8")
    expected = message.format(path=path)
    with pytest.raises(UserError) as exc:
        snapshot.load([str(path)])
    assert str(exc.value) == expected
    assert argus("scan", "--rules", rules, "--snapshot", path) == (2, "", f"argus scan: error: {expected}\n")
