"""--now fixes the scan clock for waivers too: a waiver's expiry is judged on the scan's instant, so a
reproducible run (`--now`, ARGUS_NOW) gives the same waived findings whatever day it is re-run."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("now,state,waived", [
    ("2030-06-30T12:00:00Z", "active", True),    # the last day the waiver applies
    ("2030-07-01T00:00:00Z", "expired", False),
])
def test_waiver_expiry_follows_the_scan_clock(tmp_path, argus, now, state, waived):
    (tmp_path / "w.yaml").write_text(
        "waivers:\n  - {rule: AMX-PP-07, subject: '*', justification: link comes with the refresh, owner: netops,"
        " expires: 2030-06-30}\n", encoding="utf-8")
    code, out, _ = argus("scan", "--example", "--now", now, "--waivers", tmp_path / "w.yaml", "--format", "json")
    doc = json.loads(out)
    assert [w["state"] for w in doc["waivers"]] == [state]
    assert [bool(f.get("waiver")) for f in doc["findings"] if f["rule_id"] == "AMX-PP-07"] == [waived]
