"""How a syntax error is worded: lark's exception -> one E100 Diagnostic that says what would fit.

In: a lark UnexpectedInput from parsing a file or an expression, the file name and text. Out: the Diagnostic,
with the likeliest fitting tokens first (at most a few), the token met described in words, and the usual slips
named: a misspelt keyword (argus.diagnostics.closest over the grammar's keywords), `=` for `==`, `&&`/`||`/`!`,
a message's own quote inside its `{...}`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from argus.diagnostics import Diagnostic, closest
from argus.language import ast as A
from argus.language.grammar import lalr


_TOKEN_NAMES = {
    "NAME": "a name", "RULE_ID": "a rule id", "STRING": "a string", "LONG_STRING": "a string",
    "NUMBER": "a number", "CMP_OP": "a comparison operator", "ADD_OP": "'+' or '-'", "QUANT": "any/all/none",
    "LEVEL": "fail/warn/skip", "TEXT_KEY": "description/remediation/help", "LBRACE": "'{'", "RBRACE": "'}'",
    "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "COLON": "':'", "DOT": "'.'",
    "EQUAL": "'='", "STAR": "'*'", "$END": "end of input",
}


def _describe(tok) -> str:
    if tok is None or getattr(tok, "type", None) == "$END":
        return "end of input"
    return f"'{tok.value}'" if tok.value else _TOKEN_NAMES.get(tok.type, tok.type)


# Expected tokens are listed by what most likely fits, not alphabetically: first the tokens the construct
# itself still needs (closing brackets, separators), then clause keywords, then the statements that may
# follow, then operands; tokens that could only continue the expression come last, since "the expression
# went on" is rarely what the writer meant when it is followed by something unexpected.
_FITS = ("RPAR", "RSQB", "LBRACE", "COLON", "COMMA", "EQUAL", "IN", "FROM", "ELSE", "OTHERWISE", "ON", "LEVEL",
         "REQUIRE", "WHEN", "LET", "RBRACE", "FOR", "SEVERITY", "TEXT_KEY", "TAGS", "RULE", "PARAM", "DATA",
         "RULE_ID", "STRING", "LONG_STRING", "NAME")


_CONTINUES = ("AND", "OR", "WHERE", "CMP_OP", "ADD_OP", "DOT", "LSQB", "LPAR", "STAR")


_OPERAND = {"NAME", "NUMBER", "STRING", "LONG_STRING", "LPAR", "LSQB", "QUANT", "NOT", "TRUE", "FALSE", "NULL", "IT"}


_STATEMENT = ("REQUIRE", "WHEN", "LET", "FOR", "SEVERITY", "TEXT_KEY", "TAGS", "RULE", "PARAM", "DATA", "ELSE",
              "OTHERWISE", "WHERE")


_WORD_TERMINALS = ("TEXT_KEY", "LEVEL", "QUANT", "CMP_OP")  # regex terminals that are alternatives of words


_SHOWN = 6


_CHAR_HINTS = {"&": "and", "|": "or", "!": "not"}


@lru_cache(maxsize=1)
def _keywords() -> dict[str, tuple[str, ...]]:
    """terminal name -> the words it stands for (`REQUIRE` -> require, `LEVEL` -> fail, warn, skip)."""
    out: dict[str, tuple[str, ...]] = {}
    for term in lalr().terminals:
        value = term.pattern.value
        if term.pattern.type == "str" and value.isidentifier():
            out[term.name] = (value,)
        elif term.name in _WORD_TERMINALS:
            out[term.name] = tuple(dict.fromkeys(re.findall(r"[a-z]{2,}", value)))
    return out


def _accepted(exc: UnexpectedInput) -> set[str]:
    """Terminals that would really be accepted where the error is. LALR's own `expected` set comes from merged
    states and lists tokens (a ')' with no '(' open) that could never follow, so the parser is asked instead."""
    ip = getattr(exc, "interactive_parser", None)
    if ip is not None:
        try:
            return set(ip.accepts())
        except Exception:  # noqa: BLE001 - a failed probe only costs precision: fall back to LALR's set
            pass
    return set(getattr(exc, "expected", ()) or ())


def _expected(names, at_end: bool = False) -> str:
    names = set(names)
    if len(names) > 1:
        names.discard("$END")  # "or the file may end here" only helps when nothing else may come
    operand = "NUMBER" in names  # a number can only start an operand: this is where an expression goes
    fits = [n for n in _FITS if n in names and not (operand and n in _OPERAND)]
    first = "RBRACE" if at_end else "RULE"  # a file that ends inside a rule most likely lacks its '}'
    if first in fits:
        fits.insert(0, fits.pop(fits.index(first)))
    shown = fits + (["EXPR"] if operand else []) + [n for n in _CONTINUES if n in names and not (operand and n in _OPERAND)]
    shown += sorted(names - set(shown) - (_OPERAND if operand else set()))
    words = list(dict.fromkeys(
        "an expression" if n == "EXPR" else _TOKEN_NAMES.get(n, f"'{n.lower()}'" if n.isupper() else n) for n in shown))
    return ", ".join(words[:_SHOWN]) + (", ..." if len(words) > _SHOWN else "")


def _misspelt_keyword(tok, accepted: set[str], first_on_line: bool) -> tuple[str | None, bool]:
    """The keyword an unexpected word probably misspells, and whether that keyword fits where the word is. A
    word first on its line is also compared with statement keywords: `requrie` at the start of a line means
    `require` even where an unclosed bracket keeps a statement from starting yet."""
    word = str(tok.value)
    if tok.type not in ("NAME", "RULE_ID") or not re.fullmatch(r"[A-Za-z_]\w+", word):
        return None, False  # a real keyword out of place (`when` for `where`) is not a misspelling
    kw = _keywords()
    match = closest(word, [w for n in accepted for w in kw.get(n, ())])
    if match or not first_on_line:
        return match, match is not None
    return closest(word, [w for n in _STATEMENT for w in kw.get(n, ())]), False


def _quote_in_message(exc: UnexpectedToken, file: str) -> Diagnostic | None:
    """A quote inside a message's `{...}` that is the message's own quote ends the message there, and the
    rest of the line is read as code: `else "{default(a.b, "none")}"` fails at `none`. Name the real cause."""
    ip = getattr(exc, "interactive_parser", None)
    stack = ip.parser_state.value_stack if ip is not None else []
    if len(stack) < 2 or not isinstance(stack[-1], Token) or stack[-1].type != "STRING":
        return None
    string = stack[-1]
    is_message = (isinstance(stack[-2], Token) and stack[-2].type in ("ELSE", "LEVEL")) or (
        len(stack) >= 3 and isinstance(stack[-3], Token) and stack[-3].type == "ON")
    body = string.value[1:-1].replace("{{", "").replace("}}", "")
    if not is_message or body.count("{") <= body.count("}") or exc.token.line != string.end_line:
        return None
    quote = string.value[0]
    other = "single" if quote == '"' else "double"
    line, col = string.end_line, string.end_column - 1
    return Diagnostic("E100", A.Span(file, line, col, line, col + 1),
                      f"this quote ends the message string in the middle of '{{...}}'; inside a message's braces, "
                      f"write strings in {other} quotes")


def syntax_diagnostic(file: str, exc: UnexpectedInput, text: str = "") -> Diagnostic:
    line, col = max(exc.line, 1), max(exc.column, 1)
    if isinstance(exc, UnexpectedCharacters):
        msg = f"unexpected character {exc.char!r}"
        if exc.char in "\"'":
            msg = "unterminated string"
        elif exc.char in _CHAR_HINTS:
            msg += f"; did you mean '{_CHAR_HINTS[exc.char]}'?"
    elif isinstance(exc, UnexpectedEOF):
        msg = f"unexpected end of input; expected {_expected(_accepted(exc))}"
    else:
        assert isinstance(exc, UnexpectedToken)
        quoted = _quote_in_message(exc, file)
        if quoted is not None:
            return quoted
        accepted = _accepted(exc)
        tok = exc.token
        first = tok.type != "$END" and not text[: tok.start_pos].rpartition("\n")[2].strip()
        keyword, fits = _misspelt_keyword(tok, accepted, first)
        if tok.type == "EQUAL" and "CMP_OP" in accepted:
            keyword, fits = "==", True
        msg = f"unexpected {_describe(tok)}; "
        if fits:
            msg += f"did you mean '{keyword}'?"
        else:
            msg += f"expected {_expected(accepted, tok.type == '$END')}" + (f" (did you mean '{keyword}'?)" if keyword else "")
        if tok.type == "$END":
            line, col = tok.end_line or line, tok.end_column or col  # just after the last token
    return Diagnostic("E100", A.Span(file, line, col, line, col + 1), msg)
