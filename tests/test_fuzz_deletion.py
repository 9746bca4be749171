"""Deleting data never turns a failing finding into a pass (issue 11).

For the bundled pack on its own fixtures: every case of rules/azure-migrate/fixtures/*/cases.yaml that expects a
`fail` finding is built as `argus test` builds it (argus.testing.fixtures reads the case, argus.testing.fixturesnap makes its
snapshot), then one thing the failing rule could read is deleted: a whole row, or one key at any depth of a row
(through nested objects and list elements; list elements themselves are not deleted, since removing an element
changes a fact rather than hiding one). "Could read": rows of the resource types argus.planning.pushdown.types_read says
the case's rules read (every row when it says all), and every appliance facts row. The rules are parsed once;
each deletion is one re-evaluation of the case's rules on a copy of its snapshot.

Asserted for the expected failing finding (same rule, same subject, ids compared case-insensitively):
- it is never `pass`, except where the language itself says a deletion can fix a failure: deleting a leaf the
  pack reads through `default(path, value)` (the rule says what absence means); deleting a row the failing
  finding names (message, evidence, related ids), or a key of one: the offending resource, or its reference,
  is gone (an absent reference points at nothing, docs/language.md "Joins"); or when the failure moved (below);
- it is still reported (fail, warn, not_evaluated, error or skip), unless the deleted row was the subject's own
  row; or a `not_evaluated`/`error` finding of the rule without a subject (or on the row changed) stands in for
  it; or what was deleted held a reference to the subject (its id, whole), which put it in the rule's set; or
  the failure moved: the whole pack, evaluated on the changed snapshot, reports a problem (fail, warn,
  not_evaluated, error) it did not report before (the pack's rules hand a missing prerequisite to the rule that
  checks it: "skip ... (see AMX-PP-03)"), so the scan does not turn green.
An appliance row left without a key its schema requires is refused as a scan would refuse the file, so nothing
is evaluated for it.

hypothesis picks the case and what to delete (`test_no_deletion_makes_a_failure_pass`); an exhaustive pass
(`test_every_single_deletion`, one test per rule) makes every single deletion of every fail case of the rule:
about 23,000 re-evaluations for the pack, a few seconds, since the rules are parsed once.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass

import pytest
from hypothesis import event, given, note, strategies as st

from argus.testing import fixtures as fx
from argus.testing import fixturesnap
from argus.snapshots import facts_rows
from argus.planning.pushdown import types_read
from argus.errors import UserError
from argus.evaluation.session import Session, prepare
from argus.snapshots.snapshot import Snapshot
from fuzz_support import FUZZ, PACK


@dataclass
class FailCase:
    label: str                      # FILE:LINE of the case, and its name
    rule: str
    subject: str                    # the failing finding's subject id, case-folded ("" for none)
    session: Session
    snapshot: Snapshot
    rows: list                      # (table, row) the case's rules could read
    targets: list                   # (index into rows, key path or None for the whole row)
    cites: str                      # what the failing finding names (message, evidence, related ids), case-folded
    pack: Session                   # every rule of the pack, with the case's parameters
    problems: frozenset             # (rule, subject, status) of the pack's problems on the untouched snapshot


def key_paths(value, prefix: tuple = ()):
    """Every key at any depth, as the path of keys and list indices leading to it."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from key_paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from key_paths(v, prefix + (i,))


def without(row: dict, path: tuple) -> dict:
    out = copy.deepcopy(row)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return out


def with_row_replaced(base: Snapshot, old: dict, new: dict | None) -> Snapshot:
    """A copy of `base` (files, coverage, row origins) where the row `old` is `new`, or gone when `new` is None.
    A table whose only row goes stays in the snapshot, empty, as argus.testing.fixturesnap keeps it."""
    snap = Snapshot(files=list(base.files), duplicates=list(base.duplicates), coverage=copy.deepcopy(base.coverage))
    file_index = {f.path: i for i, f in enumerate(base.files)}
    for table, rows in base.tables.items():
        runs: list[tuple[int, list, list]] = []  # consecutive rows of one file: (file, rows, positions in it)
        for row in rows:
            origin = base.origin(row)
            fidx = file_index[origin.file]
            if row is old:
                if new is None:
                    continue
                row = new
            if not runs or runs[-1][0] != fidx:
                runs.append((fidx, [], []))
            runs[-1][1].append(row)
            runs[-1][2].append(origin.index)
        if not runs:
            fidx = file_index[base.origin(old).file] if base.origin(old) else 0
            runs.append((fidx, [], []))
        for fidx, kept, at in runs:
            snap.add(table, kept, fidx, at, snap.files[fidx].path)
    return snap


def _defaulted_paths() -> set[tuple]:
    """The key paths the pack reads through default(VAR.a.b[*].c, ...), as ("a", "b", "c")."""
    text = "".join(p.read_text(encoding="utf-8") for p in PACK.glob("*.argus"))
    return {tuple(re.findall(r"\.(\w+)", m)) for m in re.findall(r"default\(\s*\w+((?:\.\w+|\[\*\])+)\s*,", text)}


DEFAULTED = _defaulted_paths()
PROBLEMS = ("fail", "warn", "not_evaluated", "error")


def problems(session: Session, snap: Snapshot) -> frozenset:
    return frozenset((f.rule.id, (f.subject.id or "").casefold(), f.status) for f in session.evaluate(snap)
                     if f.status in PROBLEMS)


@functools.cache
def fail_cases() -> tuple[FailCase, ...]:
    """Every (case, expected fail finding) of the pack's fixtures, with its snapshot and deletion targets."""
    pack = prepare([str(PACK)], None, {}, only=())
    cache = fixturesnap.SnapshotCache()
    out = []
    for path in sorted(PACK.glob("fixtures/*/cases.yaml")):
        fixture, issues = fx.read(str(path), pack.plan)
        assert not issues, issues
        for case in fixture.cases:
            session = pack.for_rules(case.rules, case.params)
            rules = session.rules
            snap = fixturesnap.case_snapshot(case, cache)
            types = types_read(pack.plan, rules)
            rows = [(table, row) for table, table_rows in snap.tables.items() for row in table_rows
                    if types is None or table == "appliance" or row.get("type") in types]
            targets = [(i, None) for i in range(len(rows))]
            targets += [(i, p) for i, (_, row) in enumerate(rows) for p in key_paths(row)]
            whole = pack.for_rules([cr.node.id for cr in pack.plan.rules], case.params)
            base = problems(whole, snap)
            findings = session.evaluate(snap)
            for e in case.expect:
                if e.status != "fail":
                    continue
                cited = [f for f in findings if f.rule.id == e.rule and (f.subject.id or "").casefold() == e.subject.casefold()]
                cites = " ".join(f"{f.message} {f.related} {f.evidence}" for f in cited).casefold()
                out.append(FailCase(f"{case.where} {case.name}", e.rule, e.subject.casefold(), session, snap,
                                    rows, targets, cites, whole, base))
    return tuple(out)


def findings_for(case: FailCase, snap: Snapshot) -> tuple[list[str], list[str]]:
    """(statuses of the rule's findings on the subject, statuses of its subject-less findings)."""
    mine, ruleless = [], []
    for f in case.session.evaluate(snap):
        if f.rule.id != case.rule:
            continue
        subject = (f.subject.id or "").casefold() if f.subject else ""
        if subject == case.subject:
            mine.append(f.status)
        elif not subject:
            ruleless.append(f.status)
    return mine, ruleless


def names(case: FailCase, row: dict) -> bool:
    """The failing finding names this row (by id, or by name in its message)."""
    rid, name = row.get("id"), row.get("name")
    return (isinstance(rid, str) and rid.casefold() in case.cites) or (isinstance(name, str) and len(name) > 3
                                                                       and name.casefold() in case.cites)


def strings(value) -> set[str]:
    """Every string in a JSON value, case-folded (a reference to a row is its id, whole)."""
    if isinstance(value, str):
        return {value.casefold()}
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return set().union(*map(strings, items)) if items else set()


def value_at(row: dict, path: tuple | None):
    value = row
    for step in path or ():
        value = value[step]
    return value


def check_deletion(case: FailCase, target: tuple) -> str:
    """Delete `target` from the case's snapshot, re-evaluate, assert the property; returns what happened."""
    index, path = target
    table, row = case.rows[index]
    new = None if path is None else without(row, path)
    what = f"{case.label}: {case.rule} on {case.subject or '(no subject)'}; deleted " + (
        f"row {row.get('id')!r} of table {table}" if path is None else f"{list(path)} of row {row.get('id')!r} ({table})")
    if table == "appliance" and new is not None:
        try:
            facts_rows.check("facts", [new], None)
        except UserError:
            return "refused (appliance row schema)"  # a scan refuses the whole file: nothing passes
    snap = with_row_replaced(case.snapshot, row, new)
    mine, ruleless = findings_for(case, snap)
    if mine and "pass" not in mine:
        return "/".join(sorted(set(mine)))

    def moved() -> str:
        """The rules of the pack the failure moved to: problems the whole pack reports only after the deletion."""
        return ", ".join(sorted({r for r, _, _ in problems(case.pack, snap) - case.problems}))

    if "pass" in mine:
        keys = tuple(k for k in path or () if isinstance(k, str))
        if any(keys[-len(d):] == d for d in DEFAULTED if len(keys) >= len(d)):
            return "pass: a defaulted leaf"
        if names(case, row):
            return "pass: the offending row"
        to = moved()
        assert to, f"deleting data turned a failing finding into a pass: {what}; findings: {mine}"
        return f"pass: moved to {to}"
    rid = row.get("id").casefold() if isinstance(row.get("id"), str) else None
    if path is None and rid == case.subject:
        return "gone with its row"
    if any(s in ("not_evaluated", "error") for s in ruleless) or any(
            f.rule.id == case.rule and f.status in ("not_evaluated", "error") and (f.subject.id or "").casefold() == rid
            for f in case.session.evaluate(snap)):
        return "not_evaluated/error in its place"
    if case.subject and case.subject in strings(value_at(row, path)):
        return "gone with the reference to it"  # an absent reference points at nothing (docs/language.md, Joins)
    to = moved()
    assert to, (f"the failing finding disappeared and no other problem appeared in the pack: {what}; "
                f"subject-less findings of the rule: {ruleless}")
    return f"moved to {to}"


def test_the_fail_cases_fail_before_anything_is_deleted():
    """The property starts from a failing finding: each case, untouched, reports it (as `argus test` checks)."""
    cases = fail_cases()
    assert len(cases) >= 40 and len({c.rule for c in cases}) >= 20
    for case in cases:
        mine, _ = findings_for(case, case.snapshot)
        assert "fail" in mine and "pass" not in mine, f"{case.label}: {case.rule} on {case.subject}: {mine}"


@FUZZ(300)
@given(data=st.data())
def test_no_deletion_makes_a_failure_pass(data):
    cases = fail_cases()
    case = cases[data.draw(st.integers(0, len(cases) - 1), label="case")]
    target = data.draw(st.sampled_from(case.targets), label="deletion")
    index, path = target
    note(f"{case.label}: delete {'the row' if path is None else list(path)} of row {case.rows[index][1].get('id')!r}")
    event(check_deletion(case, target))


def _rules_with_fail_cases() -> list[str]:
    """The rules whose fixture file expects a fail somewhere (read as text: collecting must not load the pack)."""
    return sorted(p.parent.name for p in PACK.glob("fixtures/*/cases.yaml")
                  if "status: fail" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("rule", _rules_with_fail_cases())
def test_every_single_deletion(rule):
    """Every row and every key of every row the rule could read, one at a time, in each of its fail cases
    (about 23,000 deletions for the whole pack, a few seconds)."""
    cases = [c for c in fail_cases() if c.rule == rule]
    assert cases, f"{rule}'s fixtures mention a fail but no case expects one of {rule}"
    failures, tried = [], 0
    for case in cases:
        for target in case.targets:
            tried += 1
            try:
                check_deletion(case, target)
            except AssertionError as exc:
                failures.append(str(exc).split("\n")[0])
    assert not failures, f"{len(failures)} of {tried} deletions:\n" + "\n".join(failures[:20])
