"""Where rows sit in a snapshot file: the line and column of a row's own `id` key, for SARIF locations.

In: a snapshot file (read when first asked) and the rows wanted: by (table, index), as a finding's `source`
names its subject, or by resource id (related resources). Out: (line, column) pairs, columns in code points.
One pass: msgspec splits the file into rows without building them (zero-copy `Raw` views, and each row's id),
the wanted rows are found in file order, each one's own `id` key by walking its top-level keys, and lines
are counted up to each position in order. An id that is no row's is looked for as a nested `"id"` key in the
rows of its parents (a private endpoint's connection in the endpoint's row). None from `open` when the file
is not a shape this reads (a list of pages, `{columns, rows}` tables): argus.reports.sarif then reads it as text.
"""

from __future__ import annotations

import bisect
import os
import re
import weakref
from typing import Any

import msgspec

_TOP = dict[str, msgspec.Raw]
_ROWS = list[msgspec.Raw]


class _Id(msgspec.Struct):
    id: Any = None


_IDS = list[_Id]
_NESTED = rb'"id"\s*:\s*"'


_LOADED: dict[str, tuple] = {}  # real path -> ((size, mtime), Anchors, weak reference to its Snapshot)


def remember(path: str, anchors, snapshot) -> None:
    """A projected load's anchors (argus.snapshots.rowdecode): results in this file are then found without a full pass."""
    try:
        info = os.stat(path)
        _LOADED[os.path.realpath(path)] = ((info.st_size, info.st_mtime_ns), anchors, weakref.ref(snapshot))
    except (OSError, TypeError):
        pass


def open_file(path: str):
    """The index of a readable JSON or JSON Lines snapshot (from a projected load's anchors when this process
    loaded it, else one sweep of the file); None when it cannot be read this way."""
    known = _LOADED.get(os.path.realpath(path))
    counted = known is not None and all(marks[0][2] is not None for marks in known[1].values() if marks)
    if counted and known[2]() is not None:  # lines are counted only when a scan asked for positions
        try:
            info = os.stat(path)
        except OSError:
            info = None
        if info is not None and known[0] == (info.st_size, info.st_mtime_ns):
            from argus.snapshots.rowanchors import AnchoredIndex
            return AnchoredIndex(path, known[1], known[2])
    try:
        with open(path, "rb") as fh:
            buf = fh.read()
    except OSError:
        return None
    try:
        return RowIndex(path, buf)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, _Unsupported):
        return None


class _Unsupported(Exception):
    pass


def row_start(path: str, table: str | None, index: int) -> tuple[int, int] | None:
    """Where row `index` of `table` (None: the file's rows without a table) begins, by one sweep of the file:
    for a refusal of that row (argus.snapshots.facts_rows), so nothing is kept. None when the file is not a shape this
    reads, or not a file at all (a document built in memory)."""
    try:
        with open(path, "rb") as fh:
            found = RowIndex(path, fh.read())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, RecursionError, _Unsupported):
        return None
    return found.start(table, index)


class RowIndex:
    def __init__(self, path: str, buf: bytes) -> None:
        self.buf = buf
        self.tables: list[tuple[str | None, list]] = []  # (table as the file names it, or None; rows)
        self.ids: list[list] = []
        if path.endswith((".jsonl", ".ndjson")):
            self._lines()
        else:
            self._json()
        self._offsets: dict[tuple[int, int], int] = {}
        self._by_id: dict[str, tuple[int, int]] | None = None
        self._line_at: list[tuple[int, int]] = [(0, 1)]  # (offset, its line), ascending: counting resumes there

    def _json(self) -> None:
        head = self.buf.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        body = self.buf.lstrip(b"\xef\xbb\xbf")
        if head == b"[":
            rows = msgspec.json.decode(body, type=_ROWS)
            first = [msgspec.json.decode(r, type=_TOP) for r in rows[:1]]
            if first and "data" in first[0] and "type" not in first[0]:  # a list of pages: their rows, in order
                datas = [msgspec.json.decode(r, type=_TOP).get("data") for r in rows]
                self._add(None, [row for data in datas if data is not None for row in self._rows(data)])
            else:
                self._add(None, self._rows(body, rows), body)
            return
        if head != b"{":
            raise _Unsupported
        for key, value in msgspec.json.decode(body, type=_TOP).items():
            if bytes(memoryview(value)[:1]) == b"[" and key != "header":
                self._add(None if key == "data" else key.casefold(), self._rows(value), value)

    @staticmethod
    def _rows(raw, rows: list | None = None) -> list:
        rows = msgspec.json.decode(raw, type=_ROWS) if rows is None else rows
        if any(bytes(memoryview(r)[:1]) != b"{" for r in rows[:1]):  # table-form rows: no id keys to find
            raise _Unsupported
        return rows

    def _add(self, table, rows: list, whole=None) -> None:
        """A table's rows and their ids (one decode of the whole list when it is one slice of the file)."""
        self.tables.append((table, rows))
        if whole is not None:
            ids = [r.id for r in msgspec.json.decode(whole, type=_IDS)]
        else:
            decoder = msgspec.json.Decoder(_Id)
            ids = [decoder.decode(r).id for r in rows]
        self.ids.append([rid if rid.__class__ is str else None for rid in ids])

    def _lines(self) -> None:
        rows, ids, pos, buf = [], [], 0, self.buf
        decoder = msgspec.json.Decoder(_Id)
        while pos < len(buf):
            end = buf.find(b"\n", pos)
            end = len(buf) if end < 0 else end
            line = buf[pos:end].strip()
            if line:
                rows.append((pos + buf[pos:end].index(line[:1]), line))
                found = decoder.decode(line).id
                ids.append(found if found.__class__ is str else None)
            pos = end + 1
        self.tables.append((None, rows))
        self.ids.append(ids)

    # ---- what argus.reports.sarif asks
    def prepare(self, wanted) -> None:
        """Find the rows `wanted` ((table or None, index) pairs) in one sweep, in file order."""
        keys = sorted({key for t, i in wanted if (key := self._key(t, i)) is not None})
        for key in keys:
            self._offset(key)

    def row(self, table: str | None, index: int, rid: str) -> tuple[int, int] | None:
        """The row at `index` (of `table`) when its id is `rid`, else the row whose id is `rid`."""
        key = self._key(table, index)
        if key is not None and (self.ids[key[0]][key[1]] or "").casefold() == rid.casefold():
            return self._own_id(key)
        return self.find_row(rid)

    def start(self, table: str | None, index: int) -> tuple[int, int] | None:
        """Where the row at `index` (of `table`) begins: its opening brace."""
        key = self._key(table, index)
        offset = self._offset(key) if key is not None else -1
        return self._position(offset) if offset >= 0 else None

    def find_row(self, rid: str) -> tuple[int, int] | None:
        """The row whose id is `rid` (ignoring case), else an `"id"` key holding it inside a parent's row."""
        key = self._ids().get(rid.casefold())
        if key is not None:
            return self._own_id(key)
        parts = rid.rstrip("/").split("/")
        for n in range(len(parts) - 1, 2, -1):
            parent = self._ids().get("/".join(parts[:n]).casefold())
            if parent is not None:
                found = self._nested(parent, rid)
                if found is not None:
                    return found
        return None

    def find(self, rid: str) -> tuple[int, int] | None:
        """The row whose id is `rid`, else the first mention of it anywhere (any case)."""
        found = self.find_row(rid)
        if found:
            return found
        offset = self._mention(rid)
        return self._position(offset) if offset >= 0 else None

    def _mention(self, rid: str, chunk: int = 1 << 26) -> int:
        """The first offset of `rid` in any case: lower-cased a chunk at a time (a copy of the whole file would
        double the memory), overlapping by the id's length."""
        if not rid.isascii():
            match = re.search(re.escape(rid.encode()), self.buf, re.IGNORECASE)
            return match.start() if match else -1
        needle, buf = rid.lower().encode(), self.buf
        for start in range(0, len(buf), chunk):
            found = buf[start:start + chunk + len(needle)].lower().find(needle)
            if found >= 0:
                return start + found
        return -1

    # ---- offsets
    def _key(self, table, index: int) -> tuple[int, int] | None:
        for n, (name, rows) in enumerate(self.tables):
            if (table is None or name is None or name == table.casefold()) and 0 <= index < len(rows):
                return n, index
        return None

    def _ids(self) -> dict:
        if self._by_id is None:
            self._by_id = {}
            for n, ids in enumerate(self.ids):
                for i, rid in enumerate(ids):
                    if rid is not None:
                        self._by_id.setdefault(rid.casefold(), (n, i))
        return self._by_id

    def _offset(self, key: tuple[int, int]) -> int:
        """Where row `key` starts: searched from the nearest row before it already found (rows are in order)."""
        if key in self._offsets:
            return self._offsets[key]
        n, i = key
        rows = self.tables[n][1]
        if rows and rows[0].__class__ is tuple:  # JSON Lines: found while splitting
            return self._offsets.setdefault(key, rows[i][0])
        before = [k for k in self._offsets if k[0] < n or (k[0] == n and k[1] < i)]
        start = max((self._offsets[k] for k in before), default=0)
        needle = bytes(rows[i])
        pos = self.buf.find(needle[:256], start)
        while pos >= 0 and not self.buf.startswith(needle, pos):
            pos = self.buf.find(needle[:256], pos + 1)
        self._offsets[key] = pos
        return pos

    def _own_id(self, key: tuple[int, int]) -> tuple[int, int] | None:
        """The position of the row's top-level `id` key: its keys are walked in order, each value skipped."""
        start = self._offset(key)
        rows = self.tables[key[0]][1]
        raw = rows[key[1]][1] if rows[0].__class__ is tuple else rows[key[1]]
        if start < 0:
            return None
        pos = start + 1
        for name, value in msgspec.json.decode(raw, type=_TOP).items():
            at = self.buf.find(msgspec.json.encode(name), pos)
            if at < 0:
                return None
            if name.casefold() == "id":
                return self._position(at)
            needle = bytes(value)
            pos = self.buf.find(needle, at) + len(needle)
        return None

    def _nested(self, parent: tuple[int, int], rid: str) -> tuple[int, int] | None:
        """The least indented `"id": "<rid>"` inside the parent's row (the first among equals)."""
        start = self._offset(parent)
        if start < 0:
            return None
        rows = self.tables[parent[0]][1]
        length = len(rows[parent[1]][1] if rows[0].__class__ is tuple else rows[parent[1]])
        pattern = re.compile(_NESTED + re.escape(rid.encode()) + b'"', re.IGNORECASE)
        best = None
        for match in pattern.finditer(self.buf, start, start + length):
            here = self._position(match.start())
            if best is None or here[1] < best[1]:
                best = here
        return best

    def _position(self, offset: int) -> tuple[int, int]:
        at = bisect.bisect_right(self._line_at, (offset, float("inf"))) - 1
        known, line = self._line_at[at]
        line += self.buf.count(b"\n", known, offset)
        start = self.buf.rfind(b"\n", 0, offset) + 1
        bisect.insort(self._line_at, (offset, line))
        return line, len(self.buf[start:offset].decode("utf-8", errors="replace")) + 1
