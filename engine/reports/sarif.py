"""SARIF 2.1.0 export of a report document, shaped for GitHub code scanning.

In: the JSON report document (schemas/report.schema.json), optionally annotated by argus.policy.waivers
(`waiver` on findings) and argus.state.baseline (`baseline_state`). Out: the SARIF log as a string.

GitHub rejects a whole upload when one result lacks a physical location, so every result gets one:
the line of the subject's row in its snapshot file, or the rule's own file for findings without a
source row. The snapshot files are read lazily (only when a result is emitted) and each file once.
Pass and skip findings are left out unless asked for; at most ``max_results`` results are written
(GitHub's per-run limit) and the log says how many were cut. With ``repo_root`` (see find_repo_root)
files inside it get repository-relative URIs on the `%SRCROOT%` base, as code scanning expects.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path

from argus import exitcodes
from argus.reports.locate import SRCROOT, Locator, primary_location
from argus.model import SEVERITY_RANK
from argus.reports.present import GITHUB_MAX_RESULTS, SEVERITY_LEVEL, help_uri, level_for, message_text, rules_of

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
GITHUB_MAX_TAGS = 20

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
LEVEL_RANK = {"error": 0, "warning": 1, "note": 2, "none": 3}


def render(doc: dict, *, include_passed: bool = False, repo_root: str | None = None,
           max_results: int = GITHUB_MAX_RESULTS) -> str:
    """The SARIF log for ``doc`` as indented JSON text."""
    return json.dumps(build(doc, include_passed=include_passed, repo_root=repo_root, max_results=max_results),
                      indent=2, ensure_ascii=False) + "\n"


def build(doc: dict, *, include_passed: bool = False, repo_root: str | None = None,
          max_results: int = GITHUB_MAX_RESULTS) -> dict:
    """The SARIF log for ``doc`` as a dict (see render)."""
    if max_results < 0:
        raise ValueError("max_results must not be negative")
    rules = list(rules_of(doc).values())
    rule_index = {rule["id"]: i for i, rule in enumerate(rules)}
    candidates = [f for f in doc["findings"] if include_passed or level_for(f) != "none"]
    kept = _keep_most_severe(candidates, max_results)
    locator = Locator(repo_root, [s["path"] for s in doc["run"]["snapshots"]], kept)
    fingerprints = _Fingerprints()
    results = [_result(f, rule_index[f["rule_id"]], locator, fingerprints) for f in kept]
    run = {
        "tool": {"driver": _driver(doc, rules)},
        "automationDetails": {"id": f"argus/{doc['run'].get('policy') or 'default'}/"},
        "invocations": [_invocation(doc, len(candidates) - len(kept), max_results, locator)],
        "artifacts": _artifacts(doc, locator),
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {"policy": doc["run"].get("policy"), "collectedAt": doc["run"].get("collected_at"),
                       "omittedResults": len(candidates) - len(kept)},
    }
    if repo_root:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(repo_root).resolve().as_uri().rstrip("/") + "/"}}
    if "absent" in doc:
        run["properties"]["absent"] = doc["absent"]
    if doc["run"].get("what_if"):  # the baseline was the estate before the deployment (argus.deployment.whatif_scan)
        run["properties"]["whatIf"] = doc["run"]["what_if"]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _keep_most_severe(findings: list[dict], limit: int) -> list[dict]:
    if len(findings) <= limit:
        return findings
    order = sorted(range(len(findings)), key=lambda i: (LEVEL_RANK[level_for(findings[i])],
                                                        -SEVERITY_RANK[findings[i]["severity"]], i))
    return [findings[i] for i in sorted(order[:limit])]


def _driver(doc: dict, rules: list[dict]) -> dict:
    version = doc["run"]["engine"]["version"]
    return {"name": "argus", "fullName": f"argus {version}", "version": version, "semanticVersion": version,
            "rules": [_descriptor(rule) for rule in rules]}


def _descriptor(rule: dict) -> dict:
    level = SEVERITY_LEVEL[rule["severity"]]
    tags = list(dict.fromkeys(["security", *rule.get("tags", [])]))[:GITHUB_MAX_TAGS]
    descriptor = {
        "id": rule["id"],
        "name": rule_name(rule),
        "shortDescription": {"text": rule.get("title") or rule["id"]},
        "fullDescription": {"text": rule.get("description") or rule.get("title") or rule["id"]},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": tags, "security-severity": SECURITY_SEVERITY[rule["severity"]],
                       "precision": "high", "problem.severity": PROBLEM_SEVERITY[level], "severity": rule["severity"]},
    }
    uri = help_uri(rule)
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def rule_name(rule: dict) -> str:
    """A readable identifier (PascalCase of the title) that differs from the rule id, as GitHub wants."""
    words = re.findall(r"[A-Za-z0-9]+", rule.get("title") or "")
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Rule" + re.sub(r"[^A-Za-z0-9]", "", rule["id"])
    return name if name != rule["id"] else name + "Rule"


def _help_text(rule: dict) -> str:
    parts = [rule.get("description", ""), f"Remediation: {rule['remediation']}" if rule.get("remediation") else "",
             rule.get("help", ""), f"Severity: {rule['severity']}. Defined in {_where(rule)}."]
    return "\n\n".join(p for p in parts if p)


def _help_markdown(rule: dict) -> str:
    # Rule text may hold Markdown on purpose, but `<cache account>` would vanish as an HTML tag.
    text = {key: html.escape(rule.get(key) or "", quote=False) for key in ("description", "remediation", "help")}
    parts = [text["description"], f"**Remediation:** {text['remediation']}" if text["remediation"] else "",
             text["help"], f"**Severity:** {rule['severity']} · defined in `{_where(rule)}`"]
    return "\n\n".join(p for p in parts if p)


def _where(rule: dict) -> str:
    location = rule.get("location") or {}
    return f"{location.get('file') or '?'}:{location.get('line') or 0}"


def _result(finding: dict, rule_index: int, locator: Locator, fingerprints: _Fingerprints) -> dict:
    subject = finding["subject"]
    level = level_for(finding)
    primary = primary_location(finding, locator)
    result = {
        "ruleId": finding["rule_id"],
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": message_text(finding)},
        "locations": [primary],
        "partialFingerprints": fingerprints.next(finding["rule_id"], subject["id"]),
        "properties": {"status": finding["status"], "severity": finding["severity"], "subject": subject,
                       "evidence": finding["evidence"]},
    }
    if level == "none":
        result["kind"] = "pass" if finding["status"] == "pass" else "notApplicable"
    related = _related_locations(finding, primary, locator)
    if related:
        result["relatedLocations"] = related
    if finding.get("baseline_state"):
        result["baselineState"] = finding["baseline_state"]
    if finding.get("baseline_previous"):
        result["properties"]["baselinePrevious"] = finding["baseline_previous"]
    if finding.get("waiver"):
        result["suppressions"] = [_suppression(finding["waiver"])]
    return result


def _related_locations(finding: dict, primary: dict, locator: Locator) -> list[dict]:
    related = []
    seen = {finding["subject"]["id"].casefold()}
    for resource_id in finding["related"]:
        if resource_id.casefold() in seen:
            continue
        seen.add(resource_id.casefold())
        physical, note = locator.related(resource_id, finding.get("source")), ""
        if physical is None:  # only the reference from the subject's row is known
            physical, note = primary["physicalLocation"], " (not a row of the snapshot)"
        related.append({"id": len(related) + 1, "message": {"text": resource_id + note},
                        "physicalLocation": physical,
                        "logicalLocations": [{"fullyQualifiedName": resource_id, "kind": "resource"}]})
    return related


def _suppression(waiver: dict) -> dict:
    properties = {key: waiver[key] for key in ("owner", "expires", "ticket", "source") if waiver.get(key)}
    return {"kind": "external", "status": "accepted", "justification": waiver["justification"],
            "properties": properties}


def _invocation(doc: dict, omitted: int, limit: int, locator: Locator) -> dict:
    notes = []
    if omitted:
        notes.append({"level": "warning", "message": {"text": (
            f"{omitted} results were left out: GitHub code scanning accepts at most {limit} results per run. "
            "The most severe were kept; the JSON report has them all.")}})
    for path in locator.unreadable():
        notes.append({"level": "warning", "message": {"text": (
            f"snapshot file {path} could not be read; results from it point at its line 1")}})
    config = [_diagnostic_notification(d, locator) for d in doc["diagnostics"]]
    invocation = {"executionSuccessful": True, "startTimeUtc": doc["run"]["started_at"],
                  "endTimeUtc": doc["run"]["finished_at"], "toolExecutionNotifications": notes,
                  "toolConfigurationNotifications": config}
    errored = sum(1 for f in doc["findings"] if f["status"] == "error")
    config_errors = sum(1 for d in doc["diagnostics"] if d["severity"] == "error")
    if errored or config_errors:  # argus exits 2: the scan is incomplete, whatever the results say
        what = [f"{errored} finding{'s' * (errored != 1)} with status error (a rule could not run)"] if errored else []
        what += [f"{config_errors} error diagnostic{'s' * (config_errors != 1)}"] if config_errors else []
        invocation.update(executionSuccessful=False, exitCode=exitcodes.USAGE, exitCodeDescription="; ".join(what))
    return invocation


def _diagnostic_notification(diag: dict, locator: Locator) -> dict:
    note = {"level": diag["severity"], "message": {"text": diag["message"]}, "descriptor": {"id": diag["code"]}}
    if diag.get("file"):
        note["locations"] = [{"physicalLocation": locator.physical(diag["file"], diag.get("line") or 1,
                                                                   diag.get("col"))}]
    return note


def _artifacts(doc: dict, locator: Locator) -> list[dict]:
    run = doc["run"]
    files = [(s, "analysisTarget") for s in run["snapshots"]] + [(r, "policy") for r in run["rule_files"]]
    files += [(w, "analysisTarget") for w in (run.get("what_if") or {}).get("files", [])]
    return [{"location": locator.artifact(f["path"]), "hashes": {"sha-256": f["sha256"]}, "roles": [role]}
            for f, role in files]


class _Fingerprints:
    """partialFingerprints from rule id + case-folded subject id: stable across scans and line shifts."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def next(self, rule_id: str, subject_id: str) -> dict:
        digest = hashlib.sha256(f"{rule_id}\x00{subject_id.casefold()}".encode()).hexdigest()
        self._seen[digest] = occurrence = self._seen.get(digest, 0) + 1
        return {"primaryLocationLineHash": f"{digest[:16]}:{occurrence}", "argusFinding/v1": f"{digest}:{occurrence}"}


