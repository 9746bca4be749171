"""Shared fixtures for the rule-language tests: evaluate rule text in memory, run the CLI in-process.

`compile_rules(text)` -> (plan, warnings) and `make_snapshot(document)` -> Snapshot are the two halves of
`run_rules(text, tables, params)`, which parses, checks and compiles `text` as one file `rules.argus`, evaluates it
against `tables` (any accepted snapshot document) and returns the findings as report dicts. `argus(*argv)`
calls `argus.cli.main` and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

import pytest

from argus import cli
from argus import snapshot as snapshot_mod
from argus.checker import check

# the ARG stand-in's fixtures (standin_token, clock) for the collector tests
pytest_plugins = ("argstandin",)
from argus.compiler import compile_program
from argus.diagnostics import has_errors
from argus.evaluator import evaluate, rule_info
from argus.parser import parse_file


def compile_text(text: str, path: str = "rules.argus"):
    """(plan, diagnostics) for rule text; asserts there is no error so a typo in a case fails loudly."""
    rule_file, diags = parse_file(path, text)
    program, semantic = check([rule_file])
    diags = diags + semantic
    assert not has_errors(diags), "\n".join(d.render(program.sources) for d in diags)
    return compile_program(program), diags


def snapshot_of(document, name: str = "snapshot.json"):
    snap = snapshot_mod.Snapshot()
    snapshot_mod.add_document(snap, name, document)
    return snap


@pytest.fixture
def compile_rules():
    return compile_text


@pytest.fixture
def make_snapshot():
    return snapshot_of


@pytest.fixture
def run_rules():
    def run(text: str, tables, params: dict | None = None) -> list[dict]:
        plan, _ = compile_text(text)
        infos = {r.node.id: rule_info(r.node) for r in plan.rules}
        findings = evaluate(plan, plan.rules, snapshot_of(tables), params or {}, infos)
        return [f.to_dict() for f in findings]
    return run


@pytest.fixture
def argus(capsys):
    def call(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return call
