"""`argus check` in machine-readable form: its diagnostics as JSON or as a SARIF 2.1.0 log.

In: the diagnostics `argus check` found, the counts of its summary (files, rules, errors, warnings) and the
repository root. Out: text. JSON: the counts and every diagnostic (code, severity, message, file, line, col,
end_line, end_col). SARIF: one result per diagnostic, ruleId = its code, level error or warning, located in
the rule file (region start and end; a path inside the repository relative to %SRCROOT%, as code scanning
wants), one reportingDescriptor per code used with its title from diagnostics.CODES; the invocation fails
when any diagnostic is an error, as `argus check` exits 2 then.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

from argus import __version__
from argus.diagnostics import CODES, Diagnostic

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"


def render_json(diags: list[Diagnostic], counts: dict) -> str:
    items = [{**d.to_dict(), "end_line": d.span.end_line if d.span else None,
              "end_col": d.span.end_col if d.span else None} for d in diags]
    return json.dumps({**counts, "diagnostics": items}, indent=2, ensure_ascii=False) + "\n"


def render_sarif(diags: list[Diagnostic], counts: dict, repo_root: str) -> str:
    codes = sorted({d.code for d in diags})
    index = {code: i for i, code in enumerate(codes)}
    root = Path(repo_root).resolve()
    run = {
        "tool": {"driver": {"name": "argus", "fullName": f"argus {__version__} check", "version": __version__,
                            "semanticVersion": __version__, "rules": [_descriptor(code) for code in codes]}},
        "automationDetails": {"id": "argus/check/"},
        "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [{"executionSuccessful": counts["errors"] == 0,
                         **({"exitCode": 2} if counts["errors"] else {})}],
        "columnKind": "unicodeCodePoints",
        "results": [_result(d, index[d.code], root) for d in diags],
        "properties": counts,
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _descriptor(code: str) -> dict:
    title = CODES.get(code, code)
    name = "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", title)) or code
    return {"id": code, "name": name, "shortDescription": {"text": title},
            "defaultConfiguration": {"level": _level(code)},
            "help": {"text": f"{code}: {title}. docs/language.md lists every diagnostic code."}}


def _level(code: str) -> str:
    return "warning" if code.startswith("W") else "error"


def _result(diag: Diagnostic, rule_index: int, root: Path) -> dict:
    result = {"ruleId": diag.code, "ruleIndex": rule_index, "level": _level(diag.code),
              "message": {"text": diag.message}}
    span = diag.span
    if span is not None:  # a diagnostic about no file (rare) has no location rather than a made-up one
        region = {"startLine": max(span.line, 1), "startColumn": max(span.col, 1)}
        if span.end_line >= span.line and (span.end_line, span.end_col) > (span.line, span.col):
            region.update(endLine=span.end_line, endColumn=span.end_col)
        result["locations"] = [{"physicalLocation": {"artifactLocation": _artifact(span.file, root),
                                                     "region": region}}]
    return result


def _artifact(path: str, root: Path) -> dict:
    resolved = Path(path).resolve()
    try:
        return {"uri": quote(resolved.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    except ValueError:  # outside the repository: only an absolute URI names it
        return {"uri": resolved.as_uri()}
