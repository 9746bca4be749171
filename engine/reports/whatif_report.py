"""What a deployment changes, in words: the lead of the text report and of the Markdown comment.

In: a report document of `argus scan --what-if` (argus.deployment.whatif_scan): findings after the deployment annotated
with baseline states against the scan before it, `absent` findings, and `run.what_if`. Out: `classify` (which
findings the deployment breaks, fixes, leaves unpredictable or turns into warnings), `text_lead` (the first
lines of the terminal report) and `markdown_parts` (the sections a pull-request comment leads with).

"Breaks" is exactly what --fail-on-new fails on (argus.reports.report.is_new): a failure that was not one before.
"Fixes" is a failure of the scan before the deployment that is gone or only a warning after it; one that the
preview leaves not evaluated is "unknown", as is any finding the deployment makes not evaluated.
"""

from __future__ import annotations

from argus.reports.report import is_new

LEAD_BUDGET = 20000  # characters of Markdown rows for the what-if sections; the JSON report has them all


def classify(doc: dict) -> dict[str, list[dict]]:
    """{breaks, fixes, unknown, warns}: findings after the deployment (absent ones for what it resolved)."""
    out: dict[str, list[dict]] = {"breaks": [], "fixes": [], "unknown": [], "warns": []}
    for f in doc["findings"]:
        state = f.get("baseline_state")
        before = (f.get("baseline_previous") or {}).get("status")
        if f["status"] == "fail" and is_new(f):
            out["breaks"].append(f)
        elif state in ("new", "updated") and f["status"] in ("not_evaluated", "error"):
            out["unknown"].append(f)  # a failure the preview cannot confirm is not fixed, only unknown
        elif state == "updated" and before == "fail":
            out["fixes"].append(f)    # a failure that is a warning after the deployment
        elif state in ("new", "updated") and f["status"] == "warn":
            out["warns"].append(f)
    out["fixes"] = [a for a in doc.get("absent", []) if a["status"] == "fail"] + out["fixes"]
    return out


def counts(doc: dict) -> dict[str, int]:
    return {key: len(items) for key, items in classify(doc).items()}


def headline(doc: dict) -> str:
    """`this deployment breaks 1 check, fixes 1, leaves 2 unpredictable`."""
    n = counts(doc)
    parts = [f"breaks {_checks(n['breaks'])}" if n["breaks"] else "breaks nothing argus checks",
             f"fixes {n['fixes']}"]
    if n["unknown"]:
        parts.append(f"leaves {n['unknown']} unpredictable")
    if n["warns"]:
        parts.append(f"adds {n['warns']} warning{'s' * (n['warns'] != 1)}")
    return "this deployment " + ", ".join(parts)


def text_lead(doc: dict) -> list[tuple[str, str, str]]:
    """The first lines of the terminal report as (label, text, style): the headline (no label), a row per finding
    the deployment breaks, fixes, leaves unpredictable or turns into a warning, then notes. argus.reports.textout draws
    them; the styles are its status names."""
    what_if = doc["run"]["what_if"]
    files = ", ".join(f["path"] for f in what_if["files"])
    lines = [("", f"What-if {files}: {headline(doc)}", "rule"),
             ("", f"{_applied(what_if)}; baseline: the snapshot before the deployment", "dim")]
    groups = classify(doc)
    for key, label, style in (("breaks", "BREAKS", "fail"), ("fixes", "FIXES", "pass"),
                              ("unknown", "UNPREDICTED", "not_evaluated"), ("warns", "NEW WARNING", "warn")):
        lines += [(label, _text_row(f, key), style) for f in groups[key]]
    return lines + [("note", note, "dim") for note in notes(what_if)]


def _text_row(f: dict, key: str) -> str:
    subject = f["subject"]["name"] or f["subject"]["id"] or "(rule)"
    was = (f.get("baseline_previous") or {}).get("status")
    if key == "fixes" and "baseline_state" not in f:  # an absent finding: gone after the deployment
        return f"{f['rule_id']} {subject}  (was {f['status']}: {f['message']})"
    text = f"{f['rule_id']} {subject}  {f['message']}"
    if was and was != f["status"]:
        text += f" (was {was.replace('_', ' ')})"
    where = change_of(f)
    return text + (f"  [{where}]" if where else "")


def change_of(f: dict) -> str:
    """`Modify at whatif.json:40 (/properties/changes/1)` for a finding on a row the deployment changed."""
    source = f.get("source") or {}
    if "change_type" not in source:
        return ""
    line = f":{source['line']}" if source.get("line") else ""
    return f"{source['change_type']} at {source['file']}{line} ({source['pointer']})"


def notes(what_if: dict) -> list[str]:
    out = []
    for scope in what_if["uncovered_scopes"]:
        out.append(f"the snapshot does not cover {scope['scope']} ({_count(scope['changes'], 'change')} there): the "
                   "rules see only what the what-if creates or changes in it, nothing else of that subscription")
    skipped = what_if["not_applied"]
    if skipped:
        first = skipped[0]
        out.append(f"{_count(len(skipped), 'change')} not applied (first: {first['change_type']} "
                   f"{first['resource']}, {first['reason']})")
    for f in what_if["files"]:
        if f["stopped"]:
            out.append(f"{f['path']}: what-if stopped expanding nested templates ({f['stopped']}); its Ignore "
                       "changes are treated as unpredicted")
    return out


def markdown_parts(doc: dict, md) -> list[str]:
    """The sections a pull-request comment leads with; `md` escapes text for Markdown (argus.reports.markdown.md). The
    rows share LEAD_BUDGET characters, so the comment keeps room under GitHub's limit for the scan itself."""
    what_if = doc["run"]["what_if"]
    files = ", ".join(f"`{md(f['path'])}`" for f in what_if["files"])
    parts = [f"## argus what-if: {md(headline(doc))}",
             f"What-if {files}, {md(_applied(what_if))}; baseline: the snapshot before the deployment"]
    groups, left = classify(doc), [LEAD_BUDGET]
    for key, title, empty in (("breaks", "What this change breaks", "Nothing: no check fails that did not fail before."),
                              ("fixes", "What it fixes", "Nothing."),
                              ("unknown", "What the preview could not predict", None),
                              ("warns", "New warnings", None)):
        if groups[key] or empty:
            parts += [f"### {title}", _md_table(groups[key], key, md, left) if groups[key] else empty]
    extra = notes(what_if)
    if extra:
        parts.append("\n".join(f"- {md(note)}" for note in extra))
    return parts


def _md_table(findings: list[dict], key: str, md, left: list[int]) -> str:
    rows = ["| Rule | Severity | Resource | Finding | Change |", "|---|---|---|---|---|"]
    for shown, f in enumerate(findings):
        subject = f["subject"]["name"] or f["subject"]["id"] or "(rule)"
        before = f.get("baseline_previous") or {}
        if key == "fixes" and "baseline_state" not in f:  # gone after the deployment
            message = f"was {f['status']}: {f['message']}"
        else:
            message = f["message"] + (f" (was {before['status'].replace('_', ' ')})"
                                      if before.get("status") not in (None, f["status"]) else "")
        row = f"| {md(f['rule_id'])} | {f['severity']} | {md(subject)} | {md(message)} | {md(change_of(f))} |"
        if len(row) > left[0]:
            rows.append(f"| | | | {len(findings) - shown} more: the JSON report lists them all | |")
            break
        left[0] -= len(row)
        rows.append(row)
    return "\n".join(rows)


def _applied(what_if: dict) -> str:
    applied = what_if["applied"]
    return "laid over the snapshot: " + (", ".join(f"{n} {kind}" for kind, n in sorted(applied.items()))
                                         or "no change")


def _checks(n: int) -> str:
    return f"{n} check" if n == 1 else f"{n} checks"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
