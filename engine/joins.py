"""Compilation of `where` filters, planned as hash-index joins where possible (the `Filters` half of Ops).

In: a Where node and the compiler's scopes. Out: a `C` whose closure filters a set. When the set does not
depend on the rule's subject and a conjunct compares an element path (== or =~) with a value that does not
depend on the element, the set is indexed once per snapshot on that path (case-folded for =~) and each
evaluation is a lookup; type filters on a table hit the snapshot's type partition. A filter that depends on
nothing in the rule is evaluated once per snapshot and memoized. Sets are never mutated, so index buckets
are handed out as they are.
"""

from __future__ import annotations

from . import ast as A
from .coverage import guard, table_read
from .frame import CTX, C
from .values import EvalError, Missing, type_name


class Filters:
    def _Where(self, node: A.Where, scopes, rec):
        prog = self.program
        # `T where type == "x"` reads only type x of table T: a pushdown snapshot that lacks it makes the result
        # missing (engine.coverage.guard), one that has it answers from the table as loaded
        read = table_read(node, lambda n: self.lookup(n, scopes) is not None or n in prog.params
                          or n in prog.lets or n in prog.data)
        typed = read is not None and read[1] is not None
        src = _loaded_table(read[0]) if typed else self.expr(node.source, scopes, False)
        row = self.slot(element=True)
        inner = [{"\0row": row}] + scopes
        conjuncts = _conjuncts(node.pred)
        join = None
        if not src.deps:
            joins = [(i, j) for i, cj in enumerate(conjuncts) if (j := self._join_key(cj, inner, row))]
            if joins:  # index on a probe that varies per subject; a constant one (type == "...") is then a cheap filter
                i, join = next(((i, j) for i, j in joins if j[1].deps), joins[0])
                conjuncts = conjuncts[:i] + conjuncts[i + 1:]
        rest = [self.expr(c, inner, False) for c in conjuncts]
        # a compared value that comes from outside the element (the subject, a let) and is missing makes the
        # whole set unknown, as it does when the filter runs through an index
        outer = [side.fn for c in conjuncts if isinstance(c, A.Compare)
                 for side in (self.expr(c.left, inner, False), self.expr(c.right, inner, False))
                 if side.deps and row not in side.deps]
        deps = src.deps | frozenset().union(*(c.deps for c in rest)) - {row} if rest else src.deps
        if join:
            deps |= join[1].deps
        if join:
            join = join + (self._row_getter(join[3], inner, row),)
        fn = _where_fn(src.fn, row, [c.fn for c in rest], join, _source_key(node.source, self), outer)
        if read is not None:
            fn = guard(fn, *read)
        if not deps:
            fn = _memoized(id(node), fn)
        return C(fn, deps)

    def _join_key(self, cj, inner, row):
        if not isinstance(cj, A.Compare) or cj.op not in ("==", "=~"):
            return None
        for key_node, probe_node in ((cj.left, cj.right), (cj.right, cj.left)):
            K, P = self.expr(key_node, inner, False), self.expr(probe_node, inner, False)
            if K.root == row and K.deps == {row} and row not in P.deps:
                return (K, P, cj.op == "=~", key_node)
        return None

    def _row_getter(self, key_node, inner, row):
        """A getter taking the row itself (no frame), used to build join indexes in one tight loop."""
        from .paths import compile_path
        base, steps = self._path_chain(key_node)
        slot, lead = self._element_root(base, inner)
        if slot == row and (lead + steps):
            return compile_path(lead + steps, self.text(key_node.span))
        return None


def _loaded_table(name: str) -> C:
    return C(lambda env: env[CTX].snapshot.table(name))


def _conjuncts(pred) -> list:
    if isinstance(pred, A.And):
        return _conjuncts(pred.left) + _conjuncts(pred.right)
    return [pred]


def _source_key(source, compiler) -> tuple:
    if isinstance(source, A.Name) and compiler.lookup(source.name, []) is None:
        return ("global", source.name)
    return ("node", id(source))


def _memoized(key, fn):
    def memo(env):
        m = env[CTX].memo
        v = m.get(key, m)
        if v is m:
            v = m[key] = fn(env)
        return v
    return memo


def _fold(v):
    return v.casefold() if v.__class__ is str else v


def _where_fn(src, row, preds, join, source_key, outer=()):
    if join:
        K, P, fold, _node, direct = join
        key_fn, probe_fn = K.fn, P.fn
        index_key = ("index", source_key, K.rel, fold)

        def candidates(env):
            ctx = env[CTX]
            index = ctx.memo.get(index_key)
            if index is None:
                rows = src(env)
                if rows.__class__ is Missing:
                    return rows
                index = ctx.memo[index_key] = _build_index(rows, key_fn, row, env, fold, direct)
            want = probe_fn(env)
            if want.__class__ is Missing:
                return want
            if want.__class__ is list:
                out, seen = [], set()
                for w in want:
                    for r in index.get(_fold(w) if fold else _hashable(w), ()):
                        if id(r) not in seen:
                            seen.add(id(r))
                            out.append(r)
                return out
            return index.get(_fold(want) if fold else _hashable(want), _EMPTY)
    else:
        candidates = src

    def fn(env):
        for value_of in outer:
            v = value_of(env)
            if v.__class__ is Missing:
                return v
        rows = candidates(env)
        if rows.__class__ is Missing:
            return rows
        if rows.__class__ is not list and rows.__class__ is not tuple:
            raise EvalError(f"'where' filters a set or list, got {type_name(rows)}")
        if not preds:
            return rows  # sets are never mutated, so an index bucket can be handed out as it is
        out = []
        for r in rows:
            env[row] = r
            for p in preds:
                v = p(env)
                if v is not True:
                    if v.__class__ is Missing and v.static:
                        return v
                    break
            else:
                out.append(r)
        return out
    return fn


def _hashable(v):
    return v if not isinstance(v, (list, dict)) else repr(v)


_EMPTY: list = []


def _build_index(rows, key_fn, row, env, fold, direct=None) -> dict:
    if rows.__class__ is not list:
        raise EvalError(f"'where' filters a set or list, got {type_name(rows)}")
    index: dict = {}
    for r in rows:
        if direct is not None:
            k = direct(r)
        else:
            env[row] = r
            k = key_fn(env)
        if k.__class__ is str:
            key = k.casefold() if fold else k
            bucket = index.get(key)
            if bucket is None:
                index[key] = [r]
            elif bucket[-1] is not r:
                bucket.append(r)
            continue
        if k.__class__ is list:
            keys = [_fold(x) if fold else _hashable(x) for x in k]
        elif k.__class__ is Missing:
            continue
        else:
            keys = (_hashable(k),)
        for key in keys:
            bucket = index.get(key)
            if bucket is None:
                index[key] = [r]
            elif bucket[-1] is not r:
                bucket.append(r)
    return index
