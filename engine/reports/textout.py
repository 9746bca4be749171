"""Terminal text for a report document, laid out with rich.

In: the JSON report document (annotated by waivers and baseline when those ran), and how to draw it: colour
system (None for plain text), NO_COLOR, width, verbose. Out: the text. What needs a look comes first: the
rules with fail, warn, error or not_evaluated findings (most severe rule first), each finding with its
subject's name, a short resource locator and the message, then the rule's remediation and help link; the
rules that passed (or did not apply) are one line; then waivers that expired or went unused, findings gone
since the baseline, and the summary. `verbose` shows every rule and finding, with the full resource id.
Prose is wrapped at spaces to the width; an id or a link is never broken (a longer one runs past the width,
whole, so it can be copied). `terminal(stream)` says how to draw for a stream, by rich's conventions
(NO_COLOR, FORCE_COLOR, TTY_COMPATIBLE, TERM=dumb, not a terminal); `status_message` joins a status and a
message without saying the status twice (for the Markdown summary too).
"""

from __future__ import annotations

import io
import os
from typing import TextIO

from rich.console import Console
from rich.text import Text

from argus.reports.present import (DISPLAY_ORDER, SHAPES, SHOWN, by_rule, count_noun, help_uri, short_locator,
                                   status_message)
from argus.reports.prose import paragraphs

try:  # rich's own word wrap; with fold=False a word longer than the line (an id) stays whole
    from rich._wrap import divide_line
except ImportError:  # pragma: no cover - a rich without it: fold like Text.wrap does
    divide_line = None

LABEL = {"fail": "FAIL", "warn": "WARN", "error": "ERROR", "not_evaluated": "NOT EVALUATED",
         "pass": "PASS", "skip": "SKIP"}
DEFAULT_WIDTH = 100  # not a terminal and no COLUMNS: wide enough for most messages, narrow enough to read
# critical must read as the most severe: reversed red stands out from the plain red of high
STYLE = {"fail": "bold red", "warn": "yellow", "error": "bold magenta", "not_evaluated": "magenta",
         "pass": "green", "skip": "dim",
         "critical": "bold reverse red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim",
         "rule": "bold", "dim": "dim", "label": "bold", "new": "bold cyan", "updated": "cyan", "waived": "dim"}


def terminal(stream: TextIO) -> dict:
    """How to draw for ``stream``, as rich decides for a console writing there: the colour system (None: no
    escapes at all, e.g. not a terminal, TERM=dumb), NO_COLOR (styles without colours), and the width: COLUMNS,
    else the terminal's, else DEFAULT_WIDTH."""
    console = Console(file=stream)
    columns = os.environ.get("COLUMNS", "")
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # a closed stream
        tty = False
    width = int(columns) if columns.isdigit() and int(columns) > 0 else console.width if tty else DEFAULT_WIDTH
    return {"color": console.color_system, "no_color": console.no_color, "width": width}


def render(doc: dict, *, color: bool | str | None = False, width: int = DEFAULT_WIDTH, no_color: bool = False,
           verbose: bool = False) -> str:
    """The terminal text for ``doc``: ``color`` is a rich colour system ("standard", "256", "truecolor"),
    True for "standard", or False/None for plain text."""
    system = "standard" if color is True else (color or None)
    out = _Out(system, max(width, 20), no_color)
    if doc["run"].get("what_if"):  # argus scan --what-if: what the deployment breaks and fixes comes first
        _what_if_lead(out, doc)
    out.line(_header(doc))
    selection = selection_line(doc)
    if selection:
        out.line(_styled(selection, "dim"))
    for diag in doc["diagnostics"]:  # one line each, as `argus check` prints them: found by grep, by editors
        out.whole(_diagnostic(diag))
    quiet = []
    for rule, findings in by_rule(doc):
        if verbose or any(f["status"] in SHOWN for f in findings):
            out.blank()
            _rule_block(out, rule, findings, verbose)
        else:
            quiet.append((rule, findings))
    if quiet:
        out.blank()
        out.line(_quiet_line(quiet))
    _waiver_lines(out, doc.get("waivers", []))
    _absent_lines(out, doc.get("absent", []))
    out.blank()
    _summary(out, doc)
    return out.text()


def selection_line(doc: dict) -> str:
    """`selected 8 of 22 rules: --rule AMX-PP-* · --severity critical, high`, or "" when nothing narrowed them."""
    sel = doc["run"].get("selection")
    if not sel or not (sel["rules"] or sel["skip_rules"] or sel["severities"]):
        return ""
    parts = [f"--rule {', '.join(sel['rules'])}" if sel["rules"] else "",
             f"--skip-rule {', '.join(sel['skip_rules'])}" if sel["skip_rules"] else "",
             f"--severity {', '.join(sel['severities'])}" if sel["severities"] else ""]
    return f"selected {sel['selected']} of {count_noun(sel['available'], 'rule')}: " + " · ".join(p for p in parts if p)


class _Out:
    """A rich Console drawing into a string with an explicit colour system and width, never the real
    terminal's: what is rendered does not depend on where the test or the scan runs."""

    def __init__(self, system: str | None, width: int, no_color: bool) -> None:
        self._buffer = io.StringIO()
        self.width = width
        self._console = Console(file=self._buffer, width=width, height=25, color_system=system,
                                force_terminal=system is not None, no_color=no_color, highlight=False,
                                markup=False, emoji=False, legacy_windows=False, force_jupyter=False,
                                force_interactive=False, _environ={})

    def line(self, text: Text | str, hang: int = 0, prefix: Text | None = None) -> None:
        """``text`` wrapped at spaces to the width after ``prefix`` (``hang`` columns wide), continuation lines
        indented by ``hang``; without a prefix the first line starts at the margin."""
        text = Text(text) if isinstance(text, str) else text
        if divide_line is None:
            lines = text.wrap(self._console, self.width - hang)
        else:
            lines = text.divide(divide_line(text.plain, self.width - hang, fold=False))
        for i, part in enumerate(lines):
            part.rstrip()
            lead = prefix if i == 0 else Text(" " * hang)
            self.whole(lead + part if lead is not None else part)

    def labelled(self, label: str, text: Text | str, hang: int, style: str = STYLE["label"]) -> None:
        self.line(text, hang, _styled(label.ljust(hang), style))

    def whole(self, text: Text) -> None:
        """One line, never wrapped or cut: it runs past the width if it must."""
        self._console.print(text, soft_wrap=True)

    def blank(self) -> None:
        self._console.print()

    def text(self) -> str:
        return self._buffer.getvalue()


def _styled(text: str, style: str) -> Text:
    """``text`` with ``style`` as a span: a Text's own style would spread to any text appended to it."""
    return Text.assemble((text, style))


def _header(doc: dict) -> Text:
    run = doc["run"]
    snapshots = ", ".join(s["path"] + SHAPES.get(s.get("shape"), "") for s in run["snapshots"]) or "no snapshot"
    collected = f", collected {run['collected_at']}" if run.get("collected_at") else ""
    policy = f"policy {run['policy']}" if run.get("policy") else "no policy"
    return _styled(f"argus {run['engine']['version']} · {policy} · {snapshots}{collected} · scanned {run['started_at']}",
                   STYLE["dim"])


def _diagnostic(diag: dict) -> Text:
    where = ":".join(str(p) for p in (diag.get("file"), diag.get("line"), diag.get("col")) if p)
    style = STYLE["error" if diag["severity"] == "error" else "warn"]
    return Text.assemble(f"{where}: " if where else "", (diag["severity"], style),
                         f": {diag['code']} {diag['message']}")


def _rule_block(out: _Out, rule: dict, findings: list[dict], verbose: bool) -> None:
    listed = sorted((f for f in findings if verbose or f["status"] in SHOWN), key=lambda f: DISPLAY_ORDER.index(f["status"]))
    counts = ", ".join(f"{sum(f['status'] == s for f in findings)} {'passed' if s == 'pass' else 'skipped'}"
                       for s in ("pass", "skip") if not verbose and any(f["status"] == s for f in findings))
    head = Text.assemble((rule["id"], STYLE["rule"]), "  ", (rule["severity"], STYLE[rule["severity"]]), "  ",
                         rule.get("title", ""), (f"  ({counts})" if counts else "", STYLE["dim"]))
    out.line(head, 2)
    hang = 2 + max((len(LABEL[f["status"]]) for f in listed), default=4) + 2
    for finding in listed:
        _finding(out, finding, hang, verbose)
    if verbose and rule.get("description"):
        for i, para in enumerate(paragraphs(rule["description"])):
            out.labelled("  About" if i == 0 else "", para, hang)
    if any(f["status"] in SHOWN for f in findings) or verbose:
        for i, para in enumerate(paragraphs(rule.get("remediation"))):
            out.labelled("  Fix" if i == 0 else "", para, hang)
        uri = help_uri(rule)
        if uri:
            out.whole(_styled("  Help".ljust(hang), STYLE["label"]) + Text(uri))


def _finding(out: _Out, finding: dict, hang: int, verbose: bool) -> None:
    subject = finding["subject"]
    label = subject["name"] or subject["id"] or "(rule)"
    head = Text(label)
    locator = short_locator(subject["id"]) if subject["id"] else ""
    if locator and locator != label:
        head += _styled(f"  {locator}", STYLE["dim"])
    head += _marks(finding)
    out.line(head, hang, _styled(f"  {LABEL[finding['status']]}".ljust(hang), STYLE[finding["status"]]))
    out.line(finding["message"], hang, Text(" " * hang))
    if verbose and subject["id"] and subject["id"] not in (label, locator):
        out.whole(Text(" " * hang) + _styled(subject["id"], STYLE["dim"]))


def _marks(finding: dict) -> Text:
    marks = Text()
    state = finding.get("baseline_state")
    before = (finding.get("baseline_previous") or {}).get("status")
    if state == "updated" and before not in (None, finding["status"]):
        marks += Text(" ") + _styled(f"[updated, was {before.replace('_', ' ')}]", STYLE[state])
    elif state in ("new", "updated"):
        marks += Text(" ") + _styled(f"[{state}]", STYLE[state])
    waiver = finding.get("waiver")
    if waiver:
        marks += Text(" ") + _styled(f"[waived until {waiver['expires']} by {waiver['owner']}]", STYLE["waived"])
    return marks


def _quiet_line(quiet: list[tuple[dict, list[dict]]]) -> Text:
    """The rules with nothing to look at, in one line: passed, not applicable, without findings."""
    kinds = {"passed": [], "not applicable": [], "without findings": []}
    for rule, findings in quiet:
        kind = ("without findings" if not findings else
                "passed" if any(f["status"] == "pass" for f in findings) else "not applicable")
        kinds[kind].append(rule["id"])
    kinds = {kind: sorted(ids) for kind, ids in kinds.items()}
    text = Text()
    for kind, ids in kinds.items():
        if ids:
            style = STYLE["pass"] if kind == "passed" else STYLE["dim"]
            text += Text("; " if text else "") + _styled(f"{count_noun(len(ids), 'rule')} {kind}", style) + Text(f": {', '.join(ids)}")
    return text + _styled(" (--verbose shows them)", STYLE["dim"])


def _waiver_lines(out: _Out, waivers: list[dict]) -> None:
    lines = []
    for waiver in waivers:
        what = f" waiver for {waiver['rule']} {waiver['subject']} from {waiver['source']}"
        if waiver["state"] == "expired":
            lines.append(_styled("EXPIRED", STYLE["warn"]) + Text(
                f"{what} expired on {waiver['expires']}: {count_noun(waiver['matched'], 'finding')} no longer waived"))
        elif waiver["state"] == "unused":
            lines.append(_styled("UNUSED", STYLE["dim"]) + Text(f"{what} matched no fail or warn finding"))
    if lines:
        out.blank()
        out.line(_styled("Waivers", STYLE["rule"]))
        for line in lines:
            out.line(line, 4, Text("  "))


def _what_if_lead(out: _Out, doc: dict) -> None:
    from argus.reports.whatif_report import text_lead
    for label, text, style in text_lead(doc):
        if label:
            out.labelled(f"  {label}", text, 15, STYLE[style])
        else:
            out.line(_styled(text, STYLE[style]))
    out.blank()


def _absent_lines(out: _Out, absent: list[dict]) -> None:
    if not absent:
        return
    out.blank()
    out.line(_styled("Gone since the baseline", STYLE["rule"]))
    for old in absent:
        label = old["subject"]["name"] or old["subject"]["id"] or "(rule)"
        out.line(Text(f"{old['rule_id']} {label}  (was {status_message(old['status'], old['message'])})"), 16,
                 Text("  ") + _styled("ABSENT".ljust(14), STYLE["pass"]))


def _summary(out: _Out, doc: dict) -> None:
    findings = doc["findings"]
    by_status = doc["summary"]["by_status"]
    counts = [_styled(f"{by_status.get(s, 0)} {s.replace('_', ' ')}", STYLE[s]) for s in DISPLAY_ORDER
              if by_status.get(s, 0)]
    out.line(Text(f"{count_noun(doc['summary']['total'], 'finding')}: ") + (Text(", ").join(counts) if counts else Text("none")))
    waived = sum(1 for f in findings if f.get("waiver"))
    if waived:
        out.line(f"{waived} waived (not counted for --fail-on)")
    if "absent" in doc:
        states = [f.get("baseline_state") for f in findings]
        out.line(f"since baseline: {states.count('new')} new, {states.count('updated')} updated, "
                 f"{states.count('unchanged')} unchanged, {len(doc['absent'])} absent")
