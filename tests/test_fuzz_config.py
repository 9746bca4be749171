"""Fuzzing the scan's configuration inputs (issue 11): policies files, waiver files and appliance facts rows.
Whatever they hold, `argus scan` answers with a documented exit code, never a traceback, and a scan that refuses
its input leaves no report.

Generated: (1) policies files: random structures in the shape of policies.yaml (version, default_policy,
policies with rules/include/exclude/parameters/severity, settings, waivers), built from the pack's real rule
ids, parameter names and severities and from wrong values of every JSON type, written as YAML or JSON; and
byte-level mutations of the repository's policies.yaml, of the policies files in the docs and of a seed file
that uses every key. (2) waiver files: lists (or `waivers:` mappings) of entries with real and unknown rule
ids, globs and ids as subjects, valid, expired, impossible and mistyped dates, missing and unknown keys; and
byte-level mutations of the waiver files in the docs. (3) appliance facts: the example facts row
(examples/appliance/contoso-mig-app01.facts.json) with fields at any depth replaced, deleted or added, and the
file's bytes mutated.

Each input is scanned against the example estate (`argus scan --config POLICIES` / `--waivers FILE` / the estate
plus the facts file as `--snapshot`, with `--format json --output OUT`), in-process from a scratch directory
holding a copy of the rule pack, asserting (tests/fuzz_support.py): no traceback and no internal error (exit 3
is a bug); exit 0, 1 or 2; exit 2 either with a report holding an `error` finding or with no report (and no
stray file) at all. (A policies file may set fail_on, so exit 1 is not tied to failing findings here; for
waivers and facts it is, minus waived findings.)
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import event, example, given, note, strategies as st

from fuzz_support import ESTATE, FACTS, FUZZ, PACK, REPO, assert_scan_outcome, mutated_bytes, run_cli, shown

RULE_IDS = sorted(set(re.findall(r"^rule (\S+)", "".join(p.read_text(encoding="utf-8") for p in PACK.glob("*.argus")), re.M)))
PARAMS = sorted(set(re.findall(r"^param (\w+)", (PACK / "common.argus").read_text(encoding="utf-8"), re.M)))
SEVERITIES = ["critical", "high", "medium", "low", "info"]
ESTATE_IDS = [r["id"] for r in json.loads((ESTATE / "resources.json").read_text(encoding="utf-8"))["data"]]
usually = st.sampled_from([True] * 9 + [False])  # the well-formed choice first: hypothesis simplifies towards it

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=False),
                    st.text(max_size=10), st.sampled_from(["", "*", "~", "yes", "2026-02-30", "2026-12-31"]))
junk = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                    max_leaves=8)


def sometimes_junk(strategy):
    """`strategy` mostly, else any YAML value (a wrong type where the schema wants this one)."""
    return usually.flatmap(lambda ok: strategy if ok else junk)


# An unknown key: a string, or what YAML reads as a boolean, a number or null (`on:`, `yes:`, `1:`, `~:`).
unknown_keys = st.one_of(st.text(max_size=8), st.sampled_from([True, False, 1, 2.5, None]))


@st.composite
def partial_dict(draw, fields: dict, extra: bool = True):
    """Some of `fields` (name -> strategy), now and then an unknown key or two too."""
    out = {k: draw(v) for k, v in fields.items() if draw(st.booleans())}
    if extra and not draw(usually):
        for key in draw(st.lists(unknown_keys, min_size=1, max_size=2)):
            out[key] = draw(junk)
    return out


dates = st.one_of(st.dates().map(str), st.sampled_from(["2099-12-31", "2020-01-01", "2026-02-30", "2026-13-01",
                                                        "2026-1-1", "2026-12-31T00:00:00Z", "tomorrow"]), st.dates())
subjects = st.one_of(st.sampled_from(ESTATE_IDS), st.sampled_from(["*", "*/lsa4f8e2b1c9d", "appliance/*", "[", "[!a]*",
                                                                   "**", "?", "*/privateDnsZones/*", ""]),
                     st.text(max_size=12))
rule_refs = st.one_of(st.sampled_from(RULE_IDS), st.sampled_from(RULE_IDS).map(str.lower),
                      st.sampled_from(["AMX-PP-*", "AMX-XX-99", "", "amx-pp-0"]))
waiver = partial_dict({
    "rule": sometimes_junk(rule_refs), "subject": sometimes_junk(subjects),
    "justification": sometimes_junk(st.sampled_from(["accepted until the move", " ", "x"])),
    "owner": sometimes_junk(st.sampled_from(["netops@contoso.com", "", "team"])),
    "ticket": sometimes_junk(st.sampled_from(["CHG-1", ""])), "expires": sometimes_junk(dates)})
# Mostly complete entries: an entry that misses a required key refuses the whole file.
full_waiver = st.fixed_dictionaries({"rule": rule_refs, "subject": subjects, "justification": st.just("accepted"),
                                     "owner": st.just("netops"), "expires": dates},
                                    optional={"ticket": st.just("CHG-1")})
waiver_lists = usually.flatmap(lambda ok: st.lists(full_waiver if ok else st.one_of(waiver, junk), max_size=6))


def to_text(doc, fmt: str) -> bytes:
    """The document as YAML (dates stay what they are: str or datetime.date) or as JSON."""
    if fmt == "json":
        return json.dumps(doc, default=str).encode("utf-8")
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")


# ---- policies files

policy = partial_dict({
    "description": sometimes_junk(st.text(max_size=10)),
    "rules": sometimes_junk(st.lists(st.sampled_from(["rules/azure-migrate", "rules/azure-migrate/common.argus",
                                                      "rules/azure-migrate/appliance.argus", "rules/missing", "",
                                                      "/", "rules/azure-migrate/data/bgp-communities.yaml"]),
                                     min_size=1, max_size=2)),
    "include": sometimes_junk(st.lists(rule_refs, max_size=3)),
    "exclude": sometimes_junk(st.lists(rule_refs, max_size=2)),
    "parameters": sometimes_junk(st.dictionaries(st.sampled_from(PARAMS + ["nosuchparam"]),
                                                 st.one_of(st.sampled_from(["", "uksouth", "lsa4f8e2b1c9d", "rg-migrate"]), junk),
                                                 max_size=3)),
    "severity": sometimes_junk(st.dictionaries(rule_refs, st.sampled_from(SEVERITIES + ["hight", ""]), max_size=2)),
})
settings_section = partial_dict({
    "fail_on": st.sampled_from(SEVERITIES + ["never", "bogus"]),
    "fail_on_not_evaluated": sometimes_junk(st.booleans()), "fail_on_new": sometimes_junk(st.booleans()),
    "include_passed": sometimes_junk(st.booleans()),
    "waivers": st.sampled_from(["waivers.yaml", "missing.yaml", "", "."]),
    "baseline": st.sampled_from(["missing.json", "policies.yaml", "."]),
    "history": st.sampled_from(["history.db", "policies.yaml", ".", "no/such/dir/h.db"]),
    "rules": st.lists(st.sampled_from(["rules/azure-migrate", "rules/missing"]), max_size=2),
})
policy_names = st.sampled_from(["azure-migrate", "pp", "mp", "bad name", "x"])


@st.composite
def policies_docs(draw):
    doc = draw(partial_dict({
        "version": st.sampled_from([1, 1, 1, 2, "1", None]),
        "default_policy": sometimes_junk(policy_names),
        "policies": sometimes_junk(st.dictionaries(policy_names, sometimes_junk(policy), max_size=3)),
        "settings": sometimes_junk(settings_section),
        "waivers": waiver_lists,
    }))
    if draw(usually):  # version and policies are required: mostly there
        doc.setdefault("version", 1)
        doc.setdefault("policies", {"azure-migrate": {"rules": ["rules/azure-migrate"]}})
    return to_text(doc, draw(st.sampled_from(["yaml", "yaml", "json"])))


SEED_POLICIES = b"""version: 1
default_policy: azure-migrate
policies:
  azure-migrate:
    description: every rule
    rules: [rules/azure-migrate]
    exclude: [AMX-MP-06]
    parameters:
      target_region: uksouth
      cache_account: lsa4f8e2b1c9d
    severity:
      AMX-PP-07: low
  pp:
    rules: [rules/azure-migrate]
    include: [AMX-PP-*]
settings:
  fail_on: high
  fail_on_not_evaluated: true
  include_passed: false
waivers:
  - rule: AMX-PP-07
    subject: "*/privateDnsZones/privatelink.blob.core.windows.net"
    justification: The spoke VNet link comes with the landing zone refresh.
    owner: netops@contoso.com
    ticket: CHG-4711
    expires: 2099-12-31
"""


def _yaml_blocks(kind: str) -> list[tuple[str, bytes]]:
    """The docs' YAML examples of one kind: policies files, or waiver files (expected findings are not waivers)."""
    out = []
    for doc in sorted((REPO / "docs").glob("*.md")):
        for n, (info, body) in enumerate(re.findall(r"```yaml([^\n]*)\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            is_policies = re.search(r"^policies:", body, re.M)
            is_waivers = not is_policies and "expect" not in info and re.search(r"^\s*- rule:|^waivers:", body, re.M)
            if (kind == "policies" and is_policies) or (kind == "waivers" and is_waivers):
                out.append((f"{doc.name}#{n}", body.encode("utf-8")))
    return out


POLICY_CORPUS = [("policies.yaml", (REPO / "policies.yaml").read_bytes()), ("seed", SEED_POLICIES)] + _yaml_blocks("policies")
WAIVER_CORPUS = [("seed", to_text(yaml.safe_load(SEED_POLICIES)["waivers"], "yaml"))] + _yaml_blocks("waivers")


def test_the_mutation_corpora_are_the_real_files():
    assert len(POLICY_CORPUS) >= 4 and len(WAIVER_CORPUS) >= 3
    assert RULE_IDS and "AMX-PP-07" in RULE_IDS and "target_region" in PARAMS


# ---- running


@pytest.fixture(scope="module")
def workdir():
    """A scratch directory with a copy of the rule pack (policies name it relative to themselves), the estate
    and a waivers file a policies file may name; each example gets a directory of its own inside."""
    base = Path(tempfile.mkdtemp(prefix="argus-fuzz-config-"))
    shutil.copytree(PACK, base / "rules" / "azure-migrate", ignore=shutil.ignore_patterns("fixtures"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


def scan(base: Path, files: dict[str, bytes], args: list, what: str, plain_exit: bool) -> None:
    """Write `files` into a fresh directory (beside a link to the pack copy), run `argus scan ARGS --format json
    --output OUT` from there and assert the outcome."""
    case = Path(tempfile.mkdtemp(dir=base))
    try:
        (case / "rules").symlink_to(base / "rules")
        (case / "waivers.yaml").write_bytes(WAIVER_CORPUS[0][1])
        for name, data in files.items():
            (case / name).parent.mkdir(exist_ok=True)
            (case / name).write_bytes(data)
        out_dir = case / "out"
        out_dir.mkdir()
        report = out_dir / "report.json"
        # "./NAME" is NAME in the example's directory, given as an absolute path
        args = [case / a[2:] if isinstance(a, str) and a.startswith("./") else a for a in args]
        result = run_cli(["scan", *args, "--format", "json", "--output", report], case)
        assert_scan_outcome(result, report, what, plain_exit=plain_exit)
        event(f"exit {result[0]}{' (report)' if report.exists() else ''}")
    finally:
        shutil.rmtree(case, ignore_errors=True)


# Minimal inputs of failures these tests found, kept as explicit examples (see tests/fuzz_support.py): in a
# policies file, a key YAML reads as a boolean or a number where the schema lists the keys was an AttributeError
# in did_you_mean (exit 3), and beside a string key a TypeError sorting the unknown keys (exit 3) (fixed:
# e7bc378). A waiver file with such a key is refused cleanly; it stays as an example so that it stays so.
BOOL_KEY = b"version: 1\npolicies:\n  p:\n    rules: [rules/azure-migrate]\non: 1\n"
MIXED_KEYS = b"version: 1\npolicies:\n  p:\n    rules: [rules/azure-migrate]\n    1: x\n    zz: 1\n"
BOOL_KEY_WAIVER = [{"rule": "AMX-PP-07", "subject": "*", "justification": "j", "owner": "o", "expires": "2099-01-01", True: 1}]


@FUZZ(20)
@example(text=BOOL_KEY)
@example(text=MIXED_KEYS)
@given(text=policies_docs())
def test_generated_policies_files(workdir, text):
    note(text.decode("utf-8", "backslashreplace"))
    scan(workdir, {"policies.yaml": text}, ["--config", "policies.yaml", "--snapshot", ESTATE],
         f"policies.yaml:\n{shown(text.decode('utf-8', 'backslashreplace'))}", plain_exit=False)


@FUZZ(20)
@given(mutation=mutated_bytes(POLICY_CORPUS))
def test_mutated_policies_files(workdir, mutation):
    name, data = mutation
    note(f"{name}: {data!r}")
    scan(workdir, {"policies.yaml": data}, ["--config", "policies.yaml", "--snapshot", ESTATE],
         f"mutated {name}:\n{shown(data)}", plain_exit=False)


@FUZZ(15)
@example(doc=BOOL_KEY_WAIVER, fmt="yaml")
@given(doc=st.one_of(waiver_lists, waiver_lists.map(lambda w: {"waivers": w}), junk), fmt=st.sampled_from(["yaml", "json"]))
def test_generated_waiver_files(workdir, doc, fmt):
    text = to_text(doc, fmt)
    note(text.decode("utf-8"))
    scan(workdir, {f"w.{fmt}": text}, ["--rules", "rules/azure-migrate", "--snapshot", ESTATE, "--waivers", f"w.{fmt}"],
         f"waivers:\n{shown(text.decode('utf-8'))}", plain_exit=True)


@FUZZ(15)
@given(mutation=mutated_bytes(WAIVER_CORPUS))
def test_mutated_waiver_files(workdir, mutation):
    name, data = mutation
    note(f"{name}: {data!r}")
    scan(workdir, {"w.yaml": data}, ["--rules", "rules/azure-migrate", "--snapshot", ESTATE, "--waivers", "w.yaml"],
         f"mutated waivers {name}:\n{shown(data)}", plain_exit=True)


# ---- appliance facts

FACTS_DOC = json.loads(FACTS.read_text(encoding="utf-8"))


@st.composite
def mutated_facts_row(draw):
    """The example facts document with 1-3 edits; each walks down from the row (a random key or index at each
    level, stopping at random) and replaces, deletes or adds to what it stopped at."""
    doc = json.loads(json.dumps(FACTS_DOC))
    for _ in range(draw(st.integers(1, 3))):
        if not doc["appliance"]:
            break  # the row itself was deleted
        container, key = doc["appliance"], 0
        while isinstance(container[key], (dict, list)) and container[key] and draw(st.booleans()):
            container = container[key]
            key = draw(st.sampled_from(sorted(container) if isinstance(container, dict) else range(len(container))))
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        target = container[key]
        if op == "delete":
            del container[key]
        elif op == "add" and isinstance(target, dict):
            target[draw(st.text(max_size=8))] = draw(junk)
        elif op == "add" and isinstance(target, list):
            target.append(draw(junk))
        else:
            container[key] = draw(junk)
    return doc


@FUZZ(15)
@given(doc=mutated_facts_row())
def test_mutated_facts_rows(workdir, doc):
    text = json.dumps(doc, indent=1, default=str).encode("utf-8")
    note(text.decode("utf-8"))
    files = {p.name: p.read_bytes() for p in ESTATE.iterdir()}
    scan(workdir, {**{f"estate/{n}": b for n, b in files.items()}, "estate/facts.json": text},
         ["--rules", "rules/azure-migrate", "--snapshot", "./estate"], f"facts:\n{shown(text.decode('utf-8'))}", plain_exit=True)


@FUZZ(12)
@given(mutation=mutated_bytes([(FACTS.name, FACTS.read_bytes())]))
def test_mutated_facts_files(workdir, mutation):
    name, data = mutation
    note(f"{name}: {data!r}")
    files = {p.name: p.read_bytes() for p in ESTATE.iterdir()}
    scan(workdir, {**{f"estate/{n}": b for n, b in files.items()}, "estate/facts.json": data},
         ["--rules", "rules/azure-migrate", "--snapshot", "./estate"], f"mutated facts:\n{shown(data)}", plain_exit=True)
