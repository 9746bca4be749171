"""Result types shared by every stage after evaluation.

In: nothing (plain data). Out: Status/Severity vocabularies, Finding and RuleInfo records, and
their JSON-ready dict forms, which are the contract of the JSON report (schemas/report.schema.json)
that SARIF, JUnit, Markdown, baselines and history all read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATUSES = ("pass", "fail", "warn", "skip", "not_evaluated", "error")
SEVERITIES = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES))}


@dataclass(frozen=True, slots=True)
class Subject:
    id: str
    name: str
    type: str

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "type": self.type}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One value a rule read: where (resource id + JSON path), what it was, what was expected."""

    path: str
    actual: Any
    expected: str | None = None
    resource: str | None = None

    def to_dict(self) -> dict:
        return {"resource": self.resource, "path": self.path, "actual": self.actual, "expected": self.expected}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a subject's row was read: the snapshot file, the table, and the row's position in the file's
    array for that table (for files without tables — exports, pages, JSON Lines — its position in the file)."""

    file: str
    index: int
    table: str = "resources"

    def to_dict(self) -> dict:
        return {"file": self.file, "index": self.index, "table": self.table}


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    severity: str
    description: str = ""
    remediation: str = ""
    help: str = ""
    tags: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    def to_dict(self) -> dict:
        return {
            "id": self.id, "title": self.title, "severity": self.severity,
            "description": self.description, "remediation": self.remediation, "help": self.help,
            "tags": list(self.tags), "location": {"file": self.file, "line": self.line},
        }


class Finding:
    """One verdict. Subject, evidence, related ids and origin may be given directly, or be left to `details`,
    a function returning (subject, evidence, related, origin) that runs on first access: most findings of a
    big scan are never rendered in detail, so they never pay for it."""

    __slots__ = ("rule", "status", "message", "_subject", "_evidence", "_related", "_origin", "_details")

    def __init__(self, rule: RuleInfo, status: str, subject: Subject | None, message: str,
                 evidence: list[Evidence] | None = None, related: list[str] | None = None,
                 origin: Origin | None = None, details=None):
        self.rule, self.status, self.message = rule, status, message
        self._subject, self._origin, self._details = subject, origin, details
        if details is None:  # with details, they are filled in on first read: no lists for findings never read
            self._evidence, self._related = evidence or [], related or []

    def _resolve(self) -> None:
        if self._details is not None:
            details, self._details = self._details, None
            self._subject, self._evidence, self._related, self._origin = details()

    @property
    def subject(self) -> Subject:
        self._resolve()
        return self._subject

    @property
    def evidence(self) -> list[Evidence]:
        self._resolve()
        return self._evidence

    @property
    def related(self) -> list[str]:
        self._resolve()
        return self._related

    @property
    def origin(self) -> Origin | None:
        self._resolve()
        return self._origin

    def __repr__(self) -> str:
        return f"Finding({self.rule.id} {self.status} {self.subject.id!r}: {self.message!r})"

    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule.id,
            "title": self.rule.title,
            "severity": self.rule.severity,
            "status": self.status,
            "subject": self.subject.to_dict(),
            "message": self.message,
            "evidence": [e.to_dict() for e in self.evidence],
            "related": list(self.related),
            "rule_location": {"file": self.rule.file, "line": self.rule.line},
            "source": self.origin.to_dict() if self.origin else None,
        }
