"""Projection (argus.language.reads, argus.snapshots.rowdecode) never changes a finding.

Every case of every fixture of the bundled pack, the example estate and the whole-pack benchmark's estate at
10k rows give the same findings (status, subject, message, evidence, related ids, source) with projection and
without, whichever way the rows were projected (msgspec skipping while decoding, or Python after a whole
parse); the analysis keeps what each construct reads; SARIF locations and `check --snapshot` still see rows.
"""

from __future__ import annotations

import json
import os
import sys

import orjson
import pytest

from argus.testing import fixturesnap
from argus.language import reads
from argus.snapshots import documents, snapshot
from argus.resources import rules_dir
from argus.evaluation.session import prepare
from argus.commands.testcmd import Runner, find_fixtures, pack_of
from conftest import session_of

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACK = os.path.join(REPO, "rules", "azure-migrate")


def _findings(session, snap) -> list[dict]:
    return [f.to_dict() for f in session.evaluate(snap)]


def _write_tables(snap, path) -> None:
    path.write_bytes(orjson.dumps({name: rows for name, rows in snap.tables.items()}))


def _three_ways(session, path: str):
    """Findings without projection, with msgspec's, and with the Python projection of whole-parsed rows."""
    wanted = reads.reads_of(session.plan, session.rules)
    whole = snapshot.load([path])
    decoded = snapshot.load([path], wanted)
    from argus.snapshots.rowdecode import Decoders
    python = snapshot.Snapshot()
    raw = open(path, "rb").read()
    raw = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw  # as the loader reads it
    snapshot._add(python, path, None, *documents.parse(path, raw), project=Decoders(wanted))
    return _findings(session, whole), _findings(session, decoded), _findings(session, python)


def _cases():
    runner = Runner()
    for fixture_path in find_fixtures([os.path.join(REPO, "rules")]):
        for _, fixture in runner.load([fixture_path]):
            for case in fixture.cases:
                yield pytest.param(fixture_path, case.name, id=f"{os.path.basename(os.path.dirname(fixture_path))}:{case.name}")


@pytest.mark.parametrize("fixture_path,case_name", list(_cases()))
def test_every_fixture_case_gives_the_same_findings(tmp_path, fixture_path, case_name):
    runner = Runner()
    (pack, fixture), = runner.load([fixture_path])
    case = next(c for c in fixture.cases if c.name == case_name)
    session = runner.case_session(pack, case)  # only the case's rules: the narrowest projection
    path = tmp_path / "case.json"
    _write_tables(fixturesnap.case_snapshot(case, runner.snapshots), path)
    whole, decoded, python = _three_ways(session, str(path))
    for got in (decoded, python):
        assert [_no_source(f) for f in got] == [_no_source(f) for f in whole]


def _no_source(finding: dict) -> dict:
    return {k: v for k, v in finding.items() if k != "source"} | {"at": (finding["source"] or {}).get("index")}


def test_the_whole_pack_on_the_example_and_a_10k_estate(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "bench"))
    import pack as bench_pack
    estate = tmp_path / "pack-10000.json"
    bench_pack.write_estate(str(estate), 10_000)
    session = prepare([PACK])
    for path in [str(estate), os.path.join(REPO, "examples", "estate", "resources.json")]:
        whole, decoded, python = _three_ways(session, path)
        assert decoded == whole and python == whole
        assert any(f["status"] == "fail" for f in whole)


def test_decoded_rows_are_the_python_projection_of_the_parsed_rows(tmp_path):
    sys.path.insert(0, os.path.join(REPO, "bench"))
    import pack as bench_pack
    estate = tmp_path / "pack.json"
    bench_pack.write_estate(str(estate), 2_000)
    session = prepare([PACK])
    wanted = reads.reads_of(session.plan, session.rules)
    decoded = snapshot.load([str(estate)], wanted)
    whole = snapshot.load([str(estate)])
    for table, rows in whole.tables.items():
        trie = {reads.WHOLE: True} if table == "appliance" else wanted.for_table(table)
        projected = [reads.project(row, trie) for row in rows]
        assert decoded.tables[table] == projected
    assert len(json.dumps(decoded.tables["resources"])) < len(json.dumps(whole.tables["resources"])) / 2


@pytest.mark.parametrize("shape", ["tables", "bare", "jsonl", "page", "pages", "arm-bodies", "bom", "empty-table"])
def test_every_snapshot_shape_gives_the_same_findings(tmp_path, shape):
    rows = orjson.loads(open(os.path.join(REPO, "examples", "estate", "resources.json"), "rb").read())["data"]
    path = tmp_path / ("snap.jsonl" if shape == "jsonl" else "snap.json")
    if shape == "tables":
        path.write_bytes(orjson.dumps({"resources": rows}))
    elif shape == "bare":
        path.write_bytes(orjson.dumps(rows))
    elif shape == "jsonl":
        path.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    elif shape == "page":
        path.write_bytes(orjson.dumps({"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)}))
    elif shape == "pages":
        half = len(rows) // 2
        path.write_bytes(orjson.dumps([{"data": rows[:half], "$skipToken": "x", "totalRecords": len(rows)},
                                       {"data": rows[half:], "totalRecords": len(rows)}]))
    elif shape == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps({"resources": rows}))
    elif shape == "empty-table":
        path.write_bytes(orjson.dumps({"dnsresources": [], "resources": rows, "resourcecontainers": []}))
    else:
        path.write_bytes(orjson.dumps([{k: v for k, v in r.items() if k not in ("subscriptionId", "resourceGroup",
                                                                                    "tenantId")} for r in rows]))
    whole, decoded, python = _three_ways(prepare([PACK]), str(path))
    assert decoded == whole and python == whole


def _reads(text: str) -> reads.Reads:
    session = session_of(text, "r.argus")
    return reads.reads_of(session.plan, session.rules)


RULE = 'rule T-1 "t" {{\n  severity low\n  {body}\n}}\n'


def _keeps(trie: dict, *path) -> bool:
    for key in path:
        if reads.WHOLE in trie:
            return True
        if key not in trie:
            return False
        trie = trie[key]
    return True


def test_a_where_predicate_reads_every_row_of_its_source_not_only_the_types_it_admits():
    got = _reads(RULE.format(body='for s in resources where type == "a/b" and properties.x == 1\n'
                                  '  require s.properties.y == 2'))
    assert _keeps(got.for_table("resources"), "properties", "x")  # a join may run it on any row
    assert _keeps(got.tries[("resources", frozenset({"a/b"}))], "properties", "y")
    assert not _keeps(got.tries[("resources", None)], "properties", "y")


def test_a_row_in_a_message_is_kept_whole_and_resource_reads_every_table():
    got = _reads(RULE.format(body='for s in resources where type == "a/b"\n'
                                  '  require resource(s.properties.ref).properties.z == 1 else "{s}"'))
    assert reads.is_whole(got.tries[("resources", frozenset({"a/b"}))])
    assert _keeps(got.tries[(None, None)], "properties", "z")
    assert _keeps(got.for_table("dnsresources"), "properties", "z")


def test_computed_keys_tags_and_functions_keep_subtrees_whole():
    got = _reads(RULE.format(body='for s in resources\n  require s.properties.m[s.name] == 1 and s.tags.env == "x"'
                                  ' and len(s.properties.k) > 0 and count(s.properties.c) == 0'))
    trie = got.for_table("resources")
    assert reads.is_whole(trie["properties"]["m"]) and reads.is_whole(trie["tags"])
    assert reads.is_whole(trie["properties"]["k"]) and not reads.is_whole(trie["properties"]["c"])


def test_scan_with_and_without_projection_writes_the_same_reports(tmp_path, monkeypatch):
    from argus.commands.cli import main
    out = {}
    for off in ("", "1"):
        monkeypatch.setenv("ARGUS_NO_PROJECTION", off)
        json_out, sarif_out = tmp_path / f"r{off}.json", tmp_path / f"r{off}.sarif"
        assert main(["scan", "--example", "-f", "json", "-o", str(json_out), "-f", "sarif", "-o", str(sarif_out)]) == 1
        doc = json.loads(json_out.read_text())
        sarif = json.loads(sarif_out.read_text())["runs"][0]
        out[off] = (doc["findings"], doc["summary"], doc["run"]["snapshots"],
                    [(r["locations"], r.get("relatedLocations")) for r in sarif["results"]])
    assert out[""] == out["1"]


def test_check_with_a_snapshot_still_lints_against_whole_rows(tmp_path, capsys):
    from argus.commands.cli import main
    rule = tmp_path / "r.argus"
    rule.write_text(RULE.format(body='for s in resources where type == "microsoft.storage/storageaccounts"\n'
                                     '  require s.properties.minimumTlsVersoin == "TLS1_2"'))
    main(["check", str(rule), "--snapshot", os.path.join(REPO, "examples", "estate", "resources.json")])
    captured = capsys.readouterr()
    assert "W506" in captured.out + captured.err


@pytest.mark.parametrize("layout", ["pretty", "compact", "jsonl", "page", "one line", "margin"])
def test_sarif_positions_from_load_anchors_are_those_of_a_full_sweep(tmp_path, monkeypatch, layout):
    """argus.snapshots.rowanchors (rows read back around the anchors a projected load left) finds every row, nested id
    and mention where argus.snapshots.rowpos.RowIndex (one sweep of the whole file) does."""
    from argus.snapshots import rowanchors, rowdecode, rowlines, rowpos
    monkeypatch.setattr(rowdecode, "_BATCH", 7)  # many anchors, rows on both sides of each
    monkeypatch.setattr(rowlines, "BATCH_BYTES", 500)
    rows = orjson.loads(open(os.path.join(REPO, "examples", "estate", "resources.json"), "rb").read())["data"]
    path = tmp_path / ("snap.jsonl" if layout == "jsonl" else "snap.json")
    if layout == "pretty":
        path.write_text(json.dumps({"header": {"x": 1}, "resources": rows}, indent=2), encoding="utf-8")
    elif layout == "compact":
        path.write_bytes(b'{"resources": [\n' + b",\n".join(orjson.dumps(r) for r in rows) + b"\n]}\n")
    elif layout == "jsonl":
        path.write_bytes(b"\n\n".join(orjson.dumps(r) for r in rows) + b"\n")
    elif layout == "page":
        path.write_text(json.dumps({"count": len(rows), "data": rows}, indent=1), encoding="utf-8")
    else:  # rows that do not begin lines, or whose nested values begin lines at the same indentation
        path.write_text(json.dumps({"resources": rows}, indent=None if layout == "one line" else 0), encoding="utf-8")
    session = prepare([PACK])
    snap = snapshot.load([str(path)], reads.reads_of(session.plan, session.rules))
    anchored = rowpos.open_file(str(path))
    assert isinstance(anchored, rowanchors.AnchoredIndex)
    swept = rowpos.RowIndex(str(path), path.read_bytes())
    table = None if layout in ("jsonl", "page") else "resources"  # one line, margin: split by msgspec instead
    for index, row in enumerate(rows):
        assert anchored.row(table, index, row["id"]) == swept.row(table, index, row["id"]), index
    nested = [c["id"] for r in rows for c in (r.get("properties") or {}).get("privateLinkServiceConnections", [])]
    for rid in nested + ["/subscriptions/none/resourceGroups/x/providers/a/b/c"]:
        assert anchored.find(rid) == swept.find(rid), rid
    assert snap.tables["resources"]
