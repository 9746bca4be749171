"""Every located error in a file argus reads besides rules (policies, waivers, DNS answers, baselines, fixtures,
appliance.json, appliance facts, snapshots, what-if results) is one diagnostic shape: `file:line:col: CODE:
message`, the line and a caret, exit 2, no traceback and no output written (table in
tests/cases/input_errors.yaml, run through the command line)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASES = yaml.safe_load((Path(__file__).resolve().parent / "cases" / "input_errors.yaml").read_text(encoding="utf-8"))
RULES = 'rule T-1 "Accounts are v2" {\n  severity low\n  for a in resources\n  require a.kind == "StorageV2"\n}\n'
SNAPSHOT = ('{"resources": [{"id": "/s/x1", "name": "x1", "type": "microsoft.storage/storageaccounts", '
            '"kind": "StorageV2"}]}\n')


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['code']} {c['name']}")
def test_a_located_input_error(case, argus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, text in {"rules.argus": RULES, "snapshot.json": SNAPSHOT, **case["files"]}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, out, err = argus(*case["argv"])
    assert (code, out, err) == (2, "", case["stderr"])
    assert f": {case['code']}: " in err.splitlines()[0]
    assert not (tmp_path / "out.json").exists()


def test_the_table_has_one_case_per_input_file_code():
    codes = [case["code"] for case in CASES]
    assert codes == sorted(set(codes)) == ["E403", "E404", "E405", "E407", "E408", "E409", "E410", "E411", "E412",
                                           "E413"]
