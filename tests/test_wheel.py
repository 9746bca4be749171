"""The distribution as users install it, offline: the wheel built from this checkout, installed alone into a
fresh virtual environment and run from an empty directory; and the examples/ci recipes' install and collect
steps, run as written against the ARG stand-in.

No network at test time: the wheel is built without build isolation, pip installs with --no-index --no-deps,
and each new environment sees this environment's third-party packages through a .pth file naming a folder of
links to them (argus' own editable install left out, so nothing but the wheel provides `argus`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import jsonschema
import pytest

from argstandin import ArgStandIn
from argus.collection.collectspec import COLLECTABLE
from test_collect_scan import example_tables, standin_estate

REPO = Path(__file__).resolve().parents[1]
SUBSCRIPTIONS = ("0c4f2a7e-31b8-4d95-a6e2-8f1b7c3d5e90", "a8d2e6f1-47c3-4b09-9e5a-2d6f8b1c3e74")
GROUP = "mg-contoso-platform"
OFFLINE = ["--no-index", "--no-deps", "--no-build-isolation", "-q"]


def _run(argv, cwd, env=None, timeout=180) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    source = _copy_checkout(tmp_path_factory.mktemp("src"))  # the build writes build/ and *.egg-info
    done = _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                cwd=source)
    assert done.returncode == 0, done.stdout + done.stderr
    return next(out.glob("argus-*.whl"))


def _copy_checkout(dest: Path) -> Path:
    """The repository as a fresh clone has it (the links in engine/_data kept as links)."""
    target = dest / "argus"
    shutil.copytree(REPO, target, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache"))
    return target


def _environment(root: Path) -> Path:
    """A new virtual environment whose only argus is what gets installed into it."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    deps = root / "deps"
    deps.mkdir()
    here = Path(sysconfig.get_paths()["purelib"])
    for entry in here.iterdir():
        # argus comes from the wheel; matplotlib only with the chart extra, which these installs leave out
        if entry.name.startswith(("argus", "__editable__", "matplotlib")) or entry.suffix == ".pth":
            continue
        (deps / entry.name).symlink_to(entry)
    purelib = _run([str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=root).stdout.strip()
    Path(purelib, "argus-test-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return root


def _env_vars(venv: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return {**env, **extra}


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    venv = _environment(tmp_path_factory.mktemp("venv") / "env")
    done = _run([str(venv / "bin" / "python"), "-m", "pip", "install", *OFFLINE, str(wheel)], cwd=venv)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def test_wheel_holds_the_package_its_data_and_no_engine_module(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted({n.split("/")[0] for n in names}) == ["argus", "argus-0.1.0.dist-info"]
    rule_files = {n for n in names if n.startswith("argus/_data/rules/")}
    assert {f"argus/_data/rules/{p.relative_to(REPO / 'rules').as_posix()}"
            for p in (REPO / "rules").rglob("*") if p.is_file()} == rule_files
    assert {f"argus/_data/queries/{p.name}" for p in (REPO / "queries").glob("*.kql")} == {
        n for n in names if n.startswith("argus/_data/queries/")}
    # every module of every stage package (pyproject lists the packages one by one)
    assert {f"argus/{p.relative_to(REPO / 'engine').as_posix()}" for p in (REPO / "engine").rglob("*.py")
            if "_data" not in p.parts} == {n for n in names if n.endswith(".py")}
    for name in ("argus/_data/policies.yaml", "argus/language/grammar.lark", "argus/__main__.py",
                 "argus/schemas/report.schema.json", "argus/_data/example/estate/resources.json",
                 "argus/_data/example/appliance/contoso-mig-app01.facts.json",
                 "argus-0.1.0.dist-info/licenses/LICENSE"):
        assert name in names
    metadata = zipfile.ZipFile(wheel).read("argus-0.1.0.dist-info/METADATA").decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [r for r in requires if "matplotlib" in r and "extra ==" not in r], requires
    assert "Requires-Dist: matplotlib>=3.8; extra == \"chart\"" in requires


def test_installed_wheel_runs_from_an_empty_directory(installed, tmp_path):
    env = _env_vars(installed)
    argus = str(installed / "bin" / "argus")
    assert _run([argus, "--version"], tmp_path, env).stdout == "argus 0.1.0\n"
    assert _run([str(installed / "bin" / "python"), "-m", "argus", "--version"], tmp_path, env).stdout == "argus 0.1.0\n"
    assert _run([str(installed / "bin" / "python"), "-c", "import engine"], tmp_path, env).returncode == 1

    done = _run([argus, "scan", "--example", "--format", "json", "--output", "report.json"], tmp_path, env)
    assert done.returncode == 1, done.stderr
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "engine" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert doc["summary"]["by_status"] == {"pass": 18, "fail": 5, "warn": 3, "skip": 1, "error": 0,
                                           "not_evaluated": 0}
    site = installed / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    assert [s["path"] for s in doc["run"]["snapshots"]] == [
        str(site / "argus" / "_data" / "example" / p) for p in (
            "estate/dnsresources.jsonl", "estate/resourcecontainers.pages.json", "estate/resources.json",
            "appliance/contoso-mig-app01.facts.json")]

    done = _run([argus, "scan"], tmp_path, env)
    assert done.returncode == 2 and "no snapshot to scan" in done.stderr and "Traceback" not in done.stderr

    done = _run([argus, "check"], tmp_path, env)
    assert (done.returncode, done.stderr.splitlines()[-1]) == (0, "4 files, 23 rules: 0 errors, 0 warnings")
    done = _run([argus, "test"], tmp_path, env)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("23 fixture files, 23 rules; 0 failing")
    done = _run([argus, "explain", "AMX-PP-07", "--example"], tmp_path, env)
    assert done.returncode == 0 and "verdict  FAIL: privatelink.blob.core.windows.net is not linked" in done.stdout

    with ArgStandIn(standin_estate(example_tables())) as standin:
        done = _run([argus, "collect", "--arm-endpoint", standin.url, "--output", "collected.json", "--quiet",
                     *[a for s in SUBSCRIPTIONS for a in ("--subscription", s)]], tmp_path,
                    {**env, "ARGUS_ACCESS_TOKEN": "standin-token"})
        assert done.returncode == 0, done.stderr
        assert standin.violations == []
    done = _run([argus, "scan", "--snapshot", "collected.json", "--format", "json"], tmp_path, env)
    assert done.returncode == 1 and len(json.loads(done.stdout)["findings"]) == 27

    shutil.copy(REPO / "examples" / "appliance" / "appliance.json", tmp_path)
    done = _run([argus, "appliance-facts", "--name", "app01", "--kind", "vmware-agentless", "--appliance-json",
                 "appliance.json", "--no-proxy", "--output", "facts.json"], tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "facts.json").read_text(encoding="utf-8"))["appliance"][0]["id"] == "appliance/app01"

    assert _run([argus, "scan", "--example", "--history", "h.db", "--format", "json", "--output", "r.json"],
                tmp_path, env).returncode == 1
    done = _run([argus, "history", "h.db", "--chart", "trend.png"], tmp_path, env)
    assert done.returncode == 2 and "pip install 'argus[chart]'" in done.stderr
    assert not (tmp_path / "trend.png").exists()


def _recipe_step(text: str, pattern: str) -> str:
    found = re.findall(pattern, text, re.MULTILINE)
    assert len(found) == 1, (pattern, found)
    return found[0].strip()


@pytest.mark.parametrize("recipe,variable", [
    ("github-scheduled-scan.yml", '"${{ vars.ARGUS_MANAGEMENT_GROUP }}"'),
    ("azure-pipelines-scheduled-scan.yml", '"$(managementGroup)"'),
    ("github-pr-what-if.yml", '"${{ vars.ARGUS_MANAGEMENT_GROUP }}"'),
    ("azure-pipelines-pr-what-if.yml", '"$(managementGroup)"'),
])
def test_ci_recipe_installs_and_collects_as_written(recipe, variable, tmp_path):
    """The recipe's own install command in a fresh checkout (offline flags added), then its collect step."""
    text = (REPO / "examples" / "ci" / recipe).read_text(encoding="utf-8")
    install = _recipe_step(text, r"^\s*-?\s*(?:run|script): (python -m pip install [^#\n]*)")
    collect = _recipe_step(text, r"^\s*(?:run: )?(argus collect [^\n]*)")
    checkout = _copy_checkout(tmp_path)
    venv = _environment(tmp_path / "env")
    env = _env_vars(venv)
    done = _run(["bash", "-c", f"{install} {' '.join(OFFLINE)}"], checkout, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _run(["python", "-c", "import argus, sys; print(argus.__file__)"], checkout, env).stdout.startswith(str(venv))
    estate = standin_estate(example_tables())
    estate["management_groups"] = {GROUP: list(SUBSCRIPTIONS)}
    for row in estate["resourcecontainers"]:  # ARG's subscription rows name the groups above them
        if row["type"] == "microsoft.resources/subscriptions":
            row["properties"] = {**(row.get("properties") or {}),
                                 "managementGroupAncestorsChain": [{"name": GROUP, "displayName": GROUP}]}
    with ArgStandIn(estate) as standin:
        command = collect.replace(variable, GROUP) + f" --arm-endpoint {standin.url}"
        done = _run(["bash", "-c", command], checkout, {**env, "ARGUS_ACCESS_TOKEN": "standin-token"})
        assert done.returncode == 0, done.stderr
        assert standin.violations == []
    collected = json.loads((checkout / "snapshot.json").read_text(encoding="utf-8"))
    assert collected["header"]["scopes"] == {"subscriptions": [], "management_groups": [GROUP]}
    assert sorted(r["id"].casefold() for r in collected["resources"]) == sorted(  # what the queries select
        r["id"].casefold() for r in example_tables()["resources"] if r["type"] in COLLECTABLE)
