"""Markdown summary of a report document, for a pull request comment or a GitHub job summary.

In: the JSON report document (annotated by waivers and baseline when those ran). Out: Markdown with
the counts by status and severity, the findings to act on grouped by rule (most severe first) with the
rule's remediation and a link to its documentation, waived findings, waivers that expired or went
unused, findings gone since the baseline, and diagnostics. The text stays under GitHub's comment size
limit; when findings have to be left out it says how many.
"""

from __future__ import annotations

import html
import re

from .model import SEVERITIES, SEVERITY_RANK
from .sarif import help_uri
from .textout import DISPLAY_ORDER

COMMENT_LIMIT = 65536  # characters GitHub accepts in one issue or pull request comment
_BUDGET = COMMENT_LIMIT - 6000  # room for the tables around the findings
ACT_ON = ("fail", "error", "not_evaluated", "warn")
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def render(doc: dict) -> str:
    """The Markdown summary of ``doc``."""
    rules = {rule["id"]: rule for rule in doc["rules"]}
    parts = [_heading(doc), _counts_table(doc)]
    parts += _act_on(doc, rules)
    parts += _waived(doc)
    parts += _waiver_notes(doc.get("waivers", []))
    parts += _absent(doc.get("absent", []))
    parts += _diagnostics(doc["diagnostics"])
    return "\n\n".join(p for p in parts if p) + "\n"


def md(text: object) -> str:
    """Plain text made safe inside Markdown and table cells: no markup, no HTML, no @-mentions."""
    escaped = html.escape(str(text), quote=False).replace("@", "&#64;")
    return _SPECIAL.sub(r"\\\1", escaped).replace("\r", "").replace("\n", "<br>")


def _heading(doc: dict) -> str:
    run, summary = doc["run"], doc["summary"]
    title = f"## argus: {md(run['policy'])}" if run.get("policy") else "## argus scan"
    snapshots = ", ".join(_code(s["path"]) for s in run["snapshots"]) or "no snapshot"
    collected = f" collected {run['collected_at']}" if run.get("collected_at") else ""
    waived = sum(1 for f in doc["findings"] if f.get("waiver"))
    counts = " · ".join(f"{summary['by_status'].get(s, 0)} {s.replace('_', ' ')}" for s in DISPLAY_ORDER
                        if summary["by_status"].get(s, 0))
    lines = [f"**{counts or 'no findings'}**" + (f" ({waived} waived)" if waived else "")
             + f" — {summary['total']} findings from {len(doc['rules'])} rules",
             f"Snapshot {snapshots}{collected} · scanned {run['started_at']} · argus {run['engine']['version']}"]
    if run.get("baseline"):
        states = [f.get("baseline_state") for f in doc["findings"]]
        lines.append(f"Since the baseline {_code(run['baseline']['path'])} ({run['baseline']['started_at']}): "
                     f"{states.count('new')} new · {states.count('updated')} updated · "
                     f"{states.count('unchanged')} unchanged · {len(doc.get('absent', []))} absent")
    return title + "\n\n" + "  \n".join(lines)  # two trailing spaces: a Markdown line break


def _counts_table(doc: dict) -> str:
    by_severity = doc["summary"]["by_severity"]
    header = "| Severity | " + " | ".join(s.replace("_", " ") for s in DISPLAY_ORDER) + " |"
    rows = [header, "|---|" + "---:|" * len(DISPLAY_ORDER)]
    for severity in SEVERITIES:
        counts = by_severity.get(severity, {})
        rows.append(f"| {severity} | " + " | ".join(str(counts.get(s, 0)) for s in DISPLAY_ORDER) + " |")
    totals = doc["summary"]["by_status"]
    rows.append("| **total** | " + " | ".join(f"**{totals.get(s, 0)}**" for s in DISPLAY_ORDER) + " |")
    return "\n".join(rows)


def _act_on(doc: dict, rules: dict) -> list[str]:
    groups: dict[str, list[dict]] = {}
    for finding in doc["findings"]:
        if finding["status"] in ACT_ON and not finding.get("waiver"):
            groups.setdefault(finding["rule_id"], []).append(finding)
    if not groups:
        return ["### Findings to act on", "None."]
    order = sorted(groups, key=lambda rid: (-SEVERITY_RANK[groups[rid][0]["severity"]], rid))
    parts, used, left = ["### Findings to act on"], 0, sum(len(g) for g in groups.values())
    for rule_id in order:
        block, shown = _rule_section(rules.get(rule_id) or _rule_from(groups[rule_id][0]), groups[rule_id],
                                     _BUDGET - used)
        if shown == 0:
            break
        parts.append(block)
        used += len(block)
        left -= shown
    if left:
        parts.append(f"**{left} more findings are not shown** to keep this summary within GitHub's comment "
                     "size; the JSON and SARIF outputs list them all.")
    return parts


def _rule_section(rule: dict, findings: list[dict], budget: int) -> tuple[str, int]:
    uri = help_uri(rule)
    name = f"[{md(rule['id'])}]({uri})" if uri else f"{md(rule['id'])}"
    where = rule.get("location") or {}
    lines = [f"#### {name} · {rule['severity']} · {md(rule.get('title', ''))}", ""]
    if rule.get("remediation"):
        lines += [f"**Remediation:** {md(rule['remediation'])}", ""]
    if not uri and where.get("file"):
        lines += [f"Rule: {_code(where['file'] + ':' + str(where.get('line', 0)))}", ""]
    lines += ["| Status | Subject | Message |", "|---|---|---|"]
    size, shown = sum(len(line) + 1 for line in lines), 0
    for finding in findings:
        row = _finding_row(finding)
        if size + len(row) + 1 > budget:
            break
        lines.append(row)
        size, shown = size + len(row) + 1, shown + 1
    return "\n".join(lines), shown


def _finding_row(finding: dict) -> str:
    subject = finding["subject"]
    label = f"**{md(subject['name'])}**" if subject["name"] else ""
    ident = _code(subject["id"]) if subject["id"] else ""
    cell = "<br>".join(p for p in (label, ident) if p) or "(rule)"
    status = finding["status"].replace("_", " ")
    if finding.get("baseline_state") in ("new", "updated"):
        status += f" ({finding['baseline_state']})"
    return f"| {status} | {cell} | {md(finding['message'])} |"


def _code(text: str) -> str:
    """Inline code, unless the text would break out of it or out of a table cell."""
    return f"`{text}`" if "`" not in text and "|" not in text else md(text)


def _rule_from(finding: dict) -> dict:
    return {"id": finding["rule_id"], "title": finding["title"], "severity": finding["severity"],
            "location": finding["rule_location"]}


def _waived(doc: dict) -> list[str]:
    rows = [f"| {md(f['rule_id'])} | {md(f['subject']['name'] or f['subject']['id'])} | {f['status']} | "
            f"{md(f['waiver']['justification'])} | {md(f['waiver']['owner'])} | {f['waiver']['expires']} | "
            f"{md(f['waiver'].get('ticket') or '')} |" for f in doc["findings"] if f.get("waiver")]
    if not rows:
        return []
    return ["### Waived", "| Rule | Subject | Status | Justification | Owner | Expires | Ticket |\n"
            "|---|---|---|---|---|---|---|\n" + "\n".join(rows)]


def _waiver_notes(waivers: list[dict]) -> list[str]:
    notes = []
    for waiver in waivers:
        what = f"{md(waiver['rule'])} {_code(waiver['subject'])} ({md(waiver['source'])}, owner {md(waiver['owner'])})"
        if waiver["state"] == "expired":
            notes.append(f"- **expired** on {waiver['expires']}: {what}; "
                         f"findings it no longer waives: {waiver['matched']}")
        elif waiver["state"] == "unused":
            notes.append(f"- **unused**: {what} matched no fail or warn finding")
    return ["### Waivers to review", "\n".join(notes)] if notes else []


def _absent(absent: list[dict]) -> list[str]:
    if not absent:
        return []
    rows = [f"| {md(a['rule_id'])} | {md(a['subject']['name'] or a['subject']['id'] or '(rule)')} | "
            f"{a['status'].replace('_', ' ')}: {md(a['message'])} |" for a in absent]
    return ["### Gone since the baseline", "| Rule | Subject | Was |\n|---|---|---|\n" + "\n".join(rows)]


def _diagnostics(diagnostics: list[dict]) -> list[str]:
    if not diagnostics:
        return []
    lines = []
    for diag in diagnostics:
        where = ":".join(str(p) for p in (diag.get("file"), diag.get("line"), diag.get("col")) if p)
        lines.append(f"- {_code(where) + ' ' if where else ''}{diag['severity']} {md(diag['code'])}: "
                     f"{md(diag['message'])}")
    return ["### Diagnostics", "\n".join(lines)]
