"""Which tables and resource types compiled rules read: pushdown to Resource Graph, and its runtime guard.

In: a `where` node, or a compiled plan and its selected rules. Out: `table_read` (the literal types a
`T where type == / =~ / in / in~ ...` filter admits), `guard` (its runtime check against the snapshot's
argus.snapshots.coverage.Coverage, found in the evaluation context), and `types_read` (the types `argus scan --live` must
collect: literal type filters per table; a whole-table read takes every type of that table; `resource(id)` or
any other dynamic snapshot access takes everything). Which tables and types a collection can hold comes from
argus collect's own spec (argus.collection.collectspec); the snapshot itself is never imported here.
"""

from __future__ import annotations

from typing import Callable

from argus.language import ast as A
from argus.collection.collectspec import COLLECTABLE, TABLES, TYPES_BY_TABLE
from argus.planning.frame import CTX
from argus.language.static import types_admitted


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
    from argus.language.functions import FUNCTIONS
    program = plan.program
    names = set(program.lets) | set(program.params) | set(program.data)
    nodes = [cr.node for cr in rules]
    for name in sorted(plan.globals_reached(rules)):
        if name in program.lets:
            nodes.append(program.lets[name].value)
        elif name in program.params and program.params[name].default is not None:
            nodes.append(program.params[name].default)
    for node in nodes:
        names |= A.bound_names(node)
    reads = _Reads()
    for node in nodes:
        _walk(node, names.__contains__, reads, FUNCTIONS)
    if reads.everything:
        return None
    types: set[str] = set()
    for table, admitted in reads.tables.items():
        types |= TYPES_BY_TABLE[table] if admitted is None else admitted & COLLECTABLE
    return None if types >= COLLECTABLE else types


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
