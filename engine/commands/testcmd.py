"""`argus test`: run rule fixtures and compare findings with expectations.

In: paths (default rules/). Fixture files are the `*.yaml` files inside any `fixtures/` directory (folders
starting with `_` hold shared snapshots); the rules they test are the `.argus` files of the directory that
holds `fixtures/` (the pack). The fixture format is read and validated by argus.testing.fixtures: every problem of
every fixture file is reported, located, before any case runs. A case evaluates only the rules it checks (the
file's `rule` and its expectations' `rule`), so only their parameters need values. A case's clock (now(),
days_since()) is its fixture's `now:`, else --now or ARGUS_NOW, else the system clock.
Out: per rule, passed and failed cases; every unexpected and every missing finding of the rules a case checks
is reported, never stopping at the first. Rules of the packs under the given directories that no fixture
checks are listed ("no fixtures"). `--coverage` lists when/require clauses no case made both true and false,
counting only the clauses of the rules each case checks, and rules without fixtures as gaps.
Exit 0 all passed, 1 any case failed (or, with --require-fixtures, a rule has no fixture), 2 invalid rules or
fixture files (E409 diagnostics, every one of every file).
"""

from __future__ import annotations

import io
import os
import sys
import time
from collections import Counter, defaultdict

from argus.evaluation import clock
from argus import exitcodes, resources
from argus.testing import fixtures as fx
from argus.testing import fixturejunit
from argus.testing import fixturesnap
from argus.diagnostics import DiagnosticError
from argus.errors import UserError, atomic_write
from argus.language.loader import RULE_SUFFIX
from argus.policy.policies import default_rule_paths
from argus.policy.settings import config_file
from argus.commands.flags import add_config_argument
from argus.evaluation.session import Session, prepare
from argus.language.values import EvalError, Missing


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="rule packs or fixture files (default: the rule paths of the project's "
                   "policies.yaml, else the bundled rule pack)")
    add_config_argument(p)
    p.add_argument("-v", "--verbose", action="store_true", help="list every case, not only failures")
    p.add_argument("-f", "--format", choices=("text", "junit"), default="text",
                   help="text (the default) or junit: JUnit XML, a suite per fixture file, a test case per case")
    p.add_argument("-o", "--output", metavar="FILE", help="write the --format to FILE (- for stdout); with junit in "
                   "a file the text still goes to stdout, with junit on stdout it goes to stderr")
    p.add_argument("--coverage", action="store_true",
                   help="report when/require clauses of the tested rules no case made true, or false, and rules without fixtures")
    p.add_argument("--require-fixtures", action="store_true",
                   help="a rule without any fixture fails the run (exit 1); without this flag it is only listed")
    p.add_argument("--now", metavar="TIMESTAMP", help="the clock for cases whose fixture file sets no `now:`: " + clock.HELP)


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
    return resources.display(os.sep.join(parts[:i]))


def _key(status: str, subject: str, rule: str) -> tuple:
    return (rule.casefold(), status, (subject or "").casefold())


class Runner:
    def __init__(self, out=None, verbose: bool = False, coverage: bool = False, now=None):
        self.out, self.verbose = out or sys.stdout, verbose
        self.now = now  # the run's clock (--now, ARGUS_NOW, or the system's); a fixture's `now:` wins over it
        self.packs: dict[str, Session] = {}          # pack directory -> its rules, compiled, none selected
        self.tested: dict[str, set] = defaultdict(set)  # pack -> case-folded ids of the rules its fixtures check
        self.snapshots = fixturesnap.SnapshotCache()
        self.results: dict[str, Counter] = defaultdict(Counter)
        self.failures = 0
        self.cases: list[dict] = []  # one record per case run, for --format junit
        self._file = ""  # the fixture file whose cases run now
        self.coverage: dict | None = {} if coverage else None   # (file, line, col) -> (rule id, step, outcomes seen)

    def pack(self, pack: str) -> Session:
        if pack not in self.packs:
            self.packs[pack] = prepare([pack], None, {}, only=())
        return self.packs[pack]

    def load(self, paths: list[str]) -> list[tuple[str, fx.FixtureFile]]:
        """Every fixture file, validated; one DiagnosticError with all problems of all files when any has one."""
        loaded, problems, sources = [], [], {}
        for path in paths:
            pack = pack_of(path)
            fixture, found = fx.read(path, self.pack(pack).plan)
            problems += found
            sources[path] = fixture.text
            loaded.append((pack, fixture))
            self.tested[pack] |= {r.casefold() for r in fixture.rules}
        if problems:
            raise DiagnosticError(problems, sources)
        return loaded

    def run_file(self, pack: str, fixture: fx.FixtureFile) -> None:
        self._file = fixture.path
        for case in fixture.cases:
            self.run_case(pack, case)

    def case_session(self, pack: str, case: fx.Case) -> Session:
        """The pack's plan with only the case's rules selected and the case's (already validated) parameters."""
        return self.pack(pack).for_rules(case.rules, case.params, case.now or self.now)

    def run_case(self, pack: str, case: fx.Case) -> None:
        started = time.perf_counter()
        session = self.case_session(pack, case)
        snap = fixturesnap.case_snapshot(case, self.snapshots)
        trace: list | None = [] if self.coverage is not None else None
        findings = session.evaluate(snap, trace)
        if trace is not None:
            self.record(session, trace)
        self.compare(case, findings, time.perf_counter() - started)

    def compare(self, case: fx.Case, findings, seconds: float = 0.0) -> None:
        want = Counter(_key(e.status, e.subject, e.rule) for e in case.expect)
        got = Counter(_key(f.status, f.subject.id, f.rule.id) for f in findings)
        problems = [f"unexpected finding: {k[1]} {k[2] or '(no subject)'} [{k[0].upper()}]" for k in (got - want).elements()]
        problems += [f"missing finding: {k[1]} {k[2] or '(no subject)'} [{k[0].upper()}]" for k in (want - got).elements()]
        messages = defaultdict(list)
        for f in findings:
            messages[_key(f.status, f.subject.id, f.rule.id)].append(f.message)
        for e in case.expect:
            k = _key(e.status, e.subject, e.rule)
            if e.message is not None and messages[k] and e.message not in messages[k]:
                problems.append(f"message of {k[1]} {k[2]}: expected {e.message!r}, got {' or '.join(map(repr, messages[k]))}")
        for r in case.rules:
            self.results[r.upper()]["failed" if problems else "passed"] += 1
        got = [f"got: {f.rule.id} {f.status} {f.subject.id or '(no subject)'}: {f.message}" for f in findings]
        self.cases.append({"file": self._file, "rules": list(case.rules), "name": case.name, "where": case.where,
                           "problems": problems, "got": got if problems else [], "seconds": seconds})
        if problems:
            self.failures += 1
            print(f"FAIL {case.name} ({case.where})", file=self.out)
            for p in problems:
                print(f"  {p}", file=self.out)
            for line in got:
                print(f"  {line}", file=self.out)
        elif self.verbose:
            print(f"ok   {case.name}", file=self.out)

    def record(self, session, trace) -> None:
        """Count the clauses of the case's rules only: those are the only rules the case evaluated."""
        for cr in session.rules:
            for step in cr.steps:
                if step.kind != "let":
                    self.coverage.setdefault(_where(step), (cr.node.id, step, set()))
        for step, value, _records in trace:
            if step.kind == "let":
                continue
            outcome = ("true" if value is True else "false" if value is False else
                       "unknown" if isinstance(value, Missing) else "error" if isinstance(value, EvalError) else "other")
            self.coverage[_where(step)][2].add(outcome)

    def untested(self, dirs: list[str]) -> list[tuple[str, str, int]]:
        """(rule id, file, line) of the rules under `dirs` that no fixture checks, in every pack found there:
        packs with fixtures, and directories of rule files with none at all."""
        out = []
        for pack, session in self.packs.items():
            if any(resources.inside(pack, d) for d in dirs):
                out += [(r.id, r.span.file, r.span.line) for r in session.plan.program.rules
                        if r.id.casefold() not in self.tested[pack]]
        for files in _bare_packs(dirs, list(self.packs)):
            out += [(r.id, r.span.file, r.span.line) for r in prepare(files, None, {}, only=()).plan.program.rules]
        return sorted(set(out), key=lambda u: (u[1], u[2]))

    def coverage_report(self, untested: list) -> int:
        gaps = 0
        print("coverage (clauses of the rules the fixtures test):", file=self.out)
        for rule_id, step, seen in sorted(self.coverage.values(), key=lambda e: (e[0], e[1].node.span.line)):
            missing = [w for w in ("true", "false") if w not in seen]
            if missing:
                gaps += 1
                span = step.node.span
                print(f"  {rule_id}  {span}  {step.kind} {step.text}  never {' and never '.join(missing)}", file=self.out)
        for rule_id, file, line in untested:
            gaps += 1
            print(f"  {rule_id}  {file}:{line}  no fixtures: none of its clauses ran", file=self.out)
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


def _bare_packs(dirs: list[str], packs: list[str]) -> list[list[str]]:
    """Rule files under `dirs` outside every pack with fixtures, grouped by the topmost directory holding them
    (a pack loads its sub-directories too)."""
    groups = []
    for d in dirs:
        for root, subdirs, files in os.walk(d):
            subdirs[:] = sorted(s for s in subdirs if not s.startswith(".") and s != "fixtures")
            if any(resources.inside(root, p) for p in packs) or any(resources.inside(root, g[0]) for g in groups):
                subdirs[:] = []
                continue
            if any(f.endswith(RULE_SUFFIX) for f in files):
                groups.append((root, _rule_files(root, packs)))
                subdirs[:] = []
    return [g[1] for g in groups if g[1]]


def _rule_files(top: str, packs: list[str]) -> list[str]:
    out = []
    for root, subdirs, files in os.walk(top):
        subdirs[:] = sorted(s for s in subdirs if not s.startswith(".") and not any(resources.inside(os.path.join(root, s), p) for p in packs))
        out += [os.path.join(root, f) for f in sorted(files) if f.endswith(RULE_SUFFIX)]
    return out


def run(args) -> int:
    paths = args.paths or default_rule_paths(config_file(args.policies))
    fixtures = find_fixtures(paths)
    if not fixtures:
        raise UserError(f"no fixture files found under {', '.join(paths)}")
    runner = Runner(verbose=args.verbose, coverage=args.coverage, now=clock.resolve(args.now)[0])
    runner.out = _text_stream(args)
    for pack, fixture in runner.load(fixtures):
        runner.run_file(pack, fixture)
    untested = runner.untested([p for p in paths if os.path.isdir(p)])
    runner.summary()
    if runner.coverage is not None:
        runner.coverage_report(untested)
    else:
        mark = "FAIL " if args.require_fixtures else ""
        for rule_id, file, line in untested:
            print(f"{mark}no fixtures: {rule_id} ({file}:{line})", file=runner.out)
    nf, nr, nu = len(fixtures), len(runner.results), len(untested)
    print(f"{nf} fixture file{'s' * (nf != 1)}, {nr} rule{'s' * (nr != 1)}; {runner.failures} failing case{'s' * (runner.failures != 1)}"
          + (f"; {nu} rule{'s' * (nu != 1)} without fixtures" if nu else ""), file=runner.out)
    _write_reports(args, runner, untested)
    return exitcodes.FINDINGS if runner.failures or (args.require_fixtures and untested) else exitcodes.OK


def _text_stream(args):
    """Where the text goes: stdout, unless JUnit takes stdout (then stderr) or the text goes to a file."""
    if args.format == "junit" and args.output in (None, "-"):
        return sys.stderr
    return io.StringIO() if args.format == "text" and args.output not in (None, "-") else sys.stdout


def _write_reports(args, runner, untested) -> None:
    if args.format == "text":
        if args.output not in (None, "-"):
            atomic_write(args.output, runner.out.getvalue())
        return
    xml = fixturejunit.render(runner.cases, untested, args.require_fixtures)
    if args.output in (None, "-"):
        sys.stdout.write(xml)
    else:
        atomic_write(args.output, xml)
