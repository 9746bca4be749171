"""`argus scan`: rules x snapshot -> findings in the chosen formats, and an exit code.

In: flags (rules, policy, parameters, snapshots, formats/outputs, --fail-on, --now: argus.evaluation.clock), turned into a
ScanRequest (`request`), which argus.pipeline.scan_pipeline runs into the report document. Out: rendered reports on stdout
or in files and the exit code: 0 nothing failed at or above --fail-on, 1 failing findings, 2 usage/rule/policy/
input error or a rule that errored during evaluation. Outputs are all or nothing: every destination is checked
before the scan runs, every file is renamed into place only once all are written, and the history is appended
last (docs/outputs.md, "All or nothing"). The flags scan shares with other commands are argus.commands.flags'.
"""

from __future__ import annotations

import argparse
import sys

from argus import exitcodes
from argus.reports import formats
from argus import gcpause
from argus.pipeline import outputspec
from argus.reports import report
from argus.pipeline import scan_pipeline
from argus.policy import waivers
from argus.errors import UserError, atomic_write_all
from argus.model import SEVERITIES, SEVERITY_RANK
from argus.commands.flags import add_config_argument, add_now_argument, add_snapshot_arguments, add_source_arguments, inputs, source
from argus.pipeline.scan_pipeline import LiveScope, ScanRequest
from argus.policy.selection import Selection

ORDER = "format_output_order"  # the Namespace attribute holding [("format" | "output", value), ...]


class InOrder(argparse.Action):
    """Append to the option's list (as action="append" does), and note the option's destination and value
    in the order shared by --format and --output (argus.pipeline.outputspec pairs them)."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or []), values])
        setattr(namespace, ORDER, [*(getattr(namespace, ORDER, None) or []), (self.dest, values)])


def add_arguments(p) -> None:
    p.add_argument("--rules", action="append", metavar="PATH", help="rule file or directory (repeatable); default: the policy's rules")
    add_config_argument(p)
    p.add_argument("--policy", metavar="NAME", help="policy set to run (default: the file's default_policy)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="parameter value (repeatable)")
    add_snapshot_arguments(p)
    add_now_argument(p)
    p.add_argument("-f", "--format", action=InOrder, choices=sorted(formats.FORMATS), help="output format (repeatable; default text); without an --output right after it, it goes to stdout")
    p.add_argument("-o", "--output", action=InOrder, metavar="FILE", help="output file for the --format just before it (- for stdout)")
    _add_selection_arguments(p)
    p.add_argument("--fail-on", choices=SEVERITIES + ("never",), help="lowest severity of a failing finding that makes the exit code 1 (default: info, i.e. any); env ARGUS_FAIL_ON")
    p.add_argument("--include-passed", action="store_true", help="include passing and skipped results in SARIF")
    live = p.add_argument_group("live collection (--live)")
    live.add_argument("--live", action="store_true", help="collect a snapshot from Azure Resource Graph first, then scan it")
    live.add_argument("--save-snapshot", metavar="FILE", help="with --live: keep the collected snapshot in FILE")
    add_source_arguments(p, verbose_help="text report: every rule and finding, passing ones too, with full resource "
                                         "ids; with --live also every query, retry and throttling wait on stderr")
    p.add_argument("--waivers", metavar="FILE", help="waivers file (YAML/JSON), added to the policies file's waivers")
    p.add_argument("--baseline", metavar="PREVIOUS", help="earlier JSON or SARIF output: mark findings new/unchanged/updated, list absent ones")
    p.add_argument("--fail-on-new", action="store_true", help="with --baseline: exit 1 only for failing findings the baseline did not have (with --what-if: only for failures the deployment introduces)")
    _add_what_if_arguments(p)
    p.add_argument("--fail-on-not-evaluated", action="store_true",
                   help="exit 1 also for not_evaluated findings at or above --fail-on (data a rule needs was absent), "
                        "so a scheduled scan of an incomplete snapshot does not pass")
    p.add_argument("--history", metavar="DB", help="append this scan to a SQLite history file (see `argus history DB`)")


def _add_selection_arguments(p) -> None:
    group = p.add_argument_group("selection (default: every rule of the policy)")
    group.add_argument("--rule", action="extend", nargs="+", type=_ids, metavar="ID",
                       help="run only these rules: ids or globs (AMX-PP-*), any case; repeatable")
    group.add_argument("--skip-rule", action="extend", nargs="+", type=_ids, metavar="ID",
                       help="do not run these rules: ids or globs, any case; repeatable")
    group.add_argument("--severity", action="extend", nargs="+", type=_severities, metavar="LEVEL",
                       help=f"run only rules of these severities ({', '.join(SEVERITIES)}; after the policy's "
                            "severity overrides); repeatable. --fail-on still decides which failures fail the run")


def _ids(value: str) -> list[str]:
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"expected a rule id or glob, got {value!r}")
    return ids


def _severities(value: str) -> list[str]:
    levels = [v.strip().casefold() for v in value.split(",") if v.strip()]
    for level in levels or [value]:
        if level not in SEVERITIES:
            raise argparse.ArgumentTypeError(f"unknown severity {level!r}: expected one of {', '.join(SEVERITIES)}")
    return levels


def _add_what_if_arguments(p) -> None:
    p.add_argument("--what-if", action="append", metavar="FILE",
                   help="a deployment's what-if result (az deployment group what-if --no-pretty-print; repeatable): "
                        "scan the estate as the deployment would leave it, compared with the estate now "
                        "(findings it introduces are new, those it resolves absent)")
    p.add_argument("--what-if-potential", action="store_true",
                   help="with --what-if: apply the potential changes too (by default they are only reported)")


def output_pairs(args) -> list[tuple[str, str | None]]:
    """(format, file or None for stdout): each --output belongs to the --format right before it."""
    return outputspec.pairs(getattr(args, ORDER, None))


def request(args) -> ScanRequest:
    """The scan the flags ask for; usage errors (outputs, --live with SARIF, settings, the policy) raised here."""
    pairs = tuple(output_pairs(args))
    if args.live and not args.save_snapshot and any(fmt == "sarif" for fmt, _ in pairs):
        raise UserError("--live with --format sarif needs --save-snapshot FILE: SARIF results point at rows of "
                        "the snapshot file, so it has to outlive the scan")
    live = None
    if args.live:
        live = LiveScope(source(args), args.save_snapshot)
    given, resolved = inputs(args, live)
    # each flag holds one list per use (`--rule A,B --rule C`): flattened, first mention kept
    chosen = Selection(*(tuple(dict.fromkeys(v for group in getattr(args, dest) or [] for v in group))
                         for dest in ("rule", "skip_rule", "severity")))
    return ScanRequest(given, resolved, pairs, chosen, resolved["fail_on"], resolved["fail_on_new"],
                       resolved["fail_on_not_evaluated"], resolved["include_passed"], resolved["waivers"],
                       resolved["baseline"], resolved["history"], tuple(args.what_if or ()),
                       bool(args.what_if_potential), bool(args.verbose))


def exit_code(doc: dict, fail_on: str, new_only: bool = False, not_evaluated: bool = False) -> int:
    if any(f["status"] == "error" for f in doc["findings"]):
        return exitcodes.USAGE  # a rule that errored: its findings are not to be trusted
    if fail_on == "never":
        return exitcodes.OK
    floor = SEVERITY_RANK[fail_on]
    failing = ("fail", "not_evaluated") if not_evaluated else ("fail",)
    for f in doc["findings"]:
        if (f["status"] in failing and SEVERITY_RANK[f["severity"]] >= floor and not waivers.is_waived(f)
                and (not new_only or report.is_new(f, fail_on))):
            return exitcodes.FINDINGS
    return exitcodes.OK


def run(args) -> int:
    # the collector stays off for the whole scan: its passes would walk the snapshot's millions of containers
    # (after loading and again while the report is built), and a scan makes no cycles worth collecting
    with gcpause.paused():
        return _run(request(args))


def _run(req: ScanRequest) -> int:
    result = scan_pipeline.run(req)
    pairs, doc = list(req.outputs), result.doc
    _write_outputs(req, pairs, doc)
    _say_errored(pairs, doc)
    from argus.reports.cicommands import append_job_summary
    append_job_summary(pairs, doc)
    if result.history:  # only a scan whose outputs all exist is recorded: a retried run must not count twice
        _append_history(result.history, pairs, doc)
    _say_summary(pairs, doc)
    return exit_code(doc, req.fail_on, new_only=result.fail_on_new, not_evaluated=req.fail_on_not_evaluated)


def _write_outputs(req: ScanRequest, pairs, doc) -> None:
    """Render every format first, so a format that cannot be rendered leaves no output at all; then every
    file or none (atomic_write_all); stdout last, so a report on the terminal means the files are there."""
    rendered = []
    for fmt, out in pairs:
        rendered.append((out, formats.render(fmt, doc, **_format_options(req, fmt, out))))
    atomic_write_all([(out, text) for out, text in rendered if out is not None])
    for out, text in rendered:
        if out is None:
            sys.stdout.write(text)


def _format_options(req: ScanRequest, fmt: str, out: str | None) -> dict:
    if fmt == "text":  # drawn for the terminal on stdout; a file gets plain text at the default width
        from argus.reports.textout import terminal
        looks = terminal(sys.stdout) if out is None else {"color": None}
        return {**looks, "verbose": req.verbose}
    if fmt == "sarif":
        from argus.reports.locate import find_repo_root
        return {"include_passed": req.include_passed, "repo_root": find_repo_root()}
    return {}


def _say_summary(pairs, doc) -> None:
    """With every format in a file, the terminal still gets the one line a person looks for."""
    if any(out is None for _, out in pairs):
        return
    from argus.reports.present import summary_line
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
    from argus.state import history  # only a scan with --history pays for sqlite3 and the history module
    try:
        history.append(db_path, doc)
    except UserError as exc:
        files = [out for _, out in pairs if out is not None]
        written = f"the outputs were written ({', '.join(files)}), but " if files else ""
        raise UserError(f"{exc}; {written}this scan is not in the history") from None
