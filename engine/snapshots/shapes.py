"""Snapshot shapes for the lint: which field paths occur in the rows of a table (of some types), and what
values sit at a path.

In: a Snapshot; a (table, types) pair (table None: every table; types None: every type) and paths as tuples of
keys and STAR (a list's elements). Out: `Shapes.shape` (path -> the keys seen under it, and the lists seen with
at least one element), `Shapes.values` (the values at a path, lists expanded at STAR), `Shapes.types_in` and
`Shapes.resolve` (the (table, type) of rows named by ids). Rows are sampled: the first 2,000 per (table, types),
the first 50 elements of each list, 10 levels deep; results are cached per snapshot.
"""

from __future__ import annotations

import json
import re

STAR = "[*]"
SAMPLE = 2000
LIST = 50
DEPTH = 10
VALUES = 5000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Shapes:
    def __init__(self, snapshot):
        self.snapshot = snapshot
        self.cache: dict = {}
        self.type_tables: dict | None = None

    def rows(self, table, types) -> list:
        by_type = self.snapshot.by_type
        tables = [table] if table is not None else list(by_type)
        rows: list = []
        for name in tables:
            if types is None:
                rows.extend(self.snapshot.tables.get(name, ())[:SAMPLE])
            else:
                for rtype in sorted(types):
                    rows.extend(by_type.get(name, {}).get(rtype, ())[:SAMPLE])
        return rows[:SAMPLE]

    def shape(self, table, types):
        """(children: path -> keys under it, filled: lists seen with an element), or None without rows."""
        key = ("shape", table, types)
        if key not in self.cache:
            rows = self.rows(table, types)
            children: dict = {}
            filled: set = set()
            for row in rows:
                _walk(row, (), children, filled)
            self.cache[key] = (children, filled) if rows else None
        return self.cache[key]

    def values(self, table, types, at: tuple) -> list:
        key = ("values", table, types, at)
        if key not in self.cache:
            out: list = []
            for row in self.rows(table, types):
                _follow(row, at, 0, out)
                if len(out) >= VALUES:
                    break
            self.cache[key] = out
        return self.cache[key]

    def tables(self) -> list[str]:
        return sorted(self.snapshot.by_type)

    def types_in(self, table) -> set:
        tables = [table] if table is not None else list(self.snapshot.by_type)
        return {t for name in tables for t in self.snapshot.by_type.get(name, {}) if isinstance(t, str)}

    def resolve(self, ids) -> set:
        """(table, type) of the rows these ids name, ignoring case; ids the snapshot does not hold are skipped.
        The table is None when several tables hold rows of that type."""
        if self.type_tables is None:
            self.type_tables = {}
            for table, types in self.snapshot.by_type.items():
                for rtype in types:
                    self.type_tables.setdefault(rtype, []).append(table)
        found = set()
        for rid in set(ids):
            row = self.snapshot.by_id(rid) if isinstance(rid, str) else None
            if row is not None:
                tables = self.type_tables.get(row.get("type"), [])
                found.add((tables[0] if len(tables) == 1 else None, row.get("type")))
        return found


def _walk(value, path: tuple, children: dict, filled: set) -> None:
    if len(path) >= DEPTH:
        return
    if isinstance(value, dict):
        keys = children.setdefault(path, set())
        for k, v in value.items():
            keys.add(k)
            _walk(v, path + (k,), children, filled)
    elif isinstance(value, list):
        children.setdefault(path, set()).add(STAR)
        if value:
            filled.add(path)
        for item in value[:LIST]:
            _walk(item, path + (STAR,), children, filled)


def _follow(value, at: tuple, i: int, out: list) -> None:
    if i == len(at):
        out.append(value)
    elif at[i] == STAR:
        if isinstance(value, list):
            for item in value[:LIST]:
                _follow(item, at, i + 1, out)
    elif isinstance(value, dict) and at[i] in value:
        _follow(value[at[i]], at, i + 1, out)


def render(at: tuple) -> str:
    """A path as a rule writes it: properties.securityRules[*].name, tags["hidden-link:x"]."""
    text = ""
    for step in at:
        if step == STAR:
            text += STAR
        elif _NAME.fullmatch(step):
            text += f".{step}" if text else step
        else:
            text += f"[{json.dumps(step, ensure_ascii=False)}]"
    return text
