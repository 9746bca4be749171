"""Snapshot loading: ARG export files -> one Snapshot of tables of plain dicts.

In: paths (files or directories) in any shape ARG exports come in: an object of tables (optionally with a
`header`), `az graph query -o json` output, bare row arrays, ARG REST/SDK responses (object arrays or the
`{columns, rows}` table form, single or a list of pages, which argus.snapshots.argpages checks add up), JSON Lines, and
ARM resource bodies (argus.snapshots.armbodies derives the ARG columns from their ids; the file's `shape` says so).
Out: `Snapshot` with rows routed to tables (by the table key, else by `type`), `type` lower-cased, nothing else
touched, and each file's pushdown kept in `coverage` (argus.snapshots.coverage: `read` of a partly collected table is
missing). Anything that is not ARG rows (Azure CLI or PowerShell output, malformed tables), that says it is
incomplete, or appliance facts rows that do not fit their schema (argus.snapshots.facts_rows), is refused with a
UserError naming the file (and row); a file that is not JSON with an E412 diagnostic at the place.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field

import orjson

from argus import gcpause
from argus.snapshots import argpages
from argus.snapshots import armbodies
from argus.snapshots import facts_rows
from argus.snapshots.coverage import Coverage
from argus.diagnostics import DiagnosticError, at, json_error, located
from argus.snapshots.digest import FileDigest
from argus.errors import UserError
from argus.model import Origin
from argus.language.tables import KNOWN_TABLES
from argus.language.values import Missing

_CONTAINER_TYPES = ("microsoft.resources/subscriptions", "microsoft.resources/subscriptions/resourcegroups",
                    "microsoft.management/managementgroups")
_DNS_PREFIXES = ("microsoft.network/privatednszones/", "microsoft.network/dnszones/")
_DNS_EXCLUDE = ("microsoft.network/privatednszones/virtualnetworklinks",)
# Keys that sit inside `properties` in ARG rows; at top level they betray CLI output with properties flattened.
_FLATTENED_HINTS = ("provisioningState", "primaryEndpoints", "networkRuleSet", "privateLinkServiceConnections",
                    "addressSpace", "subnets", "peerings", "serviceProviderProvisioningState", "gatewayType",
                    "ipConfigurations", "createdTime", "changedTime")


@dataclass(slots=True)
class SnapshotFile:
    path: str
    sha256: str | None  # None: not computed, as no output of this run shows it
    rows: int
    collected_at: str | None = None
    shape: str | None = None  # "arm-bodies" when the rows were ARM resource bodies (argus.snapshots.armbodies)

    def to_dict(self) -> dict:
        out = {"path": self.path, "sha256": self.sha256, "collected_at": self.collected_at, "rows": self.rows}
        if self.shape:
            out["shape"] = self.shape
        return out


@dataclass
class Snapshot:
    tables: dict[str, list[dict]] = field(default_factory=dict)
    files: list[SnapshotFile] = field(default_factory=list)
    _origins: list[tuple] = field(default_factory=list)  # (table, start, end, file index, positions in file)
    _origin_index: dict[int, int] | None = None  # id(row) -> (entry of _origins << 32) | row within it
    _id_index: dict[str, dict] | None = None
    by_type: dict[str, dict[str, list]] = field(default_factory=dict)  # table -> type -> rows, built on load
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (table, id, file) of rows skipped
    _seen: dict[str, dict] = field(default_factory=dict)  # table -> case-folded id -> (row, position), load order
    coverage: Coverage = field(default_factory=Coverage)  # what pushdown collections left out (argus.snapshots.coverage)

    def table(self, name: str):
        """The rows of a table as loaded; `read` is what rules see."""
        rows = self.tables.get(name.lower())
        if rows is None:
            note = self.coverage.absent_note(name.lower())
            return Missing(f"table '{name}' is not in the snapshot{note}", static=True)
        return rows

    def read(self, name: str):
        """A whole table as rules read it: missing when absent, or when pushdown left types out of it."""
        rows = self.table(name)
        if rows.__class__ is Missing:
            return rows
        partial = self.coverage.whole(name.lower())
        return rows if partial is None else partial

    def by_id(self, rid: str):
        """The row with this ARM id (case-folded), from any table; index built on first use."""
        if self._id_index is None:
            index: dict[str, tuple] = {}
            for table in reversed(list(self.tables)):  # an earlier table's row wins: its ids are set last
                ids = self._seen.get(table)
                if ids is None:  # rows placed without add()
                    ids = {}
                    for row in reversed(self.tables[table]):
                        key = row.get("id")
                        if isinstance(key, str):
                            ids[key.casefold()] = (row, None)
                index.update(ids)
            self._id_index = index
        found = self._id_index.get(rid.casefold())
        return found[0] if found is not None else None

    def add(self, table: str, rows: list[dict], file_index: int, positions: list[int] | None = None, source: str = "") -> None:
        """Append rows to a table, partition them by type, and skip rows whose id (case-folded) the table
        already holds: the same resource exported twice must not be evaluated twice."""
        bucket = self.tables.setdefault(table, [])
        seen = self._seen.setdefault(table, {})
        types = self.by_type.setdefault(table, {})
        kept: list = []
        keep = kept.append
        dropped: set | None = None
        position = len(bucket)  # where the next kept row lands in the table
        for i, row in enumerate(rows):  # a million rows pass here: one lookup per question, nothing more
            rid = row.get("id")
            if rid.__class__ is str:
                key = rid.casefold()
                if key in seen:  # the table holds this id already: the same resource exported twice
                    self.duplicates.append((table, rid, source))
                    if dropped is None:
                        dropped = set()
                    dropped.add(i)
                    continue
                seen[key] = (row, position)
            keep(row)
            position += 1
            t = row.get("type")
            group = types.get(t)
            if group is None:
                types[t] = [row]
            else:
                group.append(row)
        at = positions if positions is not None else range(len(rows))
        if dropped:
            at = [p for i, p in enumerate(at) if i not in dropped]
        self._origins.append((table, len(bucket), len(bucket) + len(kept), file_index, at))
        bucket.extend(kept)
        self._origin_index = self._id_index = None

    def origin(self, row) -> Origin | None:
        """Which file (and row index within it) a row came from: through its id when it has one (the table's
        own index of ids holds its position), else an index of every row, built on first use."""
        rid = row.get("id") if isinstance(row, dict) else None
        if rid.__class__ is str:
            key = rid.casefold()
            for table, seen in self._seen.items():
                hit = seen.get(key)
                if hit is not None and hit[0] is row:
                    for name, start, end, fidx, positions in self._origins:
                        if name == table and start <= hit[1] < end:
                            return Origin(self.files[fidx].path, positions[hit[1] - start], table)
        if self._origin_index is None:  # plain ints: an Origin is made only for the rows findings name
            index: dict[int, int] = {}
            for k, (table, start, end, _, _) in enumerate(self._origins):
                index.update(zip(map(id, self.tables[table][start:end]), range(k << 32, (k << 32) + end - start)))
            self._origin_index = index
        at = self._origin_index.get(id(row))
        if at is None:
            return None
        table, _, _, fidx, positions = self._origins[at >> 32]
        return Origin(self.files[fidx].path, positions[at & 0xFFFFFFFF], table)

    @property
    def collected_at(self) -> str | None:
        times = sorted(f.collected_at for f in self.files if f.collected_at)
        return times[0] if times else None

    def row_count(self) -> int:
        return sum(len(rows) for rows in self.tables.values())


def expand_paths(paths: list[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith((".json", ".jsonl", ".ndjson")))
            if not found:
                raise UserError(f"{p}: directory holds no .json/.jsonl files")
            for entry in found:
                _check_entry(entry)
            out.extend(found)
        elif os.path.isfile(p):
            out.append(p)
        else:
            raise UserError(f"{p}: no such snapshot file or directory")
    return out


def _check_entry(entry: str) -> None:
    """A directory's entry named like a snapshot file must be one: a folder, a dangling link or a link loop
    there is named, before anything is read."""
    try:
        if os.path.isdir(entry):
            raise UserError(f"{entry}: a directory, not a snapshot file")
        os.stat(entry)
    except FileNotFoundError:
        raise UserError(f"{entry}: a symbolic link to {os.readlink(entry)}, which does not exist") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UserError(f"{entry}: a symbolic link loop (too many levels of symbolic links)") from None
        raise UserError(f"{entry}: cannot read: {exc.strerror}") from None


def load(paths: list[str], reads=None, digest: bool = True, positions: bool = True) -> Snapshot:
    """Load and merge snapshot files. The garbage collector is paused while parsing: big snapshots allocate
    millions of containers and the collector's passes over them triple the load time.
    `reads` (argus.language.reads.Reads): keep only what the rules can read (projection; None keeps every row whole).
    `digest` False: no sha256 of the files (no output shows it), `sha256` is then None. `positions` False: a
    projected load counts no lines for SARIF locations (argus.snapshots.rowanchors; they are found without them)."""
    snap = Snapshot()
    decoders = None
    if reads is not None:
        from argus.snapshots.rowdecode import Decoders
        decoders = Decoders(reads, lines=positions)
    with gcpause.paused():
        for path in expand_paths(paths):
            _load_file(snap, path, decoders, digest)
    return snap


def add_document(snap: Snapshot, name: str, doc) -> None:
    """Add an already-parsed snapshot document (any accepted shape) under the display name `name`."""
    _add(snap, name, "0" * 64, *_dispatch(name, doc))


def _load_file(snap: Snapshot, path: str, decoders, digest: bool) -> None:
    # hashing runs beside the parse on another core, reading the file on its own (hashlib lets go of the GIL)
    hasher = FileDigest(path) if digest else None
    parsed = None
    if decoders is not None:
        from argus.snapshots import rowdecode
        from argus.snapshots import rowpos
        found = rowdecode.load(path, decoders)
        if found is not None:  # rows already hold only what the rules read
            doc, anchors = found
            parsed = _bare(path, doc) if path.endswith((".jsonl", ".ndjson")) else _dispatch(path, doc)
            rowpos.remember(path, anchors, snap)
            decoders = None
    if parsed is None:
        with open(path, "rb") as fh:
            raw = fh.read()
        parsed = _parse(path, raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
        del raw
    _add(snap, path, hasher.hexdigest() if hasher else None, *parsed, project=decoders)


def _add(snap: Snapshot, path: str, digest: str | None, tables: list[tuple[str, list, list | None]],
         header: dict | None, shape: str | None, project=None) -> None:
    collected_at, pushdown = _header_facts(path, header)
    for table, rows, positions in tables:
        if table == "appliance":
            facts_rows.check(path, rows, positions)
    if project is not None:  # parsed whole (a shape argus.snapshots.rowdecode leaves to orjson): project here
        from argus.language.reads import project as project_row
        tables = [(table, [project_row(row, project.trie(table)) for row in rows], positions)
                  for table, rows, positions in tables]
    fidx = len(snap.files)
    for table, rows, positions in tables:
        snap.add(table, rows, fidx, positions, path)
    snap.coverage.add_file(path, [table for table, _, _ in tables], pushdown)
    snap.files.append(SnapshotFile(path, digest, sum(len(rows) for _, rows, _ in tables), collected_at, shape))


def _header_facts(path: str, header: dict | None) -> tuple[str | None, list[str] | None]:
    """collected_at and pushdown (the types collected; None: every type) of an argus collect header."""
    if header is None:
        return None, None
    pushdown = header.get("pushdown")
    if pushdown is not None and (not isinstance(pushdown, list) or not all(isinstance(t, str) for t in pushdown)):
        raise UserError(f"{path}: header 'pushdown' must be null or a list of resource types, got "
                        f"{orjson.dumps(pushdown).decode()[:80]}")
    return header.get("collected_at"), None if pushdown is None else [t.casefold() for t in pushdown]


def _parse(path: str, raw: bytes) -> tuple[list[tuple[str, list, list | None]], dict | None, str | None]:
    if path.endswith((".jsonl", ".ndjson")):
        return _bare(path, _jsonl(path, raw))
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if raw.lstrip().startswith(b"{") and b"\n{" in raw:
            try:
                return _bare(path, _jsonl(path, raw))
            except (UserError, DiagnosticError):
                pass  # not JSON Lines either: the whole document's error is the one to show
        raise json_error("E412", path, exc, "invalid JSON") from None
    return _dispatch(path, doc)


def _jsonl(path: str, raw: bytes) -> list:
    rows = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:  # the decoder saw one line: the caret is under the whole file's
            raise located("E412", at(path, n, exc.colno), f"invalid JSON line: {exc.msg}",
                          raw.decode("utf-8", "replace")) from None
    return rows


def _dispatch(path: str, doc) -> tuple[list[tuple[str, list, list | None]], dict | None, str | None]:
    """(tables of (name, rows, positions), the argus header, the shape note) of a parsed document."""
    if isinstance(doc, list):
        if doc and argpages.is_page(doc[0]):
            return _route(path, argpages.rows_of(path, doc)), None, None
        return _bare(path, doc)
    if not isinstance(doc, dict):
        raise UserError(f"{path}: expected a JSON object or array of ARG rows, got {argpages.json_type(doc)}")
    if "data" in doc:
        return _route(path, argpages.rows_of(path, [doc])), None, None
    armbodies.spec_example(path, doc)
    if "value" in doc and isinstance(doc["value"], list):
        raise UserError(f"{path}: this is an ARM list response ('value'), not ARG rows; export with "
                        "`az graph query -q ... -o json` or `argus collect`")
    header = doc.get("header") if isinstance(doc.get("header"), dict) else None
    tables = []
    for name, rows in doc.items():
        if name == "header":
            continue
        if not isinstance(rows, list):
            if name.lower() not in KNOWN_TABLES and ("id" in doc or "type" in doc or "properties" in doc):
                raise UserError(f"{path}: a single resource object is not a snapshot; wrap rows in a list or "
                                "an object of tables")
            raise UserError(f"{path}: table '{name}' must be a list of rows, got {argpages.json_type(rows)}")
        lower = _check_rows(path, rows, name)
        tables.append((name.lower(), rows if lower else _lower_types(rows), None))
    return tables, header, None


def _bare(path: str, rows: list) -> tuple[list[tuple[str, list, list]], None, str | None]:
    """A bare array or JSON Lines: ARG rows, or ARM resource bodies given the ARG columns their ids imply."""
    shape = armbodies.SHAPE if armbodies.derive(path, rows) else None  # first: it may retype resource groups
    return _route(path, rows), None, shape


def _route(path: str, rows: list) -> list[tuple[str, list, list]]:
    """Rows without a table go where ARG keeps their type; each keeps its position in the file."""
    lower = _check_rows(path, rows, None)
    buckets: dict[str, tuple[list, list]] = {}
    for i, row in enumerate(rows if lower else _lower_types(rows)):
        rows_at = buckets.setdefault(table_for_type(row.get("type", "")), ([], []))
        rows_at[0].append(row)
        rows_at[1].append(i)
    return [(table, rs, at) for table, (rs, at) in buckets.items()]


def table_for_type(rtype: str) -> str:
    if rtype in _CONTAINER_TYPES:
        return "resourcecontainers"
    if rtype.startswith(_DNS_PREFIXES) and rtype not in _DNS_EXCLUDE:
        return "dnsresources"
    if rtype == "argus/appliance":
        return "appliance"
    return "resources"


def _lower_types(rows: list) -> list:
    for i, row in enumerate(rows):
        t = row.get("type")
        if t.__class__ is str and t.islower():
            continue
        if isinstance(t, str) and not t.islower():
            row = dict(row)  # copy-on-write: the caller's parsed object stays as it was read
            row["type"] = t.lower()
            rows[i] = row
    return rows


def _check_rows(path: str, rows: list, table: str | None) -> bool:
    """Refuse rows that are not ARG rows; True when every row's type is a lower-case string already (then
    _lower_types has nothing to do)."""
    where = f" table '{table}'" if table else ""
    cli_shapes = table in (None, "resources", "resourcecontainers", "dnsresources")
    lower = True
    for n, row in enumerate(rows):
        if row.__class__ is dict and "Properties" not in row and "ResourceId" not in row:
            rtype = row.get("type")
            if rtype.__class__ is str and (not cli_shapes or row.get("properties") is not None):
                lower = lower and rtype.islower()
                continue  # an ARG row: the common case, answered with the fewest lookups
        lower = False
        if not isinstance(row, dict):
            raise UserError(f"{path}:{where} row {n}: expected an object, got {argpages.json_type(row)}")
        if "Properties" in row or "ResourceId" in row:
            raise UserError(f"{path}:{where} row {n}: PowerShell Get-AzResource shape (PascalCase 'Properties'); "
                            "export ARG rows with Search-AzGraph or `az graph query` instead")
        if row.get("properties") is None and table in (None, "resources", "resourcecontainers", "dnsresources"):
            _refuse_cli_shape(path, where, n, row)
        rtype = row.get("type")
        if table is None and not isinstance(rtype, str):
            if rtype is None:
                raise UserError(f"{path}: row {n}: no 'type', so it cannot be routed to an ARG table")
            raise UserError(f"{path}: row {n}: 'type' is {argpages.json_type(rtype)}, not a resource type string")
        if isinstance(rtype, (list, dict)):
            # ARG types are strings; a list or object here is not an export (and cannot be partitioned by type)
            raise UserError(f"{path}:{where} row {n}: 'type' is {argpages.json_type(rtype)}, not a resource type string")
    return lower


def _refuse_cli_shape(path: str, where: str, n: int, row: dict) -> None:
    """A row without properties (or with `"properties": null`, as `az resource list` writes) that carries keys
    ARG keeps inside `properties` is Azure CLI output, whose rules would all read absent properties."""
    flat = [k for k in _FLATTENED_HINTS if k in row]
    if not flat:
        return
    shown = ", ".join(flat[:3])
    what = (f"'properties' is null and {shown} sit at the top level — this is `az resource list` output"
            if "properties" in row else
            f"properties are flattened to the top level ({shown}) — this is `az resource list`/`az ... show` output")
    raise UserError(f"{path}:{where} row {n} ({row.get('id', '?')}): {what}, not ARG rows; export with "
                    "`az graph query -q ... -o json` or `argus collect`")
