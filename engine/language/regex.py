"""Patterns that come from rules or data, run by RE2: matching takes time linear in the text, whatever the pattern.

In: a regular expression (a `matches` literal, one built at run time from data, an appliance's bypass entry) or
a glob (`like`, WinINet/WinHTTP bypass wildcards, waiver subjects). Out: a `Regex` whose `search` and
`fullmatch` answer True or False, or `RegexError` whose message is RE2's reason plus, for syntax Python's `re`
has and RE2 lacks, what is missing (docs/language.md, "Regular expressions", lists them). Every such pattern
goes through this module; the fixed patterns of argus' own code stay on Python's `re`.

Budget: a pattern compiles within RE2's `max_mem` of MAX_MEM bytes, to at most MAX_PROGRAM instructions, with
counts of at most MAX_REPEAT. RE2 never backtracks; when its DFA runs out of memory it falls back to an NFA whose
work per text character grows with the program, so the program budget is what bounds a match's time (10,000
instructions against a 100 kB text: under a second). A pattern read from a facts file can hang no scan.
"""

from __future__ import annotations

import re
from functools import lru_cache

import re2

MAX_MEM = 1 << 20  # bytes per compiled pattern (RE2's max_mem; its default is 8 MiB)
MAX_PROGRAM = 10_000  # RE2 instructions; `^st[a-z]+[0-9]{2}$` is 8, `.{1000}` 8,004, Unicode `\pL` alone 1,200
MAX_REPEAT = 1000  # RE2's own limit on a {n,m} count
TOO_LARGE = (f"pattern too large for the budget of {MAX_PROGRAM} RE2 instructions in {MAX_MEM >> 20} MiB; "
             "simplify or split it")
_COUNT = re.compile(r"\{(\d*)(?:,(\d*))?\}")


class RegexError(ValueError):
    """A pattern RE2 refuses; str() is the reason, ready to follow "is not a valid regular expression: "."""


class Regex:
    """A compiled pattern. Texts are matched as UTF-8 (lone surrogates from JSON passed through, not refused)."""

    __slots__ = ("pattern", "_re")

    def __init__(self, pattern: str, compiled):
        self.pattern = pattern
        self._re = compiled

    def search(self, text: str) -> bool:
        return self._re.search(_utf8(text)) is not None

    def fullmatch(self, text: str) -> bool:
        return self._re.fullmatch(_utf8(text)) is not None

    def __repr__(self) -> str:
        return f"Regex({self.pattern[:60]!r}{'...' if len(self.pattern) > 60 else ''})"


@lru_cache(maxsize=256)
def compile(pattern: str, ignore_case: bool = False) -> Regex:  # noqa: A001 - the module's one entry point
    """`pattern` in RE2 syntax, or RegexError."""
    huge = _huge_count(pattern)
    if huge is not None:  # RE2 would read a count of 10+ digits as literal text; Python's re overflowed on it
        raise RegexError(f"invalid repetition size: {huge} ({_HINT_COUNT})")
    return Regex(pattern, _re2(pattern, ignore_case))


@lru_cache(maxsize=256)
def compile_glob(pattern: str, ignore_case: bool = True, classes: bool = True) -> Regex:
    """A whole-text glob: `*` any run of characters (newlines too); with `classes`, also `?` one character and
    `[seq]`/`[!seq]` as fnmatch reads them. Without, every character but `*` is itself (Windows bypass lists)."""
    return Regex(pattern, _re2(translate_glob(pattern, classes), ignore_case))


def translate_glob(pattern: str, classes: bool = True) -> str:
    """The RE2 pattern of a glob, written with `\\x{..}` escapes so any character of the glob is safe."""
    out, i, n = ["(?s)"], 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            if out[-1] != ".*":  # `**` is `*`: one `.*`, never two in a row
                out.append(".*")
        elif c == "?" and classes:
            out.append(".")
        elif c == "[" and classes:
            part, i = _glob_class(pattern, i)
            out.append(part)
        else:
            out.append(_literal(c))
    return "".join(out)


def _glob_class(pattern: str, i: int) -> tuple[str, int]:
    """The class starting after the `[` at i - 1, and where the glob goes on. As fnmatch: a `]` first in the
    class is a member, a class without its `]` is a literal `[`, a reversed range (`z-a`) matches nothing."""
    j = i + 1 if i < len(pattern) and pattern[i] == "!" else i
    j = j + 1 if j < len(pattern) and pattern[j] == "]" else j
    end = pattern.find("]", j)
    if end < 0:
        return _literal("["), i
    body = pattern[i:end]
    negate = body.startswith("!")
    body = body[1:] if negate else body
    items, k = [], 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            if body[k] <= body[k + 2]:
                items.append(f"{_literal(body[k])}-{_literal(body[k + 2])}")
            k += 3
        else:
            items.append(_literal(body[k]))
            k += 1
    if not items:
        return ("." if negate else r"[^\x00-\x{10FFFF}]"), end + 1  # any character / none at all
    return f"[{'^' if negate else ''}{''.join(items)}]", end + 1


def _literal(c: str) -> str:
    return c if c.isalnum() or ord(c) > 127 else f"\\x{{{ord(c):x}}}"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_MEM
    options.log_errors = False  # RE2 would print every refused pattern on stderr; the caller reports it once
    options.never_capture = True  # only "does it match" is asked: no groups to track
    options.case_sensitive = not ignore_case
    return options


def _re2(pattern: str, ignore_case: bool):
    try:
        compiled = re2.compile(_utf8(pattern), _options(ignore_case))
    except re2.error as exc:
        raise RegexError(_reason(exc, pattern)) from None
    if compiled.programsize > MAX_PROGRAM:
        raise RegexError(TOO_LARGE)
    return compiled


def _reason(exc: Exception, pattern: str) -> str:
    raw = exc.args[0] if exc.args else str(exc)
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else str(raw)
    code, _, arg = text.partition(": ")
    if code.startswith("pattern too large"):  # RE2 ran out of MAX_MEM: the same budget as MAX_PROGRAM, in other words
        return TOO_LARGE
    if arg == pattern:  # RE2 quotes the whole pattern for an unbalanced parenthesis: the caller shows it already
        text = code
    hint = _hint(code, arg)
    return f"{text} ({hint})" if hint else text


_HINT_COUNT = f"a count is at most {MAX_REPEAT}, and in {{n,m}} n is at most m"
_PERL_HINTS = (  # RE2's "invalid perl operator" argument -> what the writer reached for
    ("(?=", "RE2 has no lookahead"), ("(?!", "RE2 has no lookahead"),
    ("(?<=", "RE2 has no lookbehind"), ("(?<!", "RE2 has no lookbehind"),
    ("(?P", "RE2 has no (?P=name) backreferences; (?P<name>...) groups are fine"),
    ("(?>", "RE2 has no atomic groups"), ("(?#", "RE2 has no (?#...) comments"), ("(?(", "RE2 has no conditionals"),
)


def _hint(code: str, arg: str) -> str | None:
    if code == "invalid escape sequence" and arg[1:2].isdigit():
        return "RE2 has no backreferences"
    if code == "invalid escape sequence" and arg == r"\Z":
        return r"RE2 writes the end of the text \z"
    if code == "invalid perl operator":
        for prefix, hint in _PERL_HINTS:
            if arg.startswith(prefix):
                return hint
        return "RE2's flags are i, m, s and U" if arg[2:3].isalpha() else None
    if code == "bad repetition operator" and arg.endswith("+") and len(arg) > 1:
        return "RE2 has no possessive quantifiers"
    if code == "invalid repetition size":
        return _HINT_COUNT
    return None


def _huge_count(pattern: str) -> str | None:
    """The first `{n}`, `{n,}` or `{n,m}` outside a class with a count of 10 or more digits, as written."""
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\":
            if pattern.startswith("\\Q", i):  # \Q...\E is literal text
                end = pattern.find("\\E", i + 2)
                i = n if end < 0 else end + 2
                continue
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):  # [:alpha:] inside a class
                end = pattern.find(":]", i + 2)
                i = n if end < 0 else end + 2
                continue
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1
            i += pattern.startswith("^", i)
            i += pattern.startswith("]", i)  # a `]` first in a class is a member
            continue
        elif c == "{":
            match = _COUNT.match(pattern, i)
            if match and max(len(match[1]), len(match[2] or "")) >= 10:
                return match[0]
        i += 1
    return None
