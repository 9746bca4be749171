"""Snapshot files decoded with projection: msgspec builds only what the rules can read, skipping the rest.

In: a snapshot file's path and the decoders of argus.language.reads.Reads. Out: the document as argus.snapshots.snapshot's
dispatch takes it (an object of tables, a page, a bare array, or JSON Lines rows), each row a plain dict
holding only the paths its table's trie keeps plus the keys the loader's own checks look at, and `Anchors`
(where every few thousand rows start: argus.snapshots.rowpos finds SARIF locations from them without reading the file
again); or None when the file is not a shape decoded here, or msgspec refuses it: the caller then parses it
whole with orjson (so a malformed file gets the located message it always got) and projects in Python.

How: a trie becomes a TypedDict (msgspec skips keys a TypedDict does not declare, without building them); a
node is `TypedDict | list[element] | str | int | float | bool | None`, so a path reads the same value type it
would without projection; a whole node is `Any`. The file is memory-mapped: one pass splits it into tables
of zero-copy rows (`Raw`), then rows are decoded a batch at a time and the pages behind each batch are
handed back to the kernel, so the file's bytes and the rows built from them are never both in memory whole.
"""

from __future__ import annotations

import mmap
from typing import Any, TypedDict, Union

import msgspec

from argus.language.reads import WHOLE, Reads, is_whole, merge
from argus.snapshots.documents import APPLIANCE_TYPE, FLATTENED_HINTS

# read by the loader's checks on every row (PowerShell and Azure CLI shapes are refused naming them)
_CHECKED = ("Properties", "ResourceId") + FLATTENED_HINTS
# a bare array or JSON Lines may hold ARM bodies (argus.snapshots.armbodies looks for ARG's columns) or pages
_BARE = ("subscriptionId", "resourceGroup", "tenantId", "data")
_WHOLE_TABLES = ("appliance",)  # facts rows are validated against their schema as a whole
_SCALARS = (str, int, float, bool, type(None))
_TOP = dict[str, Union[list[msgspec.Raw], dict[str, Any], str, int, float, bool, None]]
_BATCH = 1024  # rows decoded at a time (about a MB of the file): also how far apart the anchors are
_SEPARATOR_BYTES = (b",", b" ", b"\t", b"\r", b"\n")


class Decoders:
    """msgspec decoders for the rows of each table under one Reads; types are built once per trie."""

    def __init__(self, reads: Reads, lines: bool = True) -> None:
        self.reads = reads
        self.lines = lines  # count lines for row positions (argus.snapshots.rowanchors): only SARIF and CI formats ask
        self._rows: dict = {}
        self._count = 0

    def trie(self, table: str) -> dict:
        """What a row of `table` keeps when it was parsed whole (argus.language.reads.project applies it)."""
        return {WHOLE: True} if table in _WHOLE_TABLES else self.reads.for_table(table)

    def rows(self, table: str | None, bare: bool = False) -> tuple:
        """Decoders of a list of rows and of one row of `table` (None: any table, as in a bare array)."""
        key = (table, bare)
        if key not in self._rows:
            trie = self.reads.for_table(table)
            if table in _WHOLE_TABLES or is_whole(trie):
                row = Any
            else:
                trie = {**trie}
                for name in _CHECKED + (_BARE if bare else ()):
                    merge(trie.setdefault(name, {}), {WHOLE: True})
                row = self._dict(trie)
            self._rows[key] = (msgspec.json.Decoder(list[row]), msgspec.json.Decoder(row))
        return self._rows[key]

    def _dict(self, trie: dict):
        self._count += 1
        fields = {key: self._node(child) for key, child in trie.items() if key != WHOLE}
        return TypedDict(f"Projected{self._count}", fields, total=False)

    def _node(self, trie: dict):
        if is_whole(trie):
            return Any
        shape = self._dict(trie)
        element = Union[(shape, list[Any]) + _SCALARS]  # a list in a list is kept whole
        return Union[(shape, list[element]) + _SCALARS]


class Anchors(dict):
    """(table as the file names it, lower-cased; None for a file of rows) -> [(row index, byte offset, line)],
    the start of every batch of rows and, last, the end of the table."""


def load(path: str, decoders: Decoders):
    """(document with projected rows, Anchors), or None (see the module docstring)."""
    try:
        with open(path, "rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # an empty file cannot be mapped
        return None
    reader = _Reader(mapped, decoders)
    try:
        if mapped[:3] == b"\xef\xbb\xbf":
            return None  # msgspec does not skip a BOM; orjson's path strips it
        if path.endswith((".jsonl", ".ndjson")):
            return reader.lines(), reader.anchors
        head = mapped[:4096].lstrip()[:1]
        if head == b"{":
            from argus.snapshots import rowlines
            try:  # rows split at line starts: no pass over the file of its own (argus.snapshots.rowlines)
                return rowlines.walk(reader), reader.anchors
            except rowlines.Guess:
                reader.restart()
            return reader.document(), reader.anchors
        if head == b"[":
            return reader.bare(msgspec.json.decode(mapped, type=list[msgspec.Raw])), reader.anchors
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, _NotHere):
        return None  # RecursionError: msgspec's own nesting limit (orjson's, 1,024 levels, is the one argus states)
    finally:
        reader.close()
    return None


class _NotHere(Exception):
    """Rows this decoder leaves to orjson's path (appliance facts without a table, a list of pages)."""


class _Reader:
    def __init__(self, mapped: mmap.mmap, decoders: Decoders) -> None:
        self.mm, self.decoders = mapped, decoders
        self.anchors = Anchors()
        self._freed = 0  # pages before this offset were handed back
        self._line_no, self._at = 1, 0  # the line number at offset _at
        self._buffer = bytearray()

    def restart(self) -> None:
        """Forget what a splitter that gave up decoded (its pages are handed back again as they are read)."""
        self.anchors.clear()
        self._freed, self._line_no, self._at = 0, 1, 0

    def close(self) -> None:
        try:
            self.mm.close()
        except BufferError:  # a zero-copy row still refers to it: it is unmapped when that goes
            pass

    def document(self) -> dict:
        """An object of tables, or one page: lists are tables of rows, anything else is decoded as it is."""
        doc = {}
        for key, value in msgspec.json.decode(self.mm, type=_TOP).items():
            if value.__class__ is not list or key == "header":
                doc[key] = value if value.__class__ is not list else [msgspec.json.decode(r) for r in value]
            elif key == "data":  # a page's rows: routed by type, so any table's paths may apply
                doc[key] = no_facts(self.table(None, value, bare=True))
            else:
                doc[key] = self.table(key.lower(), value)
        return doc

    def bare(self, raws: list) -> list:
        first = msgspec.json.decode(raws[0], type=dict[str, msgspec.Raw]) if raws else {}
        if "data" in first and "type" not in first:
            raise _NotHere  # a list of pages: argus.snapshots.argpages checks them on orjson's path
        return no_facts(self.table(None, raws, bare=True))

    def table(self, name: str | None, raws: list, bare: bool = False) -> list:
        """The rows of one table, a batch at a time, each batch's pages handed back once decoded."""
        decoder = self.decoders.rows(name, bare)[0]
        if raws and bytes(memoryview(raws[0])[:1]) != b"{":
            raise _NotHere  # table-form rows or a list of pages: orjson's path
        rows: list = []
        marks = self.anchors.setdefault(name, [])
        start = self._find(raws[0], self._at) if raws else self._at
        for i in range(0, len(raws), _BATCH):
            j = min(i + _BATCH, len(raws))
            # the batch's last row starts no sooner than its rows' lengths allow; the next one right after it
            last = self._find(raws[j - 1], start + sum(map(len, raws[i:j - 1])))
            stop = last + len(raws[j - 1])
            self.batch(decoder, rows, marks, start, stop)
            end = self._find(raws[j], stop) if j < len(raws) else stop
            self.release(end)
            start = end
        marks.append((len(raws), start, self.line_at(start)))
        return rows

    def batch(self, decoder, rows: list, marks: list, start: int, stop: int) -> None:
        """Decode the rows between `start` and `stop` (separators after the last one are dropped) into `rows`,
        marking where they begin. msgspec refuses anything that is not exactly whole rows there."""
        while stop > start and self.mm[stop - 1:stop] in _SEPARATOR_BYTES:
            stop -= 1
        size = stop - start + 2
        if len(self._buffer) < size:  # one buffer for every batch: fresh memory would be zeroed and faulted in
            self._buffer = bytearray(size + (size >> 2))
        view, batch = memoryview(self.mm), memoryview(self._buffer)[:size]
        try:  # "[" rows "]": one copy of the batch's bytes
            batch[0], batch[size - 1], batch[1:size - 1] = 0x5B, 0x5D, view[start:stop]
            decoded = decoder.decode(batch)  # first: a batch msgspec refuses leaves no mark and no count
            marks.append((len(rows), start, self.line_at(start, self._buffer, stop, size - 1)))
            rows.extend(decoded)
        finally:
            batch.release()
            view.release()

    def lines(self) -> list:
        """JSON Lines, a few MB at a time, cut at line ends."""
        decoder, rows, marks = self.decoders.rows(None, bare=True)[1], [], self.anchors.setdefault(None, [])
        start, size = 0, len(self.mm)
        while start < size:
            cut = self.mm.find(b"\n", min(start + (8 << 20), size))
            end = size if cut < 0 else cut + 1
            region = self.mm[start:end]
            marks.append((len(rows), start, self.line_at(start, region, end)))
            rows.extend(decoder.decode_lines(region))
            self.release(end)
            start = end
        marks.append((len(rows), start, self.line_at(start)))
        return no_facts(rows)

    def _find(self, raw, hint: int) -> int:
        """Where a row starts: rows are in file order, so the search starts at the previous one."""
        whole = bytes(raw)
        needle = whole[:256]
        pos = self.mm.find(needle, hint)
        while pos >= 0 and self.mm[pos:pos + len(whole)] != whole:
            pos = self.mm.find(needle, pos + 1)
        if pos < 0:
            raise _NotHere
        return pos

    def line_at(self, offset: int, region=None, stop: int = 0, size: int | None = None) -> int | None:
        """The line number at `offset` (offsets only move forward), when positions are wanted at all (SARIF,
        CI annotations); `region[:size]` holds the bytes from `offset` to `stop`, counted here, not read again."""
        if not self.decoders.lines:
            return None
        if offset > self._at:
            self._line_no += self.mm[self._at:offset].count(b"\n")
            self._at = offset
        line = self._line_no
        if region is not None:
            self._line_no += _newlines(region, len(region) if size is None else size)
            self._at = stop
        return line

    def release(self, offset: int) -> None:
        """Hand the pages before `offset` back: they were decoded (the kernel keeps them in its page cache)."""
        upto = offset - offset % mmap.PAGESIZE
        if upto > self._freed and hasattr(self.mm, "madvise"):
            self.mm.madvise(mmap.MADV_DONTNEED, self._freed, upto - self._freed)
            self._freed = upto


def _newlines(buf, size: int) -> int:
    """Newlines in `buf[:size]`. bytes.count reads byte by byte (about 1.5 GB/s); when lines are long (a row per
    line) finding each one with memchr is faster, so that is tried until lines turn out to be short."""
    count, pos, budget = 0, buf.find(b"\n", 0, size), size >> 9  # over one line per 512 bytes: count instead
    while pos >= 0:
        count += 1
        if count > budget:
            return count + buf.count(b"\n", pos + 1, size)
        pos = buf.find(b"\n", pos + 1, size)
    return count


def no_facts(rows: list) -> list:
    """Rows without a table that turn out to be appliance facts are validated whole: parse the file again."""
    for row in rows:
        rtype = row.get("type") if row.__class__ is dict else None
        if rtype.__class__ is str and rtype.casefold() == APPLIANCE_TYPE:
            raise _NotHere
        if row.__class__ is dict and "data" in row and "type" not in row:
            raise _NotHere
    return rows
