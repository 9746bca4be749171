"""Terminal text for a report document.

In: the JSON report document (annotated by waivers and baseline when those ran) and whether to use
colour. Out: text grouped by rule (most severe rule first), one line per finding that needs a look
(status, subject, message, and [new]/[updated]/[waived] marks), passes and skips counted on the
rule's line, then waivers that expired or went unused, findings gone since the baseline, and a summary.
want_color decides colour the usual way: only on a terminal, never when NO_COLOR is set. status_message
joins a status and a message without saying the status twice (for the Markdown summary too).
"""

from __future__ import annotations

import os
from typing import TextIO

from .model import SEVERITY_RANK

SHOWN = ("fail", "warn", "error", "not_evaluated")
DISPLAY_ORDER = ("fail", "warn", "error", "not_evaluated", "skip", "pass")  # what needs a look first
SHAPES = {"arm-bodies": " (ARM bodies)"}  # a snapshot file's `shape` note in headers: its rows were converted
LABEL = {"fail": "FAIL", "warn": "WARN", "error": "ERROR", "not_evaluated": "NOT EVALUATED",
         "pass": "PASS", "skip": "SKIP"}
_SGR = {"fail": "1;31", "warn": "33", "error": "1;35", "not_evaluated": "35", "pass": "32", "skip": "2",
        "critical": "1;31", "high": "31", "medium": "33", "low": "36", "info": "2",
        "rule": "1", "dim": "2", "new": "1;36", "updated": "36", "waived": "2"}


def want_color(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set to anything (no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR", "") != "" or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def status_message(status: str, message: str) -> str:
    """`not evaluated: <message>`, unless the message already starts with what the status says."""
    label = status.replace("_", " ")
    return message if message.casefold().startswith(label) else f"{label}: {message}"


def render(doc: dict, *, color: bool) -> str:
    """The terminal text for ``doc``."""
    paint = _painter(color)
    lines = [_header(doc, paint)]
    lines += [_diagnostic(d, paint) for d in doc["diagnostics"]]
    for rule, findings in _by_rule(doc):
        lines.append("")
        lines += _rule_block(rule, findings, paint)
    lines += _waiver_lines(doc.get("waivers", []), paint)
    lines += _absent_lines(doc.get("absent", []), paint)
    lines += ["", *_summary(doc, paint)]
    return "\n".join(lines) + "\n"


def _painter(color: bool):
    def paint(text: str, style: str) -> str:
        return f"\x1b[{_SGR[style]}m{text}\x1b[0m" if color and text else text
    return paint


def _header(doc: dict, paint) -> str:
    run = doc["run"]
    snapshots = ", ".join(s["path"] + SHAPES.get(s.get("shape"), "") for s in run["snapshots"]) or "no snapshot"
    collected = f", collected {run['collected_at']}" if run.get("collected_at") else ""
    policy = f"policy {run['policy']}" if run.get("policy") else "no policy"
    return paint(f"argus {run['engine']['version']} · {policy} · {snapshots}{collected} · scanned {run['started_at']}",
                 "dim")


def _diagnostic(diag: dict, paint) -> str:
    where = ":".join(str(p) for p in (diag.get("file"), diag.get("line"), diag.get("col")) if p)
    style = "error" if diag["severity"] == "error" else "warn"
    return f"{where + ': ' if where else ''}{paint(diag['severity'], style)}: {diag['code']} {diag['message']}"


def _by_rule(doc: dict) -> list[tuple[dict, list[dict]]]:
    rules = {rule["id"]: rule for rule in doc["rules"]}
    groups: dict[str, list[dict]] = {}
    for finding in doc["findings"]:
        groups.setdefault(finding["rule_id"], []).append(finding)
        rules.setdefault(finding["rule_id"], {"id": finding["rule_id"], "title": finding["title"],
                                              "severity": finding["severity"]})
    order = sorted(groups, key=lambda rid: (-SEVERITY_RANK[rules[rid]["severity"]], rid))
    return [(rules[rid], groups[rid]) for rid in order]


def _rule_block(rule: dict, findings: list[dict], paint) -> list[str]:
    quiet = [s for s in ("pass", "skip") if any(f["status"] == s for f in findings)]
    counts = ", ".join(f"{sum(f['status'] == s for f in findings)} {'passed' if s == 'pass' else 'skipped'}"
                       for s in quiet)
    head = f"{paint(rule['id'], 'rule')}  {paint(rule['severity'], rule['severity'])}  {rule['title']}"
    lines = [head + (paint(f"  ({counts})", "dim") if counts else "")]
    for finding in findings:
        if finding["status"] in SHOWN:
            lines.append(_finding_line(finding, paint))
    return lines


def _finding_line(finding: dict, paint) -> str:
    subject = finding["subject"]
    label = subject["name"] or subject["id"] or "(rule)"
    status = paint(f"{LABEL[finding['status']]:<13}", finding["status"])
    text = f"  {status} {label}  {finding['message']}"
    state = finding.get("baseline_state")
    before = (finding.get("baseline_previous") or {}).get("status")
    if state == "updated" and before not in (None, finding["status"]):
        text += " " + paint(f"[updated, was {before.replace('_', ' ')}]", state)
    elif state in ("new", "updated"):
        text += " " + paint(f"[{state}]", state)
    waiver = finding.get("waiver")
    if waiver:
        text += " " + paint(f"[waived until {waiver['expires']} by {waiver['owner']}]", "waived")
    if subject["id"] and subject["id"] != label:
        text += "  " + paint(subject["id"], "dim")
    return text


def _waiver_lines(waivers: list[dict], paint) -> list[str]:
    lines = []
    for waiver in waivers:
        if waiver["state"] == "expired":
            lines.append(f"  {paint('EXPIRED', 'warn')} waiver for {waiver['rule']} {waiver['subject']} from "
                         f"{waiver['source']} expired on {waiver['expires']}: "
                         f"{_count(waiver['matched'], 'finding')} no longer waived")
        elif waiver["state"] == "unused":
            lines.append(f"  {paint('UNUSED', 'dim')} waiver for {waiver['rule']} {waiver['subject']} from "
                         f"{waiver['source']} matched no fail or warn finding")
    return ["", paint("Waivers", "rule"), *lines] if lines else []


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _absent_lines(absent: list[dict], paint) -> list[str]:
    if not absent:
        return []
    lines = ["", paint("Gone since the baseline", "rule")]
    for old in absent:
        label = old["subject"]["name"] or old["subject"]["id"] or "(rule)"
        lines.append(f"  {paint('ABSENT'.ljust(13), 'pass')} {old['rule_id']} {label}  "
                     f"(was {status_message(old['status'], old['message'])})")
    return lines


def _summary(doc: dict, paint) -> list[str]:
    findings = doc["findings"]
    by_status = doc["summary"]["by_status"]
    counts = ", ".join(paint(f"{by_status.get(s, 0)} {s.replace('_', ' ')}", s) for s in DISPLAY_ORDER
                       if by_status.get(s, 0))
    lines = [f"{_count(doc['summary']['total'], 'finding')}: {counts or 'none'}"]
    waived = sum(1 for f in findings if f.get("waiver"))
    if waived:
        lines.append(f"{waived} waived (not counted for --fail-on)")
    if "absent" in doc:
        states = [f.get("baseline_state") for f in findings]
        lines.append(f"since baseline: {states.count('new')} new, {states.count('updated')} updated, "
                     f"{states.count('unchanged')} unchanged, {len(doc['absent'])} absent")
    return lines
