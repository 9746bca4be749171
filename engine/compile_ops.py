"""Builders of comparisons, arithmetic, logic, calls and quantifiers: plain functions over the compile context.

In: a Compare, Arith, And, Or, Not, Call or Quant node, the compile context, the scope, and `rec`: the node is
on the and/or/not skeleton of a require/when condition, where a comparison, call or quantifier records its
outcome in the frame's evidence list (slot EVIDENCE). Out: a `Compiled` (closure + the frame slots it reads).

Three-valued logic throughout: a Missing operand makes a comparison unknown (it returns the Missing), `and`/`or`
follow Kleene logic (false and unknown = false; true or unknown = true). A Partial list (elements that could
not be read or decided) counts as unknown elements: "some element matches" stays true on a certain match, while
"no element matches", and a miss, are unknown; a Count (the count of a Partial) decides a comparison only when
every count in its range agrees.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import ast as A
from .compile_context import CompileContext, Scope
from .frame import CTX, EVIDENCE, Compiled
from .functions import FUNCTIONS
from .operators import OPERATORS, arith, compare_count, unsure_fn
from .values import Count, EvalError, Missing, Partial, type_name


def truth(v, text: str):
    if v is True or v is False or v.__class__ is Missing:
        return v
    raise EvalError(f"`{text}` is a {type_name(v)}, not true/false")


@dataclass(frozen=True, slots=True)
class Site:
    """Where a recorded value came from: source text, the operator, the JSON path relative to its row."""

    text: str
    op: str | None
    rel: str | None
    root: int | None
    expected: str


def _record(site: Site, fn: Callable, value_of: Callable | None = None) -> Callable:
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

def build_compare(cx: CompileContext, node: A.Compare, scope: Scope, rec: bool) -> Compiled:
    op = OPERATORS[node.op]
    left, right = cx.expr(node.left, scope, False), cx.expr(node.right, scope, False)
    literal = node.right.value if isinstance(node.right, A.Literal) and not cx.is_prepared(node.right) else None
    right_projects = right.projects and op.family != "membership"  # `x in list` reads the list whole
    deps = left.deps | right.deps
    if not rec:
        return Compiled(compare_fn(op, left.fn, right.fn, left.projects, right_projects, literal), deps)
    return Compiled(_recorded_compare(cx, node, left, right, compare_core(op, left.projects, right_projects, literal)), deps)


def _recorded_compare(cx: CompileContext, node: A.Compare, left: Compiled, right: Compiled, core: Callable):
    where = left.row_path if left.row_slot is not None else left.text or cx.text(node.left.span)
    site = Site(cx.text(node.span), node.op, where, left.row_slot, f"{node.op} {right.text or cx.text(node.right.span)}")
    left_fn, right_fn, root = left.fn, right.fn, left.row_slot
    if isinstance(node.right, A.Literal):
        right_value = cx.prepared(node.right, node.right.value)
        right_fn = None

    def recorded(env):
        a = left_fn(env)
        r = a if a.__class__ is Missing else core(a, right_fn(env) if right_fn is not None else right_value)
        ev = env[EVIDENCE]
        if ev is not None:
            ev.append((site, a, env[root] if root is not None else None, r))
        return r
    return recorded


def compare_fn(op, left, right, left_projects: bool, right_projects: bool, literal):
    """The closure of a comparison, specialised on what is known when compiling: one call level fewer for the
    usual `path == "literal"` of filters and clauses alike."""
    if not left_projects and not right_projects:
        if op.token == "=~" and isinstance(literal, str):
            folded = literal.casefold()

            def eq_fold(env):  # a count or a list never equals a string, so only Missing needs a look
                a = left(env)
                if a.__class__ is str:
                    return a.casefold() == folded
                return a if a.__class__ is Missing else False
            return eq_fold
        if op.token == "==" and literal is not None and not isinstance(literal, (list, dict)):
            return _eq_literal(op, left, literal)
        return _compare_values(op, left, right)

    core = compare_core(op, left_projects, right_projects)

    def general(env):
        a = left(env)
        return a if a.__class__ is Missing else core(a, right(env))
    return general


def _compare_values(op, left, right):
    """Neither side projects: the operator on the two values, Count and Partial operands read as unknowns."""
    impl, negated, unsure = op.impl, op.negated, unsure_fn(op, False, False)

    def plain(env):
        a = left(env)
        if a.__class__ is Missing:
            return a
        b = right(env)
        if b.__class__ is Missing:
            return b
        if a.__class__ is Count or b.__class__ is Count:
            return compare_count(op, a, b)
        hit = impl(a, b)
        if a.__class__ is Partial or b.__class__ is Partial:
            m = unsure(a, b, hit)
            if m is not None:
                return m
        return (not hit) if negated else hit
    return plain


def _eq_literal(op, left, literal):
    """`x == <string, number, bool or null literal>` with JSON equality and no call to the operator."""
    if literal.__class__ is str:
        def eq_str(env):
            a = left(env)
            return a if a.__class__ is Missing else a == literal
        return eq_str
    if literal.__class__ is bool:
        def eq_bool(env):
            a = left(env)
            return a if a.__class__ is Missing else a is literal
        return eq_bool

    def eq_num(env):
        a = left(env)
        c = a.__class__
        if c is Missing:
            return a
        if c is Count:
            return compare_count(op, a, literal)
        return c is not bool and a == literal
    return eq_num


def compare_core(op, left_projects: bool, right_projects: bool, literal=None):
    """(a, b) -> outcome of the comparison on a non-missing left value."""
    impl, negated, unsure = op.impl, op.negated, unsure_fn(op, left_projects, right_projects)
    if op.token == "==" and not left_projects and not right_projects and literal is not None and not isinstance(literal, (list, dict)):
        if literal.__class__ is str:
            return lambda a, b: a == literal
        if literal.__class__ is bool:
            return lambda a, b: a is literal
        return lambda a, b: compare_count(op, a, literal) if a.__class__ is Count else \
            a.__class__ is not bool and a == literal

    def core(a, b):
        if b.__class__ is Missing:
            return b
        if (left_projects or right_projects) and (a.__class__ is Count or b.__class__ is Count):
            # an uncertain count against a projection's elements: kept unknown rather than reasoned per element
            return a.missing if a.__class__ is Count else b.missing
        if left_projects and right_projects:
            hit = any(impl(x, y) for x in a for y in b)
        elif left_projects:
            hit = any(impl(x, b) for x in a)
        elif right_projects:
            hit = any(impl(a, y) for y in b)
        elif a.__class__ is Count or b.__class__ is Count:
            return compare_count(op, a, b)
        else:
            hit = impl(a, b)
        if a.__class__ is Partial or b.__class__ is Partial:
            m = unsure(a, b, hit)
            if m is not None:
                return m
        return not hit if negated else hit
    return core


def build_arith(cx: CompileContext, node: A.Arith, scope: Scope, rec: bool) -> Compiled:
    left, right = cx.expr(node.left, scope, False), cx.expr(node.right, scope, False)
    left_fn, right_fn, op = left.fn, right.fn, node.op

    def fn(env):
        a, b = left_fn(env), right_fn(env)
        if a.__class__ is Missing:
            return a
        if b.__class__ is Missing:
            return b
        return arith(op, a, b)
    return Compiled(fn, left.deps | right.deps)


# ---- logic

def build_and(cx: CompileContext, node: A.And, scope: Scope, rec: bool) -> Compiled:
    return junction(cx.expr(node.left, scope, rec), cx.expr(node.right, scope, rec), stop=False)


def build_or(cx: CompileContext, node: A.Or, scope: Scope, rec: bool) -> Compiled:
    return junction(cx.expr(node.left, scope, rec), cx.expr(node.right, scope, rec), stop=True)


def junction(left: Compiled, right: Compiled, stop: bool) -> Compiled:
    """and (stop=False) / or (stop=True) of two compiled operands in Kleene logic: the stopping value wins over
    unknown."""
    left_fn, right_fn, left_text, right_text, go = left.fn, right.fn, left.text, right.text, not stop

    def fn(env):
        a = left_fn(env)
        if a is stop:
            return stop
        if a is not go:
            truth(a, left_text)
        b = right_fn(env)
        if b is stop:
            return stop
        if b is not go:
            truth(b, right_text)
        return a if a is not go else b
    return Compiled(fn, left.deps | right.deps)


def build_not(cx: CompileContext, node: A.Not, scope: Scope, rec: bool) -> Compiled:
    return negation(cx.expr(node.operand, scope, rec))


def negation(operand: Compiled) -> Compiled:
    operand_fn, operand_text = operand.fn, operand.text

    def fn(env):
        v = truth(operand_fn(env), operand_text)
        return v if v.__class__ is Missing else not v
    return Compiled(fn, operand.deps)


# ---- calls

def build_call(cx: CompileContext, node: A.Call, scope: Scope, rec: bool) -> Compiled:
    spec = FUNCTIONS[node.func]
    args = [cx.expr(a, scope, False) for a in node.args]
    prepared = [cx.prepared(a) if i in spec.literal else None for i, a in enumerate(node.args)]
    fns = [(lambda env, p=p: p) if p is not None else a.fn for a, p in zip(args, prepared)]
    if spec.needs_now:  # the scan's one instant, from the context, goes first: impl(now, *args)
        fns.insert(0, _scan_now)
    text = cx.text(node.span)
    fn = _call_fn(fns, spec.impl, spec.takes_missing, spec.needs_context, text)
    if spec.names_call:
        fn = _naming_call(fn, f"{node.func}(): ", text)
    deps = frozenset().union(*(a.deps for a in args)) if args else frozenset()
    if rec:
        first = args[0] if args else None
        site = Site(text, None, first.row_path if first else None, first.row_slot if first else None, f"{text} is true")
        fn = _record(site, fn, first.fn if first else None)
    return Compiled(fn, deps)


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
    """The call: one and two arguments unrolled (most functions), a type error in the function named by the
    call's text."""
    if len(fns) == 1 and not needs_ctx:
        return _call1(fns[0], impl, takes_missing, text)
    if len(fns) == 2 and not needs_ctx:
        return _call2(fns[0], fns[1], impl, takes_missing, text)

    def call(env):
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
    return call


def _call1(f1, impl, takes_missing, text):
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


def _call2(f1, f2, impl, takes_missing, text):
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


# ---- quantifiers

def build_quant(cx: CompileContext, node: A.Quant, scope: Scope, rec: bool) -> Compiled:
    source = cx.expr(node.source, scope, False)
    slot = cx.new_slot(element=True)
    body = cx.expr(node.body, scope.inner({node.var: slot}), False)
    deps = source.deps | (body.deps - {slot})
    site = None
    if rec:
        site = Site(cx.text(node.span), node.kind, source.row_path, source.row_slot,
                    {"any": "at least one match", "all": "every element matches", "none": "no element matches"}[node.kind])
    return Compiled(_quant_fn(node.kind, source.fn, body.fn, slot, cx.text(node.source.span), body.text, site), deps)


def _quant_plain(want, decided, otherwise, source, body, slot, source_text, body_text):
    other = not want

    def quant(env):
        xs = source(env)
        if xs.__class__ is not list:
            if xs.__class__ is Missing:
                return xs
            iter_source(xs, source_text)
        unknown = None
        for x in xs:
            env[slot] = x
            v = body(env)
            if v is want:
                return decided
            if v is not other:
                if v.__class__ is not Missing:
                    truth(v, body_text)
                if v.static:
                    return v
                if unknown is None:
                    unknown = v
        if unknown is None and xs.__class__ is Partial:
            return xs.missing  # the elements left out are unknown elements
        return unknown if unknown is not None else otherwise
    return quant


def _quant_fn(kind, source, body, slot, source_text, body_text, site):
    """any/all/none in one pass; with a Site, the outcome and where it was decided go to the evidence list."""
    want = kind != "all"   # any/none stop at a true body; all stops at a false one
    decided = {"any": True, "all": False, "none": False}[kind]
    root = site.root if site else None
    if site is None:
        return _quant_plain(want, decided, kind != "any", source, body, slot, source_text, body_text)

    def fn(env):
        xs = source(env)
        if xs.__class__ is Missing:
            result, summary = xs, xs
        else:
            result, summary = None, None
            unknown = None
            items = iter_source(xs, source_text)
            for i, x in enumerate(items):
                env[slot] = x
                v = truth(body(env), body_text)
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


def iter_source(xs, text):
    if xs.__class__ is list or xs.__class__ is tuple or xs.__class__ is Partial:
        return xs
    raise EvalError(f"quantifier needs a set or list, but `{text}` is a {type_name(xs)}")
