"""Diagnostics: one shape (code, span, message) for every stage, and its rendering.

In: codes and messages raised by parser, checker, loader and every reader of an input file (policies, waivers,
fixtures, DNS answers, baselines, appliance.json, snapshots, what-if results). Out: `Diagnostic` records,
rendered as ``file:line:col: CODE: message`` plus the source line and a caret, and `DiagnosticError` to fail
once after all errors are collected (`located` and `json_error` build one for a single error in a file). Codes
are stable: tools and docs refer to them, and each keeps the one meaning its title says.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Span:
    """A range of a source file (rule text, YAML, JSON), 1-based; `end_col` is one past the last column."""
    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"



@lru_cache(maxsize=64)
def source_lines(text: str) -> tuple[str, ...]:
    """A source's lines as the parser counts them (a line ends at LF only: RS, VT, NEL... are no line breaks; a
    CR before the LF is dropped), split once per text: every diagnostic and every compiled node's text uses them."""
    return tuple(line.rstrip("\r") for line in text.split("\n"))


CODES = {
    "E100": "syntax error",
    "E101": "invalid string or template",
    "E102": "nesting too deep",
    "E103": "number literal too long",
    "E200": "undefined name",
    "E201": "duplicate definition",
    "E202": "duplicate rule id",
    "E203": "unknown parameter",
    "E204": "missing parameter value",
    "E205": "invalid parameter value",
    "E206": "unknown column",
    "E207": "recursive or too deeply chained let",
    "E208": "unknown parameter type",
    "E300": "unknown function",
    "E301": "wrong number of arguments",
    "E302": "wrong argument type",
    "E303": "invalid regular expression",
    "E304": "invalid JSONPath or sort_by path",
    "E305": "operator type mismatch",
    "E306": "argument must be a literal",
    "E307": "pattern is not a string",
    "E400": "invalid rule metadata",
    "E401": "missing rule clause",
    "E402": "invalid data file",
    "E403": "invalid policy file",
    "E404": "unknown rule id",
    "E405": "invalid waivers file",
    "E406": "require clause ending in skip",
    "E407": "invalid DNS answers file",
    "E408": "invalid baseline file",
    "E409": "invalid fixture file",
    "E410": "invalid appliance.json",
    "E411": "appliance facts row does not fit its schema",
    "E412": "invalid snapshot file",
    "E413": "invalid what-if file",
    "W500": "id compared case-sensitively",
    "W501": "unused let",
    "W502": "unused parameter",
    "W503": "type compared with upper-case literal",
    "W504": "quantifier over a possibly empty set",
    "W505": "constant condition",
    "W506": "path never occurs in snapshot",
    "W507": "duplicate rows in snapshot",
    "W508": "resource type never occurs in snapshot",
    "W509": "literal of a type the path never holds",
    "W510": "empty snapshot",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    span: Span | None
    message: str

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"

    def render(self, sources: dict[str, str] | None = None) -> str:
        if self.span is None:
            return f"{self.code}: {self.message}"
        head = f"{self.span}: {self.code}: {self.message}"
        text = (sources or {}).get(self.span.file)
        if text is None:
            return head
        lines = source_lines(text)
        if not 1 <= self.span.line <= len(lines):
            return head
        src = lines[self.span.line - 1]
        width = max(1, (self.span.end_col - self.span.col) if self.span.end_line == self.span.line else 1)
        src, col, width = _window(src, self.span.col, width)
        caret = " " * (col - 1) + "^" + "~" * (width - 1)
        return f"{head}\n  {src}\n  {caret}"

    def to_dict(self) -> dict:
        span = self.span
        return {
            "code": self.code, "severity": self.severity, "message": self.message,
            "file": span.file if span else None, "line": span.line if span else None,
            "col": span.col if span else None,
        }


LONGEST_LINE = 1000  # characters of a source line shown whole; a minified JSON file is one line of megabytes
_CONTEXT = 100       # characters shown either side of the column in a longer line


def _window(src: str, col: int, width: int) -> tuple[str, int, int]:
    """The part of a long source line around `col`, marked `...` where cut, with the column and width in it."""
    if len(src) <= LONGEST_LINE:
        return src, col, width
    start = max(0, col - 1 - _CONTEXT)
    end = min(len(src), col - 1 + _CONTEXT)
    lead = "..." if start else ""
    shown = lead + src[start:end] + ("..." if end < len(src) else "")
    return shown, col - start + len(lead), max(1, min(width, end - col + 1))


class DiagnosticError(Exception):
    """Raised once, after collection, when any diagnostic is an error."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = diagnostics
        self.sources = sources or {}
        super().__init__("\n".join(d.render(self.sources) for d in diagnostics))


def at(file: str, line: int, col: int, width: int = 1) -> Span:
    """A span of ``width`` characters on one line: YAML and JSON readers give a start, rarely an end."""
    return Span(file, line, col, line, col + max(1, width))


def located(code: str, span: Span, message: str, source: str | None = None) -> DiagnosticError:
    """One located error in an input file, ready to raise; ``source`` (the file's text) makes the caret render."""
    return DiagnosticError([Diagnostic(code, span, message)], {span.file: source} if source is not None else {})


def json_error(code: str, path: str, exc, lead: str, source: str | None = None) -> DiagnosticError:
    """A json/orjson JSONDecodeError as one located error: ``lead`` says what was not valid JSON ("invalid
    JSON", "baseline is not valid JSON"); the decoder's own text is the source unless one is given."""
    text = source if source is not None else exc.doc if isinstance(exc.doc, str) else None
    return located(code, at(path, exc.lineno, exc.colno), f"{lead}: {exc.msg}", text)


def closest(word: str, candidates) -> str | None:
    """The one suggestion argus makes for a misspelt word: a candidate differing only in case, else the
    closest by difflib's ratio (at least 0.7), else None. Candidates are tried in the order given."""
    pool = list(dict.fromkeys(candidates))
    folded = {c.casefold(): c for c in pool}
    if word.casefold() in folded and folded[word.casefold()] != word:
        return folded[word.casefold()]
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.7)
    return close[0] if close else None


def did_you_mean(word: str, candidates) -> str:
    """A ' (did you mean 'x'?)' suffix when a close candidate exists, else ''."""
    guess = closest(word, candidates)
    return f" (did you mean '{guess}'?)" if guess else ""


def has_errors(diagnostics) -> bool:
    return any(d.severity == "error" for d in diagnostics)
