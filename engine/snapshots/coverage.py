"""Collection coverage: which resource types a snapshot holds.

A snapshot collected with pushdown (`argus collect --types`, `argus scan --live`) holds only some types of its
ARG tables; reading a type it left out must make the rule not_evaluated, never pass or fail on rows that were
simply not fetched.

In (loading): per snapshot file, the tables it holds and its header's `pushdown` (None: complete).
Out: `Coverage`, answering "was type X of table T collected?" and "is table T whole?" with None (yes) or a
static Missing naming the file and its --types. Merge rule: a type counts as collected when any file holding
its table collected it (a file without pushdown collects every type of the tables it holds); a table is whole
when a file holds it without pushdown, or the files holding it together collected every type argus collect
puts in it (argus.collection.collectspec.TYPES_BY_TABLE). What rules read of a snapshot is argus.planning.pushdown's part.
"""

from __future__ import annotations

import dataclasses

from argus.collection.collectspec import TYPES_BY_TABLE
from argus.language.values import Missing



@dataclasses.dataclass
class _Partial:
    types: set[str] = dataclasses.field(default_factory=set)
    files: list[tuple[str, tuple[str, ...]]] = dataclasses.field(default_factory=list)


class Coverage:
    """Per ARG table: complete, or the types the pushdown files holding it collected."""

    def __init__(self) -> None:
        self.partial: dict[str, _Partial] = {}
        self.complete: set[str] = set()
        self.pushdowns: list[tuple[str, tuple[str, ...]]] = []

    def add_file(self, path: str, held: list[str], pushdown: list[str] | None) -> None:
        if pushdown is not None:
            self.pushdowns.append((path, tuple(pushdown)))
        for table in held:
            if table in self.complete:
                continue
            if pushdown is None or table not in TYPES_BY_TABLE:  # pushdown narrows ARG tables only
                self.complete.add(table)
                self.partial.pop(table, None)
                continue
            part = self.partial.setdefault(table, _Partial())
            part.types.update(pushdown)
            part.files.append((path, tuple(pushdown)))
            if part.types >= TYPES_BY_TABLE[table]:
                self.complete.add(table)
                del self.partial[table]

    def typed(self, table: str, types: frozenset[str]) -> Missing | None:
        """Missing when a type the filter admits was left out of the table by pushdown."""
        part = self.partial.get(table)
        if part is None:
            return None
        missing = sorted(types - part.types)
        if not missing:
            return None
        what = f"type '{missing[0]}' was" if len(missing) == 1 else \
            f"types {', '.join(repr(t) for t in missing)} were"
        return Missing(f"{what} not collected ({_files(part.files)})", static=True)

    def whole(self, table: str) -> Missing | None:
        """Missing when the table holds only the types a pushdown collection asked for."""
        part = self.partial.get(table)
        if part is None:
            return None
        return Missing(f"table '{table}' holds only some resource types ({_files(part.files)}); reading it "
                       "without a type filter needs a collection without --types", static=True)

    def absent_note(self, table: str) -> str:
        """Why an ARG table may be absent: a pushdown collection runs no query on it."""
        if table not in TYPES_BY_TABLE or not self.pushdowns:
            return ""
        return f" ({_files(self.pushdowns)})"


def _files(files: list[tuple[str, tuple[str, ...]]]) -> str:
    return "; ".join(f"snapshot {path} was collected with --types {','.join(types)}" for path, types in files)
