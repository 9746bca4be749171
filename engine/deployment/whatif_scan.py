"""`argus scan --what-if FILE`: the estate as a deployment would leave it, compared with the estate now.

In: the what-if files and flags of the scan (with its resolved settings), its snapshot and, once the rules ran on
both, the findings before the deployment and the report document after it. Out: `prepare` reads every what-if file
(a refused one stops the scan before any rule runs or any output is written) and builds the overlay
(argus.deployment.whatif); `compare` annotates the document with the baseline machinery of argus.state.baseline, the scan before
being the baseline: findings the deployment introduces are `new` (or `updated`, a warning that becomes a failure),
those it resolves are `absent`, the rest `unchanged`; it adds `run.what_if` (the files, what was applied, what
could not be predicted or applied, the subscriptions the snapshot did not cover, and the counts of
argus.reports.whatif_report.classify).
"""

from __future__ import annotations

import sys

from argus.state import baseline
from argus.policy import settings
from argus.deployment import whatif
from argus.deployment import whatif_load
from argus.reports import whatif_report
from argus.errors import UserError

BEFORE = "the snapshot before the deployment"


def prepare(paths, potential: bool, snap, *, baseline_file: str | None, history: str | None, resolved):
    """(the overlay for --what-if, None without it; the history to append the scan to, None for none).
    ``resolved``: the scan's settings.Resolved, naming where --baseline and --history came from. UserError for
    a what-if that cannot be scanned."""
    if not paths:
        if potential:
            raise UserError("--what-if-potential needs --what-if FILE")
        return None, history
    if baseline_file:
        raise UserError(f"--what-if compares the estate after the deployment with the estate now; drop "
                        f"{settings.describe(resolved, 'baseline')} (the two comparisons cannot both be made)")
    history = _no_history(history, resolved)
    files = [whatif_load.load(path) for path in paths]
    return whatif.build(snap, files, apply_potential=potential), history


def _no_history(history: str | None, resolved) -> str | None:
    """A what-if scan is a prediction, not the estate: recording it would put a state Azure never had into the
    trend. Refused when asked for on the command line; a history set for every scan (environment, policies
    file) is skipped with a note, so a pull-request check can share the settings of the scheduled scan."""
    if not history:
        return history
    if resolved.sources.get("history") == "flag":
        raise UserError("--history records scans of the estate; a --what-if scan is a prediction: drop --history")
    print(f"argus: note: {settings.describe(resolved, 'history')} is not appended to: a --what-if scan is a prediction, "
          "not the estate", file=sys.stderr)
    return None


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
