"""`argus scan`: rules x snapshot -> findings in the chosen formats, and an exit code.

In: flags (rules, policy, parameters, snapshots, formats/outputs, --fail-on, --now: argus.clock). Out: rendered
reports on stdout or in files and the exit code: 0 nothing failed at or above --fail-on, 1 failing findings, 2
usage/rule/policy/input error or a rule that errored during evaluation. Outputs are all or nothing: every destination
is checked before the scan runs, every file is renamed into place only once all are written, and the
history is appended last (docs/outputs.md, "All or nothing").
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime, timezone

from . import baseline, formats, history, outputspec, report, resources, snapshot, waivers, whatif_scan
from .diagnostics import Diagnostic
from .errors import UserError, atomic_write_all
from .model import SEVERITIES, SEVERITY_RANK
from . import clock, exitcodes, gcpause, selection, settings
from .policies import load_policy
from .session import parse_param_flags, prepare

NO_INPUT = ("no snapshot to scan: pass --snapshot FILE (or set ARGUS_SNAPSHOT, or settings.snapshot in "
            "policies.yaml), --live to collect one from Azure Resource Graph, or --example for the bundled "
            "example estate")


def add_arguments(p) -> None:
    p.add_argument("--rules", action="append", metavar="PATH", help="rule file or directory (repeatable); default: the policy's rules")
    add_config_argument(p)
    p.add_argument("--policy", metavar="NAME", help="policy set to run (default: the file's default_policy)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="parameter value (repeatable)")
    add_snapshot_arguments(p)
    clock.add_argument(p)
    p.add_argument("-f", "--format", action=outputspec.InOrder, choices=sorted(formats.FORMATS), help="output format (repeatable; default text); without an --output right after it, it goes to stdout")
    p.add_argument("-o", "--output", action=outputspec.InOrder, metavar="FILE", help="output file for the --format just before it (- for stdout)")
    from .selection import add_arguments as add_selection_arguments
    add_selection_arguments(p)
    p.add_argument("--fail-on", choices=SEVERITIES + ("never",), help="lowest severity of a failing finding that makes the exit code 1 (default: info, i.e. any); env ARGUS_FAIL_ON")
    p.add_argument("--include-passed", action="store_true", help="include passing and skipped results in SARIF")
    live = p.add_argument_group("live collection (--live)")
    live.add_argument("--live", action="store_true", help="collect a snapshot from Azure Resource Graph first, then scan it")
    live.add_argument("--save-snapshot", metavar="FILE", help="with --live: keep the collected snapshot in FILE")
    from .collectcmd import add_source_arguments
    add_source_arguments(p, verbose_help="text report: every rule and finding, passing ones too, with full resource "
                                         "ids; with --live also every query, retry and throttling wait on stderr")
    p.add_argument("--waivers", metavar="FILE", help="waivers file (YAML/JSON), added to the policies file's waivers")
    p.add_argument("--baseline", metavar="PREVIOUS", help="earlier JSON or SARIF output: mark findings new/unchanged/updated, list absent ones")
    p.add_argument("--fail-on-new", action="store_true", help="with --baseline: exit 1 only for failing findings the baseline did not have (with --what-if: only for failures the deployment introduces)")
    from .whatif_scan import add_arguments as add_what_if_arguments
    add_what_if_arguments(p)
    p.add_argument("--fail-on-not-evaluated", action="store_true",
                   help="exit 1 also for not_evaluated findings at or above --fail-on (data a rule needs was absent), "
                        "so a scheduled scan of an incomplete snapshot does not pass")
    p.add_argument("--history", metavar="DB", help="append this scan to a SQLite history file (see `argus history DB`)")


def add_config_argument(p) -> None:
    p.add_argument("--config", "--policies", dest="policies", metavar="FILE",
                   help="policies file (env ARGUS_CONFIG; default: policies.yaml in this directory or a parent up to "
                        "the repository root, else the bundled one)")


def add_snapshot_arguments(p) -> None:
    p.add_argument("--snapshot", action="append", metavar="FILE",
                   help="snapshot file or directory (repeatable; env ARGUS_SNAPSHOT)")
    p.add_argument("--example", action="store_true", help="scan the example estate bundled with argus")


def default_policies_file() -> str:
    """The project's policies.yaml (see resources.find_config), else the one bundled with argus."""
    return resources.find_config() or resources.display(resources.policies_file())


def snapshot_paths(args) -> list[str]:
    """What to scan: --example, or the --snapshot/ARGUS_SNAPSHOT/settings paths; nothing is a usage error, so a
    forgotten input never scans the demo and reports on it."""
    if getattr(args, "example", False):
        if args.snapshot and args.setting_sources.get("snapshot") == "flag":
            raise UserError("--example scans the bundled example estate; drop --snapshot (or --example)")
        return [resources.display(p) for p in resources.example_snapshot()]
    if not args.snapshot:
        raise UserError(NO_INPUT)
    return args.snapshot


def _outputs(args) -> list[tuple[str, str | None]]:
    return outputspec.pairs(args)  # each --output belongs to the --format right before it


def load_inputs(args, only=None, check=None, project=False, digest=True, positions=True):
    """Policy, session and snapshot for scan-like commands; raises UserError/DiagnosticError on bad input.
    `only`: rule ids to keep (see session.prepare); explain passes the one rule it explains. `check()` runs
    once the settings are known and before rules are compiled or a snapshot is read or collected.
    `project`: rows keep only what the selected rules can read (argus.reads); `digest`: hash the files;
    `positions`: count lines for SARIF locations while loading."""
    settings.resolve_early(args)
    policy_file = args.policies or default_policies_file()
    try:
        policy = load_policy(policy_file, args.policy) if policy_file else None
    except UserError as exc:  # a bad ARGUS_POLICIES/ARGUS_POLICY names the variable, as other settings do
        raise settings.blame(args, exc, ("policy", "policies")) from None
    if args.policy and not policy_file:
        raise UserError(f"{settings.describe(args, 'policy')} given but no policies.yaml found; pass --policies FILE")
    settings.resolve(args, policy.settings if policy else None, os.path.basename(policy_file or "policies.yaml"),
                     file_dir=os.path.dirname(policy_file) if policy_file else None)
    now = clock.resolve(args)  # a bad --now or ARGUS_NOW stops here, before any rule or snapshot is read
    if check is not None:
        check()
    args.file_waivers = waivers.from_policy(policy)  # the file's top-level waivers, whichever rules run
    if (args.rules and args.setting_sources.get("rules") == "flag" and not args.policy and policy is not None
            and policy.name == _default_name(policy)):
        # explicit --rules flag without --policy: the user's own rules, not the default policy's selection
        # (rules from ARGUS_RULES or settings.rules run under the policy, with its include list and parameters)
        policy = None
    paths = None if getattr(args, "live", False) else snapshot_paths(args)  # no input: fail before compiling
    rule_paths = args.rules or (policy.rules if policy else [resources.display(resources.rules_dir())])
    session = prepare(rule_paths, policy, parse_param_flags(args.param), only=only,
                      param_origins=getattr(args, "param_origins", None), narrow=selection.narrower(args))
    session.now = now
    reads = None
    if project:
        from .reads import for_scan
        reads = for_scan(args, session)
    if getattr(args, "live", False):
        return policy, session, _collect_live(args, session, reads)
    return policy, session, snapshot.load(paths, reads, digest, positions)


def snapshot_diagnostics(snap) -> list[Diagnostic]:
    out = []
    if not any(snap.tables.values()):
        # an export of the wrong scope (or a query that matched nothing) must not look like a clean estate
        out.append(Diagnostic("W510", None, "snapshot: no rows in any table; every rule is skipped or not evaluated, "
                                            "so nothing was checked (is the export's subscription or query right?)"))
    if not snap.duplicates:
        return out
    table, rid, source = snap.duplicates[0]
    n = len(snap.duplicates)
    return out + [Diagnostic("W507", None, f"snapshot: {n} row{'s' * (n != 1)} {'repeat' if n != 1 else 'repeats'} an id already loaded (first: {rid} "
                                     f"in {source}, table {table}); each resource is evaluated once, from the first file that has it")]


def _default_name(policy) -> str | None:
    data = policy.located.data if policy.located is not None else {}
    return data.get("default_policy") or (next(iter(data.get("policies", {})), None) if len(data.get("policies", {})) == 1 else None)


def _collect_live(args, session, reads=None):
    """Collect what the selected rules read (argus.coverage.types_read: pushdown), then load it."""
    from .collect import collect_snapshot
    from .collectcmd import source
    from .coverage import types_read
    if args.snapshot or args.example:
        raise UserError(f"--live collects its own snapshot; drop {'--example' if args.example else '--snapshot'} "
                        "(or scan the file without --live)")
    if not (args.subscription or args.management_group):
        raise UserError("--live needs --subscription ID or --management-group ID")
    types = types_read(session.plan, session.rules)
    if args.save_snapshot:
        collect_snapshot(source(args), args.save_snapshot, types)
        return snapshot.load([args.save_snapshot], reads)
    with tempfile.TemporaryDirectory(prefix="argus-live-") as tmp:
        path = os.path.join(tmp, "snapshot.json")
        collect_snapshot(source(args), path, types)
        return snapshot.load([path], reads)


def exit_code(doc: dict, fail_on: str, new_only: bool = False, not_evaluated: bool = False) -> int:
    if any(f["status"] == "error" for f in doc["findings"]):
        return exitcodes.USAGE  # a rule that errored: its findings are not to be trusted
    if fail_on == "never":
        return exitcodes.OK
    floor = SEVERITY_RANK[fail_on]
    failing = ("fail", "not_evaluated") if not_evaluated else ("fail",)
    for f in doc["findings"]:
        if (f["status"] in failing and SEVERITY_RANK[f["severity"]] >= floor and not waivers.is_waived(f)
                and (not new_only or baseline.is_new(f, fail_on))):
            return exitcodes.FINDINGS
    return exitcodes.OK


def run(args) -> int:
    # the collector stays off for the whole scan: its passes would walk the snapshot's millions of containers
    # (after loading and again while the report is built), and a scan makes no cycles worth collecting
    with gcpause.paused():
        return _run(args)


def _run(args) -> int:
    pairs = _outputs(args)
    if getattr(args, "live", False) and not args.save_snapshot and any(fmt == "sarif" for fmt, _ in pairs):
        raise UserError("--live with --format sarif needs --save-snapshot FILE: SARIF results point at rows of "
                        "the snapshot file, so it has to outlive the scan")
    started, t0 = report.now_iso(), time.perf_counter()
    policy, session, snap = load_inputs(args, check=lambda: _check_destinations(args, pairs), project=True,
                                        digest=_shows_digest(args, pairs),
                                        positions=any(fmt in ("sarif", "github", "azuredevops") for fmt, _ in pairs))
    gcpause.keep(snap)  # freed with the process (argus.gcpause.leave), not row by row
    _check_fail_on_new(args)
    file_waivers = list(getattr(args, "file_waivers", []))  # bad waivers or baseline fail before the scan runs
    listed = file_waivers + (waivers.load_file(args.waivers) if args.waivers else [])
    previous = baseline.load(args.baseline) if args.baseline else None
    overlay = whatif_scan.prepare(args, snap)  # a what-if that cannot be scanned stops here, before any output
    scanned = snap if overlay is None else overlay.after  # with --what-if: the estate after the deployment
    diagnostics = session.diagnostics + snapshot_diagnostics(snap)
    if not any(fmt == "text" and out is None for fmt, out in pairs):  # text output lists them itself
        for d in diagnostics:
            print(d.render(session.sources), file=sys.stderr)
    findings = session.evaluate(scanned)
    doc = report.build(
        findings=findings, rules=[session.infos[r.node.id] for r in session.rules], rule_files=session.rule_files,
        snapshot=scanned, parameters=session.params, diagnostics=diagnostics,
        policy=policy.name if policy else None, started_at=started, finished_at=report.now_iso(),
        duration_ms=(time.perf_counter() - t0) * 1000)
    doc["run"]["settings"] = dict(getattr(args, "setting_sources", {}))
    doc["run"]["now"] = clock.iso(session.now)  # what now() read: `--now` with it reproduces this run
    doc["run"]["selection"] = selection.header(args, session)
    # ---- post-processing (waivers, baselines), then every output, then history ----
    if listed:
        known = {r.id for r in session.plan.program.rules}
        if policy is None:  # --rules without a policy: the file's waivers may be for rules not run now
            known |= {w.rule for w in file_waivers}
        waivers.apply(doc, listed, today=(session.now or datetime.now(timezone.utc)).date(), known_rule_ids=known)
    if previous is not None:
        baseline.apply(doc, previous)
    if overlay is not None:  # the same rules on the estate before the deployment are the baseline
        whatif_scan.compare(doc, session.evaluate(snap), overlay, started)
    _write_outputs(args, pairs, doc)
    _say_errored(pairs, doc)
    from .cicommands import append_job_summary  # rich (through textout) only once a scan has a report
    append_job_summary(pairs, doc)
    if args.history:  # only a scan whose outputs all exist is recorded: a retried run must not count twice
        _append_history(args.history, pairs, doc)
    _say_summary(pairs, doc)
    return exit_code(doc, args.fail_on, new_only=args.fail_on_new, not_evaluated=args.fail_on_not_evaluated)


def _shows_digest(args, pairs) -> bool:
    """Whether an output of this run holds the snapshot files' sha256 (the JSON report, SARIF artifacts, the
    history's run header); the other formats do not, so hashing the files is skipped for them."""
    return bool(args.history) or any(fmt in ("json", "sarif") for fmt, _ in pairs)


def _check_fail_on_new(args) -> None:
    """--fail-on-new needs a baseline; from the environment or the policies file it may precede the first one."""
    if not args.fail_on_new or args.baseline or getattr(args, "what_if", None):
        return
    if args.setting_sources.get("fail_on_new") == "flag":
        raise UserError("--fail-on-new needs --baseline PREVIOUS (an earlier JSON or SARIF output)")
    print(f"argus: note: {settings.describe(args, 'fail_on_new')} asks to fail only on new findings, but there is "
          "no baseline to compare with (a first run?): every failing finding at or above --fail-on counts",
          file=sys.stderr)
    args.fail_on_new = False


def _check_destinations(args, pairs) -> None:
    label = settings.describe(args, "history")
    if args.history and "=" not in label:  # ARGUS_HISTORY=path names the path already
        label = f"{label} {args.history}"
    outputspec.check_destinations(pairs, args.history, label)


def _write_outputs(args, pairs, doc) -> None:
    """Render every format first, so a format that cannot be rendered leaves no output at all; then every
    file or none (atomic_write_all); stdout last, so a report on the terminal means the files are there."""
    rendered = []
    for fmt, out in pairs:
        rendered.append((out, formats.render(fmt, doc, **_format_options(args, fmt, out))))
    atomic_write_all([(out, text) for out, text in rendered if out is not None])
    for out, text in rendered:
        if out is None:
            sys.stdout.write(text)


def _format_options(args, fmt: str, out: str | None) -> dict:
    if fmt == "text":  # drawn for the terminal on stdout; a file gets plain text at the default width
        from .textout import terminal
        looks = terminal(sys.stdout) if out is None else {"color": None}
        return {**looks, "verbose": args.verbose}
    if fmt == "sarif":
        from .sarif import find_repo_root
        return {"include_passed": args.include_passed, "repo_root": find_repo_root()}
    return {}


def _say_summary(pairs, doc) -> None:
    """With every format in a file, the terminal still gets the one line a person looks for."""
    if any(out is None for _, out in pairs):
        return
    from .textout import summary_line
    print(f"argus scan: {summary_line(doc)} (written to {', '.join(out for _, out in pairs)})", file=sys.stderr)


def _say_errored(pairs, doc) -> None:
    """Exit 2 for a rule error must not be silent when every report went to a file and nothing to the
    terminal (a report on stdout shows the errors itself)."""
    if any(out is None for _, out in pairs):
        return
    rules = list(dict.fromkeys(f["rule_id"] for f in doc["findings"] if f["status"] == "error"))
    if not rules:
        return
    shown = ", ".join(rules[:5]) + (f" and {len(rules) - 5} more" if len(rules) > 5 else "")
    print(f"argus scan: {len(rules)} rule{'s' * (len(rules) != 1)} errored ({shown}): see the "
          f"report{'s' * (len(pairs) != 1)} in {', '.join(out for _, out in pairs)}", file=sys.stderr)


def _append_history(db_path: str, pairs, doc) -> None:
    """The outputs are in place by now and stay: they are this scan's complete reports, and the files they
    replaced are gone. The scan is not recorded, so a retry records it once."""
    try:
        history.append(db_path, doc)
    except UserError as exc:
        files = [out for _, out in pairs if out is not None]
        written = f"the outputs were written ({', '.join(files)}), but " if files else ""
        raise UserError(f"{exc}; {written}this scan is not in the history") from None
