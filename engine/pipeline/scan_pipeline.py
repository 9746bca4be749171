"""The scan pipeline: a ScanRequest in, the report document out. The library half of `argus scan`; the command
(argus.commands.scan) turns its flags into the request, then writes the outputs and picks the exit code.

In: `load_settings(flags, params)`: the settings flags a command was given (a plain dict, see argus.policy.settings),
from which it finds and reads the policies file and resolves every setting against it. `load(ScanInputs)`, which
scan and explain share: the policy, rule paths, parameters, the snapshot files to read or the Azure scope to
collect (`LiveScope`), and the instant now() reads; it prepares the Session (argus.evaluation.session) and loads or collects
the snapshot. `run(ScanRequest)`: those inputs with the rule selection, waivers, baseline, history, --fail-on
flags, output pairs and what-if files. Out: `ScanResult`, the report document annotated with waivers, baseline
and what-if comparison, with the --fail-on-new and history that apply to this run. Bad input raises UserError or
DiagnosticError before the rules run and before any output is written.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from argus.state import baseline
from argus.evaluation import clock
from argus import gcpause
from argus.reports import report
from argus import resources
from argus.policy import selection
from argus.policy import settings
from argus.snapshots import snapshot
from argus.policy import waivers
from argus.deployment import whatif_scan
from argus.diagnostics import Diagnostic
from argus.errors import UserError
from argus.pipeline.outputspec import check_destinations
from argus.policy.policies import Policy, load_policy
from argus.evaluation.session import Session, parse_param_flags, prepare

if TYPE_CHECKING:  # the collector is imported only by a scan that collects
    from argus.collection.collect import Source

NO_INPUT = ("no snapshot to scan: pass --snapshot FILE (or set ARGUS_SNAPSHOT, or settings.snapshot in "
            "policies.yaml), --live to collect one from Azure Resource Graph, or --example for the bundled "
            "example estate")


@dataclass(frozen=True)
class LiveScope:
    """`scan --live`: collect the snapshot from Azure Resource Graph first (kept in `save_snapshot` if given)."""
    source: Source
    save_snapshot: str | None = None


@dataclass(frozen=True)
class ScanInputs:
    """What scan and explain read: rules under a policy with parameters, and one snapshot, at one instant."""
    policy: Policy | None
    policy_name: str | None            # the policy setting (None: the file's default policy)
    rules: tuple[str, ...]             # the rules setting (empty: the policy's rule paths)
    rules_from_flag: bool
    params: tuple[str, ...]            # NAME=VALUE: ARGUS_PARAM_* variables, then --param flags
    param_origins: Mapping[str, str]   # parameter name -> the ARGUS_PARAM_* variable it came from
    snapshots: tuple[str, ...]         # the snapshot setting
    snapshots_from_flag: bool
    example: bool                      # --example: the bundled example estate
    live: LiveScope | None
    now: datetime                      # the instant now() and days_since() read (argus.evaluation.clock)
    now_origin: str | None = None      # where a fixed instant came from ("flag", ARGUS_NOW); None: the system clock


@dataclass(frozen=True)
class ScanRequest:
    inputs: ScanInputs
    settings: settings.Resolved             # where each setting came from: run.settings, and messages naming them
    outputs: tuple[tuple[str, str | None], ...]  # (format, file or None for stdout), in command-line order
    selection: selection.Selection
    fail_on: str
    fail_on_new: bool
    fail_on_not_evaluated: bool
    include_passed: bool
    waivers: str | None
    baseline: str | None
    history: str | None
    what_if: tuple[str, ...] = ()
    what_if_potential: bool = False
    verbose: bool = False


@dataclass(frozen=True)
class Loaded:
    policy: Policy | None       # None: the rules run on their own (an explicit --rules without --policy)
    session: Session
    snapshot: snapshot.Snapshot
    file_waivers: tuple         # the policies file's top-level waivers, whichever rules run


@dataclass(frozen=True)
class ScanResult:
    doc: dict                   # the report document, annotated
    fail_on_new: bool           # --fail-on-new as it applies: off with no baseline to compare with
    history: str | None         # the history to append the scan to; None: none (a what-if scan is not recorded)
    # the loaded snapshot, alive while the outputs are rendered: SARIF finds its rows from the load's anchors
    # (argus.snapshots.rowpos) only while the snapshot they came from exists, else it reads the file again
    snapshot: snapshot.Snapshot


def default_policies_file() -> str:
    """The project's policies.yaml (see resources.find_config), else the one bundled with argus."""
    return resources.find_config() or resources.display(resources.policies_file())


def load_settings(flags: Mapping[str, object], params=(), environ=None) -> tuple[Policy | None, settings.Resolved]:
    """The policy the settings name, read from its file, and every setting in ``flags`` resolved against that
    file (argus.policy.settings); ``params``: the --param flags."""
    early = settings.resolve_early(flags, environ)
    policy_file = early.get("policies") or default_policies_file()
    try:
        policy = load_policy(policy_file, early.get("policy")) if policy_file else None
    except UserError as exc:  # a bad ARGUS_POLICIES/ARGUS_POLICY names the variable, as other settings do
        raise settings.blame(early, exc, ("policy", "policies")) from None
    if early.get("policy") and not policy_file:
        raise UserError(f"{settings.describe(early, 'policy')} given but no policies.yaml found; pass --policies FILE")
    resolved = settings.resolve(flags, policy.settings if policy else None,
                                os.path.basename(policy_file or "policies.yaml"), environ,
                                file_dir=os.path.dirname(policy_file) if policy_file else None, params=params)
    return policy, resolved


def load(inputs: ScanInputs, only=None, narrow=None, project=False, digest=True, positions=True) -> Loaded:
    """Policy, session and snapshot; raises UserError/DiagnosticError on bad input. `only`: rule ids to keep
    (see session.prepare); explain passes the one rule it explains. `narrow`: scan's rule selection
    (argus.policy.selection.narrower). `project`: rows keep only what the selected rules can read (argus.language.reads);
    `digest`: hash the files; `positions`: count lines for SARIF locations while loading."""
    file_waivers = tuple(waivers.from_policy(inputs.policy))
    policy = inputs.policy
    if inputs.rules and inputs.rules_from_flag and not inputs.policy_name and policy is not None:
        # explicit --rules flag without --policy: the user's own rules, not the default policy's selection
        # (rules from ARGUS_RULES or settings.rules run under the policy, with its include list and parameters)
        policy = None
    paths = None if inputs.live else snapshot_paths(inputs)  # no input: fail before compiling
    rule_paths = list(inputs.rules) or (policy.rules if policy else [resources.display(resources.rules_dir())])
    session = prepare(rule_paths, policy, parse_param_flags(inputs.params), only=only,
                      param_origins=inputs.param_origins, narrow=narrow, now=inputs.now)
    reads = None
    if project:
        from argus.language.reads import for_scan
        reads = for_scan(session)
    if inputs.live is not None:
        return Loaded(policy, session, _collect_live(inputs, session, reads, digest, positions), file_waivers)
    return Loaded(policy, session, snapshot.load(paths, reads, digest, positions), file_waivers)


def snapshot_paths(inputs: ScanInputs) -> list[str]:
    """What to scan: --example, or the --snapshot/ARGUS_SNAPSHOT/settings paths; nothing is a usage error, so a
    forgotten input never scans the demo and reports on it."""
    if inputs.example:
        if inputs.snapshots and inputs.snapshots_from_flag:
            raise UserError("--example scans the bundled example estate; drop --snapshot (or --example)")
        return [resources.display(p) for p in resources.example_snapshot()]
    if not inputs.snapshots:
        raise UserError(NO_INPUT)
    return list(inputs.snapshots)


def _collect_live(inputs: ScanInputs, session, reads=None, digest: bool = True, positions: bool = True):
    """Collect what the selected rules read (argus.planning.pushdown.types_read), then load it."""
    from argus.collection.collect import collect_snapshot
    from argus.planning.pushdown import types_read
    if inputs.snapshots or inputs.example:
        raise UserError(f"--live collects its own snapshot; drop {'--example' if inputs.example else '--snapshot'} "
                        "(or scan the file without --live)")
    source, save = inputs.live.source, inputs.live.save_snapshot
    if not (source.subscriptions or source.management_groups):
        raise UserError("--live needs --subscription ID or --management-group ID")
    types = types_read(session.plan, session.rules)
    if save:
        collect_snapshot(source, save, types)
        return snapshot.load([save], reads, digest, positions)
    with tempfile.TemporaryDirectory(prefix="argus-live-") as tmp:
        path = os.path.join(tmp, "snapshot.json")
        collect_snapshot(source, path, types)
        return snapshot.load([path], reads, digest, positions)


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


def run(request: ScanRequest) -> ScanResult:
    """The scan: every destination checked, rules and snapshot loaded, findings evaluated into the report
    document, then waivers, baseline and what-if applied to it. Nothing is written here."""
    started, t0 = report.now_iso(), time.perf_counter()
    _check_destinations(request)
    formats = [fmt for fmt, _ in request.outputs]
    # the files' sha256 only for an output that shows it (the JSON report, SARIF artifacts, the history's run
    # header); lines counted only for the formats that locate rows
    digest = bool(request.history) or any(fmt in ("json", "sarif") for fmt in formats)
    positions = any(fmt in ("sarif", "github", "azuredevops") for fmt in formats)
    # with --what-if rows stay whole: the overlay reads every row's subscription and tenant, and edits parents'
    # child lists
    loaded = load(request.inputs, narrow=selection.narrower(request.selection, request.fail_on),
                  project=not request.what_if, digest=digest, positions=positions)
    policy, session, snap = loaded.policy, loaded.session, loaded.snapshot
    gcpause.keep(snap)  # freed with the process (argus.gcpause.leave), not row by row
    fail_on_new = _fail_on_new(request)
    # bad waivers or baseline fail before the scan runs
    listed = list(loaded.file_waivers) + (waivers.load_file(request.waivers) if request.waivers else [])
    previous = baseline.load(request.baseline) if request.baseline else None
    overlay, history = whatif_scan.prepare(request.what_if, request.what_if_potential, snap,  # stops a bad what-if
                                           baseline_file=request.baseline, history=request.history,
                                           resolved=request.settings)
    scanned = snap if overlay is None else overlay.after  # with --what-if: the estate after the deployment
    diagnostics = session.diagnostics + snapshot_diagnostics(snap)
    if not any(fmt == "text" and out is None for fmt, out in request.outputs):  # text output lists them itself
        for d in diagnostics:
            print(d.render(session.sources), file=sys.stderr)
    doc = report.build(
        findings=session.evaluate(scanned), rules=[session.infos[r.node.id] for r in session.rules],
        rule_files=session.rule_files, snapshot=scanned, parameters=session.params, diagnostics=diagnostics,
        policy=policy.name if policy else None, started_at=started, finished_at=report.now_iso(),
        duration_ms=(time.perf_counter() - t0) * 1000)
    _annotate(request, doc, session, policy, listed, loaded.file_waivers, previous)
    if overlay is not None:  # the same rules on the estate before the deployment are the baseline
        whatif_scan.compare(doc, session.evaluate(snap), overlay, started)
    return ScanResult(doc, fail_on_new, history, snap)


def _annotate(request: ScanRequest, doc: dict, session, policy, listed: list, file_waivers, previous) -> None:
    """The run header's settings, clock and selection; waivers and the baseline marked on the findings."""
    sources = dict(request.settings.sources)
    if request.inputs.now_origin is not None:
        sources["now"] = request.inputs.now_origin
    doc["run"]["settings"] = sources
    doc["run"]["now"] = clock.iso(session.now)  # what now() read: `--now` with it reproduces this run
    doc["run"]["selection"] = selection.header(request.selection, session)
    if listed:
        known = {r.id for r in session.plan.program.rules}
        if policy is None:  # --rules without a policy: the file's waivers may be for rules not run now
            known |= {w.rule for w in file_waivers}
        waivers.apply(doc, listed, today=(session.now or datetime.now(timezone.utc)).date(), known_rule_ids=known)
    if previous is not None:
        baseline.apply(doc, previous)


def _fail_on_new(request: ScanRequest) -> bool:
    """--fail-on-new needs a baseline; from the environment or the policies file it may precede the first one."""
    if not request.fail_on_new or request.baseline or request.what_if:
        return request.fail_on_new
    if request.settings.sources.get("fail_on_new") == "flag":
        raise UserError("--fail-on-new needs --baseline PREVIOUS (an earlier JSON or SARIF output)")
    print(f"argus: note: {settings.describe(request.settings, 'fail_on_new')} asks to fail only on new findings, "
          "but there is no baseline to compare with (a first run?): every failing finding at or above --fail-on "
          "counts", file=sys.stderr)
    return False


def _check_destinations(request: ScanRequest) -> None:
    label = settings.describe(request.settings, "history")
    if request.history and "=" not in label:  # ARGUS_HISTORY=path names the path already
        label = f"{label} {request.history}"
    check_destinations(list(request.outputs), request.history, label)
