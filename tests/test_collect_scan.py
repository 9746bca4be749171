"""End to end: the bundled example estate served by the ARG/ARM stand-in, collected with `argus collect`,
evaluates under `argus scan` to exactly the findings of the offline snapshot holding the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argstandin import ArgStandIn
from argus.snapshots import snapshot
from argus.commands.cli import main

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "estate"
ZONE_GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"


@pytest.fixture(autouse=True)
def quiet_time(standin_token, clock):
    """Every test here talks to the stand-in with its token, on the fake clock."""


def example_tables() -> dict:
    resources = json.loads((EXAMPLE / "resources.json").read_text(encoding="utf-8"))["data"]
    pages = json.loads((EXAMPLE / "resourcecontainers.pages.json").read_text(encoding="utf-8"))
    lines = (EXAMPLE / "dnsresources.jsonl").read_text(encoding="utf-8").splitlines()
    return {"resources": resources, "resourcecontainers": [row for page in pages for row in page["data"]],
            "dnsresources": [json.loads(line) for line in lines if line.strip()]}


def standin_estate(tables: dict) -> dict:
    """ARG never holds zone groups: serve them from ARM, under their private endpoint, as ARM lists them."""
    groups = [row for row in tables["resources"] if row["type"] == ZONE_GROUP_TYPE]
    endpoints = [row["id"] for row in tables["resources"] if row["type"] == "microsoft.network/privateendpoints"]
    return {
        "resources": [row for row in tables["resources"] if row["type"] != ZONE_GROUP_TYPE],
        "resourcecontainers": tables["resourcecontainers"], "dnsresources": tables["dnsresources"],
        "management_groups": {},
        "zone_groups": {pe: [{"id": g["id"], "name": g["name"], "properties": g["properties"]} for g in groups
                             if g["id"].casefold().startswith(pe.casefold() + "/privatednszonegroups/")]
                        for pe in endpoints},
    }


def scan(snapshot_path: Path, tmp_path: Path) -> dict:
    out = tmp_path / f"report-{snapshot_path.name}.json"
    assert main(["scan", "--snapshot", str(snapshot_path), "--format", "json", "--output", str(out)]) in (0, 1)
    report = json.loads(out.read_text(encoding="utf-8"))
    # Row positions differ between files; name the row each finding came from by its id instead.
    loaded = snapshot.load([str(snapshot_path)])
    rows = {(o.file, o.table, o.index): row["id"] for table in loaded.tables.values() for row in table
            if (o := loaded.origin(row)) is not None}
    for finding in report["findings"]:
        source = finding.pop("source")
        finding["source_row"] = rows[(source["file"], source["table"], source["index"])] if source else None
    return {"findings": report["findings"], "summary": report["summary"], "diagnostics": report["diagnostics"]}


def test_collected_snapshot_gives_the_offline_findings(tmp_path):
    tables = example_tables()
    subscriptions = [row["subscriptionId"] for row in tables["resourcecontainers"]
                     if row["type"] == "microsoft.resources/subscriptions"]
    collected = tmp_path / "collected.json"
    with ArgStandIn(standin_estate(tables), page_size=3) as standin:
        argv = ["collect", "--arm-endpoint", standin.url, "--output", str(collected)]
        assert main([*argv, *[arg for sub in subscriptions for arg in ("--subscription", sub)]]) == 0
        assert standin.violations == []
    offline = scan(EXAMPLE, tmp_path)
    assert len(offline["findings"]) > 20 and {f["status"] for f in offline["findings"]} >= {"pass", "fail"}
    assert scan(collected, tmp_path) == offline


def test_offline_file_with_the_collected_rows_gives_the_same_findings(tmp_path):
    """The same rows in a plain object-of-tables file (no header, zone groups as stored rows)."""
    tables = example_tables()
    subscriptions = [row["subscriptionId"] for row in tables["resourcecontainers"]
                     if row["type"] == "microsoft.resources/subscriptions"]
    collected = tmp_path / "collected.json"
    with ArgStandIn(standin_estate(tables)) as standin:
        argv = ["collect", "--arm-endpoint", standin.url, "--output", str(collected)]
        assert main([*argv, *[arg for sub in subscriptions for arg in ("--subscription", sub)]]) == 0
    written = json.loads(collected.read_text(encoding="utf-8"))
    zone_groups = [row for row in tables["resources"] if row["type"] == ZONE_GROUP_TYPE]
    assert [row for row in written["resources"] if row["type"] == ZONE_GROUP_TYPE] == zone_groups
    offline = tmp_path / "offline.json"
    offline.write_text(json.dumps({table: written[table] for table in ("resources", "resourcecontainers",
                                                                         "dnsresources")}), encoding="utf-8")
    assert scan(collected, tmp_path) == scan(offline, tmp_path)


PARAMETER = ("not evaluated: parameter 'project_resource_group' has no value: type 'microsoft.migrate/migrateprojects' "
             "was not collected ({note}) (set it in policies.yaml or with --param project_resource_group=...)")
NO_CIRCUITS = "not evaluated: type 'microsoft.network/expressroutecircuits' was not collected ({note})"
NO_ENDPOINTS = "not evaluated: type 'microsoft.network/privateendpoints' was not collected ({note})"
NO_ZONES = "not evaluated: type 'microsoft.network/privatednszones' was not collected ({note})"
CACHE_ACCOUNTS = ("lsa4f8e2b1c9d", "lsa7c1d0e93ab")  # the example estate has two projects' cache accounts
PUSHED_DOWN = [
    pytest.param(["microsoft.storage/storageaccounts"], [
        ("AMX-MP-01", "not_evaluated", "", NO_CIRCUITS),
        ("AMX-PP-03", "not_evaluated", "", PARAMETER),
        ("AMX-PP-06", "not_evaluated", "", PARAMETER),
    ], id="storage"),
    pytest.param(["microsoft.storage/storageaccounts,microsoft.migrate/migrateprojects"], [
        ("AMX-MP-01", "not_evaluated", "", NO_CIRCUITS),
        *[("AMX-PP-03", "not_evaluated", name, NO_ENDPOINTS) for name in CACHE_ACCOUNTS],
        *[("AMX-PP-06", "not_evaluated", name, NO_ZONES) for name in CACHE_ACCOUNTS],
    ], id="storage-and-project"),
]
CHECKED = ("AMX-PP-03", "AMX-PP-06", "AMX-MP-01")


@pytest.mark.parametrize("types, expected", PUSHED_DOWN)
def test_a_pushdown_snapshot_never_fails_on_types_it_did_not_collect(tmp_path, types, expected):
    """The audit's case: private endpoints, DNS zones and circuits exist but were not collected, so the rules
    about them are not_evaluated naming the snapshot and its --types, not failed."""
    tables = example_tables()
    subscriptions = [row["subscriptionId"] for row in tables["resourcecontainers"]
                     if row["type"] == "microsoft.resources/subscriptions"]
    collected = tmp_path / "storage.json"
    with ArgStandIn(standin_estate(tables)) as standin:
        argv = ["collect", "--arm-endpoint", standin.url, "--output", str(collected), "--types", *types]
        assert main([*argv, *[arg for sub in subscriptions for arg in ("--subscription", sub)]]) == 0
    pushdown = json.loads(collected.read_text(encoding="utf-8"))["header"]["pushdown"]
    note = f"snapshot {collected} was collected with --types {','.join(pushdown)}"
    found = sorted((f["rule_id"], f["status"], f["subject"]["name"], f["message"])
                   for f in scan(collected, tmp_path)["findings"] if f["rule_id"] in CHECKED)
    assert found == [(rule, status, name, message.format(note=note)) for rule, status, name, message in expected]
    # the full collection of the same estate decides those rules on the rows that exist
    full = sorted((f["rule_id"], f["status"], f["subject"]["name"])
                  for f in scan(EXAMPLE, tmp_path)["findings"] if f["rule_id"] in CHECKED)
    assert full == [("AMX-MP-01", "pass", "er-ams-contoso-01"),
                    ("AMX-PP-03", "fail", "lsa7c1d0e93ab"), ("AMX-PP-03", "pass", "lsa4f8e2b1c9d"),
                    ("AMX-PP-06", "pass", "lsa4f8e2b1c9d"), ("AMX-PP-06", "pass", "lsa7c1d0e93ab")]
