"""docs/architecture.md is a map a newcomer can walk: every module of engine/ is in its table, every stage package
is a row, and the direction of imports it states is the one tests/test_architecture.py enforces."""

from __future__ import annotations

import re
from pathlib import Path

from test_architecture import ALLOWED

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
TABLE = DOC[:DOC.index("The path of a scan")]
STAGE_ROW = re.compile(r"^\| `([a-z]+)` \| ([^|]+) \|", re.M)


def test_every_module_is_in_the_architecture_table():
    modules = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "engine").rglob("*.py")
                     if "_data" not in p.parts and not (p.name == "__init__.py" and p.parent.name in ALLOWED))
    assert [m for m in modules if f"`{m}`" not in TABLE] == []
    assert f"`{(REPO / 'engine' / 'language' / 'grammar.lark').relative_to(REPO).as_posix()}`" in TABLE


def test_every_stage_package_is_a_row_that_says_what_it_may_import():
    stated = {}
    for stage, may in STAGE_ROW.findall(TABLE):
        may = may.strip()
        if may == "—":
            stated[stage] = set()
        elif may.startswith("every stage"):
            stated[stage] = "every"
        else:
            stated[stage] = {s.strip() for s in may.split(",")}
    assert sorted(stated) == sorted(p.name for p in (REPO / "engine").iterdir()
                                    if p.is_dir() and (p / "__init__.py").exists())
    for stage, allowed in ALLOWED.items():
        if stated[stage] == "every":  # commands: every other stage
            assert allowed == set(ALLOWED) - {stage}, stage
        else:
            assert stated[stage] == allowed, stage
