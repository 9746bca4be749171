"""Shared fixtures for the rule-language tests: evaluate rule text in memory, run the CLI in-process.

`session_of(text, path, params)` -> argus.evaluation.session.Session (rule text parsed, checked and compiled as one file
`rules.argus` through the one pipeline scan and test use; a rule error raises DiagnosticError, so a typo in a case
fails loudly) and `make_snapshot(document)` -> Snapshot are the two halves of `run_rules(text, tables, params)`, which
evaluates `text` against `tables` (any accepted snapshot document) and returns the findings as report dicts.
`argus(*argv)` calls `argus.commands.cli.main` and returns (exit code, stdout, stderr).
"""

from __future__ import annotations

import pytest

from argus.commands import cli
from argus.snapshots import snapshot as snapshot_mod
from argus.evaluation.session import Session, from_text

# the ARG stand-in's fixtures (standin_token, clock) for the collector tests
pytest_plugins = ("argstandin",)


def session_of(text: str, path: str = "rules.argus", params: dict | None = None, now=None) -> Session:
    """Every rule of ``text`` with ``params`` as given, as `argus test` runs a fixture case: the values are not
    checked against the declarations, so a case can leave a parameter without a value and see what the
    evaluator makes of it."""
    compiled = from_text(text, path, only=())
    return compiled.for_rules([cr.node.id for cr in compiled.plan.rules], params or {}, now)


def snapshot_of(document, name: str = "snapshot.json"):
    snap = snapshot_mod.Snapshot()
    snapshot_mod.add_document(snap, name, document)
    return snap


@pytest.fixture
def rule_session():
    return session_of


@pytest.fixture
def make_snapshot():
    return snapshot_of


@pytest.fixture
def run_rules():
    def run(text: str, tables, params: dict | None = None) -> list[dict]:
        return [f.to_dict() for f in session_of(text, params=params).evaluate(snapshot_of(tables))]
    return run


@pytest.fixture
def argus(capsys):
    def call(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return call
