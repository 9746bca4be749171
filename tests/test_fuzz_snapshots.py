"""Fuzzing snapshot files (issue 11): whatever a snapshot holds, `argus scan` with the bundled rule pack answers
with a documented exit code, never a traceback, and a scan that refuses its input leaves no report.

Generated: (1) JSON documents in every accepted shape (docs/snapshots.md): `az graph query` output
(`{"count", "data", "skip_token", "total_records"}`), bare arrays of rows, objects of tables (known and unknown
table names, with and without a `header`), JSON Lines, and REST pages (`$skipToken`, `totalRecords`, `count`,
`resultTruncated` in its spellings, rows as objects or in the `{columns, rows}` table form, one page or a list),
with counts and totals that add up or not. Rows are real rows of the example estate with fields replaced, deleted
or added, or made up whole: ids and types of the wrong JSON type or null, nulls, deep nesting, huge and negative
numbers, unicode. (2) byte-level mutations (insert, delete, duplicate) of the example estate files
(examples/estate/*), scanned as the estate directory with the mutated file in place of the original.

Each snapshot is scanned with `argus scan --snapshot PATH --format json --output OUT` (the bundled pack under
the bundled default policy), in-process, asserting (tests/fuzz_support.py): no traceback and no internal error
(exit 3 is a bug); exit 0, 1 or 2; exit 1 exactly when a finding fails; exit 2 either with a report holding an
`error` finding or with no report (and no stray file) at all.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, example, given, note, strategies as st

from fuzz_support import ESTATE, FUZZ, assert_scan_outcome, mutated_bytes, run_cli, shown


def _estate_rows() -> list[dict]:
    rows = json.loads((ESTATE / "resources.json").read_text(encoding="utf-8"))["data"]
    for page in json.loads((ESTATE / "resourcecontainers.pages.json").read_text(encoding="utf-8")):
        rows += page["data"]
    rows += [json.loads(line) for line in (ESTATE / "dnsresources.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


ESTATE_ROWS = _estate_rows()
usually = st.sampled_from([True] * 9 + [False])  # the well-formed choice first: hypothesis simplifies towards it
TYPES = sorted({r["type"] for r in ESTATE_ROWS}) + ["argus/appliance", "Microsoft.Storage/storageAccounts", "", "x"]

# ---- JSON values and rows

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.sampled_from([10 ** 30, -1, 0, 2 ** 63]),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12),
                    st.sampled_from(["", "true", "Enabled", "\u202e", "\x00", "é" * 3, "\U0001f600"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                           max_leaves=12)


def deep_marker(depth: int) -> str:
    """A stand-in string that `dumps` replaces with `depth` levels of nested arrays and objects around a 1 (built
    as text: Python's own encoder stops at about 1,000 levels)."""
    return f"@@deep:{depth}@@"


def deep_text(depth: int) -> str:
    opens = "".join("[" if i % 2 else '{"a":' for i in range(depth))
    closes = "".join("]" if i % 2 else "}" for i in reversed(range(depth)))
    return opens + "1" + closes


DEPTHS = (50, 99, 101, 300, 1000, 2000)  # about the parsers' limits: orjson stops at 1,024 levels
deep_values = st.sampled_from(DEPTHS).map(deep_marker)
# An id or a type is mostly a string (a wrong JSON type stops the whole file, so it must not be every file).
ids = st.one_of(st.sampled_from([r["id"] for r in ESTATE_ROWS]), st.text(max_size=20),
                st.just("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/lsa1"),
                usually.flatmap(lambda u: st.text(max_size=3) if u else json_values))
types = st.one_of(st.sampled_from(TYPES), st.sampled_from(TYPES).map(str.upper),
                  usually.flatmap(lambda u: st.sampled_from(TYPES) if u else json_values))


@st.composite
def estate_row(draw):
    """A real row of the example estate with up to three top-level or nested fields replaced, deleted or added."""
    row = json.loads(json.dumps(draw(st.sampled_from(ESTATE_ROWS))))
    for _ in range(draw(st.integers(0, 3))):
        target = row
        while isinstance(target.get("properties"), dict) and draw(st.booleans()):
            target = target["properties"]  # go down now and then: the rules read properties.*
        keys = sorted(target)
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        key = draw(st.sampled_from(keys)) if keys and op != "add" else draw(st.text(max_size=8))
        if op == "delete":
            target.pop(key, None)
        else:
            target[key] = draw(st.one_of(json_values, deep_values, ids, types))
    return row


@st.composite
def made_up_row(draw):
    row = {}
    for key, values in (("id", ids), ("type", types), ("name", json_values), ("properties", st.one_of(json_values, deep_values)),
                        ("subscriptionId", json_values), ("resourceGroup", json_values), ("tags", json_values)):
        if draw(usually if key in ("id", "type") else st.booleans()):  # without a type a row cannot be routed
            row[key] = draw(values)
    row.update(draw(st.dictionaries(st.text(max_size=6), json_values, max_size=2)))
    return row


# Mostly objects; now and then a list that also holds other JSON values (refused, naming the row).
rows = usually.flatmap(lambda u: st.lists(st.one_of(estate_row(), estate_row(), made_up_row()) if u else
                                          st.one_of(estate_row(), made_up_row(), json_values), max_size=6))

# ---- documents in the accepted shapes; each is (file name, bytes)


def dumps(doc) -> bytes:
    text = json.dumps(doc, ensure_ascii=False)
    for depth in DEPTHS:
        text = text.replace(json.dumps(deep_marker(depth)), deep_text(depth))
    return text.encode("utf-8", "surrogatepass")


def _count(draw, n: int):
    """A count or total: right, wrong, absent or not a number."""
    return draw(st.sampled_from([n, n, n, n + 1, max(n - 1, 0), None, "3", -1]))


@st.composite
def az_graph(draw):
    data = draw(rows)
    doc = {"count": _count(draw, len(data)), "data": data, "skip_token": draw(st.sampled_from([None, None, "tok"])),
           "total_records": _count(draw, len(data))}
    return "az.json", dumps({k: v for k, v in doc.items() if v is not None or k == "skip_token"})


@st.composite
def bare_array(draw):
    return "rows.json", dumps(draw(rows))


@st.composite
def tables(draw):
    names = st.sampled_from(["resources", "resourcecontainers", "dnsresources", "appliance", "Resources", "nosuchtable", "header"])
    doc = draw(st.dictionaries(names, st.one_of(rows, rows, json_values), max_size=3))
    if draw(st.booleans()):
        doc["header"] = draw(st.one_of(
            st.fixed_dictionaries({"collected_at": st.one_of(st.just("2026-11-20T09:12:00Z"), json_values)},
                                  optional={"pushdown": st.one_of(st.none(), st.lists(st.sampled_from(TYPES), max_size=3), json_values)}),
            json_values))
    return "tables.json", dumps(doc)


@st.composite
def json_lines(draw):
    lines = [dumps(r).decode("utf-8", "surrogatepass") for r in draw(rows)]
    lines = [line if draw(usually) else draw(st.sampled_from(["", "{", "[]", "null", "  ", line[:-1]])) for line in lines]
    return draw(st.sampled_from(["rows.jsonl", "rows.ndjson"])), "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def table_form(draw, data: list):
    """`{columns, rows}` of the row objects (columns: the union of their keys); sometimes malformed."""
    columns = sorted({k for r in data if isinstance(r, dict) for k in r})
    form = {"columns": [{"name": c, "type": "string"} for c in columns],
            "rows": [[r.get(c) for c in columns] if isinstance(r, dict) else r for r in data]}
    if not draw(usually):
        form[draw(st.sampled_from(["columns", "rows"]))] = draw(json_values)
    return form


@st.composite
def rest_pages(draw):
    """One REST page or a list of pages of one query (or not quite: tokens, totals and counts vary)."""
    pages = []
    chunks = draw(st.lists(rows, min_size=1, max_size=3))
    total = sum(len(c) for c in chunks)
    for i, chunk in enumerate(chunks):
        page = {"totalRecords": _count(draw, total), "count": _count(draw, len(chunk)),
                "data": draw(table_form(chunk)) if draw(st.booleans()) else chunk,
                "resultTruncated": draw(st.sampled_from(["false", False, None, "0", " FALSE "]) if draw(usually) else
                                       st.sampled_from(["true", True, 1, "1", " TRUE ", 2, "maybe", [], {}]))}
        if i < len(chunks) - 1 or not draw(usually):
            page["$skipToken"] = draw(st.sampled_from(["ew0KICAiJGlkIjogIjEiIH0=", "", None]))
        pages.append({k: v for k, v in page.items() if v is not None or not draw(st.booleans())})
    doc = pages[0] if len(pages) == 1 and draw(st.booleans()) else pages
    return "pages.json", dumps(doc)


documents = st.one_of(az_graph(), bare_array(), tables(), json_lines(), rest_pages())


# ---- scanning


@pytest.fixture(scope="module")
def workdir():
    base = Path(tempfile.mkdtemp(prefix="argus-fuzz-snapshots-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


def scan(base: Path, files: dict[str, bytes], what: str) -> None:
    """Write `files` into a fresh directory and scan it with the bundled pack; assert the outcome."""
    case = Path(tempfile.mkdtemp(dir=base))
    try:
        snap = case / "snapshot"
        snap.mkdir()
        for name, data in files.items():
            (snap / name).write_bytes(data)
        out_dir = case / "out"
        out_dir.mkdir()
        report = out_dir / "report.json"
        target = snap / next(iter(files)) if len(files) == 1 else snap
        result = run_cli(["scan", "--snapshot", target, "--format", "json", "--output", report], case)
        assert_scan_outcome(result, report, what)
        event(f"exit {result[0]}{' (report)' if report.exists() else ''}")
    finally:
        shutil.rmtree(case, ignore_errors=True)


# Minimal inputs of failures this test found, kept as explicit examples (see tests/fuzz_support.py).
DEEP_VALUE = ("tables.json", ('{"resources": [{"id": "/x", "type": "t", "properties": {}, "z": %s}]}' % deep_text(1000)).encode())


@FUZZ(60)
@example(document=DEEP_VALUE)  # a value 1,000 levels deep was a RecursionError in msgspec, exit 3 (fixed: 1f9dc2e)
@given(document=documents)
def test_generated_snapshots(workdir, document):
    name, data = document
    note(f"{name}: {data[:3000]!r}")
    scan(workdir, {name: data}, f"{name}:\n{shown(data)}")


ESTATE_FILES = {p.name: p.read_bytes() for p in sorted(ESTATE.iterdir())}


def test_the_estate_scans_with_failing_findings(workdir):
    """The mutation test below starts from these files: unchanged, they scan to failing findings (exit 1)."""
    assert sorted(ESTATE_FILES) == ["dnsresources.jsonl", "resourcecontainers.pages.json", "resources.json"]
    case = Path(tempfile.mkdtemp(dir=workdir))
    report = case / "out" / "report.json"
    report.parent.mkdir()
    result = run_cli(["scan", "--snapshot", ESTATE, "--format", "json", "--output", report], case)
    assert result[0] == 1, result[2][-2000:]
    assert_scan_outcome(result, report, "the example estate")


@FUZZ(40)
@given(mutation=mutated_bytes(sorted(ESTATE_FILES.items())))
def test_mutated_estate_files(workdir, mutation):
    name, data = mutation
    note(f"{name} mutated: {data[:3000]!r}")
    scan(workdir, {**ESTATE_FILES, name: data}, f"mutated {name}:\n{shown(data)}")
