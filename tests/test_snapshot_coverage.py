"""Pushdown snapshots (`argus collect --types`) hold only some types of their tables: a rule reading a type that
was not collected, or a whole table that was only partly collected, is not_evaluated, naming the file and its
--types; merged files follow the documented rule (a type counts when any file holding its table collected it).
Also the other half: which types `argus scan --live` collects for the rules it runs (argus.planning.pushdown.types_read).
"""

from __future__ import annotations

import pytest

from argus.snapshots import snapshot
from argus.collection.collectspec import COLLECTABLE, TYPES_BY_TABLE
from argus.planning.pushdown import types_read
from argus.errors import UserError

SUB = "/subscriptions/0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
STORAGE, PE = "microsoft.storage/storageaccounts", "microsoft.network/privateendpoints"
SUBSCRIPTIONS = "microsoft.resources/subscriptions"
DNS_A = "microsoft.network/privatednszones/a"


def row(rtype: str, name: str) -> dict:
    provider = {STORAGE: "Microsoft.Storage/storageAccounts", PE: "Microsoft.Network/privateEndpoints",
                DNS_A: "Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net/A"}[rtype]
    return {"id": f"{SUB}/resourceGroups/rg-migrate-weu/providers/{provider}/{name}", "name": name, "type": rtype,
            "subscriptionId": SUB.rsplit("/", 1)[1], "properties": {}}


SUBSCRIPTION_ROW = {"id": SUB, "name": "contoso-migration", "type": SUBSCRIPTIONS,
                    "subscriptionId": SUB.rsplit("/", 1)[1], "properties": {}}


def pushdown_doc(types: list[str], rows: list[dict], **extra) -> dict:
    return {"header": {"format": "argus-snapshot/1", "pushdown": types},
            "resources": rows, "resourcecontainers": [SUBSCRIPTION_ROW], **extra}


STORAGE_ONLY = ("storage.json", pushdown_doc([SUBSCRIPTIONS, STORAGE], [row(STORAGE, "lsacontoso01")]))
PE_ONLY = ("endpoints.json", pushdown_doc([PE, SUBSCRIPTIONS], [row(PE, "pe-lsacontoso01-blob")]))
FULL = ("full.json", {"resources": [row(PE, "pe-lsacontoso01-blob")]})
OLD_FORMAT = ("old.json", pushdown_doc([SUBSCRIPTIONS, STORAGE], [row(STORAGE, "lsacontoso01")], dnsresources=[]))
STORAGE_NOTE = "snapshot storage.json was collected with --types microsoft.resources/subscriptions," + STORAGE
PE_NOTE = f"snapshot endpoints.json was collected with --types {PE},{SUBSCRIPTIONS}"
WHOLE = "table 'resources' holds only some resource types ({}); reading it without a type filter needs a collection " \
        "without --types"


def rule(for_clause: str, require: str = "true") -> str:
    return f'rule C-1 "coverage" {{\n  severity high\n  for x in {for_clause}\n  require {require}\n}}\n'


PE_COUNT = 'count(resources where type == "microsoft.network/privateendpoints") > 0'
CASES = [
    # (id, snapshot files, rule, [(status, message)])
    ("collected-type", [STORAGE_ONLY], rule('resources where type == "microsoft.storage/storageaccounts"'),
     [("pass", "coverage: satisfied")]),
    ("uncollected-type", [STORAGE_ONLY], rule("[1]", PE_COUNT),
     [("not_evaluated", f"not evaluated: type '{PE}' was not collected ({STORAGE_NOTE})")]),
    ("uncollected-subject-set", [STORAGE_ONLY], rule('resources where type =~ "Microsoft.Network/privateEndpoints"'),
     [("not_evaluated", f"not evaluated: type '{PE}' was not collected ({STORAGE_NOTE})")]),
    ("swapped-and-it", [STORAGE_ONLY], rule('resources where "microsoft.network/privateendpoints" == it.type'),
     [("not_evaluated", f"not evaluated: type '{PE}' was not collected ({STORAGE_NOTE})")]),
    ("in-list-one-missing", [STORAGE_ONLY],
     rule('resources where type in~ ["Microsoft.Storage/storageAccounts", "microsoft.network/privateendpoints"]'),
     [("not_evaluated", f"not evaluated: type '{PE}' was not collected ({STORAGE_NOTE})")]),
    ("in-list-collected", [STORAGE_ONLY], rule('resources where type in ["microsoft.storage/storageaccounts"]'),
     [("pass", "coverage: satisfied")]),
    ("per-subject-join", [STORAGE_ONLY], rule(
        'resources where type == "microsoft.storage/storageaccounts"',
        'count(resources where type == "microsoft.network/privateendpoints" and name =~ x.name) == 0'),
     [("not_evaluated", f"not evaluated: type '{PE}' was not collected ({STORAGE_NOTE})")]),
    ("whole-table", [STORAGE_ONLY], rule("[1]", "count(resources) > 0"),
     [("not_evaluated", "not evaluated: " + WHOLE.format(STORAGE_NOTE))]),
    ("or-of-types-admits-both", [STORAGE_ONLY],  # the one type analysis (static.types_admitted) reads `or`
     rule('resources where type == "microsoft.storage/storageaccounts" or type == "x/y"'),
     [("not_evaluated", f"not evaluated: type 'x/y' was not collected ({STORAGE_NOTE})")]),
    ("or-with-an-untyped-side-reads-the-whole-table", [STORAGE_ONLY],
     rule('resources where type == "microsoft.storage/storageaccounts" or name == "x"'),
     [("not_evaluated", "not evaluated: " + WHOLE.format(STORAGE_NOTE))]),
    ("untyped-filter-after-a-typed-join-on-the-same-key", [STORAGE_ONLY],  # the join index is memoized and shared
     rule('resources where type == "microsoft.storage/storageaccounts"',
          'count(resources where type == "microsoft.storage/storageaccounts" and name =~ x.name) == 1')
     + rule('resources where type == "microsoft.storage/storageaccounts"',
            "count(resources where name =~ x.name) == 1").replace("C-1", "C-2"),
     [("pass", "coverage: satisfied"), ("not_evaluated", "not evaluated: " + WHOLE.format(STORAGE_NOTE))]),
    ("table-function", [STORAGE_ONLY], rule('table("resources")'),
     [("not_evaluated", "not evaluated: " + WHOLE.format(STORAGE_NOTE))]),
    ("absent-table", [STORAGE_ONLY], rule('dnsresources where type == "microsoft.network/privatednszones/a"'),
     [("not_evaluated", f"not evaluated: table 'dnsresources' is not in the snapshot ({STORAGE_NOTE})")]),
    ("empty-table-of-an-older-collector", [OLD_FORMAT],
     rule('dnsresources where type == "microsoft.network/privatednszones/a"'),
     [("not_evaluated", f"not evaluated: type '{DNS_A}' was not collected (snapshot old.json was collected with "
                        f"--types {SUBSCRIPTIONS},{STORAGE})")]),
    ("complete-file-completes-the-table", [STORAGE_ONLY, FULL], rule("[1]", f"count(resources) == 2 and {PE_COUNT}"),
     [("pass", "coverage: satisfied")]),
    ("types-of-two-pushdown-files", [STORAGE_ONLY, PE_ONLY], rule("[1]", PE_COUNT),
     [("pass", "coverage: satisfied")]),
    ("whole-table-of-two-pushdown-files", [STORAGE_ONLY, PE_ONLY], rule("[1]", "count(resources) > 0"),
     [("not_evaluated", "not evaluated: " + WHOLE.format(f"{STORAGE_NOTE}; {PE_NOTE}"))]),
    ("pushdown-covering-every-type-is-whole", [("all.json", pushdown_doc(sorted(COLLECTABLE), []))],
     rule("[1]", "count(resources) == 0"), [("pass", "coverage: satisfied")]),
    ("other-tables-are-not-narrowed", [("facts.json", pushdown_doc([SUBSCRIPTIONS], [], notes=[{"id": "n"}]))],
     rule('table("notes")', "x.id == \"n\""), [("pass", "coverage: satisfied")]),
]


@pytest.mark.parametrize("files, text, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_reads_of_what_pushdown_left_out_are_not_evaluated(rule_session, files, text, expected):
    snap = snapshot.Snapshot()
    for name, doc in files:
        snapshot.add_document(snap, name, doc)
    found = rule_session(text).evaluate(snap)
    assert [(f.status, f.message) for f in found] == expected


def test_loaded_table_and_rule_view_differ_only_by_coverage():
    snap = snapshot.Snapshot()
    snapshot.add_document(snap, *STORAGE_ONLY)
    assert [r["name"] for r in snap.table("resources")] == ["lsacontoso01"]
    assert snap.read("resources").describe() == WHOLE.format(STORAGE_NOTE)
    # resource groups were not collected either (--types narrows resource_containers to subscriptions)
    assert snap.table("resourcecontainers") == [SUBSCRIPTION_ROW]
    assert snap.coverage.typed("resourcecontainers", frozenset([SUBSCRIPTIONS])) is None
    missing = snap.coverage.typed("resourcecontainers", frozenset(TYPES_BY_TABLE["resourcecontainers"]))
    assert (missing.static, missing.describe()) == (
        True, f"type 'microsoft.resources/subscriptions/resourcegroups' was not collected ({STORAGE_NOTE})")


@pytest.mark.parametrize("value, shown", [("storage", '"storage"'), ([1], "[1]"), ({"a": 1}, '{"a":1}')])
def test_a_malformed_pushdown_is_refused(value, shown):
    with pytest.raises(UserError) as exc:
        snapshot.add_document(snapshot.Snapshot(), "bad.json", {"header": {"pushdown": value}, "resources": []})
    assert str(exc.value) == f"bad.json: header 'pushdown' must be null or a list of resource types, got {shown}"


# -- what `scan --live` collects for the rules it runs --

ALL_RESOURCES = set(TYPES_BY_TABLE["resources"])
READS = [
    ("typed", 'let s = resources where type == "microsoft.storage/storageaccounts"\n' + rule("s"), {STORAGE}),
    ("in-list-and-case", rule('resources where type in~ ["Microsoft.Network/privateEndpoints", "x/y"]'), {PE}),
    ("whole-table", rule("resources"), ALL_RESOURCES),
    ("or-filter", rule('resources where type == "a/b" or name == "c"'), ALL_RESOURCES),
    ("table-function", rule('table("dnsresources")'), set(TYPES_BY_TABLE["dnsresources"])),
    ("other-table", rule('table("appliance")'), set()),
    ("resource-function", rule("[1]", 'resource("/subscriptions/x").type == "y"'), None),
    ("uncollectable-type", rule('resources where type == "microsoft.compute/virtualmachines"'), set()),
    ("through-lets-and-defaults",
     'param rg: string = first(resourcecontainers where type == "microsoft.resources/subscriptions/resourcegroups").name\n'
     'let pes = resources where type == "microsoft.network/privateendpoints" and resourceGroup == rg\n'
     'let unused = dnsresources\n' + rule("pes"),
     {PE, "microsoft.resources/subscriptions/resourcegroups"}),
    ("filter-inside-a-filter", rule(
        'resources where type == "microsoft.storage/storageaccounts"',
        'count(dnsresources where type == "microsoft.network/privatednszones/a" and name == x.name) == 0'),
     {STORAGE, DNS_A}),
    ("every-type-is-everything", rule("resources where count(resourcecontainers) >= 0 and count(dnsresources) >= 0"),
     None),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in READS], ids=[c[0] for c in READS])
def test_types_read_by_the_rules(rule_session, text, expected):
    session = rule_session(text)
    assert types_read(session.plan, session.rules) == expected
