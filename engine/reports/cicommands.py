"""CI-native outputs: GitHub Actions workflow commands and Azure DevOps logging commands.

In: the report document (annotated by waivers when they ran) and the repository root. Out: text for the CI
log, one annotation per finding that needs a look (fail, warn, error, not_evaluated) and per diagnostic,
located where the SARIF result points (the subject's row in its snapshot file, else the rule's line; see
argus.reports.locate.positions), with paths relative to the repository, then the summary as a plain log line.

- `github`: `::error file=F,line=L,col=C,title=T::message` (`::warning`, `::notice` by the SARIF level);
  data escapes % CR LF as %25 %0D %0A, property values also : and , (%3A %2C), as @actions/core does.
  A waived finding is a notice. With GITHUB_STEP_SUMMARY set, the Markdown summary is appended to that file
  (append_job_summary, called once the outputs are written).
- `azuredevops`: `##vso[task.logissue type=error;sourcepath=F;linenumber=L;columnnumber=C;code=RULE]message`;
  only error and warning exist there, so a note is a warning; property values escape % ; CR LF ] (%AZP25 %3B
  %0D %0A %5D), the message % CR LF, as azure-pipelines-task-lib does. A waived finding is a plain log line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from argus.reports.prose import paragraphs
from argus.reports.locate import find_repo_root, positions
from argus.reports.present import SHOWN, help_uri, level_for, message_text, short_locator, summary_line

GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}
AZURE_LEVEL = {"error": "error", "warning": "warning", "note": "warning"}


def github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def azure_property(text: str) -> str:
    return (text.replace("%", "%AZP25").replace(";", "%3B").replace("\r", "%0D").replace("\n", "%0A")
            .replace("]", "%5D"))


def azure_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def render_github(doc: dict, *, repo_root: str | None = None) -> str:
    """The GitHub Actions workflow commands for ``doc``."""
    lines, root = [], _root(repo_root)
    for diag in doc["diagnostics"]:
        where = _diag_where(diag, root)
        lines.append(f"::{GITHUB_LEVEL[_diag_level(diag)]} {_github_props(where, diag['code'])}::"
                     f"{github_data(diag['message'])}")
    for finding, (path, line, col), rule in _annotated(doc, root):
        level = "notice" if finding.get("waiver") else GITHUB_LEVEL[level_for(finding)]
        title = f"{finding['rule_id']} ({finding['severity']}): {finding['title']}"
        lines.append(f"::{level} {_github_props((path, line, col), title)}::{github_data(_details(finding, rule))}")
    lines.append(f"argus: {summary_line(doc)}")
    return "\n".join(lines) + "\n"


def render_azuredevops(doc: dict, *, repo_root: str | None = None) -> str:
    """The Azure DevOps logging commands for ``doc``."""
    lines, root = [], _root(repo_root)
    for diag in doc["diagnostics"]:
        where = _diag_where(diag, root)
        lines.append(f"##vso[task.logissue {_azure_props(_diag_level(diag), where, diag['code'])}]"
                     f"{azure_data(diag['message'])}")
    for finding, where, rule in _annotated(doc, root):
        text = f"{finding['rule_id']} ({finding['severity']}) {finding['title']}: {_details(finding, rule)}"
        if finding.get("waiver"):  # accepted: in the log, but not an issue of the run
            lines.append(f"argus: waived until {finding['waiver']['expires']}: " + azure_data(text))
            continue
        props = _azure_props(AZURE_LEVEL[level_for(finding)], where, finding["rule_id"])
        lines.append(f"##vso[task.logissue {props}]{azure_data(text)}")
    lines.append(f"argus: {summary_line(doc)}")
    return "\n".join(lines) + "\n"


def append_job_summary(pairs, doc: dict) -> None:
    """With --format github and GITHUB_STEP_SUMMARY set (as in a GitHub Actions step), append the Markdown
    summary to the job summary. It is an extra: a failure to write it is said, not fatal."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target or not any(fmt == "github" for fmt, _ in pairs):
        return
    from argus.reports.formats import render
    try:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(render("markdown", doc) + "\n")
    except OSError as exc:
        print(f"argus scan: note: cannot append the job summary to GITHUB_STEP_SUMMARY ({target}): "
              f"{exc.strerror or exc}", file=sys.stderr)


def _annotated(doc: dict, root: Path):
    """(finding, (path, line, column), rule) for every finding that needs a look, in report order."""
    rules = {rule["id"]: rule for rule in doc["rules"]}
    where = positions(doc)
    for finding in doc["findings"]:
        if finding["status"] in SHOWN:
            path, line, col = where(finding)
            yield finding, (_relative(path, root), line, col), rules.get(finding["rule_id"], {})


def _details(finding: dict, rule: dict) -> str:
    """The message, where the subject is, what to do and where to read more, one per line."""
    lines = [message_text(finding)]
    subject_id = finding["subject"]["id"]
    if subject_id:
        lines.append(f"Resource: {short_locator(subject_id)} ({subject_id})" if short_locator(subject_id) != subject_id
                     else f"Resource: {subject_id}")
    remediation = " ".join(paragraphs(rule.get("remediation")))
    if remediation:
        lines.append(f"Fix: {remediation}")
    uri = help_uri(rule)
    if uri:
        lines.append(f"Help: {uri}")
    return "\n".join(lines)


def _relative(path: str, root: Path) -> str:
    """The path from the repository root, as annotations want it; a file outside stays absolute."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return resolved.as_posix()


def _diag_where(diag: dict, root: Path) -> tuple[str | None, int | None, int | None]:
    if not diag.get("file"):
        return None, None, None
    return _relative(diag["file"], root), diag.get("line"), diag.get("col")


def _root(repo_root: str | None) -> Path:
    """The base annotation paths are relative to, found once per rendering."""
    return Path(repo_root or find_repo_root()).resolve()


def _diag_level(diag: dict) -> str:
    return "error" if diag["severity"] == "error" else "warning"


def _github_props(where, title: str) -> str:
    path, line, col = where
    props = [f"file={github_property(path)}"] if path else []
    props += [f"line={line}"] if path and line else []
    props += [f"col={col}"] if path and line and col else []
    return ",".join(props + [f"title={github_property(title)}"])


def _azure_props(kind: str, where, code: str) -> str:
    path, line, col = where
    props = [f"type={kind}"]
    props += [f"sourcepath={azure_property(path)}"] if path else []
    props += [f"linenumber={line}"] if path and line else []
    props += [f"columnnumber={col}"] if path and line and col else []
    return ";".join(props + [f"code={azure_property(code)}"])
