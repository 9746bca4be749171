"""Appliance facts rows are checked on load against the schema's row (`#/$defs/row`): a row of the wrong shape
is refused with exit 2, an E411 diagnostic at the row's opening brace naming the row and the schema's complaint,
instead of turning the appliance rules to skip. Every appliance row the project ships (examples, rule fixtures)
still loads."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from argus.snapshots import snapshot
from argus.diagnostics import DiagnosticError
from argus.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "appliance" / "contoso-mig-app01.facts.json"
SHIPPED = sorted([EXAMPLE, *(ROOT / "rules" / "azure-migrate" / "fixtures").rglob("appliance*.json")])
SCHEMA = "(schema appliance-facts.schema.json#/$defs/row)"


def example_row() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))["appliance"][0]


def patched(**changes) -> dict:
    row = example_row()
    for path, value in changes.items():
        target = row
        *parents, key = path.split("__")
        for parent in parents:
            target = target[parent]
        target[key] = value
    return row


REFUSED = [
    ("proxy-enabled-string", patched(proxy__enabled="true"), "proxy/enabled: 'true' is not of type 'boolean'"),
    ("kind-case", patched(kind="VMware-Agentless"),
     "kind: 'VMware-Agentless' is not one of ['vmware-agentless', 'agent-based']"),
    ("dns-key-case", patched(dns={"LSA.blob.core.windows.net": {"addresses": [], "cname_chain": []}}),
     "dns: 'LSA.blob.core.windows.net' does not match '^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$'"),
    ("bypass-origin", patched(proxy__bypass=[{"entry": "<local>", "origin": "ie"}]),
     "proxy/bypass/0/origin: 'ie' is not one of ['appliance', 'wininet', 'winhttp']"),
    ("unknown-field", patched(proxies={}), "(the row): Additional properties are not allowed ('proxies' was unexpected)"),
]


@pytest.mark.parametrize("row, complaint", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_malformed_appliance_row_is_refused(tmp_path, row, complaint):
    good = example_row()
    good["id"], good["name"] = "appliance/contoso-mig-app02", "contoso-mig-app02"
    path = tmp_path / "facts.json"
    text = json.dumps({"appliance": [good, row]}, indent=2)  # each row starts a line, indented by 4
    path.write_text(text, encoding="utf-8")
    line = [n for n, source in enumerate(text.split("\n"), 1) if source == "    {"][1]  # the second row's brace
    with pytest.raises(DiagnosticError) as exc:
        snapshot.load([str(path)])
    assert str(exc.value) == (f"{path}:{line}:5: E411: table 'appliance' row 1 (appliance/contoso-mig-app01): "
                              f"{complaint} {SCHEMA}\n      {{\n      ^")


def test_a_routed_appliance_row_is_named_by_its_place_in_the_file(tmp_path):
    """Rows without a table (a bare array, JSON Lines) go to `appliance` by type; the message gives the file index."""
    storage = {"id": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/lsa1",
               "name": "lsa1", "type": "Microsoft.Storage/storageAccounts", "properties": {}}
    path = tmp_path / "rows.jsonl"
    rows = [storage, patched(kind="agentless")]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    with pytest.raises(DiagnosticError) as exc:
        snapshot.load([str(path)])
    assert str(exc.value).splitlines()[0] == (f"{path}:2:1: E411: row 1 (appliance/contoso-mig-app01): kind: "
                                              f"'agentless' is not one of ['vmware-agentless', 'agent-based'] {SCHEMA}")


def test_a_row_of_a_document_built_in_memory_is_named_without_a_place():
    """A fixture's inline rows have no file to point into: the message names the document and the row."""
    snap = snapshot.Snapshot()
    with pytest.raises(UserError) as exc:
        snapshot.add_document(snap, "cases.yaml:4 (inline)", {"appliance": [patched(kind="agentless")]})
    assert str(exc.value) == ("cases.yaml:4 (inline): table 'appliance' row 0 (appliance/contoso-mig-app01): kind: "
                              f"'agentless' is not one of ['vmware-agentless', 'agent-based'] {SCHEMA}")


def test_scan_exits_2_on_a_malformed_appliance_row(tmp_path, argus):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps({"appliance": [patched(proxy__enabled="true")]}), encoding="utf-8")
    code, out, err = argus("scan", "--snapshot", ROOT / "examples" / "estate", "--snapshot", path)
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == (f"{path}:1:16: E411: table 'appliance' row 0 (appliance/contoso-mig-app01): "
                                   f"proxy/enabled: 'true' is not of type 'boolean' {SCHEMA}")  # after {"appliance": [
    assert len(err.splitlines()) == 3 and err.splitlines()[2] == "  " + " " * 15 + "^"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_appliance_row_loads(path):
    loaded = snapshot.load([str(path)])
    rows = json.loads(path.read_text(encoding="utf-8"))["appliance"]
    assert loaded.table("appliance") == rows and len(rows) > 0


def test_a_valid_row_is_kept_as_it_is():
    doc = {"appliance": [example_row()]}
    snap = snapshot.Snapshot()
    snapshot.add_document(snap, "facts.json", copy.deepcopy(doc))
    assert snap.table("appliance") == doc["appliance"]
