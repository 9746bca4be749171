"""Compilation of operators, calls, quantifiers and filters (the `Ops` half of engine.compiler.Compiler).

In: AST nodes plus the compiler's scopes. Out: `C` records (closure + the frame slots it reads). Three-valued
logic throughout: a Missing operand makes a comparison unknown (it returns the Missing), `and`/`or` follow
Kleene logic (false and unknown = false; true or unknown = true), filters drop elements whose predicate is not
true unless the unknown comes from outside the element (a parameter without value), which poisons the set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import ast as A
from .functions import FUNCTIONS
from .operators import OPERATORS, arith
from .values import EvalError, Missing, type_name

CTX, EVIDENCE, RELATED, FIRST_VAR = 0, 1, 2, 3
_MEMBERSHIP = ("in", "!in", "in~", "!in~")


@dataclass(slots=True)
class C:
    """A compiled expression: its closure, the frame slots it reads, and (for paths) the row it reads from."""

    fn: Callable
    deps: frozenset = frozenset()
    root: int | None = None
    rel: str | None = None
    proj: bool = False
    text: str = ""


@dataclass(frozen=True, slots=True)
class Site:
    """Where a recorded value came from: source text, the operator, the JSON path relative to its row."""

    text: str
    op: str | None
    rel: str | None
    root: int | None
    expected: str


def _truth(v, text: str):
    if v is True or v is False or v.__class__ is Missing:
        return v
    raise EvalError(f"`{text}` is a {type_name(v)}, not true/false")


def _static_missing(v) -> bool:
    return v.__class__ is Missing and v.static


class Ops:
    def _record(self, site: Site, fn: Callable, value_of: Callable | None = None) -> Callable:
        """Wrap fn so its outcome lands in the frame's evidence list (when one is present)."""
        root = site.root

        def rec(env):
            r = fn(env)
            ev = env[EVIDENCE]
            if ev is not None:
                actual = value_of(env) if value_of else r
                ev.append((site, actual, env[root] if root is not None else None, r))
            return r
        return rec

    # ---- comparisons
    def _Compare(self, node: A.Compare, scopes, rec):
        op = OPERATORS[node.op]
        L, R = self.expr(node.left, scopes, False), self.expr(node.right, scopes, False)
        fn = _compare_fn(op, L.fn, R.fn, L.proj, R.proj and node.op not in _MEMBERSHIP,
                         node.right.value if isinstance(node.right, A.Literal) and id(node.right) not in self.program.prepared else None)
        deps = L.deps | R.deps
        if rec:
            site = Site(self.text(node.span), node.op, L.rel, L.root, f"{node.op} {R.text or self.text(node.right.span)}")
            fn = self._record(site, fn, L.fn)
        return C(fn, deps)

    def _Arith(self, node: A.Arith, scopes, rec):
        L, R = self.expr(node.left, scopes, False), self.expr(node.right, scopes, False)
        lf, rf, op = L.fn, R.fn, node.op

        def fn(env):
            a, b = lf(env), rf(env)
            if a.__class__ is Missing:
                return a
            if b.__class__ is Missing:
                return b
            return arith(op, a, b)
        return C(fn, L.deps | R.deps)

    # ---- logic
    def _And(self, node: A.And, scopes, rec):
        L, R = self.expr(node.left, scopes, rec), self.expr(node.right, scopes, rec)
        lf, rf, lt, rt = L.fn, R.fn, L.text, R.text

        def fn(env):
            a = _truth(lf(env), lt)
            if a is False:
                return False
            b = _truth(rf(env), rt)
            if b is False:
                return False
            return a if a is not True else b
        return C(fn, L.deps | R.deps)

    def _Or(self, node: A.Or, scopes, rec):
        L, R = self.expr(node.left, scopes, rec), self.expr(node.right, scopes, rec)
        lf, rf, lt, rt = L.fn, R.fn, L.text, R.text

        def fn(env):
            a = _truth(lf(env), lt)
            if a is True:
                return True
            b = _truth(rf(env), rt)
            if b is True:
                return True
            return a if a is not False else b
        return C(fn, L.deps | R.deps)

    def _Not(self, node: A.Not, scopes, rec):
        X = self.expr(node.operand, scopes, rec)
        xf, xt = X.fn, X.text

        def fn(env):
            v = _truth(xf(env), xt)
            return v if v.__class__ is Missing else not v
        return C(fn, X.deps)

    # ---- calls
    def _Call(self, node: A.Call, scopes, rec):
        spec = FUNCTIONS[node.func]
        args = [self.expr(a, scopes, False) for a in node.args]
        prepared = [self.program.prepared.get(id(a)) if i in spec.literal else None for i, a in enumerate(node.args)]
        fns = [(lambda env, p=p: p) if p is not None else a.fn for a, p in zip(args, prepared)]
        impl, takes_missing, needs_ctx, text = spec.impl, spec.takes_missing, spec.needs_context, self.text(node.span)

        def fn(env):
            vals = [f(env) for f in fns]
            if not takes_missing:
                for v in vals:
                    if v.__class__ is Missing:
                        return v
            try:
                return impl(env[CTX], *vals) if needs_ctx else impl(*vals)
            except EvalError:
                raise
            except (TypeError, ValueError, AttributeError) as exc:
                raise EvalError(f"{text}: {exc}") from None
        deps = frozenset().union(*(a.deps for a in args)) if args else frozenset()
        if rec:
            first = args[0] if args else None
            site = Site(text, None, first.rel if first else None, first.root if first else None, f"{text} is true")
            fn = self._record(site, fn, first.fn if first else None)
        return C(fn, deps)

    # ---- quantifiers
    def _Quant(self, node: A.Quant, scopes, rec):
        src = self.expr(node.source, scopes, False)
        slot = self.slot()
        body = self.expr(node.body, [{node.var: slot}] + scopes, False)
        fn = _quant_fn(node.kind, src.fn, body.fn, slot, self.text(node.source.span), body.text)
        deps = src.deps | (body.deps - {slot})
        if rec:
            site = Site(self.text(node.span), node.kind, src.rel, src.root,
                        {"any": "at least one match", "all": "every element matches", "none": "no element matches"}[node.kind])
            fn = self._record(site, fn, _quant_summary(src.fn, body.fn, slot))
        return C(fn, deps)

    # ---- filters and joins
    def _Where(self, node: A.Where, scopes, rec):
        src = self.expr(node.source, scopes, False)
        row = self.slot()
        inner = [{"\0row": row}] + scopes
        conjuncts = _conjuncts(node.pred)
        join = None
        if not src.deps:
            for i, cj in enumerate(conjuncts):
                join = self._join_key(cj, inner, row)
                if join:
                    conjuncts = conjuncts[:i] + conjuncts[i + 1:]
                    break
        rest = [self.expr(c, inner, False) for c in conjuncts]
        deps = src.deps | frozenset().union(*(c.deps for c in rest)) - {row} if rest else src.deps
        if join:
            deps |= join[1].deps
        fn = _where_fn(src.fn, row, [c.fn for c in rest], join, _source_key(node.source, self))
        if not deps:
            fn = _memoized(id(node), fn)
        return C(fn, deps)

    def _join_key(self, cj, inner, row):
        if not isinstance(cj, A.Compare) or cj.op not in ("==", "=~"):
            return None
        for key_node, probe_node in ((cj.left, cj.right), (cj.right, cj.left)):
            K, P = self.expr(key_node, inner, False), self.expr(probe_node, inner, False)
            if K.root == row and K.deps == {row} and row not in P.deps:
                return (K, P, cj.op == "=~")
        return None


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


def _where_fn(src, row, preds, join, source_key):
    if join:
        K, P, fold = join
        key_fn, probe_fn = K.fn, P.fn
        index_key = ("index", source_key, K.rel, fold)

        def candidates(env):
            ctx = env[CTX]
            index = ctx.memo.get(index_key)
            if index is None:
                rows = src(env)
                if rows.__class__ is Missing:
                    return rows
                index = ctx.memo[index_key] = _build_index(rows, key_fn, row, env, fold)
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
            return index.get(_fold(want) if fold else _hashable(want), ())
    else:
        candidates = src

    def fn(env):
        rows = candidates(env)
        if rows.__class__ is Missing:
            return rows
        if rows.__class__ is not list and rows.__class__ is not tuple:
            raise EvalError(f"'where' filters a set or list, got {type_name(rows)}")
        if not preds:
            return list(rows)
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


def _build_index(rows, key_fn, row, env, fold) -> dict:
    if rows.__class__ is not list:
        raise EvalError(f"'where' filters a set or list, got {type_name(rows)}")
    index: dict = {}
    for r in rows:
        env[row] = r
        k = key_fn(env)
        if k.__class__ is Missing:
            continue
        for key in (k if k.__class__ is list else (k,)):
            key = _fold(key) if fold else _hashable(key)
            bucket = index.get(key)
            if bucket is None:
                index[key] = [r]
            elif bucket[-1] is not r:
                bucket.append(r)
    return index


def _compare_fn(op, lf, rf, lproj: bool, rproj: bool, literal):
    impl, neg = op.impl, op.negated
    if not lproj and not rproj:
        if op.token == "=~" and isinstance(literal, str):
            folded = literal.casefold()

            def eq_fold(env):
                a = lf(env)
                if a.__class__ is str:
                    return a.casefold() == folded
                return a if a.__class__ is Missing else False
            return eq_fold
        if op.token == "==" and literal is not None and not isinstance(literal, (list, dict)):
            def eq(env):
                a = lf(env)
                return a if a.__class__ is Missing else a == literal
            return eq

        def plain(env):
            a = lf(env)
            if a.__class__ is Missing:
                return a
            b = rf(env)
            if b.__class__ is Missing:
                return b
            return (not impl(a, b)) if neg else impl(a, b)
        return plain

    def projected(env):
        a = lf(env)
        if a.__class__ is Missing:
            return a
        b = rf(env)
        if b.__class__ is Missing:
            return b
        if lproj:
            hit = any(impl(x, b) for x in a)
        else:
            hit = any(impl(a, y) for y in b)
        return not hit if neg else hit
    return projected


def _iter_source(xs, text):
    if xs.__class__ is list or xs.__class__ is tuple:
        return xs
    raise EvalError(f"quantifier needs a set or list, but `{text}` is a {type_name(xs)}")


def _quant_fn(kind, src, body, slot, src_text, body_text):
    want = kind != "all"   # any/none look for a true body; all looks for a false one

    def fn(env):
        xs = src(env)
        if xs.__class__ is Missing:
            return xs
        unknown = None
        for x in _iter_source(xs, src_text):
            env[slot] = x
            v = _truth(body(env), body_text)
            if v is want:
                return {"any": True, "all": False, "none": False}[kind]
            if v.__class__ is Missing:
                if v.static:
                    return v
                unknown = unknown or v
        if unknown is not None:
            return unknown
        return kind != "any"
    return fn


def _quant_summary(src, body, slot):
    def summary(env):
        xs = src(env)
        if xs.__class__ is Missing or xs.__class__ is not list:
            return xs
        hits = 0
        for x in xs:
            env[slot] = x
            try:
                hits += body(env) is True
            except EvalError:
                pass
        return f"{hits} of {len(xs)} matched"
    return summary
