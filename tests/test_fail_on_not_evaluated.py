"""`--fail-on-not-evaluated` (and ARGUS_FAIL_ON_NOT_EVALUATED / settings.fail_on_not_evaluated): a finding whose
data was absent fails the job like a failing one, within --fail-on; and an empty snapshot is W510, not silence."""

from __future__ import annotations

import json
import os

import pytest

from argus.commands import cli

RULE = """rule ST-TLS-01 "Storage accounts require TLS 1.2" {
  severity high
  for account in resources where type == "microsoft.storage/storageaccounts"
  require account.properties.minimumTlsVersion == "TLS1_2"
}
"""
# one account that passes, one that never had the property set in the export
ROWS = [
    {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stok",
     "name": "stok", "type": "microsoft.storage/storageaccounts", "properties": {"minimumTlsVersion": "TLS1_2"}},
    {"id": "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stunknown",
     "name": "stunknown", "type": "microsoft.storage/storageaccounts", "properties": {}},
]


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("ARGUS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "r.argus").write_text(RULE)
    (tmp_path / "snap.json").write_text(json.dumps({"resources": ROWS}))
    (tmp_path / "empty.json").write_text(json.dumps({"count": 0, "data": [], "skip_token": None, "total_records": 0}))
    return tmp_path


@pytest.mark.parametrize("flags, env, settings, code", [
    ([], {}, "", 0),                                                   # not_evaluated alone does not fail by default
    (["--fail-on-not-evaluated"], {}, "", 1),
    (["--fail-on-not-evaluated", "--fail-on", "critical"], {}, "", 0),  # the finding is high: below the floor
    ([], {"ARGUS_FAIL_ON_NOT_EVALUATED": "true"}, "", 1),
    ([], {}, "settings:\n  fail_on_not_evaluated: true\n", 1),
])
def test_not_evaluated_fails_the_job_when_asked(workspace, monkeypatch, capsys, flags, env, settings, code):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if settings:
        (workspace / "policies.yaml").write_text("version: 1\n" + settings + "policies:\n  p:\n    rules: [r.argus]\n")
        flags = flags + ["--policy", "p"]
        rules = []
    else:
        rules = ["--rules", "r.argus"]
    assert cli.main(["scan", *rules, "--snapshot", "snap.json", "--format", "json", *flags]) == code
    statuses = sorted((f["subject"]["name"], f["status"]) for f in json.loads(capsys.readouterr().out)["findings"])
    assert statuses == [("stok", "pass"), ("stunknown", "not_evaluated")]


def test_an_empty_snapshot_is_reported(workspace, capsys):
    assert cli.main(["scan", "--rules", "r.argus", "--snapshot", "empty.json"]) == 0
    err = capsys.readouterr()
    assert ("warning: W510 snapshot: no rows in any table; every rule is skipped or not evaluated, so nothing was "
            "checked (is the export's subscription or query right?)") in err.out.splitlines()
    assert cli.main(["scan", "--rules", "r.argus", "--snapshot", "empty.json", "--fail-on-not-evaluated"]) == 1
