"""Builders of comparisons, arithmetic, logic, calls and quantifiers: plain functions over the compile context.

In: a Compare, Arith, And, Or, Not, Call or Quant node, the compile context and the scope. Out: a `Compiled`
whose closure computes the value and records nothing (argus.compile_evidence wraps the ones a clause turns on).
For that, a comparison, call and quantifier are built in two halves: `*_parts` compiles the operands, and the
closure maker it returns takes the operand closures. The builder in the dispatch table hands it the operands as
they are; the evidence recorder hands it one that reads, from a frame slot, the operand it has read itself.

Three-valued logic throughout: a Missing operand makes a comparison unknown (it returns the Missing), `and`/`or`
follow Kleene logic (false and unknown = false; true or unknown = true). A Partial list (elements that could
not be read or decided) counts as unknown elements: "some element matches" stays true on a certain match, while
"no element matches", and a miss, are unknown; a Count (the count of a Partial) decides a comparison only when
every count in its range agrees.
"""

from __future__ import annotations

from typing import Callable

from . import ast as A
from .compile_context import CompileContext, Scope
from .frame import CTX, Compiled
from .functions import FUNCTIONS
from .operators import OPERATORS, arith, compare_count, unsure_fn
from .values import Count, EvalError, Missing, Partial, type_name


def truth(v, text: str):
    if v is True or v is False or v.__class__ is Missing:
        return v
    raise EvalError(f"`{text}` is a {type_name(v)}, not true/false")


# ---- comparisons

def build_compare(cx: CompileContext, node: A.Compare, scope: Scope) -> Compiled:
    left, right, closure = compare_parts(cx, node, scope)
    return Compiled(closure(left.fn), left.deps | right.deps)


def compare_parts(cx: CompileContext, node: A.Compare, scope: Scope) -> tuple[Compiled, Compiled, Callable]:
    """The operands of a comparison and `closure(left_fn)`, the comparison reading its left side with left_fn."""
    op = OPERATORS[node.op]
    left, right = cx.expr(node.left, scope), cx.expr(node.right, scope)
    # a literal compared as it is written (a prepared one, a pattern, is the operator's business)
    literal = node.right.value if isinstance(node.right, A.Literal) and not cx.is_prepared(node.right) else None
    right_projects = right.projects and op.family != "membership"  # `x in list` reads the list whole
    right_fn, left_projects = right.fn, left.projects
    return left, right, lambda left_fn: compare_fn(op, left_fn, right_fn, left_projects, right_projects, literal)


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
        return _compare_values(op, left, right, literal)

    core = compare_core(op, left_projects, right_projects)

    def general(env):
        a = left(env)
        return a if a.__class__ is Missing else core(a, right(env))
    return general


def _compare_values(op, left, right, literal):
    """Neither side projects: the operator on the two values, Count and Partial operands read as unknowns. A
    literal right side (`count(xs) > 0`) is read as the constant it is, without a call."""
    impl, negated, unsure = op.impl, op.negated, unsure_fn(op, False, False)
    constant = literal is not None

    def plain(env):
        a = left(env)
        if a.__class__ is Missing:
            return a
        b = literal if constant else right(env)
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


def compare_core(op, left_projects: bool, right_projects: bool):
    """(a, b) -> outcome of a comparison where a side projects, on a non-missing left value: "some element"
    semantics (`xs[*].v == 1`: some v is 1)."""
    impl, negated, unsure = op.impl, op.negated, unsure_fn(op, left_projects, right_projects)

    def core(a, b):
        if b.__class__ is Missing:
            return b
        if a.__class__ is Count or b.__class__ is Count:
            # an uncertain count against a projection's elements: kept unknown rather than reasoned per element
            return a.missing if a.__class__ is Count else b.missing
        if left_projects and right_projects:
            hit = any(impl(x, y) for x in a for y in b)
        elif left_projects:
            hit = any(impl(x, b) for x in a)
        else:
            hit = any(impl(a, y) for y in b)
        if a.__class__ is Partial or b.__class__ is Partial:
            m = unsure(a, b, hit)
            if m is not None:
                return m
        return not hit if negated else hit
    return core


def build_arith(cx: CompileContext, node: A.Arith, scope: Scope) -> Compiled:
    left, right = cx.expr(node.left, scope), cx.expr(node.right, scope)
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

def build_and(cx: CompileContext, node: A.And, scope: Scope) -> Compiled:
    return junction(cx.expr(node.left, scope), cx.expr(node.right, scope), stop=False)


def build_or(cx: CompileContext, node: A.Or, scope: Scope) -> Compiled:
    return junction(cx.expr(node.left, scope), cx.expr(node.right, scope), stop=True)


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


def build_not(cx: CompileContext, node: A.Not, scope: Scope) -> Compiled:
    return negation(cx.expr(node.operand, scope))


def negation(operand: Compiled) -> Compiled:
    operand_fn, operand_text = operand.fn, operand.text

    def fn(env):
        v = truth(operand_fn(env), operand_text)
        return v if v.__class__ is Missing else not v
    return Compiled(fn, operand.deps)


# ---- calls

def build_call(cx: CompileContext, node: A.Call, scope: Scope) -> Compiled:
    args, arg_fns, closure = call_parts(cx, node, scope)
    return Compiled(closure(arg_fns), frozenset().union(*(a.deps for a in args)) if args else frozenset())


def call_parts(cx: CompileContext, node: A.Call, scope: Scope) -> tuple[list, list, Callable]:
    """The compiled arguments, the closures that read them (a literal argument the function prepares, such as a
    JSONPath, is read prepared), and `closure(arg_fns)`, the call reading its arguments with arg_fns."""
    spec = FUNCTIONS[node.func]
    args = [cx.expr(a, scope) for a in node.args]
    prepared = [cx.prepared(a) if i in spec.literal else None for i, a in enumerate(node.args)]
    arg_fns = [(lambda env, p=p: p) if p is not None else a.fn for a, p in zip(args, prepared)]
    text = cx.text(node.span)

    def closure(fns: list) -> Callable:
        if spec.needs_now:  # the scan's one instant, from the context, goes first: impl(now, *args)
            fns = [_scan_now, *fns]
        fn = _call_fn(fns, spec.impl, spec.takes_missing, spec.needs_context, text)
        return _naming_call(fn, f"{node.func}(): ", text) if spec.names_call else fn
    return args, arg_fns, closure


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

def build_quant(cx: CompileContext, node: A.Quant, scope: Scope) -> Compiled:
    source, body, slot, closure = quant_parts(cx, node, scope)
    return Compiled(closure(source.fn, body.fn), source.deps | (body.deps - {slot}))


def quant_parts(cx: CompileContext, node: A.Quant, scope: Scope) -> tuple[Compiled, Compiled, int, Callable]:
    """The compiled source and body, the element's slot, and `closure(source_fn, body_fn)`, the quantifier."""
    source = cx.expr(node.source, scope)
    slot = cx.new_slot(element=True)
    body = cx.expr(node.body, scope.inner({node.var: slot}))
    kind, source_text, body_text = node.kind, cx.text(node.source.span), body.text
    return source, body, slot, lambda source_fn, body_fn: quant_fn(kind, source_fn, body_fn, slot, source_text, body_text)


def quant_fn(kind: str, source, body, slot: int, source_text: str, body_text: str):
    """any/all/none in one pass, stopping at the first element that decides; unknown when no element decides
    and some is unknown (a static unknown stops the loop: it is unknown for every element)."""
    want = kind != "all"   # any/none stop at a true body; all stops at a false one
    decided = kind == "any"  # what they then return
    other, otherwise = not want, kind != "any"

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


def iter_source(xs, text):
    if xs.__class__ is list or xs.__class__ is tuple or xs.__class__ is Partial:
        return xs
    raise EvalError(f"quantifier needs a set or list, but `{text}` is a {type_name(xs)}")
