"""Baselines: what changed since an earlier scan.

In: an earlier output of argus, either its JSON report or its SARIF log (load), and the current report
document (apply). Out: the document annotated in place: each tracked finding gets `baseline_state`
(new | unchanged | updated), an updated one also `baseline_previous` (the earlier status, severity and
message), the document gets a top-level `absent` list (tracked findings of the earlier scan that are
gone) and `run.baseline` (which file it was compared with). What --fail-on-new fails on is argus.reports.report.is_new.

A baseline tracks problems: findings whose status is fail, warn, error or not_evaluated. A finding is
identified by rule id and case-folded subject id; it is `unchanged` when status, severity and message
are the same, else `updated`. A problem that passes now is absent; one that passed before is new.
Passes and skips carry no baseline state. A SARIF log that had to leave results out (GitHub's 25,000
limit) is refused as a baseline: every result it lacks would come back as new. A file that is not JSON is an
E408 diagnostic at the place the parser stopped; one of the wrong shape a UserError naming the JSON path.
"""

from __future__ import annotations

import json
from argus.validation import validator
from pathlib import Path


from argus.diagnostics import json_error
from argus.reports.present import GITHUB_MAX_RESULTS, message_text
from argus.errors import UserError

TRACKED = ("fail", "warn", "error", "not_evaluated")


def load(path: str) -> dict:
    """Read an earlier JSON report or SARIF log into {path, format, started_at, findings}."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise json_error("E408", str(path), exc, "baseline is not valid JSON", text) from None
    if isinstance(data, dict) and "runs" in data and "version" in data:
        return _from_sarif(data, str(path))
    if isinstance(data, dict) and "schema_version" in data:
        return _from_report(data, str(path))
    raise UserError(f"{path}: baseline is neither an argus JSON report nor a SARIF log")


def from_findings(findings: list[dict], path: str, started_at: str | None) -> dict:
    """A baseline made of findings in memory, as `load` returns one: `argus scan --what-if` compares the scan
    after the deployment with the scan of the same snapshot before it. `path` says what it was."""
    return {"path": path, "format": "json", "started_at": started_at, "findings": [_record(f) for f in findings]}


def apply(doc: dict, previous: dict) -> None:
    """Set `baseline_state` on tracked findings and add `absent` and `run.baseline` (mutates ``doc``)."""
    waiting: dict[tuple[str, str], list[int]] = {}
    for position, old in enumerate(previous["findings"]):
        if old["status"] in TRACKED:
            waiting.setdefault(_key(old), []).append(position)
    for finding in doc["findings"]:
        if finding["status"] not in TRACKED:
            continue
        current = _comparable(finding, previous["format"])
        candidates = waiting.get(_key(finding))
        if not candidates:
            finding["baseline_state"] = "new"
            continue
        same = [p for p in candidates if _comparable(previous["findings"][p], "json") == current]
        matched = same[0] if same else candidates[0]
        candidates.remove(matched)
        finding["baseline_state"] = "unchanged" if same else "updated"
        if not same:
            old = previous["findings"][matched]
            finding["baseline_previous"] = {key: old[key] for key in ("status", "severity", "message")}
    left = sorted(p for positions in waiting.values() for p in positions)
    doc["absent"] = [previous["findings"][p] for p in left]
    doc["run"]["baseline"] = {"path": previous["path"], "format": previous["format"],
                              "started_at": previous["started_at"]}


def _key(finding: dict) -> tuple[str, str]:
    return finding["rule_id"], finding["subject"]["id"].casefold()


def _comparable(finding: dict, fmt: str) -> tuple[str, str, str]:
    # A SARIF baseline holds SARIF message text, so the current finding is compared in that form.
    message = message_text(finding) if fmt == "sarif" else finding["message"]
    return finding["status"], finding["severity"], message


def _record(finding: dict) -> dict:
    return {key: finding[key] for key in ("rule_id", "title", "severity", "status", "subject", "message")}


def _from_report(data: dict, path: str) -> dict:
    from jsonschema.exceptions import best_match  # jsonschema only when something is validated
    error = best_match(validator("report.schema.json", formats=False).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise UserError(f"{path}: baseline is not a valid argus report at {where}: {error.message}")
    return {"path": path, "format": "json", "started_at": data["run"]["started_at"],
            "findings": [_record(f) for f in data["findings"]]}


def _from_sarif(data: dict, path: str) -> dict:
    try:
        runs = data["runs"]
        if not runs or any(run["tool"]["driver"]["name"] != "argus" for run in runs):
            raise UserError(f"{path}: baseline SARIF was not written by argus")
        omitted = sum(_omitted(run, path) for run in runs)
        if omitted:
            raise UserError(f"{path}: this SARIF log left out {omitted} results (GitHub's limit of "
                            f"{GITHUB_MAX_RESULTS:,} per run), so as a baseline it would make them all new; "
                            "use that scan's JSON report (--format json) as the baseline instead")
        findings = [_sarif_record(result, run) for run in runs for result in run.get("results", [])
                    if result.get("kind", "fail") == "fail" and result.get("baselineState") != "absent"]
        started = runs[0].get("invocations", [{}])[0].get("startTimeUtc")
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise UserError(f"{path}: baseline SARIF is malformed (missing {exc})") from exc
    return {"path": path, "format": "sarif", "started_at": started, "findings": findings}


def _omitted(run: dict, path: str) -> int:
    omitted = (run.get("properties") or {}).get("omittedResults", 0)
    if not isinstance(omitted, int) or isinstance(omitted, bool) or omitted < 0:
        raise UserError(f"{path}: baseline SARIF is malformed (run.properties.omittedResults is {omitted!r}, "
                        "not a count)")
    return omitted


def _sarif_record(result: dict, run: dict) -> dict:
    properties = result.get("properties", {})
    if not {"status", "severity", "subject"} <= properties.keys():
        raise KeyError("result properties status/severity/subject")
    rules = run["tool"]["driver"].get("rules", [])
    index = result.get("ruleIndex")
    rule = rules[index] if isinstance(index, int) and 0 <= index < len(rules) else {}
    return {"rule_id": result["ruleId"], "title": rule.get("shortDescription", {}).get("text", result["ruleId"]),
            "severity": properties["severity"], "status": properties["status"], "subject": properties["subject"],
            "message": result["message"]["text"]}
