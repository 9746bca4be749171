"""What a user meets outside the checkout: bundled resources through importlib.resources, the project's
policies.yaml discovered (or given), no demo scan without `--example`, `new-rule` wired into the config, a
broken install reported in one line, and the chart extra. The installed wheel itself: tests/test_wheel.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from argus import resources
from argus.policy.policies import load_policy

REPO = Path(__file__).resolve().parents[1]
TINY_RULE = '''rule TINY-01 "Storage accounts exist" {
  severity low
  for a in resources where type == "microsoft.storage/storageaccounts"
    otherwise skip "no storage accounts"
  require a.name != ""
}
'''


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's repository: .git, policies.yaml at its root loading rules/, and a sub-directory to work in."""
    for var in [k for k in os.environ if k.startswith("ARGUS_")]:
        monkeypatch.delenv(var)
    (tmp_path / ".git").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "tiny.argus").write_text(TINY_RULE, encoding="utf-8")
    (tmp_path / "policies.yaml").write_text("version: 1\npolicies:\n  mine:\n    rules: [rules]\n", encoding="utf-8")
    (tmp_path / "infra" / "env").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "infra" / "env")
    return tmp_path


def test_bundled_resources_are_the_repository_folders_through_the_package():
    assert resources.rules_dir() == str(REPO / "rules")
    assert resources.queries_dir() == str(REPO / "queries")
    assert resources.policies_file() == str(REPO / "policies.yaml")
    assert resources.example_snapshot() == [str(REPO / "examples" / "estate"),
                                            str(REPO / "examples" / "appliance" / "contoso-mig-app01.facts.json")]
    assert resources.text("language", "grammar.lark") == (REPO / "engine" / "language" / "grammar.lark").read_text(encoding="utf-8")


@pytest.mark.parametrize("layout,start,expected", [
    ({".git/": None, "policies.yaml": "x"}, "a/b", "policies.yaml"),         # repository root, from deep inside
    ({".git/": None, "a/policies.yaml": "x", "policies.yaml": "x"}, "a/b", "a/policies.yaml"),  # nearest wins
    ({".git/": None}, "a/b", None),                                           # none in the repository
    ({"policies.yaml": "x"}, "a/b", None),                                    # outside a repository: only the cwd
    ({"a/b/policies.yaml": "x"}, "a/b", "a/b/policies.yaml"),
    ({"policies.yaml": "x", "a/.git/": None}, "a/b", None),                   # never above the repository root
])
def test_config_discovery(tmp_path, monkeypatch, layout, start, expected):
    for name, body in layout.items():
        target = tmp_path / name
        if name.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
    (tmp_path / start).mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(tmp_path / start)
    found = resources.find_config()
    assert (None if found is None else str(Path(found).resolve())) == (
        None if expected is None else str((tmp_path / expected).resolve()))


def test_scan_without_input_is_a_usage_error_naming_every_way_to_give_one(project, argus, tmp_path):
    code, out, err = argus("scan", "--format", "json", "--output", str(tmp_path / "out.json"))
    assert (code, out) == (2, "")
    assert err == ("argus scan: error: no snapshot to scan: pass --snapshot FILE (or set ARGUS_SNAPSHOT, or "
                   "settings.snapshot in policies.yaml), --live to collect one from Azure Resource Graph, or "
                   "--example for the bundled example estate\n")
    assert not (tmp_path / "out.json").exists()


def test_explain_without_input_is_a_usage_error(project, argus):
    code, _, err = argus("explain", "TINY-01")
    assert code == 2 and "no snapshot to scan" in err


def test_example_and_snapshot_together_are_refused(project, argus):
    code, _, err = argus("scan", "--example", "--snapshot", "x.json")
    assert (code, err) == (2, "argus scan: error: --example scans the bundled example estate; drop --snapshot (or --example)\n")


def test_snapshot_from_the_environment_counts_as_input(project, argus, monkeypatch):
    (project / "snap.json").write_text(json.dumps({"resources": []}), encoding="utf-8")
    monkeypatch.setenv("ARGUS_SNAPSHOT", str(project / "snap.json"))
    code, out, _ = argus("scan", "--format", "json")
    assert code == 0 and [f["rule_id"] for f in json.loads(out)["findings"]] == ["TINY-01"]


def test_scan_uses_the_discovered_project_config(project, argus):
    code, out, _ = argus("scan", "--example", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["run"]["policy"] == "mine"
    assert [(f["rule_id"], f["status"]) for f in doc["findings"]] == [("TINY-01", "pass")] * 3


def test_scan_without_project_config_uses_the_bundled_policies(tmp_path, monkeypatch, argus):
    monkeypatch.chdir(tmp_path)
    code, out, _ = argus("scan", "--example", "--format", "json")
    doc = json.loads(out)
    assert (code, doc["run"]["policy"], len(doc["findings"])) == (1, "azure-migrate", 27)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_config_pointing_nowhere_names_the_path(project, argus, monkeypatch, how):
    if how == "flag":
        code, _, err = argus("scan", "--example", "--config", "nowhere.yaml")
        assert (code, err) == (2, "argus scan: error: nowhere.yaml: cannot read: No such file or directory\n")
    else:
        monkeypatch.setenv("ARGUS_CONFIG", "nowhere.yaml")
        code, _, err = argus("scan", "--example")
        assert (code, err) == (2, "argus scan: error: ARGUS_CONFIG=nowhere.yaml: nowhere.yaml: cannot read: "
                                  "No such file or directory\n")


def test_check_and_test_use_the_project_rules_then_the_bundled_pack(project, argus, monkeypatch, tmp_path_factory):
    code, _, err = argus("check")
    assert (code, err.splitlines()[-1]) == (0, "1 file, 1 rule: 0 errors, 0 warnings")
    code, out, err = argus("test")
    assert code == 2 and err == f"argus test: error: no fixture files found under {project / 'rules'}\n"
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    code, _, err = argus("check")
    assert (code, err.splitlines()[-1]) == (0, "4 files, 23 rules: 0 errors, 0 warnings")
    code, out, _ = argus("test")
    assert code == 0 and out.splitlines()[-1] == "23 fixture files, 23 rules; 0 failing cases"


def test_check_takes_config(project, argus, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    (other / "r").mkdir()
    (other / "r" / "a.argus").write_text(TINY_RULE + TINY_RULE.replace("TINY-01", "TINY-02"), encoding="utf-8")
    (other / "p.yaml").write_text("version: 1\npolicies:\n  x:\n    rules: [r]\n", encoding="utf-8")
    code, _, err = argus("check", "--config", str(other / "p.yaml"))
    assert (code, err.splitlines()[-1]) == (0, "1 file, 2 rules: 0 errors, 0 warnings")


@pytest.mark.parametrize("policies,after_rules,after_include", [
    ("version: 1\npolicies:\n  mine:\n    rules: [rules/base]  # ours\n", ["rules/base", "rules/custom"], None),
    ("version: 1\npolicies:\n  mine:\n    rules:\n      - rules/base\n    description: d\n",
     ["rules/base", "rules/custom"], None),
    ("version: 1\ndefault_policy: mine\npolicies:\n  mine:\n    rules: [rules]\n    include: [TINY-*]\n  other:\n"
     "    rules: [rules/base]\n", ["rules"], ["TINY-*", "CUSTOM-ST-01"]),
])
def test_new_rule_lands_where_the_config_runs_it(project, argus, policies, after_rules, after_include):
    (project / "rules" / "base").mkdir()
    (project / "policies.yaml").write_text(policies, encoding="utf-8")
    code, out, _ = argus("new-rule", "CUSTOM-ST-01")
    assert code == 0
    pack = project / "rules" / "custom"  # above the working directory: printed absolute, never as ../..
    assert out.splitlines()[0] == f"wrote {pack}/custom.argus (rule CUSTOM-ST-01) and {pack}/fixtures/CUSTOM-ST-01/cases.yaml"
    assert out.splitlines()[1] == f"added CUSTOM-ST-01 to the default policy in {project}/policies.yaml, so `argus scan` runs it"
    text = (project / "policies.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)["policies"]["mine"]
    assert (data["rules"], data.get("include")) == (after_rules, after_include)
    assert "# ours" in text or "# ours" not in policies  # comments stay
    code, out, _ = argus("scan", "--example", "--format", "json")
    assert "CUSTOM-ST-01" in {f["rule_id"] for f in json.loads(out)["findings"]}
    code, out, _ = argus("test")
    assert code == 0, out


def test_new_rule_in_an_already_loaded_pack_leaves_the_config_alone(project, argus):
    before = (project / "policies.yaml").read_text(encoding="utf-8")
    code, out, _ = argus("new-rule", "CUSTOM-ST-02", "--pack", "../../rules")
    assert code == 0 and out.splitlines()[1] == (f"{project}/policies.yaml's default policy already loads ../../rules, "
                                                 "so `argus scan` runs it")
    assert (project / "policies.yaml").read_text(encoding="utf-8") == before


def test_new_rule_without_config_says_how_to_run_it(tmp_path, monkeypatch, argus):
    monkeypatch.chdir(tmp_path)
    code, out, _ = argus("new-rule", "CUSTOM-ST-03")
    assert code == 0 and out.splitlines()[1].startswith(
        "no policies.yaml here or in a parent directory: scan with `argus scan --rules rules/custom ...`")


def test_a_broken_install_is_one_line_naming_the_resource(tmp_path, monkeypatch, argus):
    monkeypatch.setattr(resources.resources, "files", lambda package: tmp_path)  # an install without _data/
    monkeypatch.chdir(tmp_path)
    code, out, err = argus("scan", "--example")
    assert (code, out) == (2, "")
    assert err == (f"argus scan: error: broken installation: bundled resource '_data/policies.yaml' is missing from "
                   f"package 'argus' ({tmp_path}); reinstall argus\n")


def test_history_chart_without_the_chart_extra(tmp_path, monkeypatch, argus):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    code, _, err = argus("history", str(tmp_path / "none.db"), "--chart", str(tmp_path / "t.png"))
    assert (code, err) == (2, f"argus history: error: --chart {tmp_path / 't.png'} needs matplotlib, which argus "
                              "installs only with its chart extra: pip install 'argus[chart]' (or pipx inject argus "
                              "matplotlib)\n")


def test_python_dash_m_argus():
    done = subprocess.run([sys.executable, "-m", "argus", "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "argus 0.1.0\n")


def test_licence_file_matches_the_metadata():
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert 'license = "MIT"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_sarif_schema_copy_is_the_oasis_one():
    schema = json.loads((REPO / "tests" / "data" / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"


def test_nothing_reads_outside_the_repository():
    """A user's clone has nothing beside it: no code, test or script names the developers' sibling folder."""
    import re
    sibling = re.compile(r"\.\./sh" + r"ared|\"\.\.\"\s*[/,]\s*\"sh" + "ared")  # ../x, ".." / "x", "..", "x"
    files = [p for folder in ("engine", "tests", "bench", ".ci") for p in (REPO / folder).rglob("*") if p.is_file()]
    for path in files + [REPO / "Makefile", REPO / "pyproject.toml"]:
        if path.suffix in (".py", ".sh", ".toml", "") or path.name == "Makefile":
            assert not sibling.search(path.read_text(encoding="utf-8", errors="replace")), path


def test_load_policy_of_bundled_file_gives_bundled_rule_paths():
    policy = load_policy(resources.policies_file(), None)
    assert policy.rules == ["rules/azure-migrate"]  # relative: the checkout is the working directory here
