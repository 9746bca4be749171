"""docs/architecture.md is a map a newcomer can walk: every module of engine/ is in its table."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_every_module_is_in_the_architecture_table():
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc[:doc.index("The path of a scan")]
    modules = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "engine").rglob("*.py") if "_data" not in p.parts)
    assert [m for m in modules if f"`{m}`" not in table] == []
