"""An object of tables split into batches of rows at line starts, without a pass over the file of its own.

In: an argus.snapshots.rowdecode reader over a memory-mapped snapshot that begins with `{`. Out: the document as
rowdecode's own splitter gives it (tables of projected rows, other values as they are, anchors), or `Guess`
raised when the file is not laid out as guessed, and the caller splits it with msgspec instead.

The guess: in a table, each row begins a line, indented as the first row is (`{"resources": [` then one row per
line, as argus collect, az graph query and most tools write them). A batch runs from a row's start to a later
line that begins, at that indentation, with `{`. Nothing is trusted on that guess: each batch is decoded by
msgspec as `[` + its bytes + `]`, which succeeds only when they are exactly whole rows (a batch cut inside a row
leaves that row's opening brace unclosed; one that runs past the table meets its `]`), so a wrong guess costs
one failed batch, never a wrong row. Where a batch is not whole rows, the table's end is looked for there: the
first `]` starting a line indented less than the rows (at the margin when they are). Small values between tables (a header, a page's count) are read with the
json module's raw_decode, which says where they end, and decoded again by msgspec from exactly those bytes.
"""

from __future__ import annotations

import json

import msgspec

from argus.snapshots.rowdecode import no_facts

BATCH_BYTES = 1 << 20  # also how far apart the anchors are: a SARIF location reads one batch back
_SMALL = 16 << 20  # a value between tables read whole (a header, a page's count and skip token)
_WHITESPACE = b" \t\r\n"
_JSON = json.JSONDecoder()


class Guess(Exception):
    """The file is not laid out as guessed: split it another way."""


def walk(reader) -> dict:
    """The document: every table split by lines, every other value read as it is."""
    mm, doc = reader.mm, {}
    pos = _ws(mm, 0)
    if mm[pos:pos + 1] != b"{":
        raise Guess
    pos = _ws(mm, pos + 1)
    while mm[pos:pos + 1] != b"}":
        key, pos = _value(mm, pos)
        pos = _ws(mm, pos)
        if not isinstance(key, str) or mm[pos:pos + 1] != b":":
            raise Guess
        pos = _ws(mm, pos + 1)
        if mm[pos:pos + 1] == b"[" and key != "header":
            name = None if key == "data" else key.lower()  # a page's rows: routed by type, any table's paths
            rows, pos = _table(reader, name, pos, bare=key == "data")
            doc[key] = no_facts(rows) if key == "data" else rows
        else:
            doc[key], pos = _value(mm, pos)
        pos = _ws(mm, pos)
        if mm[pos:pos + 1] == b",":
            pos = _ws(mm, pos + 1)
        elif mm[pos:pos + 1] != b"}":
            raise Guess
    if _ws(mm, pos + 1) != len(mm):
        raise Guess  # something after the document: msgspec's splitter says what
    return doc


def _table(reader, name, pos: int, bare: bool) -> tuple[list, int]:
    """(rows, the offset after the table's `]`), the table's `[` being at `pos`."""
    mm, decoder = reader.mm, reader.decoders.rows(name, bare)[0]
    marks, rows = reader.anchors.setdefault(name, []), []
    start = _ws(mm, pos + 1)
    if mm[start:start + 1] == b"]":
        marks.append((0, start, reader.line_at(start)))
        return rows, start + 1
    line = mm.rfind(b"\n", pos, start) + 1
    indent = mm[line:start]
    if not line or indent.strip(_WHITESPACE) or mm[start:start + 1] != b"{":
        raise Guess  # rows that do not begin lines
    row_start = b"\n" + indent + b"{"
    while True:
        cut = mm.find(row_start, start + BATCH_BYTES)
        if cut >= 0:
            try:
                reader.batch(decoder, rows, marks, start, cut)
                reader.release(cut)
                start = cut + len(row_start) - 1
                continue
            except (msgspec.DecodeError, msgspec.ValidationError):
                pass  # not whole rows: the table may end in there (the cut is then a row of the next table)
        end = _end(mm, start, indent, cut if cut >= 0 else len(mm))
        if end is None:
            raise Guess  # no end to the table where it was looked for
        break
    _decode(reader, decoder, rows, marks, start, end)
    reader.release(end)
    marks.append((len(rows), end, reader.line_at(end)))
    return rows, mm.find(b"]", end) + 1


def _end(mm, start: int, indent: bytes, stop: int) -> int | None:
    """Where the table's closing line begins, when it is before `stop`: the first `]` starting a line indented
    less than the rows (at the margin when they are). A plain search per indentation: no regular expression
    reads the rows."""
    found = [at for i in range(max(len(indent), 1)) if (at := mm.find(b"\n" + indent[:i] + b"]", start, stop)) >= 0]
    return min(found) if found else None


def _decode(reader, decoder, rows, marks, start: int, stop: int) -> None:
    try:
        reader.batch(decoder, rows, marks, start, stop)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Guess from exc  # not whole rows there: the guess was wrong (or the file is; the next splitter says)


def _ws(mm, pos: int) -> int:
    while pos < len(mm) and mm[pos:pos + 1] in (b" ", b"\t", b"\r", b"\n"):
        pos += 1
    return pos


def _value(mm, pos: int, size: int = 1 << 12) -> tuple[object, int]:
    """A small JSON value at `pos` and the offset after it, as msgspec reads those exact bytes."""
    while True:
        text = mm[pos:pos + size].decode("utf-8", errors="ignore")
        try:
            value, end = _JSON.raw_decode(text)
        except json.JSONDecodeError:
            end = None
        if end is not None and (end < len(text) or pos + size >= len(mm)):
            stop = pos + len(text[:end].encode("utf-8"))
            try:
                return msgspec.json.decode(mm[pos:stop]), stop
            except msgspec.DecodeError as exc:
                raise Guess from exc
        if pos + size >= len(mm) or size > _SMALL:
            raise Guess  # a big value between tables (table-form rows): msgspec's splitter reads it
        size *= 4
