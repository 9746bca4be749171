"""The scan clock (argus.evaluation.clock): one instant per command, fixed with --now or ARGUS_NOW for scan, explain and test,
and with `now:` in a fixture file (per file or per case); recorded as run.now; a bad value is exit 2 naming it.

In: a rule that reads the clock (days_since of a storage account's key creation time) and a two-row snapshot,
written to a temporary directory. Out: exact findings, report fields and messages.
"""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

RULES = """\
rule KEY-01 "Keys are rotated every 90 days" {
  severity medium
  for account in resources where type == "microsoft.storage/storageaccounts"
  let age = days_since(account.properties.keyCreationTime.key1)
  require age <= 90 else "{account.name}: key1 is {age} days old on {now()}"
}
"""
FRESH = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stfresh"
OLD = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stold"
SNAPSHOT = {"resources": [
    {"id": FRESH, "name": "stfresh", "type": "Microsoft.Storage/storageAccounts",
     "properties": {"keyCreationTime": {"key1": "2026-02-01T00:00:00Z"}}},
    {"id": OLD, "name": "stold", "type": "Microsoft.Storage/storageAccounts",
     "properties": {"keyCreationTime": {"key1": "2025-09-01T00:00:00Z"}}},
]}
NOW = "2026-03-01T00:00:00Z"


@pytest.fixture
def ws(tmp_path, monkeypatch):
    (tmp_path / "keys.argus").write_text(RULES, encoding="utf-8")
    (tmp_path / "snapshot.json").write_text(json.dumps(SNAPSHOT), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARGUS_NOW", raising=False)
    return tmp_path


def scan_json(argus, *extra) -> tuple[int, dict]:
    code, out, err = argus("scan", "--rules", "keys.argus", "--snapshot", "snapshot.json", "--format", "json", *extra)
    assert err == "", err
    return code, json.loads(out)


def outcomes(doc) -> list[tuple]:
    return [(f["subject"]["name"], f["status"], f["message"]) for f in doc["findings"]]


def test_scan_now_fixes_the_clock_and_is_recorded(ws, argus):
    code, doc = scan_json(argus, "--now", NOW)
    assert code == 1
    assert outcomes(doc) == [("stfresh", "pass", "Keys are rotated every 90 days: satisfied"),
                             ("stold", "fail", "stold: key1 is 181 days old on 2026-03-01T00:00:00Z")]
    assert doc["run"]["now"] == NOW
    assert doc["run"]["settings"]["now"] == "flag"


def test_argus_now_sets_it_from_the_environment_and_a_flag_wins(ws, argus, monkeypatch):
    monkeypatch.setenv("ARGUS_NOW", "2025-10-01T02:00:00+02:00")
    code, doc = scan_json(argus)
    assert code == 0 and doc["run"]["now"] == "2025-10-01T00:00:00Z"
    assert doc["run"]["settings"]["now"] == "ARGUS_NOW"
    _, doc = scan_json(argus, "--now", NOW)
    assert doc["run"]["now"] == NOW and doc["run"]["settings"]["now"] == "flag"


def test_without_either_the_system_clock_is_read_once_and_recorded(ws, argus):
    before = datetime.now(timezone.utc)
    _, doc = scan_json(argus)
    recorded = datetime.fromisoformat(doc["run"]["now"])
    assert before - timedelta(seconds=1) <= recorded <= datetime.now(timezone.utc)
    assert "now" not in doc["run"]["settings"]
    assert doc["findings"][1]["message"].endswith(f"on {doc['run']['now']}")  # the instant the rules read


@pytest.mark.parametrize("flags, env, message", [
    (["--now", "2026-03-01"], None,
     "argus scan: error: --now: '2026-03-01' has no time zone; add Z for UTC or an offset such as +01:00\n"),
    (["--now", "tomorrow"], None,
     "argus scan: error: --now: 'tomorrow' is not an ISO 8601 timestamp (e.g. 2026-03-01T08:00:00Z)\n"),
    (["--now", ""], None, "argus scan: error: --now: '' is not an ISO 8601 timestamp (e.g. 2026-03-01T08:00:00Z)\n"),
    ([], "2026-03-01T00:00", "argus scan: error: ARGUS_NOW=2026-03-01T00:00: '2026-03-01T00:00' has no time zone; "
                             "add Z for UTC or an offset such as +01:00\n"),
])
def test_a_bad_clock_is_a_usage_error_naming_it(ws, argus, monkeypatch, flags, env, message):
    if env is not None:
        monkeypatch.setenv("ARGUS_NOW", env)
    code, out, err = argus("scan", "--rules", "keys.argus", "--snapshot", "snapshot.json", *flags)
    assert (code, out, err) == (2, "", message)


def test_explain_reads_the_same_clock(ws, argus):
    code, out, err = argus("explain", "KEY-01", "--rules", "keys.argus", "--snapshot", "snapshot.json",
                           "--subject", "stold", "--now", NOW, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["subjects"][0]["message"] == "stold: key1 is 181 days old on 2026-03-01T00:00:00Z"


def fixture(ws, text: str) -> None:
    pack = ws / "pack"
    (pack / "fixtures" / "KEY-01").mkdir(parents=True)
    (pack / "keys.argus").write_text(RULES, encoding="utf-8")
    (pack / "fixtures" / "KEY-01" / "cases.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    (pack / "snapshot.json").write_text(json.dumps(SNAPSHOT), encoding="utf-8")


CASES = f"""\
    rule: KEY-01
    snapshot: ../../snapshot.json
    now: {NOW}
    cases:
      - name: the file's clock
        expect:
          - {{status: pass, subject: {FRESH}}}
          - {{status: fail, subject: {OLD}, message: "stold: key1 is 181 days old on {NOW}"}}
      - name: a case's own clock wins over the file's
        now: 2025-10-01T00:00:00Z
        expect:
          - {{status: pass, subject: {FRESH}}}
          - {{status: pass, subject: {OLD}}}
"""


def test_fixture_now_per_file_and_per_case_wins_over_the_flag(ws, argus):
    fixture(ws, CASES)
    code, out, err = argus("test", "pack", "--now", "2030-01-01T00:00:00Z")
    assert (code, err) == (0, ""), out
    assert out.endswith("1 fixture file, 1 rule; 0 failing cases\n")


def test_without_fixture_now_the_flag_or_argus_now_sets_the_clock(ws, argus, monkeypatch):
    fixture(ws, CASES.replace(f"    now: {NOW}\n", "", 1))
    code, out, _ = argus("test", "pack")  # the system clock: long after 2026, the first case fails
    assert code == 1 and "FAIL the file's clock" in out
    assert argus("test", "pack", "--now", NOW)[0] == 0
    monkeypatch.setenv("ARGUS_NOW", NOW)
    assert argus("test", "pack")[0] == 0


@pytest.mark.parametrize("line, problem, caret", [
    ("now: 2026-03-01", "pack/fixtures/KEY-01/cases.yaml:3:6: E409: `now`: '2026-03-01' has no time zone; add Z for "
                        "UTC or an offset such as +01:00", "^~~~~~~~~~"),
    ("now: [1]", "pack/fixtures/KEY-01/cases.yaml:3:6: E409: `now` must be an ISO 8601 timestamp with a zone (e.g. "
                 "2026-03-01T00:00:00Z), got a list", "^~~"),
])
def test_a_bad_fixture_clock_is_a_located_problem(ws, argus, line, problem, caret):
    fixture(ws, CASES.replace(f"now: {NOW}", line, 1))
    code, out, err = argus("test", "pack")
    assert (code, out, err) == (2, "", f"{problem}\n  {line}\n  {' ' * 5}{caret}\n")  # the value after `now: `
