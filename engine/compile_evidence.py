"""Evidence of `require`/`when` clauses: the comparisons a clause turns on, compiled once and wrapped once.

In: a clause's condition, the compile context and the rule's scope. Out: a `Compiled` for the condition. Its
and/or/not skeleton is the plain junctions of argus.compile_ops; each comparison, call and quantifier on that
skeleton is its plain closure inside one recording wrapper, which appends (Site, actual value, subject row,
outcome) to the frame's evidence list (slot EVIDENCE; None when no one reads evidence) once the comparison has
run, in evaluation order. argus.evaluator makes a finding's evidence of these tuples; `argus explain` shows them
per clause. Nothing beneath such a node records: operands, call arguments, quantifier bodies and filters are
plain closures, so evidence costs one wrapper per comparison of a clause and nothing in filters and joins.

The value a record shows is the one the comparison read, read once: the recorder reads the left operand of a
comparison, the first argument of a call or the source of a quantifier into a frame slot of its own, and the
plain closure, built to read that operand from the slot, finds it there. A quantifier shows where it was
decided ("element 2 of 5 matches") or how many elements it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Callable

from . import ast as A
from .compile_context import CompileContext, Scope
from .compile_ops import call_parts, compare_parts, junction, negation, quant_parts
from .frame import EVIDENCE, Compiled
from .values import Missing, Partial


@dataclass(frozen=True, slots=True)
class Site:
    """Where a recorded value came from: source text, the operator, the JSON path relative to its row."""

    text: str             # the comparison as written
    op: str | None        # its operator; a quantifier's kind; None for a call
    rel: str | None       # the shown value's path relative to its row, when it is read from one
    root: int | None      # the frame slot of that row
    expected: str         # what holds when it passes: `== "TLS1_2"`, `at least one match`


_EXPECTED = {"any": "at least one match", "all": "every element matches", "none": "no element matches"}


def compile_condition(cx: CompileContext, node, scope: Scope) -> Compiled:
    """A require/when condition: evidence recorded at each comparison, call and quantifier of its skeleton."""
    if isinstance(node, (A.And, A.Or)):
        compiled = junction(compile_condition(cx, node.left, scope), compile_condition(cx, node.right, scope),
                            stop=isinstance(node, A.Or))
    elif isinstance(node, A.Not):
        compiled = negation(compile_condition(cx, node.operand, scope))
    elif isinstance(node, A.Compare):
        compiled = _recorded_compare(cx, node, scope)
    elif isinstance(node, A.Call):
        compiled = _recorded_call(cx, node, scope)
    elif isinstance(node, A.Quant):
        compiled = _recorded_quant(cx, node, scope)
    else:
        return cx.expr(node, scope)  # a path, a name, a filter...: a value, not a comparison to show
    compiled.text = cx.text(node.span)
    return compiled


def record(site: Site, fn: Callable, operand: Callable | None = None, slot: int | None = None,
           summary: Callable | None = None) -> Callable:
    """The one recording wrapper: fn, then its outcome in the evidence list. With `operand`, the wrapper reads
    the value the record shows first, into frame slot `slot`, and fn (built to read that operand from the slot,
    with a C-level itemgetter) finds it there: the value is read once, and no wrapper sits around the operand.
    `summary(env, outcome)` makes what a quantifier shows; else the record shows the operand, or the outcome."""
    root = site.root

    def recorded(env):
        if operand is not None:
            env[slot] = operand(env)
        outcome = fn(env)
        evidence = env[EVIDENCE]
        if evidence is not None:
            if summary is not None:
                shown = summary(env, outcome)
            else:
                shown = env[slot] if operand is not None else outcome
            evidence.append((site, shown, env[root] if root is not None else None, outcome))
        return outcome
    return recorded


def _recorded_compare(cx: CompileContext, node: A.Compare, scope: Scope) -> Compiled:
    """Shows the left operand: `properties.minimumTlsVersion` (the path from the row it reads) and its value.
    Every comparison closure reads its left operand first, so reading it before the comparison changes nothing."""
    left, right, closure = compare_parts(cx, node, scope)
    where = left.row_path if left.row_slot is not None else left.text or cx.text(node.left.span)
    site = Site(cx.text(node.span), node.op, where, left.row_slot, f"{node.op} {right.text or cx.text(node.right.span)}")
    slot = cx.new_slot()
    fn = closure(itemgetter(slot))
    return Compiled(record(site, fn, left.fn, slot), left.deps | right.deps)


def _recorded_call(cx: CompileContext, node: A.Call, scope: Scope) -> Compiled:
    """Shows the first argument (what the function judged), or the outcome of a call without arguments. A call
    reads its arguments first to last (after the scan's instant, for a function that takes it)."""
    args, arg_fns, closure = call_parts(cx, node, scope)
    text = cx.text(node.span)
    deps = frozenset().union(*(a.deps for a in args)) if args else frozenset()
    if not args:
        return Compiled(record(Site(text, None, None, None, f"{text} is true"), closure(arg_fns)), deps)
    first = args[0]
    site = Site(text, None, first.row_path, first.row_slot, f"{text} is true")
    slot = cx.new_slot()
    fn = closure([itemgetter(slot), *arg_fns[1:]])
    return Compiled(record(site, fn, arg_fns[0], slot), deps)


def _recorded_quant(cx: CompileContext, node: A.Quant, scope: Scope) -> Compiled:
    """Shows where the quantifier was decided, or how many elements it read. The loop reads its source first."""
    source, body, element, closure = quant_parts(cx, node, scope)
    site = Site(cx.text(node.span), node.kind, source.row_path, source.row_slot, _EXPECTED[node.kind])
    slot = cx.new_slot()
    fn = closure(itemgetter(slot), body.fn)
    summary = _summary(node.kind, slot, element, body.fn)
    return Compiled(record(site, fn, source.fn, slot, summary), source.deps | (body.deps - {element}))


def _summary(kind: str, source_slot: int, element: int, body: Callable) -> Callable:
    """(env, outcome) -> what a quantifier's record shows, from its outcome and the set it read (a Missing set
    is shown as it is). The loop (argus.compile_ops.quant_fn) stops at the first element whose body decides,
    which is then in the element's slot, or whose body is a static unknown; else it reads every element."""
    want = kind != "all"
    decided = kind == "any"
    verb, ran_out = ("matches", "none matches") if want else ("does not match", "all match")

    def summary(env, outcome):
        xs = env[source_slot]
        if xs.__class__ is Missing:
            return xs
        if outcome is decided:
            # the position of the first slot holding that very element: the body is a function of the frame and
            # the element, so an earlier position holding the same object would have stopped the loop there
            stop = env[element]
            for i, x in enumerate(xs):
                if x is stop:
                    return f"element {i + 1} of {len(xs)} {verb}"
            raise AssertionError("a quantifier decided at an element of the set it read")
        if outcome.__class__ is Missing and outcome.static and _stopped(env, xs, outcome, body):
            return outcome
        n = len(xs)
        return f"{n} element{'s' * (n != 1)}, " + ("some unknown" if outcome.__class__ is Missing else ran_out)
    return summary


def _stopped(env, xs, outcome, body) -> bool:
    """Did a body's static unknown stop the loop? It did unless the outcome is the incomplete set's own unknown,
    which the loop returns when it read every element and none was unknown. Only when the outcome is that very
    object is the body asked again, at the element the loop ended on (with none, the loop never ran): a stop
    there gives the static unknown again, a loop that ran out a truth value."""
    if xs.__class__ is not Partial or outcome is not xs.missing:
        return True
    return len(xs) > 0 and body(env).__class__ is Missing
