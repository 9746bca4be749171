"""`argus scan` and `argus check` end to end: exit codes 0/1/2 (an error wins over findings), user errors
without tracebacks, no half-written --output, the JSON report validated against its schema with the run
facts (engine version, sha256 of rule and snapshot files, collected_at, timings), and `check` diagnostics.
Most runs call argus.commands.cli.main in-process; a few run the installed `argus` to prove the same of a process."""

from __future__ import annotations

import copy
import hashlib
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from argus import __version__
ROOT = Path(__file__).resolve().parents[1]

TESTS = Path(__file__).resolve().parent
SNAPSHOTS = TESTS / "data" / "snapshots"
SCHEMA = json.loads((ROOT / "engine" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
ARGUS = ROOT / ".venv" / "bin" / "argus"

RULES = '''\
rule CLI-1 "Cache account is general-purpose v2" {
  severity high
  for a in resources where type == "microsoft.storage/storageaccounts"
  require a.kind == "StorageV2" else "{a.name} is {a.kind}"
}

rule CLI-2 "Private endpoint connections are approved" {
  severity low
  for p in resources where type == "microsoft.network/privateendpoints"
  require all(c in nonempty(p.properties.privateLinkServiceConnections, "private link connections"):
              c.properties.privateLinkServiceConnectionState.status =~ "Approved")
    else "{p.name}: {p.properties.privateLinkServiceConnections[*].properties.privateLinkServiceConnectionState.status}"
}
'''

ERRING = '''
rule CLI-3 "Tags are counted" {
  severity info
  for a in resources
  require a.tags > 0
}
'''


@pytest.fixture
def pack(tmp_path, monkeypatch):
    """A rule file, a one-policy policies.yaml and snapshot variants in tmp_path (the working directory)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cli.argus").write_text(RULES, encoding="utf-8")
    (tmp_path / "policies.yaml").write_text("version: 1\npolicies:\n  ci:\n    rules: [cli.argus]\n", encoding="utf-8")
    base = json.loads((SNAPSHOTS / "tables.json").read_text(encoding="utf-8"))

    def variant(name: str, kind="StorageV2", status="Approved") -> str:
        doc = copy.deepcopy(base)
        doc["resources"][0]["kind"] = kind
        conn = doc["resources"][1]["properties"]["privateLinkServiceConnections"][0]["properties"]
        conn["privateLinkServiceConnectionState"]["status"] = status
        (tmp_path / name).write_text(json.dumps(doc), encoding="utf-8")
        return name
    return {
        "dir": tmp_path,
        "good": variant("good.json"),
        "high_fail": variant("high-fail.json", kind="Storage"),
        "low_fail": variant("low-fail.json", status="Pending"),
    }


def scan(argus, snapshot, *args):
    return argus("scan", "--policies", "policies.yaml", "--snapshot", snapshot, *args)


@pytest.mark.parametrize("snapshot, args, code", [
    ("good", [], 0),
    ("high_fail", [], 1),
    ("high_fail", ["--fail-on", "high"], 1),
    ("high_fail", ["--fail-on", "critical"], 0),
    ("high_fail", ["--fail-on", "never"], 0),
    ("low_fail", [], 1),
    ("low_fail", ["--fail-on", "low"], 1),
    ("low_fail", ["--fail-on", "medium"], 0),
])
def test_exit_code_follows_fail_on(pack, argus, snapshot, args, code):
    got, out, err = scan(argus, pack[snapshot], "--format", "json", *args)
    assert (got, err) == (code, "")
    assert json.loads(out)["summary"]["by_status"]["fail"] == (0 if snapshot == "good" else 1)


def test_an_error_finding_wins_over_failing_findings(pack, argus):
    (pack["dir"] / "cli.argus").write_text(RULES + ERRING, encoding="utf-8")
    code, out, err = scan(argus, pack["high_fail"], "--format", "json", "--fail-on", "never")
    doc = json.loads(out)
    assert (code, err) == (2, "")
    assert [(f["rule_id"], f["status"]) for f in doc["findings"]] == [
        ("CLI-1", "fail"), ("CLI-2", "pass"), ("CLI-3", "error"), ("CLI-3", "error")]
    assert doc["findings"][2]["message"] == "error in `a.tags > 0` (cli.argus:18): '>' cannot compare object with number"


def test_json_report_validates_and_carries_run_facts(pack, argus):
    code, out, err = scan(argus, pack["high_fail"], "--format", "json")
    doc = json.loads(out)
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)
    run = doc["run"]
    assert run["engine"] == {"name": "argus", "version": __version__}
    assert run["policy"] == "ci"
    assert run["rule_files"] == [{"path": "cli.argus", "sha256": sha256(pack["dir"] / "cli.argus")}]
    assert run["snapshots"] == [{"path": "high-fail.json", "sha256": sha256(pack["dir"] / "high-fail.json"),
                                 "collected_at": "2026-11-20T09:12:00Z", "rows": 4}]
    assert run["collected_at"] == "2026-11-20T09:12:00Z"
    assert run["duration_ms"] >= 0 and run["started_at"] <= run["finished_at"]
    assert [(r["id"], r["severity"], r["location"]) for r in doc["rules"]] == [
        ("CLI-1", "high", {"file": "cli.argus", "line": 1}), ("CLI-2", "low", {"file": "cli.argus", "line": 7})]
    assert doc["summary"]["total"] == 2 and doc["summary"]["by_status"]["fail"] == 1
    fail = doc["findings"][0]
    assert {k: fail[k] for k in ("rule_id", "status", "message", "rule_location", "source")} == {
        "rule_id": "CLI-1", "status": "fail", "message": "lsacontoso01 is Storage",
        "rule_location": {"file": "cli.argus", "line": 1}, "source": {"file": "high-fail.json", "index": 0, "table": "resources"}}
    assert fail["evidence"] == [{"resource": fail["subject"]["id"], "path": "kind", "actual": "Storage",
                                 "expected": '== "StorageV2"'}]
    assert doc["diagnostics"] == []


def test_checker_warnings_are_printed_and_reported(pack, argus):
    (pack["dir"] / "cli.argus").write_text(RULES.replace("a.kind ==", "a.id == a.name and a.kind =="), encoding="utf-8")
    code, out, err = scan(argus, pack["good"], "--format", "json")
    assert code == 1
    assert err.splitlines()[0] == "cli.argus:4:11: W500: 'id' is an Azure resource id, which is case-insensitive; compare with '=~'"
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["W500"]


def test_several_snapshots_and_a_directory_are_merged(pack, argus):
    estate, extra = SNAPSHOTS / "estate", pack["dir"] / "extra.jsonl"
    account = json.loads((SNAPSHOTS / "rows.jsonl").read_text(encoding="utf-8").splitlines()[0])
    account.update(id=account["id"].replace("lsacontoso01", "lsacontoso02"), name="lsacontoso02", kind="Storage")
    extra.write_text(json.dumps(account) + "\n", encoding="utf-8")
    code, out, err = scan(argus, estate, "--snapshot", "extra.jsonl", "--format", "json")
    doc = json.loads(out)
    assert (code, err) == (1, "")
    assert [(s["path"], s["sha256"], s["rows"]) for s in doc["run"]["snapshots"]] == [
        (str(estate / "01-resources.json"), sha256(estate / "01-resources.json"), 2),
        (str(estate / "02-containers.jsonl"), sha256(estate / "02-containers.jsonl"), 2),
        ("extra.jsonl", sha256(extra), 1)]
    assert [(f["rule_id"], f["status"], f["subject"]["name"], f["source"]) for f in doc["findings"]] == [
        ("CLI-1", "pass", "lsacontoso01", {"file": str(estate / "01-resources.json"), "index": 0, "table": "resources"}),
        ("CLI-1", "fail", "lsacontoso02", {"file": "extra.jsonl", "index": 0, "table": "resources"}),
        ("CLI-2", "pass", "pe-lsacontoso01-blob", {"file": str(estate / "01-resources.json"), "index": 1, "table": "resources"})]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_output_file_is_written_whole(pack, argus):
    code, out, err = scan(argus, pack["good"], "--format", "json", "--output", "report.json")
    assert (code, out, err) == (0, "", "argus scan: 2 findings: 2 pass (written to report.json)\n")
    assert json.loads((pack["dir"] / "report.json").read_text(encoding="utf-8"))["summary"]["total"] == 2
    assert not list(pack["dir"].glob(".argus-*"))


INVALID = SNAPSHOTS / "refused" / "invalid.json"


@pytest.mark.parametrize("snapshot, stderr", [
    ("missing.json", "argus scan: error: missing.json: no such snapshot file or directory\n"),
    (str(INVALID), f"{INVALID}:3:103: E412: invalid JSON: unexpected character, expected ',' or '}}'\n"
                   f"  {INVALID.read_text(encoding='utf-8').splitlines()[2]}\n  {' ' * 102}^\n"),
    (str(SNAPSHOTS / "refused" / "truncated.json"),
     f"argus scan: error: {SNAPSHOTS / 'refused' / 'truncated.json'}: page 1 says resultTruncated: true — ARG cut "
     "this result; re-run the query with paging (argus collect does) instead of evaluating a partial snapshot\n"),
])
def test_input_errors_exit_2_and_leave_no_output(pack, argus, snapshot, stderr):
    (pack["dir"] / "kept.json").write_text("previous report\n", encoding="utf-8")
    for target in ("report.json", "kept.json"):
        assert scan(argus, snapshot, "--format", "json", "--output", target) == (2, "", stderr)
    assert not (pack["dir"] / "report.json").exists()
    assert (pack["dir"] / "kept.json").read_text(encoding="utf-8") == "previous report\n"
    assert not list(pack["dir"].glob(".argus-*"))


def test_rule_errors_exit_2_with_located_diagnostics(pack, argus):
    (pack["dir"] / "cli.argus").write_text(RULES.replace('"{a.name} is {a.kind}"', '"{a.name} is {a.kind"'),
                                           encoding="utf-8")
    code, out, err = scan(argus, pack["good"], "--format", "json", "--output", "report.json")
    assert (code, out) == (2, "")
    assert err == ("cli.argus:4:51: E101: unterminated '{' in message\n"
                   '    require a.kind == "StorageV2" else "{a.name} is {a.kind"\n'
                   "  " + " " * 50 + "^\n")
    assert not (pack["dir"] / "report.json").exists()


@pytest.mark.parametrize("output, reason", [
    ("no-such-dir/report.json", "directory no-such-dir does not exist"),
    ("outdir", "it is a directory"),
])
def test_unwritable_output_is_a_user_error(pack, argus, output, reason):
    (pack["dir"] / "outdir").mkdir()
    code, out, err = scan(argus, pack["good"], "--format", "json", "--output", output)
    assert (code, out, err) == (2, "", f"argus scan: error: {output}: cannot write: {reason}\n")
    assert not list(pack["dir"].glob(".argus-*"))


@pytest.mark.parametrize("args, message", [
    (["--param", "nonsense"], "argus scan: error: --param 'nonsense': expected NAME=VALUE\n"),
    (["--output", "a.json", "--output", "b.json"],
     "argus scan: error: --output a.json comes before any --format; put it right after the format it is for "
     "(--format json --output a.json)\n"),
    (["--format", "json", "--format", "markdown"],
     "argus scan: error: only one format can go to stdout; give --output FILE for the others\n"),
    (["--rules", "nowhere"], "argus scan: error: nowhere: no such rule file or directory\n"),
])
def test_usage_errors(pack, argus, args, message):
    assert scan(argus, pack["good"], *args) == (2, "", message)


def test_argparse_errors_exit_2_without_traceback(argus):
    code, out, err = argus("scan", "--format", "xml")
    assert (code, out) == (2, "")
    assert "argus scan: error: argument -f/--format: invalid choice: 'xml'" in err and "Traceback" not in err
    assert argus()[0] == 2


# ---- argus check -------------------------------------------------------------------------------

SEEDED = '''\
param region: string = "westeurope"
let accounts = resources where type == "microsoft.storage/storageaccounts"

rule SEED-1 "Accounts exist" {
  severity medium
  for a in accounts where location =~ region
  require count(acounts) > 0
}

rule SEED-2 "Not too many accounts" {
  severity low
  for a in accounts
  require cuont(accounts) < 100
}

rule SEED-3 "Accounts are in the region" {
  severity low
  for a in accounts
  require a.location =~ regoin
}
'''

SEEDED_DIAGNOSTICS = '''\
seeded.argus:7:17: E200: undefined name 'acounts' (did you mean 'accounts'?)
    require count(acounts) > 0
                  ^~~~~~~
seeded.argus:13:11: E300: unknown function 'cuont' (did you mean 'count'?)
    require cuont(accounts) < 100
            ^~~~~~~~~~~~~~~
seeded.argus:19:25: E200: undefined name 'regoin' (did you mean 'region'?)
    require a.location =~ regoin
                          ^~~~~~
1 file, 3 rules: 3 errors, 0 warnings
'''


def test_check_reports_exactly_the_three_seeded_mistakes(argus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeded.argus").write_text(SEEDED, encoding="utf-8")
    assert argus("check", "seeded.argus") == (2, "", SEEDED_DIAGNOSTICS)


def test_check_clean_file_and_warnings_under_strict(argus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "clean.argus").write_text(RULES.split("\nrule CLI-2")[0], encoding="utf-8")
    assert argus("check", "rules") == (0, "", "1 file, 1 rule: 0 errors, 0 warnings\n")
    (tmp_path / "rules" / "nested").mkdir()
    (tmp_path / "rules" / "nested" / "warn.argus").write_text(
        'let unused = 1\nrule W-1 "w" {\n  severity low\n  for a in resources\n  require a.name == "x"\n}\n',
        encoding="utf-8")
    expected = ("rules/nested/warn.argus:1:1: W501: let 'unused' is never used\n"
                "  let unused = 1\n"
                "  ^~~~~~~~~~~~~~\n"
                "2 files, 2 rules: 0 errors, 1 warning\n")
    assert argus("check", "rules") == (0, "", expected)
    assert argus("check", "--strict", "rules") == (2, "", expected)


def test_check_input_errors(argus, tmp_path):
    assert argus("check", tmp_path / "nope.argus") == (
        2, "", f"argus check: error: {tmp_path / 'nope.argus'}: no such rule file or directory\n")
    (tmp_path / "latin1.argus").write_bytes('# caf\xe9\n'.encode("latin-1"))
    assert argus("check", tmp_path / "latin1.argus") == (
        2, "", f"argus check: error: {tmp_path / 'latin1.argus'}: not UTF-8 text (invalid continuation byte at byte 5)\n")


# ---- a real process ----------------------------------------------------------------------------

def run_argus(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([str(ARGUS), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_process_exit_codes_and_no_traceback(pack):
    done = run_argus("scan", "--policies", "policies.yaml", "--snapshot", pack["high_fail"], "--format", "json",
                     cwd=pack["dir"])
    assert (done.returncode, done.stderr) == (1, "")
    assert json.loads(done.stdout)["findings"][0]["status"] == "fail"

    bad = SNAPSHOTS / "refused" / "powershell.json"
    done = run_argus("scan", "--policies", "policies.yaml", "--snapshot", bad, "--format", "json", "--output", "out.json",
                     cwd=pack["dir"])
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"argus scan: error: {bad}: row 0: PowerShell Get-AzResource shape (PascalCase 'Properties'); "
                           "export ARG rows with Search-AzGraph or `az graph query` instead\n")
    assert not (pack["dir"] / "out.json").exists()


def test_process_check_exit_2(tmp_path):
    (tmp_path / "seeded.argus").write_text(SEEDED, encoding="utf-8")
    done = run_argus("check", "seeded.argus", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", SEEDED_DIAGNOSTICS)
