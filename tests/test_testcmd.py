"""`argus test`: fixture validation (exact, located messages, exit 2), snapshots in every format scan accepts,
parameters needed only by the tested rules, rules without fixtures, and coverage counted per tested rule."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ESTATE = os.path.join(ROOT, "examples", "estate")
F = "pack/fixtures/T/cases.yaml"
STATUSES = "pass, fail, warn, skip, not_evaluated, error"

RULES = """\
param migration_subscription: string

rule ST-01 "Storage accounts are general-purpose v2" {
  severity high
  for account in resources where type == "microsoft.storage/storageaccounts"
  require account.kind == "StorageV2" else "{account.name} is of kind {account.kind}"
}

rule ST-02 "Migration storage accounts require TLS 1.2" {
  severity medium
  for account in resources where type == "microsoft.storage/storageaccounts" and subscriptionId =~ migration_subscription
  require account.properties.minimumTlsVersion == "TLS1_2" else "{account.name} accepts {account.properties.minimumTlsVersion}"
}
"""
SUB = "a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74"
V2 = f"/subscriptions/{SUB}/resourceGroups/rg-mig/providers/Microsoft.Storage/storageAccounts/stv2"
V1 = f"/subscriptions/{SUB}/resourceGroups/rg-mig/providers/Microsoft.Storage/storageAccounts/stv1"


def _row(rid: str, kind: str, tls: str) -> dict:
    return {"id": rid, "name": rid.rsplit("/", 1)[1], "type": "Microsoft.Storage/storageAccounts", "kind": kind,
            "location": "westeurope", "resourceGroup": "rg-mig", "subscriptionId": SUB,
            "properties": {"minimumTlsVersion": tls}}


ROWS = [_row(V2, "StorageV2", "TLS1_2"), _row(V1, "Storage", "TLS1_0")]


def write(base, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if isinstance(text, str) else text)


@pytest.fixture
def pack(tmp_path, monkeypatch):
    """A rule pack `pack/` (rules.argus) in the current directory; returns a writer for more files."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, {"pack/rules.argus": RULES})
    return lambda files: write(tmp_path, files)


# ------------------------------------------------------------------ malformed fixture files: exit 2, located
MALFORMED = [
    ("expectation without status", """\
        rule: ST-01
        cases:
          - name: no status
            expect:
              - subject: /x
        """, [f"{F}:5:9: an expectation needs `status:` (one of {STATUSES})"]),
    ("expectation that is a bare status", """\
        rule: ST-01
        cases:
          - name: bare status
            expect: [fail]
        """, [f"{F}:4:14: an expectation is a mapping {{status, subject, rule?, message?}}, got the string 'fail'; "
              "write `- {status: fail, subject: ID}`"]),
    ("case that is a string", """\
        rule: ST-01
        cases:
          - just a string
        """, [f"{F}:3:5: case 1 must be a mapping with `expect:` (and optional name, snapshot, tables, remove, patch, "
              "params, now), got the string 'just a string'"]),
    ("snapshot that does not exist", """\
        rule: ST-01
        snapshot: base/missing.json
        cases:
          - expect:
              - {status: skip, subject: ""}
        """, [f"{F}:2:11: snapshot 'base/missing.json' does not exist (looked for pack/fixtures/T/base/missing.json)"]),
    ("case snapshot list entry that does not exist", """\
        rule: ST-01
        cases:
          - snapshot: [a.json, b.json]
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:3:16: snapshot 'a.json' does not exist (looked for pack/fixtures/T/a.json)",
              f"{F}:3:24: snapshot 'b.json' does not exist (looked for pack/fixtures/T/b.json)"]),
    ("remove as a plain string", """\
        rule: ST-01
        cases:
          - remove: /subscriptions/x
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:3:13: `remove` must be a list of row ids, got the string '/subscriptions/x'; write `remove: [ID]`"]),
    ("upper-case status", """\
        rule: ST-01
        cases:
          - expect:
              - status: FAIL
                subject: /x
        """, [f"{F}:4:17: status 'FAIL' is not a finding status (did you mean 'fail'?); use one of {STATUSES}"]),
    ("status in the past tense", """\
        rule: ST-01
        cases:
          - expect:
              - status: failed
                subject: /x
        """, [f"{F}:4:17: status 'failed' is not a finding status (did you mean 'fail'?); use one of {STATUSES}"]),
    ("status with nothing close", """\
        rule: ST-01
        cases:
          - expect:
              - {status: ok, subject: /x}
        """, [f"{F}:4:18: status 'ok' is not a finding status; use one of {STATUSES}"]),
    ("unknown rule at file level", """\
        rule: ST-001
        cases:
          - expect:
              - {status: pass, subject: /x}
        """, [f"{F}:1:7: unknown rule 'ST-001' (did you mean 'ST-01'?): no such rule in the rule pack beside this fixture"]),
    ("unknown rule in an expectation", """\
        rule: ST-01
        cases:
          - expect:
              - {status: pass, subject: /x, rule: ST-02x}
        """, [f"{F}:4:43: unknown rule 'ST-02x' (did you mean 'ST-02'?): no such rule in the rule pack beside this fixture"]),
    ("expectation for no rule", """\
        cases:
          - expect:
              - {status: pass, subject: /x}
        """, [f"{F}:3:9: say which rule this expectation is for: `rule:` here or at the top of the file"]),
    ("expect that is not a list", """\
        rule: ST-01
        cases:
          - expect: {status: pass, subject: /x}
        """, [f"{F}:3:13: `expect` must be a list of {{status, subject, rule?, message?}}, got a mapping"]),
    ("subject and message of the wrong type", """\
        rule: ST-01
        cases:
          - expect:
              - {status: pass, subject: 42, message: [a]}
        """, [f"{F}:4:33: `subject` must be a resource id (or \"\" for a finding without one), got a int",
              f"{F}:4:46: `message` must be text, got a list"]),
    ("misspelt keys, all reported", """\
        rule: ST-01
        snapshots: base.json
        cases:
          - name: typo
            expcet: []
        """, [f"{F}:2:1: unknown key 'snapshots' in the fixture file (did you mean 'snapshot'?); known: rule, snapshot, params, now, cases",
              f"{F}:4:5: a case needs `expect:`, the list of findings it must produce ({{status, subject, rule?, message?}})",
              f"{F}:5:5: unknown key 'expcet' in case 1 (did you mean 'expect'?); known: name, snapshot, tables, remove, patch, params, now, expect"]),
    ("unknown key in an expectation", """\
        rule: ST-01
        cases:
          - expect:
              - {status: pass, subjet: /x}
        """, [f"{F}:4:24: unknown key 'subjet' in an expectation (did you mean 'subject'?); known: status, subject, rule, message"]),
    ("parameters: unknown name and a value of the wrong type", """\
        rule: ST-02
        params:
          migration_subscripton: abc
        cases:
          - params: {migration_subscription: [a, b]}
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:3:3: unknown parameter 'migration_subscripton' (did you mean 'migration_subscription'?); "
              "the rules declare: migration_subscription",
              f"{F}:5:38: parameter 'migration_subscription' (string): expected a string, got list"]),
    ("tested rule's parameter set by no case", """\
        rule: ST-02
        cases:
          - name: one
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:1:1: rule ST-02 needs parameter 'migration_subscription' (string, no default) and no case sets it: "
              f"add `migration_subscription: VALUE` under `params:` at the top of {F}"]),
    ("tested rule's parameter missing in one case", f"""\
        rule: ST-02
        cases:
          - name: set here
            params: {{migration_subscription: {SUB}}}
            expect:
              - {{status: skip, subject: ""}}
          - name: not set here
            expect:
              - {{status: skip, subject: ""}}
        """, [f"{F}:7:5: case 'not set here': rule ST-02 needs parameter 'migration_subscription' (string, no default): "
              f"add `migration_subscription: VALUE` under this case's `params:` or under `params:` at the top of {F}"]),
    ("unknown table and a patch that is not a mapping", """\
        rule: ST-01
        cases:
          - tables:
              resource: []
            patch:
              /x: drop
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:4:7: unknown table 'resource' (did you mean 'resources'?)",
              f"{F}:6:11: the patch for /x must be a mapping (a JSON merge patch of the row), got the string 'drop'"]),
    ("inline rows that are not objects", """\
        rule: ST-01
        cases:
          - tables:
              resources: [just-an-id]
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:4:19: a row must be a mapping (an ARG row), got the string 'just-an-id'"]),
    ("no cases", """\
        rule: ST-01
        cases: []
        """, [f"{F}:2:8: a fixture file needs `cases:`, a list of cases each with `expect:`, got an empty list"]),
    ("empty file", "", [f"{F}:1:1: a fixture file is a mapping with `rule`, `snapshot`, `params` and `cases`, got nothing"]),
]


def diagnostics(err: str, files: dict[str, str]) -> list[str]:
    """The `file:line:col: CODE: message` lines of located errors, after checking that each is followed by its
    line of the file (`files`: name -> text as written) and a caret under the column."""
    lines, heads = err.splitlines(), []
    assert len(lines) % 3 == 0, err
    for head, source, caret in zip(lines[::3], lines[1::3], lines[2::3]):
        name, line, col = head.split(":")[:3]
        assert source == "  " + textwrap.dedent(files[name]).split("\n")[int(line) - 1], head
        assert caret.index("^") == int(col) + 1, head
        heads.append(head)
    return heads


@pytest.mark.parametrize("fixture, problems", [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_fixture_is_a_located_usage_error(pack, argus, fixture, problems):
    pack({F: fixture})
    code, out, err = argus("test", "pack")
    assert (code, out) == (2, "")
    assert diagnostics(err, {F: fixture}) == [p.replace(": ", ": E409: ", 1) for p in problems]


def test_problems_of_every_fixture_file_are_reported_together(pack, argus):
    files = {"pack/fixtures/A/cases.yaml": "rule: ST-01\ncases: [text]\n",
             "pack/fixtures/B/cases.yaml": "rule: ST-01\ncases:\n  - expect: [{status: Pass, subject: /x}]\n"}
    pack(files)
    code, out, err = argus("test", "pack")
    assert (code, out) == (2, "")
    assert diagnostics(err, files) == [
        "pack/fixtures/A/cases.yaml:2:9: E409: case 1 must be a mapping with `expect:` (and optional name, snapshot, "
        "tables, remove, patch, params, now), got the string 'text'",
        f"pack/fixtures/B/cases.yaml:3:23: E409: status 'Pass' is not a finding status (did you mean 'pass'?); use one "
        f"of {STATUSES}"]


# ------------------------------------------------------------------ problems found while building a case's snapshot
SNAPSHOT_ERRORS = [
    ("remove and patch of ids the snapshot lacks", {"pack/fixtures/T/base.json": json.dumps({"resources": ROWS})}, """\
        rule: ST-01
        snapshot: base.json
        cases:
          - remove: [/subscriptions/nope]
            patch:
              /subscriptions/other: {kind: StorageV2}
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:4:14: E409: remove names /subscriptions/nope, which is not in the case's snapshot",
              f"{F}:6:7: E409: patch names /subscriptions/other, which is not in the case's snapshot"]),
    ("a file that is not ARG rows", {"pack/fixtures/T/base.json": '{"value": []}'}, """\
        rule: ST-01
        snapshot: base.json
        cases:
          - expect:
              - {status: skip, subject: ""}
        """, [f"{F}:2:11: E409: the case's snapshot cannot be loaded: pack/fixtures/T/base.json: this is an ARM list "
              "response ('value'), not ARG rows; export with `az graph query -q ... -o json` or `argus collect`"]),
    ("a file that is not JSON: its own diagnostic, then the fixture's", {"pack/fixtures/T/base.json": '{"resources": [}'},
     """\
        rule: ST-01
        snapshot: base.json
        cases:
          - expect:
              - {status: skip, subject: ""}
        """, ["pack/fixtures/T/base.json:1:16: E412: invalid JSON: unexpected character, expected a JSON value",
              f"{F}:2:11: E409: the case's snapshot cannot be loaded (the error above)"]),
    ("a directory without snapshot files", {"pack/fixtures/T/base/notes.txt": "nothing here"}, """\
        rule: ST-01
        cases:
          - snapshot: [base]
            expect:
              - {status: skip, subject: ""}
        """, [f"{F}:3:16: E409: the case's snapshot cannot be loaded: pack/fixtures/T/base: directory holds no "
              ".json/.jsonl files"]),
]


@pytest.mark.parametrize("files, fixture, heads", [c[1:] for c in SNAPSHOT_ERRORS], ids=[c[0] for c in SNAPSHOT_ERRORS])
def test_snapshot_problems_name_the_fixture(pack, argus, files, fixture, heads):
    pack({**files, F: fixture})
    code, out, err = argus("test", "pack")
    assert (code, out) == (2, "")
    assert diagnostics(err, {**files, F: fixture}) == heads


# ------------------------------------------------------------------ snapshots in every format `scan --snapshot` takes
def _jsonl(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _columns_page(rows) -> str:
    names = sorted({k for r in rows for k in r})
    return json.dumps([{"count": len(rows), "totalRecords": len(rows), "resultTruncated": "false",
                        "data": {"columns": [{"name": n, "type": "string"} for n in names],
                                 "rows": [[r.get(n) for n in names] for r in rows]}}])


FORMATS = [
    ("object of tables", {"base.json": json.dumps({"resources": ROWS})}, "base.json"),
    ("az graph query output", {"base.json": json.dumps({"count": 2, "data": ROWS, "skip_token": None, "total_records": 2})}, "base.json"),
    ("REST pages in table form", {"pages.json": _columns_page(ROWS)}, "pages.json"),
    ("JSON Lines", {"rows.jsonl": _jsonl(ROWS)}, "rows.jsonl"),
    ("a directory of mixed files", {"dir/a.json": json.dumps([ROWS[0]]), "dir/b.ndjson": _jsonl(ROWS[1:])}, "dir"),
    ("YAML (in a `_` folder, or it would be read as a fixture)", {"_base/base.yaml": json.dumps({"resources": ROWS})}, "_base/base.yaml"),
]
FORMAT_CASES = f"""\
rule: ST-01
snapshot: SNAPSHOT_PATH
cases:
  - name: as exported
    expect:
      - {{status: pass, subject: {V2}}}
      - {{status: fail, subject: {V1}, message: stv1 is of kind Storage}}
  - name: remove and patch apply to the loaded rows
    remove: [{V2.upper()}]
    patch:
      {V1}: {{kind: StorageV2, type: Microsoft.Storage/StorageAccounts}}
    expect:
      - {{status: pass, subject: {V1}}}
  - name: inline rows join the snapshot
    tables:
      resources:
        - {{id: {V2}-inline, name: stv2-inline, type: microsoft.storage/storageaccounts, kind: BlobStorage, properties: {{}}}}
    expect:
      - {{status: pass, subject: {V2}}}
      - {{status: fail, subject: {V1}}}
      - {{status: fail, subject: {V2}-inline, message: stv2-inline is of kind BlobStorage}}
"""


@pytest.mark.parametrize("files, snapshot", [c[1:] for c in FORMATS], ids=[c[0] for c in FORMATS])
def test_fixture_snapshot_in_any_scan_format(pack, argus, files, snapshot):
    pack({**{f"pack/fixtures/T/{k}": v for k, v in files.items()}, F: FORMAT_CASES.replace("SNAPSHOT_PATH", snapshot)})
    # ST-02 needs migration_subscription, which this fixture (testing ST-01 only) does not set
    assert argus("test", "pack") == (0, "ok   ST-01: 3 cases, 3 passed, 0 failed\n"
                                        "no fixtures: ST-02 (pack/rules.argus:9)\n"
                                        "1 fixture file, 1 rule; 0 failing cases; 1 rule without fixtures\n", "")


def test_the_example_estate_directory_as_a_fixture_base(pack, argus, tmp_path):
    estate = os.path.relpath(ESTATE, tmp_path / "pack/fixtures/T")
    ids = "/subscriptions/a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74/resourceGroups/RG-Migrate/providers/Microsoft.Storage/storageAccounts/"
    pack({F: f"""\
        rule: st-01
        snapshot: {estate}
        cases:
          - name: the estate's storage accounts
            expect:
              - {{status: pass, subject: {ids}gwsa4f8e2b1c9d}}
              - {{status: pass, subject: {ids}lsa4f8e2b1c9d}}
              - {{status: fail, subject: {ids}lsa7c1d0e93ab, message: lsa7c1d0e93ab is of kind Storage}}
          - name: emptying the table leaves an empty table, so the rule skips
            remove: [{ids}gwsa4f8e2b1c9d, {ids}lsa4f8e2b1c9d, {ids}lsa7c1d0e93ab]
            expect:
              - {{status: pass, subject: {ids}gwsa4f8e2b1c9d}}
        """})
    code, out, err = argus("test", "pack")
    # the second case is wrong on purpose: the comparison still runs on the directory-loaded rows
    assert code == 1 and err == ""
    assert out.splitlines()[:3] == [
        f"FAIL emptying the table leaves an empty table, so the rule skips ({F}:9)",
        "  unexpected finding: skip (no subject) [ST-01]",
        f"  missing finding: pass {ids.lower()}gwsa4f8e2b1c9d [ST-01]"]
    assert out.splitlines()[-3:] == ["FAIL ST-01: 2 cases, 1 passed, 1 failed", "no fixtures: ST-02 (pack/rules.argus:9)",
                                     "1 fixture file, 1 rule; 1 failing case; 1 rule without fixtures"]


# ------------------------------------------------------------------ rules without fixtures
def test_rules_without_fixtures_are_listed_and_fail_only_when_required(pack, argus):
    pack({"pack/fixtures/T/base.json": json.dumps({"resources": ROWS}),
          F: f"rule: ST-01\nsnapshot: base.json\ncases:\n  - expect: [{{status: pass, subject: {V2}}}, {{status: fail, subject: {V1}}}]\n",
          "other/more.argus": 'rule OT-01 "Other" {\n  severity low\n  for r in resources\n  require r.name != ""\n}\n'})
    listed = "no fixtures: ST-02 (pack/rules.argus:9)\n"
    summary = "1 fixture file, 1 rule; 0 failing cases; 1 rule without fixtures\n"
    assert argus("test", "pack") == (0, "ok   ST-01: 1 case, 1 passed, 0 failed\n" + listed + summary, "")
    assert argus("test", "pack", "--require-fixtures") == (1, "ok   ST-01: 1 case, 1 passed, 0 failed\nFAIL " + listed + summary, "")
    # a directory above the pack also finds rule files that have no fixtures directory at all
    assert argus("test", ".") == (0, "ok   ST-01: 1 case, 1 passed, 0 failed\n"
                                     "no fixtures: OT-01 (other/more.argus:1)\n" + listed +
                                     "1 fixture file, 1 rule; 0 failing cases; 2 rules without fixtures\n", "")
    # naming one fixture file tests that file, not the whole pack
    assert argus("test", F, "--require-fixtures") == (0, "ok   ST-01: 1 case, 1 passed, 0 failed\n"
                                                         "1 fixture file, 1 rule; 0 failing cases\n", "")


# ------------------------------------------------------------------ coverage counts the clauses of the rules a case checks
COVERAGE_RULES = """\
rule CV-01 "Kind" {
  severity low
  for account in resources where type == "microsoft.storage/storageaccounts"
  require account.kind == "StorageV2"
}

rule CV-02 "TLS" {
  severity low
  for account in resources where type == "microsoft.storage/storageaccounts"
  require account.properties.minimumTlsVersion == "TLS1_2"
}

rule CV-03 "Untested" {
  severity low
  for account in resources where type == "microsoft.storage/storageaccounts"
  require account.location == "westeurope"
}
"""


def test_coverage_counts_only_the_clauses_of_the_rules_a_case_checks(pack, argus):
    pack({"pack/rules.argus": COVERAGE_RULES,
          "pack/fixtures/base.json": json.dumps({"resources": ROWS}),
          # CV-01 is only ever seen passing; CV-02's cases hold a Storage (v1) account, which would make
          # CV-01's require false if CV-01 were evaluated (and counted) there too
          "pack/fixtures/CV-01.yaml": f"rule: CV-01\nsnapshot: base.json\ncases:\n  - remove: [{V1}]\n"
                                      f"    expect: [{{status: pass, subject: {V2}}}]\n",
          "pack/fixtures/CV-02.yaml": f"rule: CV-02\nsnapshot: base.json\ncases:\n"
                                      f"  - expect: [{{status: pass, subject: {V2}}}, {{status: fail, subject: {V1}}}]\n"})
    assert argus("test", "pack", "--coverage") == (0, "ok   CV-01: 1 case, 1 passed, 0 failed\n"
                                                     "ok   CV-02: 1 case, 1 passed, 0 failed\n"
                                                     "coverage (clauses of the rules the fixtures test):\n"
                                                     '  CV-01  pack/rules.argus:4:3  require account.kind == "StorageV2"  never false\n'
                                                     "  CV-03  pack/rules.argus:13  no fixtures: none of its clauses ran\n"
                                                     "2 fixture files, 2 rules; 0 failing cases; 1 rule without fixtures\n", "")


def test_bundled_rules_all_have_fixtures_and_pass(argus, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = argus("test", "rules", "--require-fixtures")
    assert (code, err) == (0, "")
    assert "no fixtures" not in out and out.splitlines()[-1].endswith("rules; 0 failing cases")


def test_fixture_snapshot_keeps_what_a_pushdown_collection_left_out(pack, argus):
    """A base collected with --types holds only those types: reading another is not_evaluated, as in a scan."""
    header = {"collected_at": "2026-11-20T09:12:00Z", "pushdown": ["microsoft.network/virtualnetworks"]}
    pack({"pack/fixtures/T/base.json": json.dumps({"header": header, "resources": []}),
          F: f"""\
        rule: ST-01
        snapshot: base.json
        cases:
          - name: storage accounts were not collected
            expect: [{{status: not_evaluated, subject: ""}}]
          - name: rows given inline are all there is
            tables: {{resources: [{json.dumps(ROWS[0])}]}}
            expect: [{{status: pass, subject: {V2}}}]
        """})
    assert argus("test", F) == (0, "ok   ST-01: 2 cases, 2 passed, 0 failed\n1 fixture file, 1 rule; 0 failing cases\n", "")


def test_yaml_export_with_counts_survives_a_removal(pack, argus):
    export = {"count": 2, "data": ROWS, "skip_token": None, "total_records": 2}
    pack({"pack/fixtures/_base/export.yml": json.dumps(export),
          F: f"rule: ST-01\nsnapshot: ../_base/export.yml\ncases:\n  - remove: [{V1}]\n"
             f"    expect: [{{status: pass, subject: {V2}}}]\n"})
    assert argus("test", F) == (0, "ok   ST-01: 1 case, 1 passed, 0 failed\n1 fixture file, 1 rule; 0 failing cases\n", "")
