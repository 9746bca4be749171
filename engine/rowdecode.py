"""Snapshot files decoded with projection: msgspec builds only what the rules can read, skipping the rest.

In: a snapshot file's bytes (BOM removed), its name, and argus.reads.Reads. Out: the document as
argus.snapshot's dispatch takes it (an object of tables, a page, a bare array, or JSON Lines rows), each row a
plain dict holding only the paths its table's trie keeps, plus the keys the loader's own checks look at; or
None when the file is not a shape decoded here, or msgspec refuses it: the caller then parses it whole with
orjson (so a malformed file gets the located message it always got) and projects the rows in Python.

How: a trie becomes a TypedDict (msgspec skips keys a TypedDict does not declare, without building them);
a node is `TypedDict | list[element] | str | int | float | bool | None`, so a path reads the same value type
it would without projection; a whole node is `Any`. Tables are split first (`dict[str, Raw]`, a scan that
builds nothing), so each gets its own row type.
"""

from __future__ import annotations

from typing import Any, TypedDict, Union

import msgspec

from .reads import WHOLE, Reads, is_whole, merge

# read by the loader's checks on every row (PowerShell and Azure CLI shapes are refused naming them)
_CHECKED = ("Properties", "ResourceId", "provisioningState", "primaryEndpoints", "networkRuleSet",
            "privateLinkServiceConnections", "addressSpace", "subnets", "peerings",
            "serviceProviderProvisioningState", "gatewayType", "ipConfigurations", "createdTime", "changedTime")
# a bare array or JSON Lines may hold ARM bodies (argus.armbodies looks for ARG's columns) or pages
_BARE = ("subscriptionId", "resourceGroup", "tenantId", "data")
_WHOLE_TABLES = ("appliance",)  # facts rows are validated against their schema as a whole
_APPLIANCE_TYPE = "argus/appliance"
_SCALARS = (str, int, float, bool, type(None))


class Decoders:
    """msgspec decoders for the rows of each table under one Reads; types are built once per trie."""

    def __init__(self, reads: Reads) -> None:
        self.reads = reads
        self._rows: dict = {}
        self._count = 0

    def trie(self, table: str) -> dict:
        """What a row of `table` keeps when it was parsed whole (argus.reads.project applies it)."""
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


def decode(path: str, raw: bytes, decoders: Decoders):
    """The document with projected rows, or None (see the module docstring)."""
    try:
        if path.endswith((".jsonl", ".ndjson")):
            return _no_facts(decoders.rows(None, bare=True)[1].decode_lines(raw))
        head = raw.lstrip()[:1]
        if head == b"{":
            return _object(raw, decoders)
        if head == b"[":
            return _no_facts(decoders.rows(None, bare=True)[0].decode(raw))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return None


def _object(raw: bytes, decoders: Decoders) -> dict:
    """An object of tables, or one page: lists are tables of rows, anything else is decoded as it is."""
    doc = {}
    for key, value in msgspec.json.decode(raw, type=dict[str, msgspec.Raw]).items():
        if bytes(memoryview(value)[:1]) != b"[":
            doc[key] = msgspec.json.decode(value)
        elif key == "data":  # a page's rows: routed by type, so any table's paths may apply
            doc[key] = _no_facts(decoders.rows(None, bare=True)[0].decode(value))
        else:
            doc[key] = decoders.rows(key.lower())[0].decode(value)
    return doc


def _no_facts(rows: list) -> list:
    """Rows without a table that turn out to be appliance facts are validated whole: parse the file again."""
    for row in rows:
        rtype = row.get("type") if row.__class__ is dict else None
        if rtype.__class__ is str and rtype.casefold() == _APPLIANCE_TYPE:
            raise msgspec.ValidationError("appliance facts among rows without a table")
        if row.__class__ is dict and "data" in row and "type" not in row:
            raise msgspec.ValidationError("a list of pages")
    return rows
