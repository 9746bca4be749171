"""The pull-request what-if recipes in examples/ci parse, call argus with real flags, and work end to end.

Each recipe's shell runs for real with stand-ins for the tools it calls: `az` prints a what-if fixture of
tests/data/whatif (as `az deployment group what-if --no-pretty-print` prints one), `gh` records its arguments,
and `argus` either records its arguments (the flags are then parsed by argus' own parser, as in
tests/test_scheduling.py) or is the real argus, whose `collect` alone is stood in for by the example estate.
The install and collect steps themselves run as written in tests/test_wheel.py.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import yaml

from test_collect_scan import example_tables
from test_scheduling import calls, check_real_flags

REPO = Path(__file__).resolve().parents[1]
CI = REPO / "examples" / "ci"
GITHUB = CI / "github-pr-what-if.yml"
AZURE = CI / "azure-pipelines-pr-what-if.yml"
WHATIF = REPO / "tests" / "data" / "whatif"
REAL_ARGUS = Path(sys.executable).parent / "argus"

RECORDER = """#!{python}
import json, os, sys
with open(os.environ["STUB_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([{name!r}] + sys.argv[1:]) + "\\n")
{body}
"""
AZ_BODY = """if sys.argv[1:4] == ["deployment", "group", "what-if"]:
    sys.stdout.write(open(os.environ["WHATIF_FIXTURE"], encoding="utf-8").read())
"""
ARGUS_RECORD_BODY = """for flag, value in zip(sys.argv[1:], sys.argv[2:]):
    if flag == "--output":
        os.makedirs(os.path.dirname(value) or ".", exist_ok=True)
        open(value, "w", encoding="utf-8").write("{}\\n")
"""
ARGUS_REAL_BODY = """args = sys.argv[1:]
if args[0] == "collect":  # the estate now: the example, as a collection of it would hold it
    out = args[args.index("--output") + 1]
    open(out, "w", encoding="utf-8").write(open(os.environ["EXAMPLE_SNAPSHOT"], encoding="utf-8").read())
    sys.exit(0)
os.execv({real!r}, [{real!r}] + args)
"""


def stand_ins(tmp_path: Path, real_argus: bool) -> dict:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    argus_body = ARGUS_REAL_BODY.format(real=str(REAL_ARGUS)) if real_argus else ARGUS_RECORD_BODY
    for name, body in (("az", AZ_BODY), ("gh", ""), ("argus", argus_body)):
        tool = bin_dir / name
        tool.write_text(RECORDER.format(python=sys.executable, name=name, body=body), encoding="utf-8")
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    snapshot = tmp_path / "example-snapshot.json"
    snapshot.write_text(json.dumps(example_tables()), encoding="utf-8")
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path), "NO_COLOR": "1",
            "STUB_LOG": str(tmp_path / "calls.jsonl"), "EXAMPLE_SNAPSHOT": str(snapshot),
            "WHATIF_FIXTURE": str(WHATIF / "pull-request.json")}


def shell(script: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def by_tool(log: Path) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for call in calls(log):
        out.setdefault(call[0], []).append(call[1:])
    return out


# --- GitHub Actions ---

def github_steps() -> list[dict]:
    return yaml.safe_load(GITHUB.read_text(encoding="utf-8"))["jobs"]["what-if"]["steps"]


def github_shell(step: dict) -> str:
    # ${{ }} expressions are filled in by GitHub before the shell runs; stand in plausible values
    return re.sub(r"\$\{\{\s*([^}]*?)\s*\}\}", lambda m: "rg-network-spoke" if m.group(1).startswith("vars.")
                  else "0", step["run"])


def run_github(tmp_path: Path, real_argus: bool, fixture: str) -> tuple[dict, Path, dict]:
    """Every `run` step but the install, in order, as GitHub would run them; the comment step's env as set."""
    work = tmp_path / "work"
    work.mkdir()
    env = {**stand_ins(tmp_path, real_argus), "WHATIF_FIXTURE": str(WHATIF / fixture),
           "GITHUB_OUTPUT": str(tmp_path / "output"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    for step in github_steps():
        if "run" not in step or "pip install" in step["run"]:
            continue
        if step.get("if", "").startswith("steps.scan.outputs.exit"):
            continue  # the last step only turns the recorded exit code into the check's result
        done = shell(github_shell(step), work, {**env, "GH_TOKEN": "token", "PR": "1234"})
        assert done.returncode == 0, (step.get("name"), done.stderr)
    return by_tool(Path(env["STUB_LOG"])), work, env


def test_github_workflow_shape():
    data = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert triggers == {"pull_request": {"paths": ["infra/**"]}}
    assert data["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    steps = github_steps()
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/checkout", "actions/setup-python", "azure/login", "actions/upload-artifact"]
    scan = next(s for s in steps if s.get("id") == "scan")
    comment = next(s for s in steps if "gh pr comment" in s.get("run", ""))
    assert "--format markdown --output out/comment.md" in scan["run"] and "out/comment.md" in comment["run"]
    assert comment["env"]["PR"] == "${{ github.event.pull_request.number }}"
    assert steps[-1]["if"] == "steps.scan.outputs.exit != '0'" and "exit 1" in steps[-1]["run"]


def test_github_workflow_calls_real_argus_and_az_flags(tmp_path):
    seen, _, _ = run_github(tmp_path, real_argus=False, fixture="pull-request.json")
    for argv in seen["argus"]:
        check_real_flags(argv)
    assert [a[0] for a in seen["argus"]] == ["collect", "scan"]
    scan = seen["argus"][1]
    assert scan[scan.index("--what-if") + 1] == "whatif.json"
    assert {"--fail-on-new", "--fail-on-not-evaluated"} <= set(scan)
    (az,) = seen["az"]
    assert az[:3] == ["deployment", "group", "what-if"] and "--no-pretty-print" in az
    assert seen["gh"] == [["pr", "comment", "1234", "--body-file", "out/comment.md", "--edit-last"]]


def test_github_workflow_end_to_end_on_the_example(tmp_path):
    _, work, env = run_github(tmp_path, real_argus=True, fixture="pull-request.json")
    assert Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == "exit=1\n"  # AMX-PP-09 is broken
    comment = (work / "out" / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith("## argus what-if: this deployment breaks 1 check, fixes 1\n")
    assert "| AMX-PP-09 | high | lsa4f8e2b1c9d |" in comment
    assert Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8") == comment
    assert json.loads((work / "out" / "argus.json").read_text(encoding="utf-8"))["run"]["what_if"]["summary"] == {
        "breaks": 1, "fixes": 1, "unknown": 0, "warns": 0}


def test_github_workflow_passes_a_change_that_only_fixes(tmp_path):
    _, work, env = run_github(tmp_path, real_argus=True, fixture="spoke-link.cli.json")
    assert Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8") == "exit=0\n"
    assert (work / "out" / "comment.md").read_text(encoding="utf-8").startswith(
        "## argus what-if: this deployment breaks nothing argus checks, fixes 1\n")


# --- Azure DevOps ---

def azure_script() -> str:
    data = yaml.safe_load(AZURE.read_text(encoding="utf-8"))
    script = next(s for s in data["steps"] if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"]
    values = {"resourceGroup": "rg-network-spoke", "managementGroup": "mg-contoso-platform"}
    return re.sub(r"\$\(([A-Za-z_.]+)\)", lambda m: values[m.group(1)], script)


def test_azure_pipeline_shape():
    data = yaml.safe_load(AZURE.read_text(encoding="utf-8"))
    assert data["trigger"] == "none" and data["pr"]["paths"] == {"include": ["infra/*"]}
    tasks = [s.get("task") for s in data["steps"] if "task" in s]
    assert tasks == ["UsePythonVersion@0", "AzureCLI@2", "PublishTestResults@2", "PublishPipelineArtifact@1"]
    tests = next(s for s in data["steps"] if s.get("task") == "PublishTestResults@2")
    assert f"--format junit --output {tests['inputs']['testResultsFiles']}" in azure_script()


def test_azure_pipeline_calls_real_flags_and_ends_to_end(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    env = stand_ins(tmp_path, real_argus=True)
    done = shell(azure_script(), work, env)
    assert done.returncode == 1, done.stderr  # the scan's exit code: the change breaks AMX-PP-09
    assert f"##vso[task.uploadsummary]{work}/out/comment.md" in done.stdout
    seen = by_tool(Path(env["STUB_LOG"]))
    for argv in seen["argus"]:
        check_real_flags(argv)
    (az,) = seen["az"]
    assert az[:3] == ["deployment", "group", "what-if"] and "--no-pretty-print" in az
    assert (work / "out" / "comment.md").read_text(encoding="utf-8").startswith("## argus what-if: this deployment "
                                                                               "breaks 1 check, fixes 1\n")
    assert (work / "out" / "argus.xml").exists() and (work / "out" / "whatif.json").exists()
