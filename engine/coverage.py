"""Collection coverage: which resource types a snapshot holds, and which ones rules read.

A snapshot collected with pushdown (`argus collect --types`, `argus scan --live`) holds only some types of its
ARG tables; reading a type it left out must make the rule not_evaluated, never pass or fail on rows that were
simply not fetched.

In (loading): per snapshot file, the tables it holds and its header's `pushdown` (None: complete).
Out: `Coverage`, answering "was type X of table T collected?" and "is table T whole?" with None (yes) or a
static Missing naming the file and its --types. Merge rule: a type counts as collected when any file holding
its table collected it (a file without pushdown collects every type of the tables it holds); a table is whole
when a file holds it without pushdown, or the files holding it together collected every type argus collect
puts in it (argus.collectspec.TYPES_BY_TABLE).

In (rules): a `where` node, or a compiled plan and its selected rules. Out: `table_read` (the literal types a
`T where type == / =~ / in / in~ ...` filter admits), `guard` (its runtime check), and `types_read` (the
types `argus scan --live` must collect: literal type filters per table; a whole-table read takes every type
of that table; `resource(id)` or any other dynamic snapshot access takes everything).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from . import ast as A
from .collectspec import COLLECTABLE, TABLES, TYPES_BY_TABLE
from .frame import CTX
from .static import types_admitted
from .values import Missing



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


def table_read(node: A.Where, bound: Callable[[str], bool]) -> tuple[str, frozenset[str] | None] | None:
    """(table, types) when `node` filters an ARG table: types are the literal ones its conjuncts admit, None when
    it has no such filter (a whole-table read). `bound(name)` says whether a name is a variable, let, parameter
    or data set (then it is neither the table nor the row's `type` field)."""
    source = node.source
    if not (isinstance(source, A.Name) and source.name in TABLES and not bound(source.name)):
        return None
    return source.name, types_admitted(node.pred, bound)


def guard(fn, table: str, types: frozenset[str] | None):
    """Wrap a `where` over an ARG table: Missing when the snapshot's pushdown left out one of the types it admits
    (types None: any type). Checked here, not only in the table read, because a join index the context memoizes
    for the table answers later filters without reading the table again."""
    def checked(env):
        coverage = env[CTX].coverage
        if coverage is not None and coverage.partial:
            missing = coverage.whole(table) if types is None else coverage.typed(table, types)
            if missing is not None:
                return missing
        return fn(env)
    return checked


class _Reads:
    def __init__(self) -> None:
        self.tables: dict[str, set[str] | None] = {}  # None: the whole table
        self.everything = False

    def typed(self, table: str, types) -> None:
        if self.tables.get(table, set()) is not None:
            self.tables.setdefault(table, set()).update(types)

    def whole(self, table: str) -> None:
        self.tables[table] = None


def types_read(plan, rules) -> set[str] | None:
    """The collectable types the rules read, directly or through the lets and parameter defaults they use;
    None when a full collection is needed. Types no query collects are left out: no collection has them."""
    from .functions import FUNCTIONS
    program = plan.program
    names = set(program.lets) | set(program.params) | set(program.data)
    nodes = [cr.node for cr in rules]
    seen: set[str] = set()
    todo = [name for cr in rules for name in cr.globals_used]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(plan.globals_used.get(name, ()))
        if name in program.lets:
            nodes.append(program.lets[name].value)
        elif name in program.params and program.params[name].default is not None:
            nodes.append(program.params[name].default)
    for node in nodes:
        _bindings(node, names)
    reads = _Reads()
    for node in nodes:
        _walk(node, names.__contains__, reads, FUNCTIONS)
    if reads.everything:
        return None
    types: set[str] = set()
    for table, admitted in reads.tables.items():
        types |= TYPES_BY_TABLE[table] if admitted is None else admitted & COLLECTABLE
    return None if types >= COLLECTABLE else types


def _bindings(node, names: set[str]) -> None:
    """Every variable name bound anywhere: where one is `type` or a table name, filters on it are not typed."""
    for item in A.walk(node):
        if isinstance(item, (A.For, A.Let, A.Quant)):
            names.add(item.var if not isinstance(item, A.Let) else item.name)


def _walk(node, bound, reads: _Reads, functions) -> None:
    if isinstance(node, A.Where):
        read = table_read(node, bound)
        if read is not None and read[1] is not None:
            reads.typed(*read)
            _walk(node.pred, bound, reads, functions)
            return
    elif isinstance(node, A.Name):
        if node.name in TABLES and not bound(node.name):
            reads.whole(node.name)
        return
    elif isinstance(node, A.Call):
        spec = functions.get(node.func)
        literal = node.args and isinstance(node.args[0], A.Literal) and isinstance(node.args[0].value, str)
        if node.func == "table" and literal:
            if node.args[0].value.casefold() in TABLES:
                reads.whole(node.args[0].value.casefold())
        elif spec is None or spec.needs_context:
            reads.everything = True  # resource(id) and the like can return a row of any type
    for child in A.children(node):
        _walk(child, bound, reads, functions)
