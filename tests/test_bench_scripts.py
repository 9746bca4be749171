"""bench/run.py and bench/pack.py run against the package as laid out (stage packages), and the hand-written
evaluator of bench/run.py agrees with the engine, so `make bench` compares like with like."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_hand_written_evaluator_and_the_engine_fail_the_same_resources(tmp_path):
    run, gen = _module("run"), _module("gen")
    path = tmp_path / "snap.json"
    assert gen.main(["--resources", "1500", "--out", str(path), "--seed", "3"]) == 0
    snap = run.snapshot.load([str(path)])
    findings = run.prepare([str(BENCH / "rules.argus")]).evaluate(snap)
    expected = run.plain_python(snap.tables["resources"])
    assert len(findings) == len(expected)
    failing = {(f.rule.id, f.subject.id) for f in findings if f.status == "fail"}
    assert failing == {(rule, rid) for rule, rid, status, _ in expected if status == "fail"}
    assert {rule for rule, _ in failing} == {"BENCH-ATTR", "BENCH-JOIN", "BENCH-NESTED"}


def test_the_whole_pack_benchmark_estate_fails_exactly_its_injected_defects(tmp_path, argus):
    pack = _module("pack")
    path, report = tmp_path / "pack.json", tmp_path / "report.json"
    pack.write_estate(str(path), 3000)
    code = argus("scan", "--snapshot", str(path), "--format", "json", "--output", str(report))[0]
    assert (code, pack.check(str(report))) == (1, None)
