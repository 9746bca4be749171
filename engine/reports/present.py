"""What every rendering of a report says the same way: levels, help links, messages, counts, short ids.

In: findings, rules and the summary of a report document (argus.reports.report). Out: `level_for` (a finding's SARIF
level, also what the CI annotations and Markdown use), `help_uri` (a rule's help link), `message_text` (a finding
as one sentence: subject, what its status means, its message), `status_message`, `summary_line`, `short_locator`
(a resource id shortened for people), the order statuses are shown in (`DISPLAY_ORDER`, `SHOWN`) and GitHub's
per-run result limit. The formats (text, SARIF, Markdown, CI annotations, JUnit) never import each other: what
two of them say alike lives here, in argus.reports.locate (where a finding points) or argus.reports.prose (rule prose).
"""

from __future__ import annotations

import re

from argus.model import SEVERITY_RANK

GITHUB_MAX_RESULTS = 25000
SEVERITY_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# What a status says about the subject, in front of the finding's own message ...
STATUS_PHRASE = {"fail": "", "warn": "", "not_evaluated": "not evaluated: ", "error": "rule error: ",
                 "pass": "passed: ", "skip": "not applicable: "}
# ... unless the message already says it: "not evaluated: x" stays as is, "error in `y`: z" gets "rule ".
_ALREADY_SAID = {"not_evaluated": ("not evaluated", ""), "error": ("error", "rule "), "pass": ("passed", ""),
                 "skip": ("not applicable", "")}
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def level_for(finding: dict) -> str:
    """SARIF level of a finding: by severity for fail, warning for anything needing a look, else none."""
    status = finding["status"]
    if status == "fail":
        return SEVERITY_LEVEL[finding["severity"]]
    if status in ("warn", "not_evaluated", "error"):
        return "warning"
    return "none"


def help_uri(rule: dict) -> str | None:
    """The first web address in the rule's help, description or remediation text."""
    for text in (rule.get("help", ""), rule.get("description", ""), rule.get("remediation", "")):
        match = _URL.search(text or "")
        if match:
            return match.group(0).rstrip(".,;")
    return None


def message_text(finding: dict) -> str:
    """The result message: subject label, what the status means, and the finding's own message."""
    phrase, message = STATUS_PHRASE[finding["status"]], finding["message"]
    said, prefix = _ALREADY_SAID.get(finding["status"], (None, ""))
    if said and message.casefold().startswith(said):
        phrase = prefix
    label = finding["subject"]["name"] or finding["subject"]["id"]
    if label:
        return f"{label}: {phrase}{message}"
    text = f"{phrase}{message}"
    return text[:1].upper() + text[1:]


SHOWN = ("fail", "warn", "error", "not_evaluated")


DISPLAY_ORDER = ("fail", "warn", "error", "not_evaluated", "skip", "pass")  # what needs a look first


SHAPES = {"arm-bodies": " (ARM bodies)"}  # a snapshot file's `shape` note in headers: its rows were converted


def status_message(status: str, message: str) -> str:
    """`not evaluated: <message>`, unless the message already starts with what the status says."""
    label = status.replace("_", " ")
    return message if message.casefold().startswith(label) else f"{label}: {message}"


def summary_line(doc: dict) -> str:
    """`27 findings: 5 fail, 3 warn, 1 skip, 18 pass`, plain: the last line of the text report."""
    by_status = doc["summary"]["by_status"]
    counts = ", ".join(f"{by_status.get(s, 0)} {s.replace('_', ' ')}" for s in DISPLAY_ORDER if by_status.get(s, 0))
    return f"{count_noun(doc['summary']['total'], 'finding')}: {counts or 'none'}"


def short_locator(resource_id: str) -> str:
    """A resource id without what the reader rarely needs: `rg/RG-Migrate · storageAccounts/lsa1`,
    `sub/a8d2e6f1 · rg/RG-Migrate`, `sub/a8d2e6f1 · routeFilters/rf1`; any other id as it is."""
    parts = resource_id.strip("/").split("/")
    if len(parts) < 2 or parts[0].casefold() != "subscriptions":
        return resource_id
    subscription, rest = f"sub/{parts[1][:8]}", parts[2:]
    if len(rest) >= 2 and rest[0].casefold() == "resourcegroups":
        scope, rest = f"rg/{rest[1]}", rest[2:]
        if not rest:
            return f"{subscription} · {scope}"
    else:
        scope = subscription
    if len(rest) >= 4 and rest[0].casefold() == "providers":
        rest = rest[2:]  # the namespace (Microsoft.Storage) is implied by the type's name
    return f"{scope} · {'/'.join(rest)}" if rest else scope


def count_noun(number: int, noun: str) -> str:
    """`1 rule`, `3 rules`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def rules_of(doc: dict) -> dict[str, dict]:
    """The run's rules by id, in the header's order, then a minimal entry (no prose, no tags) for any rule a
    finding names that the header lacks."""
    rules = {rule["id"]: rule for rule in doc["rules"]}
    for finding in doc["findings"]:
        if finding["rule_id"] not in rules:
            rules[finding["rule_id"]] = {"id": finding["rule_id"], "title": finding["title"],
                                         "severity": finding["severity"], "description": "", "remediation": "",
                                         "help": "", "tags": [], "location": finding["rule_location"]}
    return rules


def by_rule(doc: dict) -> list[tuple[dict, list[dict]]]:
    """(rule, its findings) for every rule of rules_of(doc), most severe rule first, then by id."""
    rules = rules_of(doc)
    groups: dict[str, list[dict]] = {rule_id: [] for rule_id in rules}
    for finding in doc["findings"]:
        groups[finding["rule_id"]].append(finding)
    order = sorted(groups, key=lambda rid: (-SEVERITY_RANK[rules[rid]["severity"]], rid))
    return [(rules[rid], groups[rid]) for rid in order]
