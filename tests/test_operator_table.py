"""Operator families live in the one operator table (argus.language.operators.OPERATORS), which the checker, the join
planner, the type analysis and lint read, instead of tuples of tokens repeated in each."""

from __future__ import annotations

import re
from pathlib import Path

from argus.language.operators import OPERATORS

ENGINE = Path(__file__).resolve().parents[1] / "engine"


def test_every_operator_has_a_family():
    families = {token: op.family for token, op in OPERATORS.items()}
    assert families == {
        "==": "equality", "!=": "equality", "=~": "equality", "!~": "equality",
        "<": "order", "<=": "order", ">": "order", ">=": "order",
        "in": "membership", "!in": "membership", "in~": "membership", "!in~": "membership",
        "startswith": "string", "endswith": "string", "contains": "contains", "!contains": "contains",
        "matches": "pattern", "matches~": "pattern", "like": "pattern"}


def test_lookup_and_case_folding_come_from_the_table():
    assert {t for t, op in OPERATORS.items() if op.lookup} == {"==", "=~", "in", "in~"}
    assert {t for t, op in OPERATORS.items() if op.ignore_case} == {"=~", "!~", "in~", "!in~", "matches~"}


def test_no_module_lists_operator_tokens_again():
    """A tuple of two or more operator tokens outside operators.py is a family written a second time."""
    tokens = "|".join(re.escape(t) for t in sorted(OPERATORS, key=len, reverse=True))
    family_tuple = re.compile(rf'\(\s*"(?:{tokens})"\s*,\s*"(?:{tokens})"')
    offenders = [p.name for p in ENGINE.rglob("*.py") if p.name != "operators.py"
                 and family_tuple.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
