"""Report document: findings + run facts -> the JSON-ready dict every export reads.

In: findings, rule infos, snapshot and rule-file facts, parameters, diagnostics, timings. Out: a dict that
validates against schemas/report.schema.json (run header with engine version, sha256 of every rule and
snapshot file, the snapshot's collection time, evaluation time; rules; summary; findings; diagnostics), and
`is_new`, what --fail-on-new fails on in a document compared with a baseline.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timezone

from argus import __version__
from argus.model import SEVERITIES, SEVERITY_RANK, STATUSES

SCHEMA_VERSION = "1.0"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def summarize(findings: list[dict]) -> dict:
    by_status = Counter(f["status"] for f in findings)
    by_sev: dict[str, dict] = {}
    for f in findings:
        by_sev.setdefault(f["severity"], Counter())[f["status"]] += 1
    return {
        "total": len(findings),
        "by_status": {s: by_status.get(s, 0) for s in STATUSES},
        "by_severity": {s: dict(by_sev[s]) for s in SEVERITIES if s in by_sev},
    }


def build(*, findings, rules, rule_files, snapshot, parameters, diagnostics, policy, started_at, finished_at, duration_ms) -> dict:
    items = [f.to_dict() for f in findings]
    return {
        "schema_version": SCHEMA_VERSION,
        "run": {
            "engine": {"name": "argus", "version": __version__},
            "policy": policy,
            "started_at": started_at,
            "finished_at": finished_at,
            "duration_ms": round(duration_ms, 3),
            "parameters": {k: v for k, v in sorted(parameters.items())},
            "rule_files": [{"path": p, "sha256": sha256_file(p)} for p in rule_files],
            "snapshots": [f.to_dict() for f in snapshot.files],
            "collected_at": snapshot.collected_at,
        },
        "rules": [r.to_dict() for r in rules],
        "summary": summarize(items),
        "findings": items,
        "diagnostics": [d.to_dict() for d in diagnostics],
    }


def is_new(finding: dict, fail_on: str = "info") -> bool:
    """True for a failure the baseline did not already fail on, the only kind --fail-on-new fails on:
    a new problem, or an updated one that was not a `fail` at or above ``fail_on`` before (a warning
    or a not-evaluated finding that now fails, a low failure that is now high)."""
    state = finding.get("baseline_state")
    if state == "new":
        return True
    if state != "updated":
        return False
    before = finding.get("baseline_previous") or {}
    return not (before.get("status") == "fail" and before.get("severity") in SEVERITY_RANK
                and SEVERITY_RANK[before["severity"]] >= SEVERITY_RANK[fail_on])
