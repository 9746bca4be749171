"""Fixture files for `argus test`: YAML -> validated cases.

In: a fixture file and the compiled plan of the rule pack it tests. Out: `read` gives a FixtureFile (cases with
the rules they check, converted parameter values, resolved snapshot paths, inline tables, removals, patches, the
clock `now` (per file or case) and expectations) plus every problem found in the file, each an E409 diagnostic
at its place: YAML that cannot be read, unknown keys, wrong types, statuses, rule ids and parameters (with
did-you-mean), snapshot paths that do not exist, and parameters a tested rule needs that the fixture does not
set. argus.testing.fixturesnap builds each case's snapshot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from argus import yamlpos
from argus.language.ast import Span
from argus.diagnostics import Diagnostic, at, did_you_mean
from argus.model import STATUSES
from argus.language.fn_time import parse_instant
from argus.policy.policies import convert
from argus.language.tables import KNOWN_TABLES

FILE_KEYS = ("rule", "snapshot", "params", "now", "cases")
CASE_KEYS = ("name", "snapshot", "tables", "remove", "patch", "params", "now", "expect")
EXPECT_KEYS = ("status", "subject", "rule", "message")
_BAD = object()  # a rule id that was reported as unknown: its cases are not checked further


@dataclass
class Expectation:
    status: str
    subject: str
    rule: str
    message: str | None


@dataclass
class Case:
    name: str
    where: str                        # FILE:LINE of the case, as test reports name it
    at: Span                          # the case in its file
    rules: list[str]                  # the rule ids the case checks, as the rules spell them
    params: dict
    snapshot: list[tuple[str, Span]]  # (resolved path, the entry in the fixture)
    tables: object = None
    remove: list[tuple[str, Span]] = field(default_factory=list)        # (row id, its place)
    patch: dict[str, tuple[object, Span]] = field(default_factory=dict)  # row id -> (merge patch, its key's place)
    expect: list[Expectation] = field(default_factory=list)
    now: datetime | None = None       # the case's clock for now()/days_since(), from its `now:` or the file's
    text: str = ""                    # the fixture file's text, for the caret of a problem with its snapshot


@dataclass
class FixtureFile:
    path: str
    cases: list[Case]
    rules: set[str]                   # every rule id the file checks
    text: str = ""                    # the file's text, for the caret of its diagnostics


def read(path: str, plan) -> tuple[FixtureFile, list[Diagnostic]]:
    """The fixture file and every problem in it (empty when it is valid), in file order."""
    try:
        doc = yamlpos.load(path)
    except yamlpos.InputError as exc:
        return FixtureFile(path, [], set(), exc.source or ""), [exc.diagnostic("E409")]
    reader = _Reader(path, doc, plan)
    fixture = reader.file()
    return fixture, sorted(reader.problems, key=lambda d: (d.span.line, d.span.col))


def _kind(value) -> str:
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a string"
    if isinstance(value, (list, dict)) and not value:
        return "an empty list" if isinstance(value, list) else "an empty mapping"
    return {dict: "a mapping", list: "a list", type(None): "nothing", bool: "a boolean"}.get(type(value), f"a {type(value).__name__}")


class _Reader:
    def __init__(self, path: str, doc, plan):
        self.path, self.doc, self.plan = path, doc, plan
        self.base_dir = os.path.dirname(path)
        self.problems: list[Diagnostic] = []
        self.rule_ids = {r.id.casefold(): r.id for r in plan.program.rules}

    # ---- locations and problems
    def at(self, path: list) -> Span:
        return self.doc.span(path)

    def key_at(self, path: list) -> Span:
        return self.doc.key_span(path)

    def problem(self, where: Span, message: str) -> None:
        self.problems.append(Diagnostic("E409", where, message))

    def unknown_keys(self, path: list, data: dict, known: tuple, what: str) -> None:
        for key in data:
            if key not in known:
                self.problem(self.key_at(path + [key]), f"unknown key '{key}' in {what}{did_you_mean(str(key), known)}; "
                             f"known: {', '.join(known)}")

    # ---- the file
    def file(self) -> FixtureFile:
        data = self.doc.data
        if not isinstance(data, dict):
            self.problem(self.at([]), f"a fixture file is a mapping with `rule`, `snapshot`, `params` and `cases`, got {_kind(data)}")
            return FixtureFile(self.path, [], set(), self.doc.text)
        self.unknown_keys([], data, FILE_KEYS, "the fixture file")
        default_rule = self.rule_id(["rule"], data["rule"]) if "rule" in data else None
        snapshot = self.snapshots(["snapshot"], data.get("snapshot"))
        params = self.params(["params"], data.get("params"))
        now = self.instant(["now"], data["now"]) if "now" in data else None
        raw_cases = data.get("cases")
        if not isinstance(raw_cases, list) or not raw_cases:
            where = self.at(["cases"]) if "cases" in data else at(self.path, 1, 1)
            self.problem(where, f"a fixture file needs `cases:`, a list of cases each with `expect:`, got {_kind(raw_cases)}")
            raw_cases = []
        cases = [self.case(n, raw, default_rule, snapshot, params, now) for n, raw in enumerate(raw_cases)]
        cases = [c for c in cases if c is not None]
        self.missing_params(data, cases)
        rules = {r for c in cases for r in c.rules}
        return FixtureFile(self.path, [c for c in cases if _BAD not in c.rules], rules - {_BAD}, self.doc.text)

    def rule_id(self, path: list, value):
        if not isinstance(value, str) or not value:
            self.problem(self.at(path), f"`rule` must be a rule id, got {_kind(value)}")
            return _BAD
        rid = self.rule_ids.get(value.casefold())
        if rid is None:
            self.problem(self.at(path), f"unknown rule '{value}'{did_you_mean(value, self.rule_ids.values())}: "
                         f"no such rule in the rule pack beside this fixture")
            return _BAD
        return rid

    def snapshots(self, path: list, value) -> list[tuple[str, Span]]:
        if value is None:
            return []
        entries = [(path, value)] if isinstance(value, str) else [(path + [i], v) for i, v in enumerate(value)] if isinstance(value, list) else None
        if entries is None:
            self.problem(self.at(path), f"`snapshot` must be a path or a list of paths (relative to the fixture file), got {_kind(value)}")
            return []
        out = []
        for where, entry in entries:
            if not isinstance(entry, str) or not entry:
                self.problem(self.at(where), f"a snapshot entry must be a path, got {_kind(entry)}")
                continue
            resolved = os.path.normpath(os.path.join(self.base_dir, entry))
            if not os.path.exists(resolved):
                self.problem(self.at(where), f"snapshot '{entry}' does not exist (looked for {resolved})")
                continue
            out.append((resolved, self.at(where)))
        return out

    def params(self, path: list, value) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(self.at(path), f"`params` must be a mapping of parameter names to values, got {_kind(value)}")
            return {}
        declared = self.plan.program.params
        out = {}
        for name, raw in value.items():
            decl = declared.get(name)
            if decl is None:
                self.problem(self.key_at(path + [name]), f"unknown parameter '{name}'{did_you_mean(str(name), declared)}"
                             + (f"; the rules declare: {', '.join(sorted(declared))}" if declared else "; the rules declare no parameters"))
                continue
            try:
                if raw is None:
                    raise ValueError("no value given")
                out[name] = convert(raw, decl.type_name)
            except ValueError as exc:
                self.problem(self.at(path + [name]), f"parameter '{name}' ({decl.type_name}): {exc}")
                out[name] = raw  # given, if wrongly: not also reported as missing (the run stops on the problem)
        return out

    # ---- one case
    def case(self, n: int, raw, default_rule, snapshot, params, now=None) -> Case | None:
        path = ["cases", n]
        if not isinstance(raw, dict):
            self.problem(self.at(path), f"case {n + 1} must be a mapping with `expect:` (and optional "
                         f"{', '.join(k for k in CASE_KEYS if k != 'expect')}), got {_kind(raw)}")
            return None
        self.unknown_keys(path, raw, CASE_KEYS, f"case {n + 1}")
        name = raw.get("name", f"case {n + 1}")
        if not isinstance(name, str):
            self.problem(self.at(path + ["name"]), f"`name` must be text, got {_kind(name)}")
            name = f"case {n + 1}"
        case = Case(name, f"{self.path}:{self.at(path).line}", self.at(path), [], dict(params),
                    self.snapshots(path + ["snapshot"], raw["snapshot"]) if "snapshot" in raw else snapshot,
                    text=self.doc.text)
        case.params.update(self.params(path + ["params"], raw.get("params")))
        case.now = self.instant(path + ["now"], raw["now"]) if "now" in raw else now
        if raw.get("tables") is not None:
            case.tables = self.tables(path + ["tables"], raw["tables"])
        case.remove = self.remove(path + ["remove"], raw.get("remove"))
        case.patch = self.patch(path + ["patch"], raw.get("patch"))
        case.expect = self.expectations(path, raw, default_rule)
        rules = {e.rule for e in case.expect} | ({default_rule} if default_rule is not None else set())
        case.rules = sorted(rules, key=lambda r: "" if r is _BAD else r)
        return case

    def instant(self, path: list, value) -> datetime | None:
        """A `now:` clock: an ISO 8601 timestamp with a zone (YAML keeps timestamps as text: argus.yamlpos)."""
        if not isinstance(value, str):
            self.problem(self.at(path), f"`now` must be an ISO 8601 timestamp with a zone (e.g. 2026-03-01T00:00:00Z), "
                         f"got {_kind(value)}")
            return None
        try:
            return parse_instant(value)
        except ValueError as exc:
            self.problem(self.at(path), f"`now`: {exc}")
            return None

    def tables(self, path: list, value):
        if isinstance(value, list):
            self.rows(path, value)
            return value
        if not isinstance(value, dict):
            self.problem(self.at(path), f"`tables` must be a mapping of table names to rows (or a list of rows), got {_kind(value)}")
            return None
        for table, rows in value.items():
            if str(table).lower() not in KNOWN_TABLES:
                self.problem(self.key_at(path + [table]), f"unknown table '{table}'{did_you_mean(str(table), KNOWN_TABLES)}")
            elif not isinstance(rows, list):
                self.problem(self.at(path + [table]), f"table '{table}' must be a list of rows, got {_kind(rows)}")
            else:
                self.rows(path + [table], rows)
        return value

    def rows(self, path: list, rows: list) -> None:
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                self.problem(self.at(path + [i]), f"a row must be a mapping (an ARG row), got {_kind(row)}")

    def remove(self, path: list, value) -> list[tuple[str, Span]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(self.at(path), f"`remove` must be a list of row ids, got {_kind(value)}; write `remove: [ID]`")
            return []
        out = []
        for i, rid in enumerate(value):
            if isinstance(rid, str) and rid:
                out.append((rid, self.at(path + [i])))
            else:
                self.problem(self.at(path + [i]), f"`remove` entries are row ids, got {_kind(rid)}")
        return out

    def patch(self, path: list, value) -> dict[str, tuple[object, Span]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(self.at(path), f"`patch` must map row ids to JSON merge patches, got {_kind(value)}")
            return {}
        out = {}
        for rid, change in value.items():
            if not isinstance(change, dict):
                self.problem(self.at(path + [rid]), f"the patch for {rid} must be a mapping (a JSON merge patch of the row), got {_kind(change)}")
            else:
                out[str(rid)] = (change, self.key_at(path + [rid]))
        return out

    def expectations(self, path: list, raw: dict, default_rule) -> list[Expectation]:
        if "expect" not in raw:
            self.problem(self.at(path), "a case needs `expect:`, the list of findings it must produce ({status, subject, rule?, message?})")
            return []
        items = raw["expect"]
        if not isinstance(items, list):
            self.problem(self.at(path + ["expect"]), f"`expect` must be a list of {{status, subject, rule?, message?}}, got {_kind(items)}")
            return []
        out = []
        for i, item in enumerate(items):
            e = self.expectation(path + ["expect", i], item, default_rule)
            if e is not None:
                out.append(e)
        return out

    def expectation(self, path: list, item, default_rule) -> Expectation | None:
        if not isinstance(item, dict):
            hint = f"; write `- {{status: {item}, subject: ID}}`" if item in STATUSES else ""
            self.problem(self.at(path), f"an expectation is a mapping {{status, subject, rule?, message?}}, got {_kind(item)}{hint}")
            return None
        self.unknown_keys(path, item, EXPECT_KEYS, "an expectation")
        status = item.get("status")
        if "status" not in item:
            self.problem(self.at(path), f"an expectation needs `status:` (one of {', '.join(STATUSES)})")
        elif status not in STATUSES:
            self.problem(self.at(path + ["status"]), f"status {status!r} is not a finding status"
                         f"{did_you_mean(str(status), STATUSES)}; use one of {', '.join(STATUSES)}")
        subject = item.get("subject")
        if subject is not None and not isinstance(subject, str):
            self.problem(self.at(path + ["subject"]), f"`subject` must be a resource id (or \"\" for a finding without one), got {_kind(subject)}")
        message = item.get("message")
        if "message" in item and not isinstance(message, str):
            self.problem(self.at(path + ["message"]), f"`message` must be text, got {_kind(message)}")
        # any problem above stops the run before a case is compared, so the values need no further care here
        if "rule" in item:
            rule = self.rule_id(path + ["rule"], item["rule"])
        elif default_rule is None:
            self.problem(self.at(path), "say which rule this expectation is for: `rule:` here or at the top of the file")
            return None
        else:
            rule = default_rule
        return Expectation(status, subject or "", rule, message)

    # ---- parameters the tested rules need
    def missing_params(self, data: dict, cases: list[Case]) -> None:
        compiled = {cr.node.id: cr for cr in self.plan.rules}
        declared = self.plan.program.params
        missing: dict[tuple[str, str], list[Case]] = {}
        for case in cases:
            if _BAD in case.rules:
                continue
            for rid in case.rules:
                for name in sorted(self.plan.params_used([compiled[rid]])):
                    if declared[name].default is None and name not in case.params:
                        missing.setdefault((rid, name), []).append(case)
        for (rid, name), where in missing.items():
            kind = declared[name].type_name
            if len(where) == len(cases):
                anchor = next((k for k in ("params", "rule", "cases") if k in data), None)
                loc = self.key_at([anchor]) if anchor else at(self.path, 1, 1)
                self.problem(loc, f"rule {rid} needs parameter '{name}' ({kind}, no default) and no case sets it: "
                             f"add `{name}: VALUE` under `params:` at the top of {self.path}")
                continue
            for case in where:
                self.problem(case.at,
                             f"case '{case.name}': rule {rid} needs parameter '{name}' ({kind}, no default): add "
                             f"`{name}: VALUE` under this case's `params:` or under `params:` at the top of {self.path}")
