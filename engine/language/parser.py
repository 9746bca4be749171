"""Parser: rule text -> AST (argus.language.ast) plus syntax diagnostics.

In: a file path and its text. Out: a RuleFile and a list of Diagnostics. A syntax error in one top-level item
(param/data/let/rule) does not hide errors in the next: the file is cut into items at lines that begin with
a declaration keyword and each item is parsed on its own, keeping original line numbers. How a syntax error
is worded is argus.language.syntax_errors'; the grammar itself is built by argus.language.grammar.
"""

from __future__ import annotations

import dataclasses
import re

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError

from argus.language import ast as A
from argus.diagnostics import Diagnostic
from argus.language.grammar import lalr
from argus.language.syntax_errors import syntax_diagnostic

_ITEM_START = re.compile(r"^(?:rule|let|param|data)\b", re.M)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\", "{": "{", "}": "}"}


class ParseFailure(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _span(file: str, meta) -> A.Span:
    return A.Span(file, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(file: str, tok: Token) -> A.Span:
    return A.Span(file, tok.line, tok.column, tok.end_line, tok.end_column)


def unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body, flags=re.S)


def _string_body(tok: Token) -> tuple[str, int]:
    """Raw body of a string token and the offset of the body within the token."""
    if tok.type == "LONG_STRING":
        return tok.value[3:-3], 3
    return tok.value[1:-1], 1


@v_args(meta=True)
class _Build(Transformer):
    """lark tree -> AST. Every grammar alias has a method; anything else is a bug, so __default__ raises."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def __default__(self, data, children, meta):
        raise AssertionError(f"no AST builder for grammar rule {data!r}")

    def _s(self, meta) -> A.Span:
        return _span(self.file, meta)

    # strings are kept as tokens until their use decides plain text or template
    def string(self, meta, children):
        return children[0]

    def start(self, meta, children):
        return tuple(children)

    def param_decl(self, meta, c):
        return A.Param(self._s(meta), str(c[0]), str(c[1]), _tok_span(self.file, c[1]), c[2])

    def data_decl(self, meta, c):
        return A.Data(self._s(meta), str(c[0]), self.text(c[1]), _tok_span(self.file, c[1]))

    def let_decl(self, meta, c):
        return A.Let(self._s(meta), str(c[0]), c[1])

    def rule_decl(self, meta, c):
        return A.Rule(self._s(meta), str(c[0]), _tok_span(self.file, c[0]), self.text(c[1]), tuple(c[2:]))

    def meta_severity(self, meta, c):
        return A.Meta(self._s(meta), "severity", str(c[0]))

    def meta_text(self, meta, c):
        return A.Meta(self._s(meta), str(c[0]), self.text(c[1]))

    def meta_tags(self, meta, c):
        return A.Meta(self._s(meta), "tags", tuple(self.text(t) for t in c))

    def for_clause(self, meta, c):
        return A.For(self._s(meta), str(c[0]), c[1], c[2])

    def otherwise(self, meta, c):
        return A.Otherwise(self._s(meta), str(c[0]), c[1], self.template(c[2]))

    def when_clause(self, meta, c):
        return A.When(self._s(meta), c[0])

    def require_clause(self, meta, c):
        level = str(c[1]) if c[1] is not None else "fail"
        return A.Require(self._s(meta), c[0], level, self.template(c[2]) if c[2] is not None else None)

    # ---- expressions
    def where(self, meta, c):
        return A.Where(self._s(meta), c[0], c[1])

    def or_(self, meta, c):
        return A.Or(self._s(meta), c[0], c[1])

    def and_(self, meta, c):
        return A.And(self._s(meta), c[0], c[1])

    def not_(self, meta, c):
        return A.Not(self._s(meta), c[0])

    def compare(self, meta, c):
        return A.Compare(self._s(meta), str(c[1]), c[0], c[2])

    def arith(self, meta, c):
        return A.Arith(self._s(meta), str(c[1]), c[0], c[2])

    def attr(self, meta, c):
        return A.Attr(self._s(meta), c[0], str(c[1]))

    def project(self, meta, c):
        return A.Project(self._s(meta), c[0])

    def index(self, meta, c):
        return A.Index(self._s(meta), c[0], c[1])

    def group(self, meta, c):
        # parentheses end a path: `(xs[*].v)[0]` indexes the projected list, not each `v`
        node = c[0]
        return dataclasses.replace(node, grouped=True) if isinstance(node, (A.Attr, A.Project, A.Index)) else node

    def name(self, meta, c):
        return A.Name(self._s(meta), str(c[0]))

    def it(self, meta, c):
        return A.It(self._s(meta))

    def call(self, meta, c):
        return A.Call(self._s(meta), str(c[0]), tuple(x for x in c[1:] if x is not None))

    def quant(self, meta, c):
        return A.Quant(self._s(meta), str(c[0]), str(c[1]), c[2], c[3])

    def list(self, meta, c):
        return A.ListExpr(self._s(meta), tuple(x for x in c if x is not None))

    def literal_string(self, meta, c):
        return A.Literal(self._s(meta), self.text(c[0]))

    def literal_number(self, meta, c):
        text = str(c[0])
        if len(text) > MAX_NUMBER_CHARS:  # int() refuses 4,300+ digits, float() turns 309+ into inf
            raise ParseFailure(Diagnostic("E103", self._s(meta), f"number literal of {len(text)} characters; "
                                                                 f"at most {MAX_NUMBER_CHARS} are allowed"))
        return A.Literal(self._s(meta), float(text) if "." in text else int(text))

    def literal_true(self, meta, c):
        return A.Literal(self._s(meta), True)

    def literal_false(self, meta, c):
        return A.Literal(self._s(meta), False)

    def literal_null(self, meta, c):
        return A.Literal(self._s(meta), None)

    # ---- string helpers
    def text(self, tok: Token) -> str:
        return unescape(_string_body(tok)[0])

    def template(self, tok: Token) -> A.Template:
        body, offset = _string_body(tok)
        return parse_template(self.file, body, tok.line, tok.column + offset, _tok_span(self.file, tok))


class _Cursor:
    """(line, col) of offsets into a string that starts at (line, col), asked for left to right: each character is
    counted once (counting from the start at every `{` made a message with n placeholders cost n times its length)."""

    def __init__(self, line: int, col: int, text: str):
        self.line, self.col, self.text, self.pos = line, col, text, 0

    def at(self, upto: int) -> tuple[int, int]:
        newlines = self.text.count("\n", self.pos, upto)
        if newlines:
            self.line += newlines
            self.col = upto - self.text.rfind("\n", self.pos, upto)
        else:
            self.col += upto - self.pos
        self.pos = upto
        return self.line, self.col


# A message is read once per finding; no real one has more than a handful of `{...}`. The bound keeps a generated
# or hostile message (50,000 placeholders once took 20 s to check) to a fraction of a second.
MAX_PLACEHOLDERS = 1000


def parse_template(file: str, body: str, line: int, col: int, span: A.Span) -> A.Template:
    """Split a message into text and `{expr}` parts; `{{`/`}}` are literal braces. Expressions keep real spans."""
    parts: list = []
    i, buf, cursor, placeholders = 0, [], _Cursor(line, col, body), 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            buf.append(body[i:i + 2])  # an escape, e.g. \{ for a literal brace: unescape() resolves it below
            i += 2
            continue
        if body.startswith("{{", i) or body.startswith("}}", i):
            buf.append(ch)
            i += 2
            continue
        if ch == "}":
            l, c = cursor.at(i)
            raise ParseFailure(Diagnostic("E101", A.Span(file, l, c, l, c + 1), "unmatched '}' in message (write '}}' for a literal brace)"))
        if ch != "{":
            buf.append(ch)
            i += 1
            continue
        end = body.find("}", i)
        l, c = cursor.at(i + 1)
        if end < 0:
            raise ParseFailure(Diagnostic("E101", A.Span(file, l, c - 1, l, c), "unterminated '{' in message"))
        if buf:
            parts.append(unescape("".join(buf)))
            buf = []
        placeholders += 1
        if placeholders > MAX_PLACEHOLDERS:
            raise ParseFailure(Diagnostic("E101", A.Span(file, l, c - 1, l, c), f"more than {MAX_PLACEHOLDERS} "
                                          "'{...}' in one message; write '{{' for a literal brace"))
        parts.append(_interpolation(file, body[i + 1:end], l, c))
        i = end + 1
    if buf:
        parts.append(unescape("".join(buf)))
    return A.Template(span, tuple(parts))


def _interpolation(file: str, text: str, line: int, col: int):
    """The expression of one `{...}`; running out of input there means the '}' came too early."""
    try:
        return parse_expr(file, text, line, col)
    except ParseFailure as exc:
        d = exc.diagnostic
        if d.message.startswith("unexpected end of input"):
            raise ParseFailure(Diagnostic(d.code, d.span, "unexpected '}'" + d.message[len("unexpected end of input"):])) from None
        raise


def parse_expr(file: str, text: str, line: int = 1, col: int = 1):
    """Parse one expression that starts at (line, col) of `file`; spans point into the original file. The text is
    parsed as written and its spans moved after: padding it out to (line, col) made every `{...}` of a message
    cost as much as the whole file before it."""
    try:
        node = _run(file, text, "expr")
    except ParseFailure as exc:
        d = exc.diagnostic
        raise ParseFailure(dataclasses.replace(d, span=_moved_span(d.span, line, col))) from None
    return node if (line, col) == (1, 1) else _moved(node, line, col)


def _moved_span(span: A.Span | None, line: int, col: int) -> A.Span | None:
    """A span of text parsed from (1, 1), moved to text that starts at (line, col)."""
    if span is None:
        return None
    return A.Span(span.file, span.line + line - 1, span.col + (col - 1 if span.line == 1 else 0),
                  span.end_line + line - 1, span.end_col + (col - 1 if span.end_line == 1 else 0))


def _moved(node, line: int, col: int):
    """An expression node with every span under it moved (nodes are frozen; expressions are at most MAX_DEPTH
    deep, checked before they are built, so the recursion is bounded)."""
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, A.Span):
            changes[f.name] = _moved_span(value, line, col)
        elif isinstance(value, tuple):
            changes[f.name] = tuple(_moved(v, line, col) if dataclasses.is_dataclass(v) else v for v in value)
        elif dataclasses.is_dataclass(value):
            changes[f.name] = _moved(value, line, col)
    return dataclasses.replace(node, **changes)


# Deeper syntax trees are refused before anything recursive (the AST builder, checker, compiler, evaluator)
# walks them: the bundled pack nests 24 levels at most, and every later stage stays far below Python's
# recursion limit at this depth.
MAX_DEPTH = 100
MAX_NUMBER_CHARS = 40  # more than any count, size or port; a float this long is already past its precision


def _too_deep(file: str, tree) -> Diagnostic | None:
    """The first node nested deeper than MAX_DEPTH, as a located E102 (an iterative walk: no recursion)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            meta = node.meta
            span = A.Span(file, meta.line, meta.column, meta.line, meta.column + 1) if not meta.empty else None
            return Diagnostic("E102", span, f"expression nested more than {MAX_DEPTH} levels deep (parentheses, "
                                            "calls, quantifiers, operators); split it with `let`")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return None


def _run(file: str, text: str, start: str):
    try:
        tree = lalr().parse(text, start=start)
    except UnexpectedInput as exc:
        raise ParseFailure(syntax_diagnostic(file, exc, text)) from None
    deep = _too_deep(file, tree)
    if deep is not None:
        raise ParseFailure(deep)
    try:
        return _Build(file).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ParseFailure):
            raise exc.orig_exc from None
        raise


def parse_file(path: str, text: str) -> tuple[A.RuleFile, list[Diagnostic]]:
    """Parse a whole rule file, collecting every syntax error. A file that parses in one go is never cut (a
    line of a triple-quoted string, or an unindented rule body, may begin with a declaration keyword); one
    that does not is re-parsed item by item so that an error does not hide those in later items."""
    try:
        return A.RuleFile(path, text, tuple(_run(path, text, "start"))), []
    except ParseFailure:
        pass
    items: list = []
    diags: list[Diagnostic] = []
    starts = _item_starts(text)
    if not starts or text[: starts[0]].strip() and not _only_comments(text[: starts[0]]):
        starts = [0] + starts
    line, seen = 1, 0  # counted as the items go: counting from the top for each made 20,000 items quadratic
    for lo, hi in zip(starts, starts[1:] + [len(text)]):
        chunk = text[lo:hi]
        line, seen = line + text.count("\n", seen, lo), lo
        if not chunk.strip() or _only_comments(chunk):
            continue
        try:  # parsed as written and moved to its line, as parse_expr does, rather than padded with newlines
            items.extend(_moved(item, line, 1) for item in _run(path, chunk, "start"))
        except ParseFailure as exc:
            diags.append(dataclasses.replace(exc.diagnostic, span=_moved_span(exc.diagnostic.span, line, 1)))
    return A.RuleFile(path, text, tuple(items)), diags


def _item_starts(text: str) -> list[int]:
    """Offsets of the lines that begin a declaration outside a triple-quoted string."""
    starts, quotes, seen = [], 0, 0
    for m in _ITEM_START.finditer(text):
        quotes, seen = quotes + text.count('"""', seen, m.start()), m.start()
        if quotes % 2 == 0:
            starts.append(m.start())
    return starts


def _only_comments(chunk: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith(("#", "//")) for ln in chunk.splitlines())
