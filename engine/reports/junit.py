"""JUnit XML of a report document, for the test tabs of CI systems.

In: the JSON report document (annotated by waivers when they ran). Out: JUnit XML text: one test suite
per rule, one test case per finding (rule × subject). fail and warn become <failure> (type = status),
error and not_evaluated become <error>, skip becomes <skipped>, pass an empty test case. A waived
finding becomes <skipped> whose message names the waiver, since CI test tabs know no "accepted" state.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from argus.reports.present import by_rule

# XML 1.0 forbids most control characters even when escaped; drop them from any text we write.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def render(doc: dict) -> str:
    """The JUnit XML document for ``doc``."""
    suites = ET.Element("testsuites", name=_clean(f"argus {doc['run'].get('policy') or ''}".strip()))
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for rule, findings in by_rule(doc):
        suite = _suite(doc, rule, findings)
        suites.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key))
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("time", f"{doc['run']['duration_ms'] / 1000:.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _suite(doc: dict, rule: dict, findings: list[dict]) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(rule["id"]), timestamp=doc["run"]["started_at"], time="0")
    properties = ET.SubElement(suite, "properties")
    for name in ("title", "severity"):
        ET.SubElement(properties, "property", name=name, value=_clean(rule.get(name, "")))
    counts = dict.fromkeys(("failures", "errors", "skipped"), 0)
    for finding in findings:
        case, outcome = _case(rule, finding)
        suite.append(case)
        if outcome:
            counts[outcome] += 1
    suite.set("tests", str(len(findings)))
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _case(rule: dict, finding: dict) -> tuple[ET.Element, str | None]:
    location = rule.get("location") or finding["rule_location"]
    case = ET.Element("testcase", classname=_clean(rule["id"]), name=_clean(_case_name(finding)),
                      file=_clean(location.get("file", "")), line=str(location.get("line", 0)), time="0")
    status = finding["status"]
    message = _clean(finding["message"])
    if finding.get("waiver"):
        waiver = finding["waiver"]
        text = (f"waived ({status}) until {waiver['expires']} by {waiver['owner']}: {waiver['justification']}"
                + (f" [{waiver['ticket']}]" if waiver.get("ticket") else ""))
        ET.SubElement(case, "skipped", message=_clean(text)).text = message
        return case, "skipped"
    if status == "pass":
        return case, None
    tag, outcome = {"fail": ("failure", "failures"), "warn": ("failure", "failures"), "error": ("error", "errors"),
                    "not_evaluated": ("error", "errors"), "skip": ("skipped", "skipped")}[status]
    element = ET.SubElement(case, tag, message=message)
    if tag != "skipped":
        element.set("type", status)
        element.text = _details(rule, finding)
    return case, outcome


def _case_name(finding: dict) -> str:
    subject = finding["subject"]
    if subject["name"] and subject["id"] and subject["name"] != subject["id"]:
        return f"{subject['name']} ({subject['id']})"
    return subject["id"] or subject["name"] or finding["rule_id"]


def _details(rule: dict, finding: dict) -> str:
    lines = [f"{finding['severity']} {finding['status']}: {finding['message']}",
             f"subject: {finding['subject']['id'] or '(rule)'}"]
    for item in finding["evidence"]:
        lines.append(f"evidence: {item['resource'] or ''} {item['path']} = {json.dumps(item['actual'])}"
                     + (f" (expected {item['expected']})" if item.get("expected") else ""))
    lines += [f"related: {rid}" for rid in finding["related"]]
    if rule.get("remediation"):
        lines.append(f"remediation: {rule['remediation']}")
    if finding.get("baseline_state"):
        lines.append(f"baseline: {finding['baseline_state']}")
    return _clean("\n".join(lines))


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
