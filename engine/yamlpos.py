"""YAML with positions: safe-load a document and keep a map from data paths to file:line:col.

In: a YAML file. Out: the plain data (SafeLoader only), its text, and `span(path)` giving the place (a Span) of
the node at a path of keys/indexes, so schema and semantic errors in policies.yaml can say exactly where, as a
Diagnostic with the source line and a caret; `compose` gives the node tree alone, `data_file` the value of a
rule's `data` file.

Dates and timestamps stay text (`expires: 2026-12-31` is the string "2026-12-31"), as they would in JSON: the
schemas check them, with a message and a position, where PyYAML's own conversion would raise a bare ValueError
on an impossible date such as 2026-02-30.

A file that is not UTF-8, holds a character YAML forbids (NUL), nests more than MAX_DEPTH levels (through
aliases too, and an alias inside the node it names is a cycle) or holds an integer of more than MAX_INT_DIGITS
digits is an InputError at the offending byte: PyYAML's composer recurses once per level, and Python refuses
to convert integers of more than 4,300 digits, so either would otherwise end in a traceback. Each reader turns
an InputError into a diagnostic of its own code (`InputError.error`).
"""

from __future__ import annotations

import os
import re

import yaml

from argus.diagnostics import Span
from argus.diagnostics import Diagnostic, DiagnosticError, at
from argus.errors import UserError


_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT = "tag:yaml.org,2002:int"
MAX_DEPTH = 100
MAX_INT_DIGITS = 100


class InputError(UserError):
    """A located problem in a file's content. `syntax`: YAML's own complaint, which callers introduce with
    their "invalid YAML" wording; `source`: the file's text (for the caret), when it could be decoded.
    Each reader turns it into its own diagnostic code with `error`."""

    def __init__(self, path: str, line: int | None, col: int | None, reason: str, syntax: bool = False,
                 source: str | None = None):
        self.path, self.reason, self.syntax, self.source = path, reason, syntax, source
        self.span = at(path, line, col) if line is not None else None
        super().__init__(f"{self.span or path}: {self.message()}")

    def message(self, invalid: str = "invalid YAML") -> str:
        return f"{invalid + ': ' if self.syntax else ''}{self.reason}"

    def diagnostic(self, code: str, invalid: str = "invalid YAML") -> Diagnostic:
        """This problem as the diagnostic `code` of the reader's file kind (E403 a policy file, ...)."""
        return Diagnostic(code, self.span, f"{'' if self.span else self.path + ': '}{self.message(invalid)}")

    def error(self, code: str, invalid: str = "invalid YAML") -> DiagnosticError:
        """The diagnostic, raised alone, with the file's text for the caret."""
        return DiagnosticError([self.diagnostic(code, invalid)],
                               {self.path: self.source} if self.source is not None else {})


class _Refused(yaml.MarkedYAMLError):
    """Raised by the guarded composer: valid YAML that argus will not read."""


# YAML and JSON write a character beyond U+FFFF in a double-quoted string as two \u escapes (a surrogate pair),
# which PyYAML leaves as two code points: they are joined into the character, and a lone one is refused, since
# no text can hold it (writing a report with one fails).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _characters(node) -> str:
    try:
        return node.value.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        lone = _SURROGATE.search(node.value).group(0)
        raise _Refused(problem=f"the escape \\u{ord(lone):04x} is half of a surrogate pair without its other "
                               "half, not a character", problem_mark=node.start_mark) from None


class _Guard:
    """A composer that refuses nesting deeper than MAX_DEPTH (counted through aliases), alias cycles and
    over-long integers before anything recurses on them. Mixed into a pure-Python and a libyaml loader."""

    def _guard_init(self) -> None:
        self._depth = 0
        self._open: set[str] = set()       # anchors of the nodes being composed: an alias to one is a cycle
        self._heights: dict[int, int] = {}  # id(anchored node) -> levels in it, measured when an alias names it

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            if event.anchor in self._open:
                raise _Refused(problem="an alias refers to the node that holds it (a cycle)",
                               problem_mark=event.start_mark)
            target = self.anchors.get(event.anchor)
            if target is not None and self._depth + self._height(target) > MAX_DEPTH:
                raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        if self._depth >= MAX_DEPTH:
            raise _Refused(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=event.start_mark)
        self._depth += 1
        if event.anchor is not None:
            self._open.add(event.anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(event.anchor)
        if node.__class__ is yaml.ScalarNode and node.style == '"' and _SURROGATE.search(node.value):
            node.value = _characters(node)
        if node.tag == _INT and node.__class__ is yaml.ScalarNode:
            digits = len(node.value.lstrip("+-").replace("_", ""))
            if digits > MAX_INT_DIGITS:
                raise _Refused(problem=f"an integer of {digits} digits (at most {MAX_INT_DIGITS} are read)",
                               problem_mark=node.start_mark)
        return node

    def _height(self, target) -> int:
        """Levels in an anchored node, measured (iteratively, once per node) only when an alias names it:
        aliases are rare, and measuring every node as it is composed doubled the cost of a big file."""
        heights = self._heights
        stack = [(target, False)]
        while stack:  # post-order over the node graph, each node once (aliases share nodes: no blow-up)
            node, ready = stack.pop()
            if id(node) in heights:
                continue
            children = (node.value if node.__class__ is yaml.SequenceNode else
                        [c for pair in node.value for c in pair] if node.__class__ is yaml.MappingNode else ())
            if ready or not children:
                heights[id(node)] = 1 + max((heights.get(id(c), 1) for c in children), default=0)
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in heights)
        return heights[id(target)]


class GuardedLoader(_Guard, yaml.SafeLoader):
    """The pure-Python SafeLoader, guarded: its error messages are the ones argus reports."""

    def __init__(self, stream):
        yaml.SafeLoader.__init__(self, stream)
        self._guard_init()


class TextDatesLoader(GuardedLoader):
    """GuardedLoader that reads timestamps, implicit or tagged !!timestamp, as the plain strings they are."""


def _text_dates(cls) -> None:
    cls.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    cls.add_constructor(_TIMESTAMP, yaml.SafeLoader.construct_scalar)


_text_dates(TextDatesLoader)
_FAST: dict = {}  # pure-Python loader class -> the same loader on libyaml's C parser, when PyYAML has it
if getattr(yaml, "__with_libyaml__", False):
    class _CGuarded(_Guard, yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor,
                    yaml.resolver.Resolver):
        """libyaml scans and parses (20x the pure-Python speed: 20,000 waivers in a second, not twenty); the
        composer stays Python so the guard sees every node. Errors are re-read by the pure-Python loader, so
        messages do not depend on which parser found them."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._guard_init()

    class _CTextDates(_CGuarded):
        pass

    _text_dates(_CTextDates)
    _FAST = {GuardedLoader: _CGuarded, TextDatesLoader: _CTextDates}


class Located:
    """A file's data, its node tree (`root`) and its text, for positions and the caret of a diagnostic."""

    def __init__(self, data, root, text: str = "", path: str = ""):
        self.data, self.root, self.text, self.path = data, root, text, path

    def span(self, path) -> Span:
        """Where the node at a path of keys/indexes is (the nearest ancestor that exists, else the start)."""
        node = best = self.root
        for step in path:
            node = _child(node, step) if node is not None else None
            if node is None:
                break
            best = node
        return node_span(self.path, best)

    def node(self, path):
        """The YAML node at a path of keys/indexes, or None (for edits that keep the file's own text)."""
        node = self.root
        for step in path:
            node = _child(node, step) if node is not None else None
        return node

    def key_span(self, path) -> Span:
        """Where the last key of `path` itself is (for 'unknown key' messages)."""
        parent = self.root
        for step in path[:-1]:
            parent = _child(parent, step) or parent
        if isinstance(parent, yaml.MappingNode):
            want = path[-1]
            for k, _ in parent.value:
                if k.value == want or (not isinstance(want, str) and _same(_scalar(k), want)):
                    return node_span(self.path, k)
        return self.span(path)


def node_span(path: str, node: yaml.Node | None) -> Span:
    """A node's place in the file: its whole width when it ends on the line it starts on, else its first
    character (an empty document: the file's start)."""
    if node is None:
        return at(path, 1, 1)
    start, end = node.start_mark, node.end_mark
    width = end.column - start.column if end.line == start.line else 1
    return at(path, start.line + 1, start.column + 1, width)


def _scalar(node):
    """A key node's value as YAML reads it (`on` is true, `1` is 1), for keys that are not strings."""
    try:
        return yaml.SafeLoader("").construct_object(node) if isinstance(node, yaml.ScalarNode) else None
    except yaml.YAMLError:
        return None


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b  # true is not 1, as in JSON


def _child(node, step):
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == step), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None


def read_text(path: str) -> str:
    """The file as text; bytes that are not UTF-8 are an InputError at their line and column."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise InputError(path, raw.count(b"\n", 0, exc.start) + 1, col,
                         f"not UTF-8 text (byte 0x{raw[exc.start]:02x}: {exc.reason})",
                         source=raw.decode("utf-8", "replace")) from None  # the caret under the same column


def _loader(path: str, text: str, cls) -> GuardedLoader:
    try:
        return cls(text)
    except yaml.reader.ReaderError as exc:  # a character YAML forbids (NUL, ...), found before any parsing
        before = text[:exc.position]
        raise InputError(path, before.count("\n") + 1, exc.position - before.rfind("\n"),
                         f"unacceptable character #x{exc.character:04x}: {exc.reason}", syntax=True,
                         source=text) from None


def _input_error(path: str, text: str, exc: yaml.YAMLError) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return InputError(path, line, col, getattr(exc, "problem", None) or str(exc), not isinstance(exc, _Refused),
                      text)


def _read(path: str, cls, construct: bool) -> Located:
    """The file parsed by libyaml when PyYAML has it; any error is read again by the pure-Python loader, whose
    message (and position) is the one reported."""
    text = read_text(path)
    fast = _FAST.get(cls)
    if fast is not None:
        loader = fast(text)
        try:
            root = loader.get_single_node()
            return Located(loader.construct_document(root) if construct and root is not None else None, root,
                           text, path)
        except _Refused as exc:
            raise _input_error(path, text, exc) from None
        except yaml.YAMLError:
            pass  # re-read below, for the pure-Python loader's wording
        finally:
            loader.dispose()
    loader = _loader(path, text, cls)
    try:
        root = loader.get_single_node()
        return Located(loader.construct_document(root) if construct and root is not None else None, root, text, path)
    except yaml.YAMLError as exc:
        raise _input_error(path, text, exc) from None
    finally:
        loader.dispose()


def compose(path: str) -> Located:
    """The node tree (`root`) and text of a YAML (or JSON) file, for readers that check nodes themselves (DNS
    answers); its `data` is None."""
    return _read(path, GuardedLoader, construct=False)


def load(path: str, *, text_dates: bool = True) -> Located:
    """The file's data and positions; `text_dates=False` reads dates as dates (yaml.safe_load's way)."""
    return _read(path, TextDatesLoader if text_dates else GuardedLoader, construct=True)


def loads(text: str):
    """A YAML value written inline (a --param list); yaml.YAMLError, guarded as files are, when it is not one."""
    loader = GuardedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def data_file(rule_dir: str, name: str):
    """The value of a rule's `data NAME from "name"` file, looked up beside the rule file; a UserError whose
    message the checker reports as E402 at the string."""
    if not name.strip():
        raise UserError("data file path is empty: name a YAML file (relative to the rule file)")
    path = os.path.join(rule_dir, name)
    if os.path.isdir(path):
        raise UserError(f"data file '{name}' is a directory, not a YAML file (looked in {path})")
    if not os.path.lexists(path):
        raise UserError(f"data file '{name}' not found (looked in {path})")
    try:
        return load(path, text_dates=False).data
    except InputError as exc:
        what = "is not valid YAML" if exc.syntax else "cannot be read"
        raise UserError(f"data file '{name}' {what}: {exc.span or exc.path}: {exc.reason}") from None
    except UserError as exc:
        raise UserError(f"data file '{name}': {exc}") from None
