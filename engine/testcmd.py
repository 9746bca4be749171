"""`argus test`: run rule fixtures and compare findings with expectations.

In: paths (default rules/). Fixture files are the `*.yaml` files inside any `fixtures/` directory (folders
starting with `_` hold shared snapshots); the rules they test are the `.argus` files of the directory that
holds `fixtures/`. A fixture file: `rule` (default rule id), optional `snapshot` (base files, relative),
`params`, and `cases`, each with optional `snapshot`, `tables` (inline rows), `remove` (row ids), `patch`
({id: JSON merge patch}), `params`, and `expect` ([{status, subject, rule?, message?}]). Out: per rule, passed
and failed cases; every unexpected and every missing finding of the rules a case covers is reported, never
stopping at the first. Exit 0 all passed, 1 any case failed, 2 invalid rules or fixture files.
"""

from __future__ import annotations

import copy
import os
import sys
from collections import Counter, defaultdict

import orjson

from . import snapshot as snap_mod
from .diagnostics import DiagnosticError
from .errors import UserError
from .session import ROOT, prepare
from . import yamlpos


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule packs or fixture files (default: the bundled rules/)")
    p.add_argument("-v", "--verbose", action="store_true", help="list every case, not only failures")
    p.add_argument("--coverage", action="store_true", help="report when/require clauses no fixture made true, or false")


def find_fixtures(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isfile(p):
            out.append(p)
            continue
        if not os.path.isdir(p):
            raise UserError(f"{p}: no such file or directory")
        for root, dirs, files in os.walk(p):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            if "fixtures" in os.path.normpath(root).split(os.sep):
                out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith((".yaml", ".yml")))
    return out


def pack_of(fixture: str) -> str:
    parts = os.path.normpath(os.path.abspath(fixture)).split(os.sep)
    if "fixtures" not in parts:
        raise UserError(f"{fixture}: fixture files live in a 'fixtures' directory beside the rules they test")
    i = len(parts) - 1 - parts[::-1].index("fixtures")
    return os.path.relpath(os.sep.join(parts[:i]))


def _merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out


def _read_snapshot_doc(path: str):
    with open(path, "rb") as fh:
        raw = fh.read()
    if path.endswith((".yaml", ".yml")):
        return yamlpos.load(path).data
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UserError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def build_snapshot(base_dir: str, files: list[str], case: dict, where: str):
    snap = snap_mod.Snapshot()
    removed = {str(r).casefold() for r in case.get("remove", [])}
    patches = {str(k).casefold(): v for k, v in (case.get("patch") or {}).items()}
    docs = [(os.path.relpath(os.path.join(base_dir, f)), _read_snapshot_doc(os.path.join(base_dir, f))) for f in files]
    if case.get("tables"):
        docs.append((f"{where} (inline)", copy.deepcopy(case["tables"])))
    seen_patch = set()
    for name, doc in docs:
        doc = _apply(doc, removed, patches, seen_patch)
        snap_mod.add_document(snap, name, doc)
    unknown = set(patches) - seen_patch
    if unknown:
        raise UserError(f"{where}: patch names ids that are not in the case's snapshot: {', '.join(sorted(unknown))}")
    return snap


def _apply(doc, removed, patches, seen):
    def fix_rows(rows):
        out = []
        for row in rows:
            rid = row.get("id", "").casefold() if isinstance(row, dict) and isinstance(row.get("id"), str) else None
            if rid in removed:
                continue
            if rid in patches:
                seen.add(rid)
                row = _merge_patch(row, patches[rid])
            out.append(row)
        return out
    if isinstance(doc, list):
        return fix_rows(doc)
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        rows = fix_rows(doc["data"])
        counts = {k: len(rows) for k in ("count", "total_records", "totalRecords") if k in doc}
        return dict(doc, data=rows, **counts)
    if isinstance(doc, dict):
        return {k: (fix_rows(v) if isinstance(v, list) else v) for k, v in doc.items()}
    return doc


def _key(status: str, subject: str, rule: str) -> tuple:
    return (rule.casefold(), status, (subject or "").casefold())


class Runner:
    def __init__(self, out=None, verbose: bool = False):
        self.out, self.verbose = out or sys.stdout, verbose
        self.sessions: dict[tuple, object] = {}
        self.results: dict[str, Counter] = defaultdict(Counter)
        self.failures = 0
        self.coverage: dict | None = None   # id(step) -> (rule id, step, set of outcomes seen)

    def session(self, pack: str, params: dict):
        key = (pack, tuple(sorted((k, repr(v)) for k, v in params.items())))
        if key not in self.sessions:
            self.sessions[key] = prepare([pack], None, {k: v for k, v in params.items()})
        return self.sessions[key]

    def run_file(self, path: str) -> None:
        doc = yamlpos.load(path)
        data = doc.data or {}
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise UserError(f"{path}: a fixture file needs a 'cases' list")
        base_dir = os.path.dirname(path)
        default_rule = data.get("rule")
        for n, case in enumerate(data["cases"]):
            line, _ = doc.locate(["cases", n])
            where = f"{path}:{line}"
            self.run_case(path, base_dir, data, case, default_rule, where)

    def run_case(self, path, base_dir, data, case, default_rule, where) -> None:
        name = case.get("name", f"case at line {where}")
        files = _as_list(case.get("snapshot", data.get("snapshot", [])))
        params = {**(data.get("params") or {}), **(case.get("params") or {})}
        expect = case.get("expect")
        if not isinstance(expect, list):
            raise UserError(f"{where}: case '{name}' needs an 'expect' list of {{status, subject}}")
        rules = {str(e.get("rule", default_rule)) for e in expect} | ({default_rule} if default_rule else set())
        if None in rules or "None" in rules:
            raise UserError(f"{where}: say which rule each expectation is for ('rule' at file or item level)")
        session = self.session(pack_of(path), params)
        known = {r.node.id.casefold(): r for r in session.rules}
        missing_rules = [r for r in rules if r.casefold() not in known]
        if missing_rules:
            raise UserError(f"{where}: unknown rule {', '.join(missing_rules)} in {pack_of(path)}")
        snap = build_snapshot(base_dir, files, case, where)
        trace: list | None = [] if self.coverage is not None else None
        findings = [f for f in session.evaluate(snap, trace) if f.rule.id.casefold() in {r.casefold() for r in rules}]
        if trace:
            self.record(session, trace)
        self.compare(name, where, rules, expect, findings, default_rule)

    def compare(self, name, where, rules, expect, findings, default_rule) -> None:
        want = Counter(_key(e["status"], e.get("subject", ""), str(e.get("rule", default_rule))) for e in expect)
        got = Counter(_key(f.status, f.subject.id, f.rule.id) for f in findings)
        problems = [f"unexpected finding: {k[1]} {k[2] or '(no subject)'} [{k[0].upper()}]" for k in (got - want).elements()]
        problems += [f"missing finding: {k[1]} {k[2] or '(no subject)'} [{k[0].upper()}]" for k in (want - got).elements()]
        by_key = {_key(f.status, f.subject.id, f.rule.id): f for f in findings}
        for e in expect:
            k = _key(e["status"], e.get("subject", ""), str(e.get("rule", default_rule)))
            if "message" in e and k in by_key and by_key[k].message != e["message"]:
                problems.append(f"message of {k[1]} {k[2]}: expected {e['message']!r}, got {by_key[k].message!r}")
        for r in rules:
            self.results[r.upper()]["failed" if problems else "passed"] += 1
        if problems:
            self.failures += 1
            print(f"FAIL {name} ({where})", file=self.out)
            for p in problems:
                print(f"  {p}", file=self.out)
            for f in findings:
                print(f"  got: {f.rule.id} {f.status} {f.subject.id or '(no subject)'}: {f.message}", file=self.out)
        elif self.verbose:
            print(f"ok   {name}", file=self.out)

    def record(self, session, trace) -> None:
        for cr in session.rules:
            for step in cr.steps:
                if step.kind != "let":
                    self.coverage.setdefault(_where(step), (cr.node.id, step, set()))
        for step, value, _records in trace:
            if step.kind == "let":
                continue
            outcome = "true" if value is True else "false" if value is False else "unknown" if value.__class__.__name__ == "Missing" else "error"
            self.coverage.setdefault(_where(step), (None, step, set()))[2].add(outcome)

    def coverage_report(self) -> int:
        gaps = 0
        print("coverage (clauses of the rules the fixtures test):", file=self.out)
        tested = {r.upper() for r in self.results}
        for rule_id, step, seen in sorted(self.coverage.values(), key=lambda e: (e[0] or "", e[1].node.span.line)):
            if rule_id is None or rule_id.upper() not in tested:
                continue
            missing = [w for w in ("true", "false") if w not in seen]
            if missing:
                gaps += 1
                span = step.node.span
                print(f"  {rule_id}  {span.file}:{span.line}:{span.col}  {step.kind} {step.text}  never {' and never '.join(missing)}", file=self.out)
        if not gaps:
            print("  every when/require clause was both true and false in some case", file=self.out)
        return gaps

    def summary(self) -> None:
        for rule in sorted(self.results):
            c = self.results[rule]
            total = c["passed"] + c["failed"]
            mark = "FAIL" if c["failed"] else "ok  "
            print(f"{mark} {rule}: {total} case{'s' * (total != 1)}, {c['passed']} passed, {c['failed']} failed", file=self.out)


def _where(step) -> tuple:
    span = step.node.span
    return (span.file, span.line, span.col)


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v] if v else []


def run(args) -> int:
    fixtures = find_fixtures(args.paths or [str(ROOT / "rules")])
    if not fixtures:
        raise UserError(f"no fixture files found under {', '.join(args.paths or ['rules'])}")
    runner = Runner(verbose=args.verbose)
    if args.coverage:
        runner.coverage = {}
    try:
        for path in fixtures:
            runner.run_file(path)
    except DiagnosticError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    runner.summary()
    if runner.coverage is not None:
        runner.coverage_report()
    nf, nr = len(fixtures), len(runner.results)
    print(f"{nf} fixture file{'s' * (nf != 1)}, {nr} rule{'s' * (nr != 1)}; {runner.failures} failing case{'s' * (runner.failures != 1)}", file=runner.out)
    return 1 if runner.failures else 0
