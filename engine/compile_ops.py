"""Compilation of operators, calls, quantifiers and filters (the `Ops` half of argus.compiler.Compiler).

In: AST nodes plus the compiler's scopes. Out: `Compiled` records (closure + the frame slots it reads). Three-valued
logic throughout: a Missing operand makes a comparison unknown (it returns the Missing), `and`/`or` follow
Kleene logic (false and unknown = false; true or unknown = true); filters are argus.joins/engine.lookup.
A Partial list (elements that could not be read or decided) counts as unknown elements: "some element
matches" stays true on a certain match, while "no element matches", and a miss, are unknown; a Count (the
count of a Partial) decides a comparison only when every count in its range agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import ast as A
from .functions import FUNCTIONS
from .operators import OPERATORS, arith, compare_count, unsure_fn
from .joins import Filters
from .values import Count, EvalError, Missing, Partial, type_name

from .frame import CTX, EVIDENCE, Compiled



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


class Ops(Filters):
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
        literal = node.right.value if isinstance(node.right, A.Literal) and id(node.right) not in self.program.prepared else None
        rproj = R.projects and OPERATORS[node.op].family != "membership"  # `x in list` reads the list whole
        deps = L.deps | R.deps
        if not rec:
            return Compiled(_compare_fn(op, L.fn, R.fn, L.projects, rproj, literal), deps)
        site = Site(self.text(node.span), node.op, L.row_path if L.row_slot is not None else L.text or self.text(node.left.span),
                    L.row_slot, f"{node.op} {R.text or self.text(node.right.span)}")
        core = _compare_core(op, L.projects, rproj, literal)
        lf, rf, root = L.fn, R.fn, L.row_slot
        if isinstance(node.right, A.Literal):
            rvalue = self.program.prepared.get(id(node.right), node.right.value)
            rf = None

        def recorded(env):
            a = lf(env)
            r = a if a.__class__ is Missing else core(a, rf(env) if rf is not None else rvalue)
            ev = env[EVIDENCE]
            if ev is not None:
                ev.append((site, a, env[root] if root is not None else None, r))
            return r
        return Compiled(recorded, deps)

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
        return Compiled(fn, L.deps | R.deps)

    # ---- logic
    def _junction(self, node, scopes, rec, stop: bool):
        """and (stop=False) / or (stop=True) in Kleene logic: the stopping value wins over unknown."""
        L, R = self.expr(node.left, scopes, rec), self.expr(node.right, scopes, rec)
        lf, rf, lt, rt, go = L.fn, R.fn, L.text, R.text, not stop

        def fn(env):
            a = lf(env)
            if a is stop:
                return stop
            if a is not go:
                _truth(a, lt)
            b = rf(env)
            if b is stop:
                return stop
            if b is not go:
                _truth(b, rt)
            return a if a is not go else b
        return Compiled(fn, L.deps | R.deps)

    def _And(self, node: A.And, scopes, rec):
        return self._junction(node, scopes, rec, stop=False)

    def _Or(self, node: A.Or, scopes, rec):
        return self._junction(node, scopes, rec, stop=True)

    def _Not(self, node: A.Not, scopes, rec):
        X = self.expr(node.operand, scopes, rec)
        xf, xt = X.fn, X.text

        def fn(env):
            v = _truth(xf(env), xt)
            return v if v.__class__ is Missing else not v
        return Compiled(fn, X.deps)

    # ---- calls
    def _Call(self, node: A.Call, scopes, rec):
        spec = FUNCTIONS[node.func]
        args = [self.expr(a, scopes, False) for a in node.args]
        prepared = [self.program.prepared.get(id(a)) if i in spec.literal else None for i, a in enumerate(node.args)]
        fns = [(lambda env, p=p: p) if p is not None else a.fn for a, p in zip(args, prepared)]
        if spec.needs_now:  # the scan's one instant, from the context, goes first: impl(now, *args)
            fns.insert(0, _scan_now)
        impl, takes_missing, needs_ctx, text = spec.impl, spec.takes_missing, spec.needs_context, self.text(node.span)
        fn = _call_fn(fns, impl, takes_missing, needs_ctx, text)
        if spec.names_call:
            fn = _naming_call(fn, f"{node.func}(): ", text)
        deps = frozenset().union(*(a.deps for a in args)) if args else frozenset()
        if rec:
            first = args[0] if args else None
            site = Site(text, None, first.row_path if first else None, first.row_slot if first else None, f"{text} is true")
            fn = self._record(site, fn, first.fn if first else None)
        return Compiled(fn, deps)


    # ---- quantifiers
    def _Quant(self, node: A.Quant, scopes, rec):
        src = self.expr(node.source, scopes, False)
        slot = self.slot(element=True)
        body = self.expr(node.body, [{node.var: slot}] + scopes, False)
        deps = src.deps | (body.deps - {slot})
        site = None
        if rec:
            site = Site(self.text(node.span), node.kind, src.row_path, src.row_slot,
                        {"any": "at least one match", "all": "every element matches", "none": "no element matches"}[node.kind])
        return Compiled(_quant_fn(node.kind, src.fn, body.fn, slot, self.text(node.source.span), body.text, site), deps)


def _quant_plain(want, decided, otherwise, src, body, slot, src_text, body_text):
    other = not want

    def quant(env):
        xs = src(env)
        if xs.__class__ is not list:
            if xs.__class__ is Missing:
                return xs
            _iter_source(xs, src_text)
        unknown = None
        for x in xs:
            env[slot] = x
            v = body(env)
            if v is want:
                return decided
            if v is not other:
                if v.__class__ is not Missing:
                    _truth(v, body_text)
                if v.static:
                    return v
                if unknown is None:
                    unknown = v
        if unknown is None and xs.__class__ is Partial:
            return xs.missing  # the elements left out are unknown elements
        return unknown if unknown is not None else otherwise
    return quant


def _compare_fn(op, lf, rf, lproj: bool, rproj: bool, literal):
    if not lproj and not rproj:
        if op.token == "=~" and isinstance(literal, str):
            folded = literal.casefold()

            def eq_fold(env):  # a count or a list never equals a string, so only Missing needs a look
                a = lf(env)
                if a.__class__ is str:
                    return a.casefold() == folded
                return a if a.__class__ is Missing else False
            return eq_fold
        if op.token == "==" and literal is not None and not isinstance(literal, (list, dict)):
            return _eq_literal(op, lf, literal)
        impl, neg, unsure = op.impl, op.negated, unsure_fn(op, False, False)

        def plain(env):  # the common case, one call level less than `general`
            a = lf(env)
            if a.__class__ is Missing:
                return a
            b = rf(env)
            if b.__class__ is Missing:
                return b
            if a.__class__ is Count or b.__class__ is Count:
                return compare_count(op, a, b)
            hit = impl(a, b)
            if a.__class__ is Partial or b.__class__ is Partial:
                m = unsure(a, b, hit)
                if m is not None:
                    return m
            return (not hit) if neg else hit
        return plain

    core = _compare_core(op, lproj, rproj)

    def general(env):
        a = lf(env)
        return a if a.__class__ is Missing else core(a, rf(env))
    return general


def _eq_literal(op, lf, literal):
    """`x == <string, number, bool or null literal>` with JSON equality and no call to the operator."""
    if literal.__class__ is str:
        def eq_str(env):
            a = lf(env)
            return a if a.__class__ is Missing else a == literal
        return eq_str
    if literal.__class__ is bool:
        def eq_bool(env):
            a = lf(env)
            return a if a.__class__ is Missing else a is literal
        return eq_bool

    def eq_num(env):
        a = lf(env)
        c = a.__class__
        if c is Missing:
            return a
        if c is Count:
            return compare_count(op, a, literal)
        return c is not bool and a == literal
    return eq_num


def _iter_source(xs, text):
    if xs.__class__ is list or xs.__class__ is tuple or xs.__class__ is Partial:
        return xs
    raise EvalError(f"quantifier needs a set or list, but `{text}` is a {type_name(xs)}")


def _quant_fn(kind, src, body, slot, src_text, body_text, site):
    """any/all/none in one pass; with a Site, the outcome and where it was decided go to the evidence list."""
    want = kind != "all"   # any/none stop at a true body; all stops at a false one
    decided = {"any": True, "all": False, "none": False}[kind]
    root = site.root if site else None
    if site is None:
        return _quant_plain(want, decided, kind != "any", src, body, slot, src_text, body_text)

    def fn(env):
        xs = src(env)
        if xs.__class__ is Missing:
            result, summary = xs, xs
        else:
            result, summary = None, None
            unknown = None
            items = _iter_source(xs, src_text)
            for i, x in enumerate(items):
                env[slot] = x
                v = _truth(body(env), body_text)
                if v is want:
                    result = decided
                    summary = f"element {i + 1} of {len(items)} {'matches' if want else 'does not match'}"
                    break
                if v.__class__ is Missing:
                    if v.static:
                        result = summary = v
                        break
                    if unknown is None:
                        unknown = v
            if result is None:
                if unknown is None and items.__class__ is Partial:
                    unknown = items.missing
                result = unknown if unknown is not None else kind != "any"
                summary = f"{len(items)} element{'s' * (len(items) != 1)}, " + (
                    "some unknown" if unknown is not None else ("none matches" if want else "all match"))
        if site is not None:
            ev = env[EVIDENCE]
            if ev is not None:
                ev.append((site, summary, env[root] if root is not None else None, result))
        return result
    return fn


def _scan_now(env):
    return env[CTX].now


def _naming_call(fn, prefix: str, text: str):
    """A Missing the function made itself ("days_since(): the timestamp is null") names the call as written
    (`days_since(k.key1): the timestamp is null`): a not_evaluated finding then says which value was absent."""
    def named(env):
        r = fn(env)
        if r.__class__ is Missing and r.what.startswith(prefix):
            return Missing(f"{text}: {r.what[len(prefix):]}", r.resource, r.static, r.leaf)
        return r
    return named


def _call_fn(fns, impl, takes_missing, needs_ctx, text):
    def guard(call):
        try:
            return call()
        except EvalError:
            raise
        except (TypeError, ValueError, AttributeError) as exc:
            raise EvalError(f"{text}: {exc}") from None

    if len(fns) == 1 and not needs_ctx:
        (f1,) = fns

        def call1(env):
            a = f1(env)
            if a.__class__ is Missing and not takes_missing:
                return a
            try:
                return impl(a)
            except EvalError:
                raise
            except (TypeError, ValueError, AttributeError) as exc:
                raise EvalError(f"{text}: {exc}") from None
        return call1

    if len(fns) == 2 and not needs_ctx:
        f1, f2 = fns

        def call2(env):
            a, b = f1(env), f2(env)
            if not takes_missing:
                if a.__class__ is Missing:
                    return a
                if b.__class__ is Missing:
                    return b
            try:
                return impl(a, b)
            except EvalError:
                raise
            except (TypeError, ValueError, AttributeError) as exc:
                raise EvalError(f"{text}: {exc}") from None
        return call2

    def call(env):
        vals = [f(env) for f in fns]
        if not takes_missing:
            for v in vals:
                if v.__class__ is Missing:
                    return v
        return guard(lambda: impl(env[CTX], *vals) if needs_ctx else impl(*vals))
    return call


def _compare_core(op, lproj: bool, rproj: bool, literal=None):
    """(a, b) -> outcome of the comparison on a non-missing left value."""
    impl, neg, unsure = op.impl, op.negated, unsure_fn(op, lproj, rproj)
    if op.token == "==" and not lproj and not rproj and literal is not None and not isinstance(literal, (list, dict)):
        if literal.__class__ is str:
            return lambda a, b: a == literal
        if literal.__class__ is bool:
            return lambda a, b: a is literal
        return lambda a, b: compare_count(op, a, literal) if a.__class__ is Count else \
            a.__class__ is not bool and a == literal

    def core(a, b):
        if b.__class__ is Missing:
            return b
        if (lproj or rproj) and (a.__class__ is Count or b.__class__ is Count):
            # an uncertain count against a projection's elements: kept unknown rather than reasoned per element
            return a.missing if a.__class__ is Count else b.missing
        if lproj and rproj:
            hit = any(impl(x, y) for x in a for y in b)
        elif lproj:
            hit = any(impl(x, b) for x in a)
        elif rproj:
            hit = any(impl(a, y) for y in b)
        elif a.__class__ is Count or b.__class__ is Count:
            return compare_count(op, a, b)
        else:
            hit = impl(a, b)
        if a.__class__ is Partial or b.__class__ is Partial:
            m = unsure(a, b, hit)
            if m is not None:
                return m
        return not hit if neg else hit
    return core
