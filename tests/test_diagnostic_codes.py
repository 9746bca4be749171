"""The diagnostic code table (argus.diagnostics.CODES) is the one registry of located-error codes: every code
the engine emits is registered, every registered code is emitted somewhere, and each code keeps one meaning
(its title), which docs/language.md's table repeats."""

from __future__ import annotations

import re
from pathlib import Path

from argus.diagnostics import CODES

ENGINE = Path(__file__).resolve().parents[1] / "engine"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "language.md"
# a code as a string of its own (Diagnostic("E200", ...), self.err("E200", ...), code="E405") or written into a
# message as "...E403: ..." (the policy and waiver readers' text)
EMITTED = re.compile(r"""["']([EW]\d{3})["']|\b([EW]\d{3}): """)


def _emitted() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in ENGINE.rglob("*.py"):
        if path.name == "diagnostics.py":
            continue
        for m in EMITTED.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(m.group(1) or m.group(2), set()).add(path.name)
    return found


def test_every_emitted_code_is_registered():
    unknown = {code: sorted(files) for code, files in _emitted().items() if code not in CODES}
    assert unknown == {}


def test_every_registered_code_is_emitted():
    emitted = _emitted()
    assert [code for code in CODES if code not in emitted] == []


def test_each_code_has_one_title_and_the_docs_table_repeats_it():
    docs = DOCS.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([EW]\d{3})` \| ([^|]+) \|", docs, re.M))
    assert set(rows) == set(CODES)
    for code, title in CODES.items():
        assert rows[code].strip().startswith(title), (code, title, rows[code])
    assert len(set(CODES.values())) == len(CODES)  # no two codes share a meaning


def test_a_long_source_line_is_shown_around_the_column():
    """A minified JSON file is one line of megabytes: the caret line shows 100 characters either side."""
    from argus.diagnostics import Diagnostic, at
    line = "a" * 3000 + "XYZ" + "b" * 3000
    rendered = Diagnostic("E100", at("big.json", 1, 3001, 3), "here").render({"big.json": line})
    assert rendered == ("big.json:1:3001: E100: here\n"
                        "  ..." + "a" * 100 + "XYZ" + "b" * 97 + "...\n"
                        "  " + " " * 103 + "^~~")
    short = Diagnostic("E100", at("small.json", 1, 3, 2), "here").render({"small.json": "abcdef"})
    assert short == "small.json:1:3: E100: here\n  abcdef\n    ^~"
