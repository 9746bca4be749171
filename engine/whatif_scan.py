"""`argus scan --what-if FILE`: the estate as a deployment would leave it, compared with the estate now.

In: the scan's arguments, its snapshot and, once the rules ran on both, the findings before the deployment and
the report document after it. Out: `prepare` reads every what-if file (a refused one stops the scan before any
rule runs or any output is written) and builds the overlay (argus.whatif); `compare` annotates the document
with the baseline machinery of argus.baseline, the scan before being the baseline: findings the deployment
introduces are `new` (or `updated`, a warning that becomes a failure), those it resolves are `absent`, the rest
`unchanged`; it adds `run.what_if` (the files, what was applied, what could not be predicted or applied, the
subscriptions the snapshot did not cover, and the counts of argus.whatif_report.classify).
"""

from __future__ import annotations

import sys

from . import baseline, settings, whatif, whatif_load, whatif_report
from .errors import UserError

BEFORE = "the snapshot before the deployment"


def add_arguments(p) -> None:
    p.add_argument("--what-if", action="append", metavar="FILE",
                   help="a deployment's what-if result (az deployment group what-if --no-pretty-print; repeatable): "
                        "scan the estate as the deployment would leave it, compared with the estate now "
                        "(findings it introduces are new, those it resolves absent)")
    p.add_argument("--what-if-potential", action="store_true",
                   help="with --what-if: apply the potential changes too (by default they are only reported)")


def prepare(args, snap):
    """The overlay for --what-if (None without it); UserError for a what-if that cannot be scanned."""
    paths = getattr(args, "what_if", None)
    if not paths:
        if getattr(args, "what_if_potential", False):
            raise UserError("--what-if-potential needs --what-if FILE")
        return None
    if args.baseline:
        raise UserError(f"--what-if compares the estate after the deployment with the estate now; drop "
                        f"{settings.describe(args, 'baseline')} (the two comparisons cannot both be made)")
    _no_history(args)
    files = [whatif_load.load(path) for path in paths]
    return whatif.build(snap, files, apply_potential=args.what_if_potential)


def _no_history(args) -> None:
    """A what-if scan is a prediction, not the estate: recording it would put a state Azure never had into the
    trend. Refused when asked for on the command line; a history set for every scan (environment, policies
    file) is skipped with a note, so a pull-request check can share the settings of the scheduled scan."""
    if not args.history:
        return
    if args.setting_sources.get("history") == "flag":
        raise UserError("--history records scans of the estate; a --what-if scan is a prediction: drop --history")
    print(f"argus: note: {settings.describe(args, 'history')} is not appended to: a --what-if scan is a prediction, "
          "not the estate", file=sys.stderr)
    args.history = None


def compare(doc: dict, before: list, overlay, started_at: str) -> None:
    """Annotate `doc` (the scan after the deployment) against `before` (Findings of the scan before it)."""
    baseline.apply(doc, baseline.from_findings([f.to_dict() for f in before], BEFORE, started_at))
    doc["run"]["what_if"] = {
        "files": [_file(w) for w in overlay.files],
        "potential_applied": overlay.potential_applied,
        "applied": dict(sorted(overlay.applied.items())),
        "unpredicted": overlay.unpredicted,
        "not_applied": overlay.not_applied,
        "uncovered_scopes": overlay.uncovered,
    }
    doc["run"]["what_if"]["summary"] = whatif_report.counts(doc)


def _file(w) -> dict:
    kinds: dict[str, int] = {}
    for change in w.changes:
        kinds[change.change_type] = kinds.get(change.change_type, 0) + 1
    return {"path": w.path, "sha256": w.sha256, "form": w.form, "status": w.status,
            "changes": dict(sorted(kinds.items())), "potential_changes": len(w.potential),
            "diagnostics": w.diagnostics, "stopped": w.stopped}
