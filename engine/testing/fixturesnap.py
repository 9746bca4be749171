"""The snapshot a fixture case runs on (argus.testing.fixtures describes the case).

In: a Case (base snapshot paths, `remove`, `patch`, inline `tables`). Out: a Snapshot loaded through
argus.snapshots.snapshot, so files, directories and every format `argus scan --snapshot` reads work, with pushdown
coverage and duplicate rows as in a scan (YAML base files are read too); then the removals and JSON merge
patches applied and the inline rows added. A snapshot that cannot be loaded, and an id that `remove` or `patch`
names but the snapshot lacks, are E409 diagnostics located in the fixture (after the snapshot file's own, when it
has one), so a typo cannot turn a case into a test of nothing.
"""

from __future__ import annotations

import copy

from argus.snapshots import snapshot as snap_mod
from argus import yamlpos
from argus.language.ast import Span
from argus.diagnostics import Diagnostic, DiagnosticError
from argus.errors import UserError
from argus.testing.fixtures import Case


class _Unloadable(Exception):
    """A base snapshot of a case that could not be loaded: where the fixture names it, and why."""

    def __init__(self, where: Span, cause: UserError | DiagnosticError):
        super().__init__(str(cause))
        self.where, self.cause = where, cause

    def error(self, fixture_text: str) -> DiagnosticError:
        """E409 at the fixture's entry; after the snapshot file's own diagnostics when it has them (invalid JSON),
        else saying why (a snapshot of the wrong shape names its file itself)."""
        if isinstance(self.cause, DiagnosticError):
            mine = Diagnostic("E409", self.where, "the case's snapshot cannot be loaded (the error above)")
            return DiagnosticError(self.cause.diagnostics + [mine],
                                   {**self.cause.sources, self.where.file: fixture_text})
        mine = Diagnostic("E409", self.where, f"the case's snapshot cannot be loaded: {self.cause}")
        return DiagnosticError([mine], {self.where.file: fixture_text})


class SnapshotCache:
    """Each distinct list of base snapshot files is loaded once per run, however many cases start from it; cases
    never change the loaded rows (patches build new ones)."""

    def __init__(self):
        self._loaded: dict[tuple, snap_mod.Snapshot] = {}
        self._yaml: dict[str, object] = {}

    def base(self, entries: list[tuple[str, Span]]) -> snap_mod.Snapshot:
        """The files loaded together, as `argus scan --snapshot` loads them (so pushdown coverage, duplicate rows
        and every file format behave as in a scan)."""
        key = tuple(path for path, _ in entries)
        if key not in self._loaded:
            try:
                self._loaded[key] = snap_mod.load(list(key)) if key else snap_mod.Snapshot()
            except (UserError, DiagnosticError) as exc:
                said = str(exc)
                raise _Unloadable(next((w for path, w in entries if said.startswith(path)), entries[0][1]), exc) from None
        return self._loaded[key]

    def yaml(self, path: str, where: Span):
        if path not in self._yaml:
            try:
                self._yaml[path] = yamlpos.load(path).data
            except yamlpos.InputError as exc:
                raise _Unloadable(where, exc.error("E412")) from None
            except UserError as exc:
                raise _Unloadable(where, exc) from None
        return self._yaml[path]


def case_snapshot(case: Case, cache: SnapshotCache) -> snap_mod.Snapshot:
    """The case's snapshot: its base files with `remove` and `patch` applied, plus its inline `tables`.
    YAML base files (which scan does not read) are added after the others, like inline tables."""
    try:
        return _build(case, cache)
    except _Unloadable as bad:
        raise bad.error(case.text) from None


def _build(case: Case, cache: SnapshotCache) -> snap_mod.Snapshot:
    removed = {rid.casefold() for rid, _ in case.remove}
    patches = {rid.casefold(): change for rid, (change, _) in case.patch.items()}
    used: set[str] = set()
    snap = snap_mod.Snapshot()
    base = cache.base([e for e in case.snapshot if not e[0].endswith((".yaml", ".yml"))])
    _copy_rows(snap, base, removed, patches, used)
    snap.coverage = copy.deepcopy(base.coverage)  # adding documents below extends it; the cached one stays
    docs = [(path, where, cache.yaml(path, where)) for path, where in case.snapshot if path.endswith((".yaml", ".yml"))]
    if case.tables is not None:
        docs.append((f"{case.where} (inline)", case.at, case.tables))
    for name, where, doc in docs:
        try:
            snap_mod.add_document(snap, name, _fix_document(copy.deepcopy(doc), removed, patches, used))
        except UserError as exc:
            raise _Unloadable(where, exc) from None
    unused = [Diagnostic("E409", where, f"remove names {rid}, which is not in the case's snapshot")
              for rid, where in case.remove if rid.casefold() not in used]
    unused += [Diagnostic("E409", where, f"patch names {rid}, which is not in the case's snapshot")
               for rid, (_, where) in case.patch.items() if rid.casefold() not in used]
    if unused:
        raise DiagnosticError(unused, {case.at.file: case.text})
    return snap


def _copy_rows(snap, base, removed: set, patches: dict, used: set) -> None:
    """Add `base`'s rows to `snap` in their order, keeping which file and position each came from."""
    offset = len(snap.files)
    snap.files.extend(base.files)
    snap.duplicates.extend(base.duplicates)
    file_index = {f.path: offset + i for i, f in enumerate(base.files)}
    for table, rows in base.tables.items():
        run: list = []
        at: list = []
        fidx = None
        for row in rows:
            origin = base.origin(row)
            here = file_index[origin.file]
            if here != fidx and run:
                snap.add(table, run, fidx, at, snap.files[fidx].path)
                run, at = [], []
            fidx = here
            fixed = _fix_rows([row], removed, patches, used)
            if fixed:
                run.append(fixed[0])
                at.append(origin.index)
        if run or table not in snap.tables:  # a table whose rows were all removed is empty, not absent
            fidx = offset if fidx is None else fidx
            snap.add(table, run, fidx, at, snap.files[fidx].path)


def _fix_document(doc, removed: set, patches: dict, used: set):
    """remove/patch rows of a parsed document in any snapshot shape; an export's row counts follow, so a
    removal does not read as a truncated export."""
    if isinstance(doc, list):
        return _fix_rows(doc, removed, patches, used)
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):
        rows = _fix_rows(doc["data"], removed, patches, used)
        return dict(doc, data=rows, **{k: len(rows) for k in ("count", "total_records", "totalRecords") if k in doc})
    if isinstance(doc, dict):
        return {k: _fix_rows(v, removed, patches, used) if isinstance(v, list) else v for k, v in doc.items()}
    return doc


def _fix_rows(rows: list, removed: set, patches: dict, used: set) -> list:
    out = []
    for row in rows:
        rid = row.get("id") if isinstance(row, dict) else None
        key = rid.casefold() if isinstance(rid, str) else None
        if key in removed:
            used.add(key)
            continue
        if key in patches:
            used.add(key)
            row = _merge_patch(row, patches[key])
            if isinstance(row.get("type"), str):
                row["type"] = row["type"].lower()  # as the loader does for every row
        out.append(row)
    return out


def _merge_patch(target, patch):
    """RFC 7386 JSON merge patch; builds new containers, never changes `target`."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out
