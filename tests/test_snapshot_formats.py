"""Snapshot loading: every accepted ARG export shape, routing by type, `type` lower-cased and nothing else
touched, merging several files and directories, and the exact messages for refused or incomplete input.
Files: tests/data/snapshots/; table: tests/cases/snapshot_formats.yaml."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest
import yaml

from argus.snapshots import snapshot
from argus.diagnostics import DiagnosticError
from argus.errors import UserError
from argus.language.values import Missing

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data" / "snapshots"
TABLE = yaml.safe_load((TESTS / "cases" / "snapshot_formats.yaml").read_text(encoding="utf-8"))


def names(snap) -> dict:
    return {table: [row["name"] for row in rows] for table, rows in snap.tables.items()}


@pytest.mark.parametrize("case", TABLE["accepted"], ids=lambda c: c["file"])
def test_accepted_shape(case):
    path = DATA / case["file"]
    snap = snapshot.load([str(path)])
    assert names(snap) == case["tables"]
    [loaded] = snap.files
    assert (loaded.path, loaded.rows, loaded.collected_at) == (str(path), case["rows"], case["collected_at"])
    assert loaded.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert snap.collected_at == case["collected_at"]


@pytest.mark.parametrize("case", TABLE["refused"], ids=lambda c: c["file"])
def test_refused_with_a_clear_message(case):
    path = str(DATA / case["file"])
    with pytest.raises(UserError) as exc:
        snapshot.load([path])
    assert str(exc.value) == case["message"].replace("{path}", path)


@pytest.mark.parametrize("case", TABLE["not_json"], ids=lambda c: c["file"])
def test_not_json_is_located(case):
    path = str(DATA / case["file"])
    with pytest.raises(DiagnosticError) as exc:
        snapshot.load([path])
    line, col = case["line"], case["col"]
    source = (DATA / case["file"]).read_text(encoding="utf-8").split("\n")[line - 1]
    assert str(exc.value) == f"{path}:{line}:{col}: E412: {case['message']}\n  {source}\n  {' ' * (col - 1)}^"


DOCUMENTS = TABLE["documents"]
SCAN_RULE = 'rule D-1 "Accounts are v2" {\n  severity low\n  for a in resources\n  require a.kind == "StorageV2"\n}\n'


@pytest.mark.parametrize("case", DOCUMENTS["accepted"], ids=lambda c: c["name"])
def test_accepted_document(case, tmp_path):
    path = tmp_path / "documents.json"
    path.write_text(json.dumps(case["document"]), encoding="utf-8")
    assert names(snapshot.load([str(path)])) == case["tables"]


@pytest.mark.parametrize("case", DOCUMENTS["refused"], ids=lambda c: c["name"])
def test_refused_document_exits_2_with_the_message(case, tmp_path, argus):
    path = tmp_path / "documents.json"
    path.write_text(json.dumps(case["document"]), encoding="utf-8")
    message = case["message"].replace("{path}", str(path))
    with pytest.raises(UserError) as exc:
        snapshot.load([str(path)])
    assert str(exc.value) == message
    (tmp_path / "rule.argus").write_text(SCAN_RULE, encoding="utf-8")
    assert argus("scan", "--rules", tmp_path / "rule.argus", "--snapshot", path) == (
        2, "", f"argus scan: error: {message}\n")


def test_pages_of_one_query_split_across_files_are_refused_naming_the_first(tmp_path, argus):
    pages = json.loads((DATA / "rest-pages.json").read_text(encoding="utf-8"))
    first, second = tmp_path / "page1.json", tmp_path / "page2.json"
    first.write_text(json.dumps(pages[0]), encoding="utf-8")
    second.write_text(json.dumps(pages[1]), encoding="utf-8")
    (tmp_path / "rule.argus").write_text(SCAN_RULE, encoding="utf-8")
    code, out, err = argus("scan", "--rules", tmp_path / "rule.argus", "--snapshot", first, "--snapshot", second)
    assert (code, out, err) == (2, "", (
        f"argus scan: error: {first}: incomplete export: 2 rows of 3 with more pages to fetch (skip token set on "
        "the last page); put every page of the query in this one file, as a JSON array of pages in order, or use "
        "`argus collect`\n"))
    together = tmp_path / "pages.json"
    together.write_text(json.dumps([json.loads(first.read_text()), json.loads(second.read_text())]), encoding="utf-8")
    assert names(snapshot.load([str(together)])) == {"resources": ["lsacontoso01", "pe-lsacontoso01-blob", "er-ams"]}


@pytest.mark.parametrize("flag", ["true", "True", True])
def test_result_truncated_is_refused_however_it_is_spelled(flag):
    with pytest.raises(UserError) as exc:
        snapshot.add_document(snapshot.Snapshot(), "sdk-page.json", {"data": [], "resultTruncated": flag})
    assert str(exc.value).startswith("sdk-page.json: page 1 says resultTruncated: true")


def test_only_type_is_lower_cased():
    raw = json.loads((DATA / "bare-array.json").read_text(encoding="utf-8"))
    snap = snapshot.load([str(DATA / "bare-array.json")])
    loaded = {row["id"]: row for rows in snap.tables.values() for row in rows}
    expected = copy.deepcopy(raw)
    for row in expected:
        row["type"] = row["type"].lower()
    assert [loaded[row["id"]] for row in raw] == expected
    cname = snap.tables["dnsresources"][0]
    assert (cname["type"], cname["id"].rsplit("/", 2)[-2], list(cname["properties"])) == (
        "microsoft.network/dnszones/cname", "CNAME", ["TTL", "CNAMERecord"])


def test_columns_rows_form_becomes_objects():
    snap = snapshot.load([str(DATA / "rest-table.json")])
    [account] = snap.tables["resources"]
    assert sorted(account) == ["id", "location", "name", "properties", "resourceGroup", "type"]
    assert (account["type"], account["properties"]["networkAcls"]["defaultAction"]) == (
        "microsoft.storage/storageaccounts", "Deny")


def test_several_files_and_a_directory_merge_in_order():
    snap = snapshot.load([str(DATA / "tables.json"), str(DATA / "estate"), str(DATA / "rest-objects.json")])
    # the same resource exported in two files is loaded once (the first file wins) and reported as a duplicate
    assert names(snap) == {
        "resources": ["lsacontoso01", "pe-lsacontoso01-blob",            # tables.json
                      "er-ams"],                                         # rest-objects.json (its PE repeats)
        "resourcecontainers": ["RG-Migrate", "Contoso Landing Zone"],
        "dnsresources": ["lsacontoso01"],
    }
    assert [(table, Path(f).name) for table, _id, f in snap.duplicates] == [
        ("resources", "01-resources.json"), ("resources", "01-resources.json"),
        ("resourcecontainers", "02-containers.jsonl"), ("resources", "rest-objects.json")]
    assert [(Path(f.path).name, f.rows) for f in snap.files] == [
        ("tables.json", 4), ("01-resources.json", 2), ("02-containers.jsonl", 2), ("rest-objects.json", 2)]
    assert snap.collected_at == "2026-11-20T09:12:00Z"
    assert snap.row_count() == 6


def test_source_of_a_row_is_its_file_and_index():
    snap = snapshot.load([str(DATA / "tables.json"), str(DATA / "rest-pages.json")])
    er = snap.tables["resources"][-1]
    assert (er["name"], snap.origin(er).to_dict()) == ("er-ams", {"file": str(DATA / "rest-pages.json"), "index": 2, "table": "resources"})


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "rest-objects.json").read_bytes())
    assert names(snapshot.load([str(path)])) == {"resources": ["pe-lsacontoso01-blob", "er-ams"]}


def test_a_missing_table_is_missing_not_empty():
    snap = snapshot.load([str(DATA / "rest-objects.json")])
    absent = snap.table("dnsresources")
    assert isinstance(absent, Missing) and absent.static
    assert absent.describe() == "table 'dnsresources' is not in the snapshot"
    assert snapshot.load([str(DATA / "tables.json")]).table("DNSResources")[0]["name"] == "lsacontoso01"


def test_rows_are_found_by_id_ignoring_case():
    snap = snapshot.load([str(DATA / "tables.json")])
    rid = "/SUBSCRIPTIONS/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40/resourcegroups/rg-migrate"
    assert snap.by_id(rid)["name"] == "RG-Migrate"
    assert snap.by_id("/subscriptions/nope") is None


def test_a_missing_path_is_an_error():
    with pytest.raises(UserError) as exc:
        snapshot.load([str(DATA / "no-such-file.json")])
    assert str(exc.value) == f"{DATA}/no-such-file.json: no such snapshot file or directory"


def test_a_file_named_explicitly_is_read_whatever_its_extension():
    with pytest.raises(DiagnosticError) as exc:
        snapshot.load([str(DATA / "estate" / "README.txt")])
    assert str(exc.value).startswith(f"{DATA}/estate/README.txt:1:1: E412: invalid JSON: ")


def test_an_empty_directory_is_an_error(tmp_path):
    with pytest.raises(UserError) as exc:
        snapshot.load([str(tmp_path)])
    assert str(exc.value) == f"{tmp_path}: directory holds no .json/.jsonl files"


RULE = '''\
rule F-1 "Cache account is v2 with TLS 1.2" {
  severity high
  for a in resources where type == "microsoft.storage/storageaccounts"
  require a.kind == "StorageV2" and a.properties.minimumTlsVersion == "TLS1_2"
}
'''


@pytest.mark.parametrize("file", ["tables.json", "az-graph-query.json", "rows.jsonl", "rest-pages.json"])
def test_every_shape_gives_the_same_findings(file, rule_session):
    snap = snapshot.load([str(DATA / file)])
    found = rule_session(RULE).evaluate(snap)
    assert [(f.to_dict()["status"], f.to_dict()["subject"]["name"]) for f in found] == [("pass", "lsacontoso01")]
