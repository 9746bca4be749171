"""The scheduled-scan recipes in examples/ci parse, and every argus call in them uses real argus flags.

The shell in each recipe runs for real, with a stand-in `argus` on PATH that records its arguments and
creates the files named by --output, --chart and --history (so the recipes' own checks for them hold);
the recorded command lines then go through argus' own argument parser. Each recipe runs twice: the first
run has no previous report, the second has one.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from argus.commands import scan
from argus.commands.cli import build_parser

REPO = Path(__file__).resolve().parents[1]
CI = REPO / "examples" / "ci"
GITHUB = CI / "github-scheduled-scan.yml"
AZURE = CI / "azure-pipelines-scheduled-scan.yml"
CRON = CI / "argus-nightly.sh"

STUB = """#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["ARGUS_STUB_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
for flag, value in zip(args, args[1:]):
    if flag in ("--output", "--chart", "--history"):
        with open(value, "w", encoding="utf-8") as out:
            out.write("{{}}\\n")
sys.exit(int(os.environ.get("ARGUS_STUB_EXIT_" + args[0].upper(), os.environ.get("ARGUS_STUB_EXIT", "0"))))
"""


def stand_in(tmp_path: Path) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "argus"
    stub.write_text(STUB.format(python=sys.executable), encoding="utf-8")
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return stub, tmp_path / "argus-calls.jsonl"


def run_shell(script: str, cwd: Path, env: dict) -> None:
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def calls(log: Path) -> list[list[str]]:
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def check_real_flags(argv: list[str]) -> None:
    """argus' own parser accepts the call; each --format has its own --output file right after it."""
    parser = build_parser(only=argv[0])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports unknown flags and bad values by exiting 2
        pytest.fail(f"argus rejects {' '.join(argv)} (exit {exc.code})")
    if argv[0] == "scan":
        pairs = scan.output_pairs(args)
        assert len(pairs) > 1 and all(out for _, out in pairs), argv
        for fmt, out in pairs:
            assert argv[argv.index(out) - 3:argv.index(out)] == ["--format", fmt, "--output"], argv


def environment(tmp_path: Path, **extra: str) -> dict:
    stub, log = stand_in(tmp_path)
    return {"PATH": f"{stub.parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
            "ARGUS_STUB_LOG": str(log), **extra}


def workflow_steps(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["jobs"]["scan"]["steps"] if "jobs" in data else data["steps"]


# --- GitHub Actions ---

def github_shell(step: dict) -> str:
    # ${{ }} expressions are filled in by GitHub before the shell runs; stand in plausible values
    return re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}",
                  lambda m: "0" if m.group(1).startswith("steps.") else "mg-contoso-platform", step["run"])


def test_github_workflow_shape():
    data = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert data["permissions"]["security-events"] == "write" and data["permissions"]["id-token"] == "write"
    steps = workflow_steps(GITHUB)
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "azure/login", "actions/cache/restore",
                    "github/codeql-action/upload-sarif", "advanced-security/dismiss-alerts", "actions/upload-artifact",
                    "actions/cache/save"]
    assert all("@v" in s["uses"] for s in steps if "uses" in s)  # pinned to a major version
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    scan = next(s for s in steps if s.get("id") == "scan")
    assert f"--format sarif --output {upload['with']['sarif_file']}" in scan["run"]
    dismiss = next(s for s in steps if s.get("uses", "").startswith("advanced-security/dismiss-alerts"))
    assert dismiss["with"] == {"sarif-id": "${{ steps.upload.outputs.sarif-id }}", "sarif-file": upload["with"]["sarif_file"]}


def test_github_workflow_calls_real_argus_flags(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    env = environment(tmp_path, GITHUB_OUTPUT=str(tmp_path / "output"), GITHUB_STEP_SUMMARY=str(tmp_path / "summary"))
    shells = [github_shell(s) for s in workflow_steps(GITHUB)
              if "run" in s and re.search(r"^\s*(?:if .*; then )?argus ", s["run"], re.MULTILINE)]
    seen = []
    for _ in range(2):  # first run without a previous scan, then with one
        for shell in shells:
            run_shell(shell, work, env)
        seen.append(calls(Path(env["ARGUS_STUB_LOG"])))
    for argv in seen[0] + seen[1]:
        check_real_flags(argv)
    first_scan = next(a for a in seen[0] if a[0] == "scan")
    second_scan = next(a for a in seen[1] if a[0] == "scan")
    assert "--baseline" not in first_scan
    assert second_scan[second_scan.index("--baseline") + 1] == ".argus-state/last.json" and "--fail-on-new" in second_scan
    assert [a[0] for a in seen[1]] == ["collect", "scan", "history"]
    assert (tmp_path / "output").read_text(encoding="utf-8") == "exit=0\nexit=0\n"


# --- Azure DevOps ---

def azure_shell(script: str, workspace: Path) -> str:
    # $(name) macros are expanded by Azure Pipelines before the script runs
    values = {"Pipeline.Workspace": str(workspace), "managementGroup": "mg-contoso-platform"}
    return re.sub(r"\$\(([A-Za-z_.]+)\)", lambda m: values[m.group(1)], script)


def test_azure_pipeline_shape():
    data = yaml.safe_load(AZURE.read_text(encoding="utf-8"))
    (schedule,) = data["schedules"]
    assert len(schedule["cron"].split()) == 5 and schedule["always"] is True
    tasks = [s.get("task") for s in data["steps"] if "task" in s]
    assert tasks == ["UsePythonVersion@0", "DownloadPipelineArtifact@2", "AzureCLI@2", "PublishTestResults@2",
                     "PublishPipelineArtifact@1", "PublishPipelineArtifact@1", "PublishPipelineArtifact@1"]
    tests = next(s for s in data["steps"] if s.get("task") == "PublishTestResults@2")
    script = next(s for s in data["steps"] if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"]
    assert tests["inputs"]["testResultsFormat"] == "JUnit"
    assert f"--format junit --output {tests['inputs']['testResultsFiles']}" in script
    states = [s["inputs"] for s in data["steps"] if s.get("task", "").startswith(("Download", "Publish"))
              and s["inputs"].get("artifact", s["inputs"].get("artifactName")) == "argus-state"]
    assert len(states) == 2  # fetched at the start, published at the end


def test_azure_pipeline_calls_real_argus_flags(tmp_path):
    work, workspace = tmp_path / "work", tmp_path / "workspace"
    work.mkdir()
    data = yaml.safe_load(AZURE.read_text(encoding="utf-8"))
    script = next(s for s in data["steps"] if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"]
    env = environment(tmp_path)
    seen = []
    for _ in range(2):
        run_shell(azure_shell(script, workspace), work, env)
        seen.append(calls(Path(env["ARGUS_STUB_LOG"])))
    for argv in seen[0] + seen[1]:
        check_real_flags(argv)
    assert "--baseline" not in next(a for a in seen[0] if a[0] == "scan")
    assert f"{workspace}/argus-state/last.json" in next(a for a in seen[1] if a[0] == "scan")


# --- cron ---

def test_cron_script_calls_real_argus_flags(tmp_path):
    state = tmp_path / "state"
    env = environment(tmp_path, MANAGEMENT_GROUP="mg-contoso-platform", STATE_DIR=str(state))
    env["ARGUS"] = str(Path(env["PATH"].split(os.pathsep)[0]) / "argus")
    seen = []
    for _ in range(2):
        run_shell(f"exec {CRON}", tmp_path, env)
        seen.append(calls(Path(env["ARGUS_STUB_LOG"])))
    for argv in seen[0] + seen[1]:
        check_real_flags(argv)
    assert [a[0] for a in seen[1]] == ["collect", "scan", "history"]
    assert "--baseline" not in seen[0][1] and "reports/latest.json" in seen[1][1]
    assert (state / "reports" / "latest.json").is_symlink()
    assert re.fullmatch(r"snapshots/argus-\d{8}T\d{6}Z\.json", seen[0][0][seen[0][0].index("--output") + 1])


@pytest.mark.parametrize("scan_exit", [0, 1, 2])
def test_cron_script_exits_with_the_scans_code_even_when_history_fails(tmp_path, scan_exit):
    state = tmp_path / "state"
    env = environment(tmp_path, MANAGEMENT_GROUP="mg-contoso-platform", STATE_DIR=str(state),
                      ARGUS_STUB_EXIT_SCAN=str(scan_exit), ARGUS_STUB_EXIT_HISTORY="2")
    env["ARGUS"] = str(Path(env["PATH"].split(os.pathsep)[0]) / "argus")
    done = subprocess.run(["bash", str(CRON)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == scan_exit
    assert "argus-nightly: argus history failed (exit 2); the scan's exit code stands\n" in done.stderr
    assert [call[0] for call in calls(Path(env["ARGUS_STUB_LOG"]))] == ["collect", "scan", "history"]


def test_cron_script_needs_a_scope(tmp_path):
    env = environment(tmp_path, STATE_DIR=str(tmp_path / "state"))
    done = subprocess.run(["bash", str(CRON)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "set MANAGEMENT_GROUP" in done.stderr


def test_scheduling_doc_shows_the_recipes():
    doc = (REPO / "docs" / "scheduling.md").read_text(encoding="utf-8")
    for recipe in ("examples/ci/argus-nightly.sh", "examples/ci/github-scheduled-scan.yml",
                   "examples/ci/azure-pipelines-scheduled-scan.yml"):
        assert recipe in doc
    crontab = re.findall(r"^(\S+ \S+ \S+ \S+ \S+) +(?:\S+=\S+ +)*(\S+argus-nightly\.sh)", doc, re.MULTILINE)
    assert crontab and all(len(fields.split()) == 5 for fields, _ in crontab)
