"""AST of the rule language: frozen, slotted dataclasses, each with a source span.

In: built only by argus.language.parser. Out: consumed by checker and compiler. Nodes never hold lark trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from argus.diagnostics import Span


# ---- expressions -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Name:
    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class It:
    span: Span


@dataclass(frozen=True, slots=True)
class Literal:
    span: Span
    value: Any


@dataclass(frozen=True, slots=True)
class ListExpr:
    span: Span
    items: tuple


@dataclass(frozen=True, slots=True)
class Attr:
    span: Span
    obj: "Expr"
    name: str
    grouped: bool = field(default=False, compare=False)  # written in parentheses: `(xs[*].v)[0]`


@dataclass(frozen=True, slots=True)
class Project:
    span: Span
    obj: "Expr"
    grouped: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Index:
    span: Span
    obj: "Expr"
    index: "Expr"
    grouped: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    span: Span
    func: str
    args: tuple


@dataclass(frozen=True, slots=True)
class Quant:
    span: Span
    kind: str  # any | all | none
    var: str
    source: "Expr"
    body: "Expr"


@dataclass(frozen=True, slots=True)
class Compare:
    span: Span
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Arith:
    span: Span
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class And:
    span: Span
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Or:
    span: Span
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True, slots=True)
class Not:
    span: Span
    operand: "Expr"


@dataclass(frozen=True, slots=True)
class Where:
    span: Span
    source: "Expr"
    pred: "Expr"


@dataclass(frozen=True, slots=True)
class Template:
    """A message string; parts are literal text (str) or interpolated expressions."""

    span: Span
    parts: tuple


Expr = Union[Name, It, Literal, ListExpr, Attr, Project, Index, Call, Quant, Compare, Arith, And, Or, Not, Where]

# ---- declarations -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Param:
    span: Span
    name: str
    type_name: str
    type_span: Span
    default: Expr | None


@dataclass(frozen=True, slots=True)
class Data:
    span: Span
    name: str
    path: str
    path_span: Span | None = None  # the string naming the file, where a data-file problem is reported


@dataclass(frozen=True, slots=True)
class Let:
    span: Span
    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Meta:
    span: Span
    key: str  # severity | description | remediation | help | tags
    value: Any  # str, or tuple of str for tags


@dataclass(frozen=True, slots=True)
class Otherwise:
    span: Span
    level: str  # fail | warn | skip
    subject: Expr | None
    message: Template


@dataclass(frozen=True, slots=True)
class For:
    span: Span
    var: str
    source: Expr
    otherwise: Otherwise | None


@dataclass(frozen=True, slots=True)
class When:
    span: Span
    cond: Expr


@dataclass(frozen=True, slots=True)
class Require:
    span: Span
    cond: Expr
    level: str  # fail | warn
    message: Template | None


@dataclass(frozen=True, slots=True)
class Rule:
    span: Span
    id: str
    id_span: Span
    title: str
    body: tuple  # Meta | Let | For | When | Require, in source order


@dataclass(frozen=True, slots=True)
class RuleFile:
    path: str
    text: str
    items: tuple  # Param | Data | Let | Rule


# ---- traversal ---------------------------------------------------------------------------------

def children(node) -> list:
    """The AST nodes directly under `node`, in field order (tuples of nodes flattened)."""
    out = []
    for name in getattr(type(node), "__slots__", ()):
        value = getattr(node, name, None)
        if isinstance(value, tuple):
            out.extend(v for v in value if hasattr(v, "span") and not isinstance(v, Span))
        elif hasattr(value, "span") and not isinstance(value, Span):
            out.append(value)
    return out


def walk(node):
    """Every node under `node` (itself first), depth-first, without recursion: input may nest deeply."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def bound_names(node) -> set[str]:
    """Every name `node` binds anywhere in it: for and quantifier variables, lets."""
    return {item.name if isinstance(item, Let) else item.var
            for item in walk(node) if isinstance(item, (For, Let, Quant))}


def depth(node) -> int:
    """Levels of nesting of `node` (1 for a leaf), computed without recursion."""
    best, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(current))
    return best
