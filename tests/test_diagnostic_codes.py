"""The diagnostic code table (argus.diagnostics.CODES) is the one registry of located-error codes: every code
the engine emits is registered, every registered code is emitted somewhere, no message carries a code in its
text (the code is the Diagnostic's own field), and each code keeps one meaning (its title), which
docs/language.md's table repeats and tests/cases/diagnostic_codes.yaml with tests/cases/input_errors.yaml show:
one input per code, and the line argus prints for it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from argus.diagnostics import CODES, Diagnostic, at

TESTS = Path(__file__).resolve().parent
ENGINE = TESTS.parent / "engine"
DOCS = TESTS.parent / "docs" / "language.md"
# a code as a string of its own (Diagnostic("E200", ...), self.err("E200", ...), code="E405") or written into a
# message as "...E403: ..." (which test_no_message_carries_a_code_in_its_text refuses)
EMITTED = re.compile(r"""["']([EW]\d{3})["']|\b([EW]\d{3}): """)
TABLE = yaml.safe_load((TESTS / "cases" / "diagnostic_codes.yaml").read_text(encoding="utf-8"))
INPUT_ERRORS = yaml.safe_load((TESTS / "cases" / "input_errors.yaml").read_text(encoding="utf-8"))
SNAPSHOT = ('{"resources": [{"id": "/s/x1", "name": "x1", "type": "microsoft.storage/storageaccounts", '
            '"kind": "StorageV2"}]}\n')


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
    line = "a" * 3000 + "XYZ" + "b" * 3000
    rendered = Diagnostic("E100", at("big.json", 1, 3001, 3), "here").render({"big.json": line})
    assert rendered == ("big.json:1:3001: E100: here\n"
                        "  ..." + "a" * 100 + "XYZ" + "b" * 97 + "...\n"
                        "  " + " " * 103 + "^~~")
    short = Diagnostic("E100", at("small.json", 1, 3, 2), "here").render({"small.json": "abcdef"})
    assert short == "small.json:1:3: E100: here\n  abcdef\n    ^~"


def test_no_message_carries_a_code_in_its_text():
    """A string in the engine (docstrings aside) never spells `E403: ...`: the code is the Diagnostic's field,
    and rendering puts it after the place."""
    found = []
    for path in ENGINE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body
                and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
        found += [f"{path.name}:{node.lineno}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
                  and re.search(r"\b[EW]\d{3}: ", node.value)]
    assert found == []


def test_every_code_has_one_case_between_the_two_tables():
    codes = list(TABLE) + [case["code"] for case in INPUT_ERRORS]
    assert sorted(codes) == sorted(CODES)  # each once: no code missing, none shown twice


def _matches(want: str, got: str) -> bool:
    return re.fullmatch(".*".join(re.escape(part) for part in want.split("...")), got) is not None


@pytest.mark.parametrize("code", list(TABLE))
def test_each_code_means_what_its_case_shows(code, argus, tmp_path, monkeypatch):
    case = TABLE[code]
    monkeypatch.chdir(tmp_path)
    for name, text in {"snapshot.json": SNAPSHOT, **case["files"]}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    _, out, err = argus(*case["argv"])
    said = [line for line in (out + err).splitlines() if re.search(rf"(^|: ){code}(: | )", line)]
    assert said and _matches(case["line"], said[0]), said
    assert "Traceback" not in err
