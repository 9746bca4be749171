"""Row positions from the anchors a projected load left (argus.snapshots.rowdecode): SARIF locations with no full pass.

In: a snapshot file, its Anchors (where every few thousand rows of each table start, with the line there) and
the Snapshot loaded from it (its ids and origins). Out: the same answers as argus.snapshots.rowpos.RowIndex (the line and
column of a row's own `id` key; of an `"id"` key inside a parent's row; of a mention), reading only the few MB
of the file around each row asked for, so locating results costs no second pass over a big file and no second
copy of it in memory. A related resource is found through the snapshot's own index of ids.
"""

from __future__ import annotations

import bisect
import re

import msgspec

_SEPARATORS = b", \t\r\n"
_TOP = dict[str, msgspec.Raw]


class AnchoredIndex:
    def __init__(self, path: str, anchors: dict, snapshot) -> None:
        self.path, self.anchors, self.snap = path, anchors, snapshot  # snap: a weak reference
        self._last: tuple | None = None  # (offset, bytes, rows) of the batch read last
        # per table, the anchors' row indexes and file offsets, for bisecting (built once, not per finding)
        self._indexes = {table: [m[0] for m in marks] for table, marks in anchors.items()}
        self._offsets = [(marks, [m[1] for m in marks]) for marks in anchors.values()]

    def prepare(self, wanted) -> None:
        """Nothing to sweep: each row is read where its anchor says."""

    def row(self, table, index: int, rid: str, fallback: bool = True) -> tuple[int, int] | None:
        found = self._row(table, index)
        at = _own_id(found[1], rid) if found is not None else None
        if at is not None:
            return self._position(found[0] + at)
        return self.find_row(rid) if fallback else None

    def find_row(self, rid: str) -> tuple[int, int] | None:
        """The row whose id is `rid` (the snapshot's index), else an `"id"` key inside a parent's row."""
        origin = self._origin(rid)
        if origin is not None:
            found = self.row(origin.table, origin.index, rid, fallback=False)
            if found is not None:
                return found
        parts = rid.rstrip("/").split("/")
        for n in range(len(parts) - 1, 2, -1):
            origin = self._origin("/".join(parts[:n]))
            parent = self._row(origin.table, origin.index) if origin is not None else None
            if parent is not None:
                pattern = re.compile(rb'"id"\s*:\s*"' + re.escape(rid.encode()) + b'"', re.IGNORECASE)
                hits = [self._position(parent[0] + m.start()) for m in pattern.finditer(parent[1])]
                if hits:
                    return min(hits, key=lambda at: at[1])  # the least indented, the first among equals
        return None

    def find(self, rid: str) -> tuple[int, int] | None:
        found = self.find_row(rid)
        if found:
            return found
        offset = _mention(self.path, rid)
        return self._position(offset) if offset >= 0 else None

    # ---- reading rows back
    def _origin(self, rid: str):
        snap = self.snap()
        row = snap.by_id(rid) if snap is not None else None
        origin = snap.origin(row) if row is not None else None
        return origin if origin is not None and origin.file == self.path else None

    def _key(self, table):
        return table.casefold() if isinstance(table, str) and table.casefold() in self.anchors else None

    def _row(self, table, index: int) -> tuple[int, bytes] | None:
        """(offset, bytes) of row `index` of `table`, read from the file around its anchor."""
        key = self._key(table)
        marks = self.anchors.get(key)
        if not marks or not 0 <= index < marks[-1][0]:
            return None
        at = bisect.bisect_right(self._indexes[key], index) - 1
        (first, start, _), (_, end, _) = marks[at], marks[at + 1]
        region = self._region(start, end)
        if self.path.endswith((".jsonl", ".ndjson")):
            lines = [(start + m.start(), m.group(0)) for m in re.finditer(rb"[^\n]+", region) if m.group(0).strip()]
            offset, line = lines[index - first]
            stripped = line.lstrip()
            return offset + len(line) - len(stripped), stripped.rstrip()
        raws = self._raws(start, region)
        pos = sum(map(len, raws[:index - first]))  # the row starts no sooner than the rows before it allow
        whole = bytes(raws[index - first])
        pos = region.find(whole, pos)
        return (start + pos, whole) if pos >= 0 else None

    def _region(self, start: int, end: int) -> bytes:
        if self._last is None or self._last[0] != start:  # findings often point into the same batch of rows
            self._last = (start, _read(self.path, start, end), None)
        return self._last[1]

    def _raws(self, start: int, region: bytes) -> list:
        if self._last[2] is None:
            rows = msgspec.json.decode(b"[" + region.rstrip(_SEPARATORS) + b"]", type=list[msgspec.Raw])
            self._last = (start, region, rows)
        return self._last[2]

    def _position(self, offset: int) -> tuple[int, int]:
        """Line (from the nearest anchor before it) and column (code points from the line's start)."""
        best = None
        for marks, offsets in self._offsets:
            at = bisect.bisect_right(offsets, offset) - 1
            if at >= 0 and (best is None or marks[at][1] > best[1]):
                best = marks[at]
        start, line = (best[1], best[2]) if best else (0, 1)
        last = self._last
        if last is not None and last[0] == start and offset - start <= len(last[1]):
            head = last[1][:offset - start]  # the batch the row was just read from: not read again
        else:
            head = _read(self.path, start, offset)
        line += head.count(b"\n")
        if b"\n" in head:
            head = head[head.rindex(b"\n") + 1:]
        else:
            head = _line_start(self.path, start) + head
        return line, len(head.decode("utf-8", errors="replace")) + 1


def _own_id(row: bytes, rid: str) -> int | None:
    """Offset within `row` of its top-level `id` key when that id is `rid` (ignoring case): keys are walked in
    order, each value skipped, so an id nested in a value before it is never taken for the row's own."""
    try:
        items = msgspec.json.decode(row, type=_TOP).items()
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    pos = 1
    for name, value in items:
        at = row.find(msgspec.json.encode(name), pos)
        if at < 0:
            return None
        whole = bytes(value)
        if name.casefold() == "id":
            try:
                same = msgspec.json.decode(whole) if whole[:1] == b'"' else None
            except msgspec.DecodeError:
                same = None
            return at if isinstance(same, str) and same.casefold() == rid.casefold() else None
        pos = row.find(whole, at) + len(whole)
    return None


def _read(path: str, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(max(0, end - start))


def _line_start(path: str, offset: int, step: int = 1 << 16) -> bytes:
    """The bytes from the start of the line holding `offset` up to it."""
    out = b""
    while offset > 0:
        lo = max(0, offset - step)
        chunk = _read(path, lo, offset)
        if b"\n" in chunk:
            return chunk[chunk.rindex(b"\n") + 1:] + out
        out, offset = chunk + out, lo
    return out


def _mention(path: str, rid: str, chunk: int = 1 << 24) -> int:
    """The first offset of `rid` in the file, in any case, a chunk at a time (overlapping by its length)."""
    needle = rid.encode()
    pattern = re.compile(re.escape(needle), re.IGNORECASE)
    with open(path, "rb") as fh:
        start = 0
        while True:
            fh.seek(start)
            block = fh.read(chunk + len(needle))
            if not block:
                return -1
            found = block.lower().find(needle.lower()) if rid.isascii() else \
                (m.start() if (m := pattern.search(block)) else -1)
            if found >= 0:
                return start + found
            if len(block) < chunk + len(needle):
                return -1
            start += chunk
