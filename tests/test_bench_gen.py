"""bench/gen.py: determinism, document shape, row sizes, type mix and private-endpoint references."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

GEN_PATH = Path(__file__).resolve().parents[1] / "bench" / "gen.py"
ROWS = 2000
ARG_COLUMNS = ["id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
               "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation"]
STORAGE = "microsoft.storage/storageaccounts"
PE = "microsoft.network/privateendpoints"
VNET = "microsoft.network/virtualnetworks"
OTHER = ("microsoft.compute/disks", "microsoft.network/networkinterfaces", "microsoft.compute/virtualmachines")


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("bench_gen", GEN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(gen, tmp_path_factory):
    """(path, stdout) of a 2,000-row json snapshot with seed 7."""
    out = tmp_path_factory.mktemp("gen") / "snap.json"
    capture = tmp_path_factory.mktemp("gen-stdout") / "stdout.txt"
    with open(capture, "w") as fh, contextlib.redirect_stdout(fh):
        assert gen.main(["--resources", str(ROWS), "--out", str(out), "--seed", "7"]) == 0
    return out, capture.read_text()


@pytest.fixture(scope="module")
def rows(generated):
    return json.loads(generated[0].read_bytes())["data"]


def by_type(rows, type_):
    return [r for r in rows if r["type"] == type_]


def test_same_seed_gives_identical_bytes(gen, generated, tmp_path):
    again = tmp_path / "again.json"
    assert gen.main(["--resources", str(ROWS), "--out", str(again), "--seed", "7"]) == 0
    assert again.read_bytes() == generated[0].read_bytes()


def test_other_seed_gives_other_bytes(gen, generated, tmp_path):
    other = tmp_path / "other.json"
    assert gen.main(["--resources", str(ROWS), "--out", str(other), "--seed", "8"]) == 0
    assert other.read_bytes() != generated[0].read_bytes()


def test_document_is_az_graph_query_output(generated):
    doc = json.loads(generated[0].read_bytes())
    assert list(doc) == ["count", "data", "skip_token", "total_records"]
    assert doc["count"] == doc["total_records"] == len(doc["data"]) == ROWS
    assert doc["skip_token"] is None


def test_jsonl_format_holds_the_same_rows(gen, rows, tmp_path):
    out = tmp_path / "snap.jsonl"
    assert gen.main(["--resources", str(ROWS), "--out", str(out), "--format", "jsonl"]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    assert [json.loads(line) for line in lines[:-1]] == rows


def compact_size(row) -> int:
    return len(json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode())


def test_average_row_size_is_between_1_and_2_kb(rows):
    sizes = [compact_size(r) for r in rows]
    assert 1024 <= sum(sizes) / len(sizes) <= 2048
    assert min(sizes) >= 512 and max(sizes) <= 8192


def test_prints_the_average_row_size(rows, generated):
    average = sum(compact_size(r) for r in rows) / len(rows)
    match = re.search(r"average row (\d+) bytes", generated[1])
    assert match, generated[1]
    assert int(match.group(1)) == round(average)


@pytest.mark.parametrize("types, share", [((STORAGE,), 0.30), ((PE,), 0.30), ((VNET,), 0.20), (OTHER, 0.20)])
def test_type_mix(rows, types, share):
    count = sum(1 for r in rows if r["type"] in types)
    assert abs(count / len(rows) - share) <= 0.01


def test_other_rows_hold_disks_nics_and_vms(rows):
    counts = Counter(r["type"] for r in rows if r["type"] in OTHER)
    total = sum(counts.values())
    assert set(counts) == set(OTHER)
    assert all(abs(count - total / 3) <= 1 for count in counts.values())


def test_rows_have_the_arg_column_set_in_arg_order(rows):
    assert all(list(r) == ARG_COLUMNS for r in rows)


def test_type_and_resource_group_are_lower_case_and_match_the_id(rows):
    for r in rows:
        assert r["type"] == r["type"].lower()
        assert r["resourceGroup"] == r["resourceGroup"].lower()
        segments = r["id"].split("/")
        assert segments[1] == "subscriptions" and segments[2] == r["subscriptionId"]
        assert segments[3] == "resourceGroups" and segments[4].lower() == r["resourceGroup"]


def test_ids_are_unique(rows):
    ids = [r["id"].lower() for r in rows]
    assert len(set(ids)) == len(ids)


def test_private_endpoints_resolve_to_storage_accounts_case_insensitively(rows):
    storage = {r["id"].casefold(): r["id"] for r in by_type(rows, STORAGE)}
    refs = [c["properties"]["privateLinkServiceId"]
            for pe in by_type(rows, PE) for c in pe["properties"]["privateLinkServiceConnections"]]
    assert len(refs) == len(by_type(rows, PE))
    unresolved = [ref for ref in refs if ref.casefold() not in storage]
    assert unresolved == []
    differing = [ref for ref in refs if storage[ref.casefold()] != ref]
    # casing is varied: some references match exactly, many do not
    assert 0.3 * len(refs) < len(differing) < len(refs)


def test_about_70_percent_of_storage_accounts_have_a_private_endpoint(rows):
    targets = {c["properties"]["privateLinkServiceId"].casefold()
               for pe in by_type(rows, PE) for c in pe["properties"]["privateLinkServiceConnections"]}
    storage = by_type(rows, STORAGE)
    share = sum(1 for r in storage if r["id"].casefold() in targets) / len(storage)
    assert 0.65 <= share <= 0.75


def test_storage_connections_point_back_at_their_private_endpoints(rows):
    pe_target = {pe["id"].casefold(): c["properties"]["privateLinkServiceId"].casefold()
                 for pe in by_type(rows, PE) for c in pe["properties"]["privateLinkServiceConnections"]}
    back = [(st["id"].casefold(), conn["properties"]["privateEndpoint"]["id"].casefold())
            for st in by_type(rows, STORAGE) for conn in st["properties"]["privateEndpointConnections"]]
    assert len(back) == len(pe_target)
    assert all(pe_target.get(pe) == st for st, pe in back)


def test_storage_properties_vary_like_a_real_estate(rows):
    storage = by_type(rows, STORAGE)
    kinds = Counter(r["kind"] for r in storage)
    tls = Counter(r["properties"].get("minimumTlsVersion", "<missing>") for r in storage)
    assert set(kinds) == {"StorageV2", "Storage"} and kinds["StorageV2"] > 0.7 * len(storage)
    assert set(tls) == {"TLS1_2", "TLS1_0", "<missing>"} and tls["TLS1_2"] > 0.7 * len(storage)
    assert all(r["properties"]["networkAcls"]["defaultAction"] in ("Allow", "Deny") for r in storage)
    assert all(r["properties"]["primaryEndpoints"]["blob"] == f"https://{r['name']}.blob.core.windows.net/"
               for r in storage)


def test_virtual_networks_have_2_to_6_subnets_some_with_nsg_and_delegations(rows):
    subnets = []
    for vnet in by_type(rows, VNET):
        assert 2 <= len(vnet["properties"]["subnets"]) <= 6
        subnets += vnet["properties"]["subnets"]
    assert all(re.fullmatch(r"10\.\d+\.\d+\.0/24", s["properties"]["addressPrefix"]) for s in subnets)
    with_nsg = sum(1 for s in subnets if "networkSecurityGroup" in s["properties"])
    delegated = sum(1 for s in subnets if s["properties"]["delegations"])
    assert 0 < with_nsg < len(subnets) and 0 < delegated < len(subnets)


@pytest.mark.parametrize("n", [1, 4, 7, 10, 11, 23])
def test_small_snapshots_keep_every_reference_inside_the_snapshot(gen, tmp_path, n):
    out = tmp_path / "small.json"
    assert gen.main(["--resources", str(n), "--out", str(out)]) == 0
    data = json.loads(out.read_bytes())["data"]
    assert len(data) == n
    ids = {r["id"].casefold() for r in data}
    for pe in by_type(data, PE):
        [conn] = pe["properties"]["privateLinkServiceConnections"]
        assert conn["properties"]["privateLinkServiceId"].casefold() in ids
    for st in by_type(data, STORAGE):
        assert all(c["properties"]["privateEndpoint"]["id"].casefold() in ids
                   for c in st["properties"]["privateEndpointConnections"])


@pytest.mark.parametrize("argv, message", [
    (["--resources", "0"], "--resources must be at least 1, got 0"),
    (["--resources", "-5"], "--resources must be at least 1, got -5"),
])
def test_rejects_bad_row_counts(gen, tmp_path, capsys, argv, message):
    out = tmp_path / "x.json"
    assert gen.main(argv + ["--out", str(out)]) == 2
    assert capsys.readouterr().err == f"gen.py: error: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_output_path_that_is_a_directory_is_a_user_error(gen, tmp_path, capsys):
    assert gen.main(["--resources", "10", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"gen.py: error: --out {tmp_path} is a directory, expected a file name\n"
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory_leaves_no_file(gen, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    out = blocker / "snap.json"
    assert gen.main(["--resources", "10", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"gen.py: error: cannot write to {blocker}: ")
    assert [p.name for p in tmp_path.iterdir()] == ["blocker"]
