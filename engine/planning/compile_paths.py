"""Builders of names, paths, indexing and literals: the leaves of the compiler's dispatch table.

In: a Name, It, Attr, Project, Index, Literal or ListExpr node, the compile context and the scope.
Out: a `Compiled` whose closure reads a value: a variable's slot, a global (parameter or let, from the
evaluation context; a data file; a table), a field of the row a `where` tests, or a path. A literal path
(`a.b[0].c`, `xs[*].v`) compiles once to one getter (argus.language.paths), and to a getter reading the slot itself
when it starts at an element (a for/where/quantifier variable, `it`): one closure on the filters' hot path.
A path records where it starts (`row_slot`) and its text from there (`row_path`), which evidence shows.
"""

from __future__ import annotations

from argus.language import ast as A
from argus.planning.compile_context import CompileContext, Scope
from argus.planning.frame import CTX, Compiled
from argus.language.paths import PROJECT, compile_path, compile_slot_path
from argus.language.values import article, EvalError, Missing, Partial, type_name
from argus.language.tables import KNOWN_TABLES


def build_name(cx: CompileContext, node: A.Name, scope: Scope) -> Compiled:
    slot = scope.slot(node.name)
    if slot is not None:
        return Compiled(lambda env: env[slot], frozenset((slot,)), row_slot=slot, row_path="")
    return _global(cx, node.name) or _row_field(node, scope)


def _global(cx: CompileContext, name: str) -> Compiled | None:
    prog = cx.program
    if name in prog.params or name in prog.lets:
        cx.globals_used.add(name)
        return Compiled(lambda env: env[CTX].value(name))
    if name in prog.data:
        value = prog.data[name]
        return Compiled(lambda env: value)
    if name in KNOWN_TABLES:
        return Compiled(lambda env: env[CTX].table(name))
    return None


def _row_field(node: A.Name, scope: Scope) -> Compiled:
    """A bare name in a `where` predicate that no variable or global binds: a field of the row under test."""
    row = scope.row
    assert row is not None, f"checker guarantees '{node.name}' resolves"
    get = compile_path((node.name,), node.name)
    return Compiled(lambda env: get(env[row]), frozenset((row,)), row_slot=row, row_path=node.name)


def build_it(cx: CompileContext, node: A.It, scope: Scope) -> Compiled:
    row = scope.row
    return Compiled(lambda env: env[row], frozenset((row,)), row_slot=row, row_path="")


def build_path(cx: CompileContext, node, scope: Scope) -> Compiled:
    """An Attr, Project, or Index by a literal: the whole chain of such steps compiles to one getter."""
    base_node, steps = path_chain(node)
    text = cx.text(node.span)
    slot, lead = element_root(cx, base_node, scope)
    if slot is not None and steps:
        full = lead + steps
        return Compiled(compile_slot_path(slot, full, text), frozenset((slot,)), row_slot=slot,
                        row_path=relative_path("", full), projects=PROJECT in full)
    base = cx.expr(base_node, scope)
    get = compile_path(steps, text)
    base_fn = base.fn

    def fn(env):
        b = base_fn(env)
        return b if b.__class__ is Missing else get(b)
    if ends_projection(base_node):  # the projection is over: what follows reads the list it made
        rel = relative_path(f"({base.row_path})", steps) if base.row_slot is not None else None
        return Compiled(fn, base.deps, row_slot=base.row_slot, row_path=rel, projects=PROJECT in steps)
    rel = relative_path(base.row_path, steps) if base.row_slot is not None else None
    return Compiled(fn, base.deps, row_slot=base.row_slot, row_path=rel, projects=PROJECT in steps or base.projects)


def path_chain(node) -> tuple:
    """(base, steps) of a path: the steps run from the outermost postfix in to the base, which is where the
    chain stops being a literal path, or a projecting path in parentheses (`(xs[*].v)[0]`: the projection
    ends at the parenthesis, so [0] indexes the projected list)."""
    steps: list = []
    while True:
        if steps and ends_projection(node):
            return node, tuple(reversed(steps))
        if isinstance(node, A.Attr):
            steps.append(node.name)
        elif isinstance(node, A.Project):
            steps.append(PROJECT)
        elif isinstance(node, A.Index) and _literal_step(node.index) is not None:
            steps.append(node.index.value)
        else:
            return node, tuple(reversed(steps))
        node = node.obj


def _literal_step(index):
    """The key or position of `a["k"]` / `a[0]`, else None (`a[true]` is a type error, reported at run time)."""
    value = index.value if isinstance(index, A.Literal) else None
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def element_root(cx: CompileContext, node, scope: Scope) -> tuple[int | None, tuple]:
    """(slot, leading steps) when a path starts at an element variable, `it`, or a bare field of the row."""
    if isinstance(node, A.It):
        return scope.row, ()
    if isinstance(node, A.Name):
        slot = scope.slot(node.name)
        if slot is not None:
            return (slot, ()) if slot in cx.element_slots else (None, ())
        if not cx.is_global(node.name):
            return scope.row, (node.name,)
    return None, ()


def build_index(cx: CompileContext, node: A.Index, scope: Scope) -> Compiled:
    if _literal_step(node.index) is not None:
        return build_path(cx, node, scope)
    obj, index = cx.expr(node.obj, scope), cx.expr(node.index, scope)
    obj_fn, index_fn, text = obj.fn, index.fn, cx.text(node.span)
    static = not (obj.deps or index.deps)  # an absent entry of a data file or global is absent for every subject

    def fn(env):
        o, i = obj_fn(env), index_fn(env)
        if o.__class__ is Missing:
            return o
        if i.__class__ is Missing:
            return i
        if type(o) is dict and isinstance(i, str):
            return o[i] if i in o else Missing(f"{text} (no entry '{i}')", o.get("id") if isinstance(o.get("id"), str) else None, static=static)
        if (type(o) is list or type(o) is Partial) and type(i) is int:
            return o[i] if -len(o) <= i < len(o) else Missing(text)
        raise EvalError(f"{text}: cannot index {article(type_name(o))} with {article(type_name(i))}")
    return Compiled(fn, obj.deps | index.deps)


def build_literal(cx: CompileContext, node: A.Literal, scope: Scope) -> Compiled:
    value = cx.prepared(node, node.value)
    return Compiled(lambda env: value)


def build_list(cx: CompileContext, node: A.ListExpr, scope: Scope) -> Compiled:
    items = [cx.expr(i, scope) for i in node.items]
    if all(not i.deps for i in items) and all(isinstance(i, A.Literal) for i in node.items):
        value = [i.value for i in node.items]
        return Compiled(lambda env: value)
    fns = [i.fn for i in items]

    def fn(env):
        out = [f(env) for f in fns]
        for v in out:
            if v.__class__ is Missing:
                return first_static(out, v)  # a list with an unknown element is unknown as a whole
        return out
    return Compiled(fn, frozenset().union(*(i.deps for i in items)))


def ends_projection(node) -> bool:
    """Is node a path in parentheses that projects (`(xs[*].v)`)? Parentheses around a path without `[*]`
    change nothing (`(a.b).c` is `a.b.c`), so only these end a path."""
    if not getattr(node, "grouped", False):
        return False
    while isinstance(node, (A.Attr, A.Project, A.Index)):
        if isinstance(node, A.Project):
            return True
        node = node.obj
    return False


def first_static(values, first):
    """The first static Missing among values (it poisons a whole set), else `first`."""
    return next((v for v in values if v.__class__ is Missing and v.static), first)


def relative_path(base: str | None, steps) -> str:
    """The text of `steps` after `base` (`properties.x[*].y`), as evidence names the value it shows."""
    parts = [base] if base else []
    for s in steps:
        if s is PROJECT:
            parts[-1:] = [(parts[-1] if parts else "") + "[*]"]
        elif isinstance(s, int):
            parts[-1:] = [(parts[-1] if parts else "") + f"[{s}]"]
        else:
            parts.append(s)
    return ".".join(parts)
