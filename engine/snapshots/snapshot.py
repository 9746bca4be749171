"""Snapshot loading: ARG export files -> one Snapshot of tables of plain dicts.

In: paths (files or directories). Out: `Snapshot`, with each file's tables (argus.snapshots.documents reads every
shape ARG exports come in and refuses what is not ARG rows), rows deduplicated by id and partitioned by type,
the origin of every row kept for locations, and each file's pushdown kept in `coverage`
(argus.snapshots.coverage: `read` of a partly collected table is missing). Appliance facts rows that do not fit
their schema are refused (argus.snapshots.facts_rows). Rows are decoded projected to what the rules read when
a scan asks (argus.snapshots.rowdecode), each file's sha256 in a thread beside (argus.snapshots.digest).
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field


from argus import gcpause
from argus.snapshots import documents
from argus.snapshots import facts_rows
from argus.snapshots.coverage import Coverage
from argus.snapshots.digest import FileDigest
from argus.errors import UserError
from argus.model import Origin
from argus.language.values import Missing, json_text


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
    _add(snap, name, "0" * 64, *documents.dispatch(name, doc))


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
            parsed = documents.bare(path, doc) if path.endswith((".jsonl", ".ndjson")) else documents.dispatch(path, doc)
            rowpos.remember(path, anchors, snap)
            decoders = None
    if parsed is None:
        with open(path, "rb") as fh:
            raw = fh.read()
        parsed = documents.parse(path, raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
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
                        f"{json_text(pushdown, compact=True)[:80]}")
    collected_at = header.get("collected_at")
    if collected_at is not None and not isinstance(collected_at, str):
        raise UserError(f"{path}: header 'collected_at' must be a timestamp string, got "
                        f"{json_text(collected_at, compact=True)[:80]}")
    return collected_at, None if pushdown is None else [t.casefold() for t in pushdown]


