"""JUnit XML of an `argus test` run, for the test tabs of CI systems.

In: one record per fixture case as testcmd.Runner keeps them (fixture file, rules, case name, FILE:LINE,
problems, the findings it got, seconds) and the rules without fixtures. Out: JUnit XML text: one
<testsuite> per fixture file (named by its path, its rules as a property), one <testcase> per case
(classname = the rules it checks, file and line of the case), a failing case with a <failure> whose
message counts the mismatches and whose text lists them and what the rules found. Rules without fixtures
are one more suite, a case each: a <failure> with --require-fixtures (the run fails for them), else
<skipped>.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # XML 1.0 cannot carry these


def render(records: list[dict], untested: list[tuple[str, str, int]], require_fixtures: bool) -> str:
    suites = ET.Element("testsuites", name="argus test")
    by_file: dict[str, list[dict]] = {}
    for record in records:
        by_file.setdefault(record["file"], []).append(record)
    for path, cases in by_file.items():
        suites.append(_suite(path, cases))
    if untested:
        suites.append(_untested_suite(untested, require_fixtures))
    for key in ("tests", "failures", "errors", "skipped"):
        suites.set(key, str(sum(int(s.get(key)) for s in suites)))
    suites.set("time", f"{sum(r['seconds'] for r in records):.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _suite(path: str, cases: list[dict]) -> ET.Element:
    rules = sorted({rule for case in cases for rule in case["rules"]})
    suite = ET.Element("testsuite", name=_clean(path), tests=str(len(cases)),
                       failures=str(sum(1 for c in cases if c["problems"])), errors="0", skipped="0",
                       time=f"{sum(c['seconds'] for c in cases):.3f}")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="rules", value=", ".join(rules))
    for case in cases:
        file, _, line = case["where"].rpartition(":")
        element = ET.SubElement(suite, "testcase", name=_clean(case["name"]), classname=_clean(", ".join(case["rules"])),
                                file=_clean(file), line=line, time=f"{case['seconds']:.3f}")
        if case["problems"]:
            n = len(case["problems"])
            failure = ET.SubElement(element, "failure", type="mismatch",
                                    message=_clean(f"{n} mismatch{'es' * (n != 1)}: {case['problems'][0]}"))
            failure.text = _clean("\n".join(case["problems"] + case["got"]))
    return suite


def _untested_suite(untested: list[tuple[str, str, int]], require_fixtures: bool) -> ET.Element:
    suite = ET.Element("testsuite", name="rules without fixtures", tests=str(len(untested)),
                       failures=str(len(untested) if require_fixtures else 0), errors="0",
                       skipped="0" if require_fixtures else str(len(untested)), time="0.000")
    for rule_id, file, line in untested:
        element = ET.SubElement(suite, "testcase", name="has fixtures", classname=_clean(rule_id), file=_clean(file),
                                line=str(line), time="0.000")
        message = f"no fixture checks {rule_id} ({file}:{line})"
        ET.SubElement(element, "failure" if require_fixtures else "skipped", message=_clean(message))
    return suite


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
