"""Hand-written report documents (tests/data/reports/) shared by the export tests: paths and a loader."""

from __future__ import annotations

import json
from pathlib import Path

REPORTS = Path(__file__).resolve().parent / "data" / "reports"
SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40"


def report(name: str = "scan-2026-11-27.json") -> dict:
    """A fresh copy of a report document: tests mutate it (waivers, baselines)."""
    return json.loads((REPORTS / name).read_text(encoding="utf-8"))
