"""Markdown summary of a report document, for a pull request comment or a GitHub job summary.

In: the JSON report document (annotated by waivers and baseline when those ran). Out: Markdown with
the counts by status and severity, the findings to act on grouped by rule (most severe first) with the
rule's remediation and a link to its documentation, waived findings, waivers that expired or went
unused, findings gone since the baseline, and diagnostics. The whole text stays under GitHub's comment
size limit (65,536 characters; a job summary takes up to 1 MiB): every section draws its rows from one
shared budget, most important section first, and a section that runs out says how many rows it left out
and where they all are.
"""

from __future__ import annotations

import html
import re

from argus.reports import prose
from argus.model import SEVERITIES
from argus.reports.present import DISPLAY_ORDER, GITHUB_MAX_RESULTS, SHAPES, by_rule, help_uri, level_for, status_message

COMMENT_LIMIT = 65536  # characters GitHub accepts in one issue or pull request comment
# Written whatever the budget: section headings, table heads and the "N more" lines (a few hundred
# characters each at most); rows only get what is left after them.
_RESERVE = 3000
_SNAPSHOTS_SHOWN = 5
ACT_ON = ("fail", "error", "not_evaluated", "warn")
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


class _Budget:
    """Characters left for the rows of every section together."""

    def __init__(self, size: int) -> None:
        self.left = size

    def take(self, text: str) -> bool:
        """Spend room for ``text`` and a newline if it fits."""
        if len(text) + 1 > self.left:
            return False
        self.left -= len(text) + 1
        return True


def render(doc: dict, *, limit: int = COMMENT_LIMIT) -> str:
    """The Markdown summary of ``doc``, at most ``limit`` characters long."""
    parts = [_heading(doc), _counts_table(doc)]
    if doc["run"].get("what_if"):  # a pull-request comment on a deployment leads with what it breaks
        from argus.reports.whatif_report import markdown_parts
        parts[:0] = markdown_parts(doc, md)
    budget = _Budget(limit - sum(len(p) + 2 for p in parts) - _RESERVE)
    everywhere = _where_all_findings(doc)
    parts += _act_on(doc, budget, everywhere)
    parts += _waived(doc, budget, everywhere)
    parts += _waiver_notes(doc.get("waivers", []), budget)
    parts += _absent(doc.get("absent", []), budget)
    parts += _diagnostics(doc["diagnostics"], budget)
    return "\n\n".join(p for p in parts if p) + "\n"


def md(text: object) -> str:
    """Plain text made safe inside Markdown and table cells: no markup, no HTML, no @-mentions."""
    escaped = html.escape(str(text), quote=False).replace("@", "&#64;")
    return _SPECIAL.sub(r"\\\1", escaped).replace("\r", "").replace("\n", "<br>")


def _heading(doc: dict) -> str:
    run, summary = doc["run"], doc["summary"]
    title = f"## argus: {md(run['policy'])}" if run.get("policy") else "## argus scan"
    shown = [_code(s["path"]) + SHAPES.get(s.get("shape"), "") for s in run["snapshots"][:_SNAPSHOTS_SHOWN]]
    extra = len(run["snapshots"]) - len(shown)
    snapshots = ", ".join(shown + ([f"{extra} more file{'s' * (extra != 1)}"] if extra > 0 else [])) or "no snapshot"
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


def _where_all_findings(doc: dict) -> str:
    """Where a reader finds the findings this summary leaves out: SARIF only if it was not cut too."""
    in_sarif = sum(1 for f in doc["findings"] if level_for(f) != "none")
    if in_sarif <= GITHUB_MAX_RESULTS:
        return "the JSON and SARIF outputs list them all"
    return (f"the JSON report lists them all (the SARIF log keeps only the {GITHUB_MAX_RESULTS:,} most severe "
            f"of its {in_sarif:,} results)")


def _more(count: int, what: str, where: str, *, after_some: bool) -> str:
    verb = "is" if count == 1 else "are"
    more = " more" if after_some else ""
    return f"**{count}{more} {what} {verb} not shown** to keep this summary within GitHub's comment size; {where}."


def _act_on(doc: dict, budget: _Budget, everywhere: str) -> list[str]:
    groups = [(rule, acting) for rule, findings in by_rule(doc)
              if (acting := [f for f in findings if f["status"] in ACT_ON and not f.get("waiver")])]
    if not groups:
        return ["### Findings to act on", "None."]
    parts, left = ["### Findings to act on"], sum(len(acting) for _, acting in groups)
    for rule, acting in groups:
        block, shown = _rule_section(rule, acting, budget)
        if shown == 0:
            break
        parts.append(block)
        left -= shown
    if left:
        parts.append(_more(left, "finding to act on" if left == 1 else "findings to act on", everywhere,
                           after_some=len(parts) > 1))
    return parts


def _rule_section(rule: dict, findings: list[dict], budget: _Budget) -> tuple[str, int]:
    """The rule's heading, remediation and table, with as many of its findings as the budget allows."""
    uri = help_uri(rule)
    name = f"[{md(rule['id'])}]({uri})" if uri else f"{md(rule['id'])}"
    where = rule.get("location") or {}
    lines = [f"#### {name} · {rule['severity']} · {md(rule.get('title', ''))}", ""]
    # the rule file's line breaks are layout: a paragraph is one line here, blank-line breaks stay
    paragraphs = [md(p) for p in prose.paragraphs(rule.get("remediation"))]
    if paragraphs:
        lines += [f"**Remediation:** {paragraphs[0]}", ""] + [line for p in paragraphs[1:] for line in (p, "")]
    if not uri and where.get("file"):
        lines += [f"Rule: {_code(where['file'] + ':' + str(where.get('line', 0)))}", ""]
    lines += ["| Status | Subject | Message |", "|---|---|---|"]
    rows = [_finding_row(f) for f in findings]
    head = "\n".join(lines)
    if not budget.take(head + "\n" + rows[0]):  # a heading without a single row says nothing
        return "", 0
    lines.append(rows[0])
    for row in rows[1:]:
        if not budget.take(row):
            break
        lines.append(row)
    return "\n".join(lines), len(lines) - len(head.split("\n"))


def _finding_row(finding: dict) -> str:
    subject = finding["subject"]
    label = f"**{md(subject['name'])}**" if subject["name"] else ""
    ident = _code(subject["id"]) if subject["id"] else ""
    cell = "<br>".join(p for p in (label, ident) if p) or "(rule)"
    status = finding["status"].replace("_", " ")
    before = finding.get("baseline_previous") or {}
    if finding.get("baseline_state") == "updated" and before.get("status") not in (None, finding["status"]):
        status += f" (updated, was {before['status'].replace('_', ' ')})"
    elif finding.get("baseline_state") in ("new", "updated"):
        status += f" ({finding['baseline_state']})"
    return f"| {status} | {cell} | {md(finding['message'])} |"


def _code(text: str) -> str:
    """Inline code, unless the text would break out of it or out of a table cell."""
    return f"`{text}`" if "`" not in text and "|" not in text else md(text)


def _section(title: str, head: str, rows: list[str], budget: _Budget, more: tuple[str, str, str]) -> list[str]:
    """A section with as many ``rows`` as the budget allows, then how many it left out (``more``: the
    thing counted, singular and plural, and where they all are)."""
    if not rows:
        return []
    shown = []
    for row in rows:
        if not budget.take(row):
            break
        shown.append(row)
    parts = [f"### {title}", "\n".join([head, *shown] if head else shown) if shown else ""]
    left = len(rows) - len(shown)
    if left:
        parts.append(_more(left, more[0] if left == 1 else more[1], more[2], after_some=bool(shown)))
    return parts


def _waived(doc: dict, budget: _Budget, everywhere: str) -> list[str]:
    rows = [f"| {md(f['rule_id'])} | {md(f['subject']['name'] or f['subject']['id'])} | {f['status']} | "
            f"{md(f['waiver']['justification'])} | {md(f['waiver']['owner'])} | {f['waiver']['expires']} | "
            f"{md(f['waiver'].get('ticket') or '')} |" for f in doc["findings"] if f.get("waiver")]
    head = "| Rule | Subject | Status | Justification | Owner | Expires | Ticket |\n|---|---|---|---|---|---|---|"
    return _section("Waived", head, rows, budget, ("waived finding", "waived findings", everywhere))


def _waiver_notes(waivers: list[dict], budget: _Budget) -> list[str]:
    notes = []
    for waiver in waivers:
        what = f"{md(waiver['rule'])} {_code(waiver['subject'])} ({md(waiver['source'])}, owner {md(waiver['owner'])})"
        if waiver["state"] == "expired":
            notes.append(f"- **expired** on {waiver['expires']}: {what}; "
                         f"findings it no longer waives: {waiver['matched']}")
        elif waiver["state"] == "unused":
            notes.append(f"- **unused**: {what} matched no fail or warn finding")
    return _section("Waivers to review", "", notes, budget,
                    ("waiver to review", "waivers to review", "the JSON report's `waivers` list has them all"))


def _absent(absent: list[dict], budget: _Budget) -> list[str]:
    rows = [f"| {md(a['rule_id'])} | {md(a['subject']['name'] or a['subject']['id'] or '(rule)')} | "
            f"{md(status_message(a['status'], a['message']))} |" for a in absent]
    return _section("Gone since the baseline", "| Rule | Subject | Was |\n|---|---|---|", rows, budget,
                    ("finding gone since the baseline", "findings gone since the baseline",
                     "the JSON report's `absent` list has them all"))


def _diagnostics(diagnostics: list[dict], budget: _Budget) -> list[str]:
    lines = []
    for diag in diagnostics:
        where = ":".join(str(p) for p in (diag.get("file"), diag.get("line"), diag.get("col")) if p)
        lines.append(f"- {_code(where) + ' ' if where else ''}{diag['severity']} {md(diag['code'])}: "
                     f"{md(diag['message'])}")
    return _section("Diagnostics", "", lines, budget, ("diagnostic", "diagnostics", "the JSON report lists them all"))
