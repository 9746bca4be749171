"""Static facts about rule ASTs that the checker's warnings rest on.

In: AST nodes (argus.language.ast) and parsed RuleFiles. Out: plain answers: is a condition constant (W505), can a set
never be empty (W504), the last name of a path (W500/W503), the type of a literal operand (E305), which words
occur in text the parser could not read (so W501/W502 stay quiet about names a broken rule uses) and how many
rules that text holds (`argus check` counts them). Nothing here reports; the checker does.
"""

from __future__ import annotations

import json
import re

from argus.language import ast as A
from argus.language.functions import FUNCTIONS
from argus.language.operators import OPERATORS
from argus.language.values import type_name

SNAPSHOT_FUNCTIONS = frozenset(name for name, fn in FUNCTIONS.items() if fn.needs_context)


def never_empty(node) -> bool:
    if isinstance(node, A.Call) and node.func == "nonempty":
        return True
    return isinstance(node, A.ListExpr) and bool(node.items)


def constant(node) -> bool:
    """True for conditions whose value cannot depend on the snapshot, the subject or a parameter."""
    if fixed(node):
        return True
    if isinstance(node, A.Compare):
        left, right = same_path_key(node.left), same_path_key(node.right)
        return left is not None and left == right
    if isinstance(node, A.Not):
        return constant(node.operand)
    if isinstance(node, (A.Or, A.And)):  # `x or true` is true and `x and false` is false, whatever x is
        absorbing = isinstance(node, A.Or)
        return any(isinstance(x, A.Literal) and x.value is absorbing for x in (node.left, node.right))
    return False


def fixed(node) -> bool:
    """An expression made of literals and functions that do not read the snapshot: its value is the same
    on every run (`count([]) == 0`, `exists("x")`: a literal is always present)."""
    if isinstance(node, A.Literal):
        return True
    if isinstance(node, A.ListExpr):
        return all(fixed(x) for x in node.items)
    if isinstance(node, (A.Compare, A.Arith, A.And, A.Or)):
        return fixed(node.left) and fixed(node.right)
    if isinstance(node, A.Not):
        return fixed(node.operand)
    if isinstance(node, A.Call):
        fn = FUNCTIONS.get(node.func)
        if fn is None or node.func in SNAPSHOT_FUNCTIONS or fn.needs_now:  # now() differs from scan to scan
            return False
        lo, hi = fn.arity()  # a call with the wrong arity already has its own error (E301)
        return lo <= len(node.args) <= (hi if hi is not None else len(node.args)) and all(fixed(x) for x in node.args)
    return False


def lower_literal(node) -> bool:
    return isinstance(node, A.Literal) and isinstance(node.value, str) and node.value == node.value.lower()


def literal_kind(node) -> str | None:
    """The type of a literal operand (a list for a list expression), or None when only the snapshot can tell."""
    if isinstance(node, A.Literal):
        return type_name(node.value)
    return "list" if isinstance(node, A.ListExpr) else None


def literal_source(node) -> str:
    """The text of a literal as written, for messages."""
    return json.dumps(node.value, ensure_ascii=False)


_COMMENT_OR_STRING = re.compile(r'"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|(?:#|//)[^\n]*')


def unparsed_words(files: list[A.RuleFile]) -> set[str]:
    """Words of the code the parser could not read: text outside every parsed item that is more than comments.
    A rule with a syntax error is missing from the items, so a let or param it uses looks unused; W501/W502
    are not reported for names such broken text mentions (anywhere in it, messages included), while a name
    it does not mention is still reported. A file that parsed cleanly has no such text."""
    words: set[str] = set()
    for gap in _unparsed(files):
        code = _COMMENT_OR_STRING.sub(lambda m: m.group() if m.group()[0] in "\"'" else "", gap)
        if code.strip():
            words.update(re.findall(r"[A-Za-z_]\w*", code))
    return words


_RULE_START = re.compile(r"^rule\b", re.M)  # where the parser starts an item, as it re-parses a broken file


def unparsed_rules(files: list[A.RuleFile]) -> int:
    """How many rules the parser could not read: `rule` starting a line of unparsed text, outside strings and
    comments (a broken rule is not among the items, but `argus check` counts it among the file's rules)."""
    blank = _COMMENT_OR_STRING.sub
    return sum(len(_RULE_START.findall(blank(lambda m: "\n" * m.group().count("\n"), gap)))
               for gap in _unparsed(files))


def _unparsed(files: list[A.RuleFile]):
    """The stretches of each file's text that no parsed item covers."""
    for f in files:
        starts = [0] + [i + 1 for i, ch in enumerate(f.text) if ch == "\n"]

        def offset(line: int, col: int) -> int:
            return starts[min(line, len(starts)) - 1] + col - 1

        pos = 0
        spans = sorted((offset(i.span.line, i.span.col), offset(i.span.end_line, i.span.end_col)) for i in f.items)
        for lo, hi in spans + [(len(f.text), len(f.text))]:
            if lo > pos:  # a stretch that starts mid-line must not look as if it started a line
                yield ("" if pos == 0 or f.text[pos - 1] == "\n" else " ") + f.text[pos:lo]
            pos = max(pos, hi)


def same_path_key(node):
    """A position-free key for name/attribute chains (so `x.a == x.a` is seen as constant), else None."""
    if isinstance(node, A.Name):
        return ("name", node.name)
    if isinstance(node, A.Attr):
        inner = same_path_key(node.obj)
        return None if inner is None else ("attr", inner, node.name)
    return None


def last_name(node) -> str | None:
    if isinstance(node, A.Attr):
        return node.name
    if isinstance(node, A.Name):
        return node.name
    return None


def types_admitted(pred, bound=lambda name: False) -> frozenset[str] | None:
    """The resource types (case-folded) a `where` predicate can admit, from its literal comparisons of the
    row's `type`, or None when it may admit any. `and` intersects what its sides admit, `or` unites them only
    when both sides are restricted; the literal may stand on either side of `==`/`=~`. `bound(name)` says a
    name is a variable, let, parameter or data set (then `type` is not the row's field). This one analysis
    serves both pushdown (which types `scan --live` collects) and lint (which rows a path is checked against).
    """
    if isinstance(pred, A.And):
        left, right = types_admitted(pred.left, bound), types_admitted(pred.right, bound)
        return right if left is None else left if right is None else left & right
    if isinstance(pred, A.Or):
        left, right = types_admitted(pred.left, bound), types_admitted(pred.right, bound)
        return left | right if left is not None and right is not None else None
    if not isinstance(pred, A.Compare):
        return None
    op = OPERATORS[pred.op]
    if op.family == "equality" and not op.negated:
        for field, value in ((pred.left, pred.right), (pred.right, pred.left)):
            if _is_type_field(field, bound) and isinstance(value, A.Literal) and isinstance(value.value, str):
                return frozenset((value.value.casefold(),))
    elif op.family == "membership" and not op.negated and _is_type_field(pred.left, bound) and isinstance(pred.right, A.ListExpr):
        if all(isinstance(i, A.Literal) and isinstance(i.value, str) for i in pred.right.items):
            return frozenset(i.value.casefold() for i in pred.right.items)
    return None


def _is_type_field(node, bound) -> bool:
    if isinstance(node, A.Name):
        return node.name == "type" and not bound("type")
    return isinstance(node, A.Attr) and node.name == "type" and isinstance(node.obj, A.It)
