"""Editor support: the TextMate grammar for `*.argus` files and the JSON Schema behind policies.yaml.

In: editors/argus.tmLanguage.json, editors/README.md, engine/language/grammar.lark, the rule pack, the rule examples of
docs/language.md and docs/tutorial.md, and the policies.yaml files that carry a schema modeline. Out: checks
that the grammar is well formed, that its regular expressions stay in the subset Python, Oniguruma (VS Code)
and PCRE (GitHub Linguist) share, and that a small TextMate tokenizer applying it gives each comment, keyword,
operator, string, message interpolation, number, rule id and built-in function the scope that lark's own parse
of the same file implies. The README's VS Code snippets and the modelines must point at real files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from argus.language.functions import FUNCTIONS
from argus.language.tables import KNOWN_TABLES

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR_FILE = ROOT / "editors" / "argus.tmLanguage.json"
README = ROOT / "editors" / "README.md"
SCHEMA = ROOT / "engine" / "schemas" / "policies.schema.json"
GRAMMAR = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
LARK_TEXT = (ROOT / "engine" / "language" / "grammar.lark").read_text(encoding="utf-8")


# ------------------------------------------------------------------ a small TextMate tokenizer
@dataclass
class Frame:
    patterns: list
    end: re.Pattern | None
    rule: dict | None
    scopes: tuple  # scopes of the text inside (the rule's name and contentName)
    outer: tuple  # scopes of the begin and end delimiters


def _regexes(node):
    for key in ("match", "begin", "end"):
        if key in node:
            yield key, node[key]
    for child in node.get("patterns", []):
        yield from _regexes(child)
    for child in node.get("repository", {}).values():
        yield from _regexes(child)


def expand(patterns: list, seen: frozenset = frozenset()) -> list:
    """Resolve `include`s (#name and $self) into one flat, ordered list of match and begin rules."""
    out = []
    for p in patterns:
        inc = p.get("include")
        if inc is None and "patterns" in p and "match" not in p and "begin" not in p:
            out += expand(p["patterns"], seen)
        elif inc is None:
            out.append(p)
        elif inc not in seen:
            target = GRAMMAR if inc == "$self" else GRAMMAR["repository"][inc.lstrip("#")]
            out += expand(target.get("patterns", [target]) if "begin" not in target and "match" not in target
                          else [target], seen | {inc})
    return out


def _paint(cells: list, m: re.Match, base: tuple, captures: dict | None) -> None:
    for i in range(m.start(), m.end()):
        cells[i] = base
    for group, spec in (captures or {}).items():
        g = int(group)
        if m.group(g) is not None and "name" in spec:
            for i in range(m.start(g), m.end(g)):
                cells[i] = base + (spec["name"],)


def tokenize(text: str) -> list[list[tuple]]:
    """Scopes of every character, per line, as vscode-textmate assigns them (earliest match wins, the end
    pattern before the patterns on a tie, then pattern order)."""
    root = Frame(expand(GRAMMAR["patterns"]), None, None, (GRAMMAR["scopeName"],), (GRAMMAR["scopeName"],))
    stack, result = [root], []
    for raw in text.split("\n"):
        line = raw + "\n"
        cells: list = [None] * len(line)
        pos = 0
        while pos < len(line):
            frame = stack[-1]
            best, kind = None, None
            if frame.end is not None:
                best, kind = frame.end.search(line, pos), "end"
            for rule in frame.patterns:
                m = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
                if m and (best is None or m.start() < best.start()):
                    best, kind = m, rule
            if best is None:
                cells[pos:] = [frame.scopes] * (len(line) - pos)
                break
            cells[pos:best.start()] = [frame.scopes] * (best.start() - pos)
            if kind == "end":
                _paint(cells, best, frame.outer, frame.rule.get("endCaptures", frame.rule.get("captures")))
                stack.pop()
            elif "match" in kind:
                assert best.end() > best.start(), f"pattern {kind['match']!r} matched nothing at {raw!r}:{pos}"
                _paint(cells, best, frame.scopes + ((kind["name"],) if "name" in kind else ()), kind.get("captures"))
            else:
                outer = frame.scopes + ((kind["name"],) if "name" in kind else ())
                _paint(cells, best, outer, kind.get("beginCaptures", kind.get("captures")))
                inner = outer + ((kind["contentName"],) if "contentName" in kind else ())
                stack.append(Frame(expand(kind.get("patterns", [])), re.compile(kind["end"]), kind, inner, outer))
            pos = max(best.end(), pos + (1 if best.end() == best.start() and kind != "end" else 0))
        result.append(cells[:-1])
    return result


# ------------------------------------------------------------------ what lark says the text is
_COMMENTS: list = []
# engine/language/grammar.lark as the engine reads it, but keeping every token (keywords too) and collecting comments.
LARK = Lark(LARK_TEXT, parser="lalr", keep_all_tokens=True, propagate_positions=True,
            lexer_callbacks={"COMMENT": _COMMENTS.append})


def parse(text: str) -> tuple[Tree, list]:
    _COMMENTS.clear()
    tree = LARK.parse(text)
    return tree, list(_COMMENTS)


def template_strings(tree: Tree) -> set[int]:
    """ids of the string tokens that are messages (`else "..."`, `otherwise ... "..."`), which interpolate."""
    out = set()
    for sub in tree.iter_subtrees():
        if sub.data in ("require_clause", "otherwise") and isinstance(sub.children[-1], Tree):
            out |= {id(t) for t in sub.children[-1].scan_values(lambda v: isinstance(v, Token))}
    return out


def expected_scope(tok: Token, next_tok: Token | None) -> str | None:
    """The scope prefix a token must carry, or None when the grammar may colour it freely."""
    kind = tok.type
    if kind in ("CMP_OP", "ADD_OP"):
        return "keyword.operator"
    if kind in ("TRUE", "FALSE", "NULL"):
        return "constant.language"
    if kind == "IT":
        return "variable.language"
    if kind in ("TEXT_KEY", "LEVEL", "QUANT") or (kind != "NAME" and kind == tok.value.upper()):
        return "keyword|storage"
    if kind == "NUMBER":
        return "constant.numeric"
    if kind == "RULE_ID":
        return "entity.name"
    if kind == "NAME" and tok.value in FUNCTIONS and next_tok is not None and next_tok.value == "(":
        return "support.function.builtin"
    return None


def has(scopes: tuple | None, prefix: str) -> bool:
    return scopes is not None and any(s.startswith(p) for s in scopes for p in prefix.split("|"))


def corpus() -> list[tuple[str, str]]:
    files = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted((ROOT / "rules").rglob("*.argus"))]
    fence = re.compile(r"^```argus[^\n]*\n(.*?)^```$", re.M | re.S)
    for doc in ("docs/language.md", "docs/tutorial.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        files += [(f"{doc}:{text.count(chr(10), 0, m.start()) + 1}", m.group(1)) for m in fence.finditer(text)]
    return files


def parseable(files):
    for name, text in files:
        try:
            parse(text)
        except UnexpectedInput:
            if name.startswith("rules/"):
                raise
            continue  # docs/language.md shows a file with syntax errors on purpose
        yield name, text


CORPUS = list(parseable(corpus()))


# ------------------------------------------------------------------ tests
def test_grammar_identity() -> None:
    assert GRAMMAR["scopeName"] == "source.argus"
    assert GRAMMAR["fileTypes"] == ["argus"]
    assert GRAMMAR["name"] == "argus"


# Syntax only some of Python, Oniguruma and PCRE know: named groups (either spelling), \\G and other anchors,
# \\h, possessive quantifiers, absent operators.
ENGINE_SPECIFIC = re.compile(r"\(\?P?<[A-Za-z]|\\[GhAZz]|[*+?}]\+|\(\?~")


def test_every_regex_compiles_and_stays_in_the_shared_subset() -> None:
    regexes = list(_regexes(GRAMMAR))
    assert len(regexes) > 30
    for key, rx in regexes:
        re.compile(rx)
        m = ENGINE_SPECIFIC.search(rx)
        assert not m, f"{key} {rx!r} uses {m.group()}, which not every regex engine has"


def test_the_whole_rule_pack_is_in_the_corpus() -> None:
    pack = {str(p.relative_to(ROOT)) for p in (ROOT / "rules").rglob("*.argus")}
    assert pack and pack <= {name for name, _ in CORPUS}


def test_includes_resolve() -> None:
    def includes(node):
        if isinstance(node, dict):
            if "include" in node:
                yield node["include"]
            for v in node.values():
                yield from includes(v)
        elif isinstance(node, list):
            for v in node:
                yield from includes(v)
    for inc in includes(GRAMMAR):
        assert inc == "$self" or inc.lstrip("#") in GRAMMAR["repository"], f"unresolved include {inc}"


def test_builtin_functions_and_tables_are_named_in_the_grammar() -> None:
    rules = expand(GRAMMAR["patterns"])
    def scope_of(word: str, suffix: str = "") -> str | None:
        text = word + suffix
        for r in rules:
            m = re.compile(r.get("match") or r["begin"]).match(text)
            if m and m.end() >= len(word):
                return r.get("name")
        return None
    for name in FUNCTIONS:
        assert scope_of(name, "(x)") == "support.function.builtin.argus", f"{name}() is not a built-in in the grammar"
    for table in KNOWN_TABLES:
        assert scope_of(table) == "support.variable.table.argus", f"table {table} is not in the grammar"


def lark_keywords() -> set[str]:
    words = {t.pattern.value for t in LARK.terminals if t.pattern.type == "str" and t.pattern.value.isalpha()}
    for t in LARK.terminals:
        if t.name in ("TEXT_KEY", "LEVEL", "QUANT", "CMP_OP"):
            words |= set(re.findall(r"!?[a-z]{2,}~?", t.pattern.value.replace("\\b", "").replace("\\~", "~")))
    return words


def test_the_corpus_uses_every_keyword_of_the_lark_grammar() -> None:
    seen = set()
    for _, text in CORPUS:
        tree, _ = parse(text)
        seen |= {t.value for t in tree.scan_values(lambda v: isinstance(v, Token))}
    missing = sorted(lark_keywords() - seen)
    assert not missing, f"no rule in the corpus uses {missing}, so the grammar test cannot vouch for them"


@pytest.mark.parametrize("name,text", CORPUS, ids=[n for n, _ in CORPUS])
def test_tokenizes_as_lark_parses(name: str, text: str) -> None:
    tree, comments = parse(text)
    cells = tokenize(text)
    tokens = sorted(tree.scan_values(lambda v: isinstance(v, Token)), key=lambda t: (t.line, t.column))
    templates = template_strings(tree)
    problems = []

    def at(line: int, col: int):
        return cells[line - 1][col - 1]

    def span(tok: Token):
        """(offset in the token, line, col) of every character that is not a line break."""
        line, col = tok.line, tok.column
        for offset, ch in enumerate(tok.value):
            if ch == "\n":
                line, col = line + 1, 1
                continue
            yield offset, line, col
            col += 1

    for i, tok in enumerate(tokens):
        want = expected_scope(tok, tokens[i + 1] if i + 1 < len(tokens) else None)
        if want and not has(at(tok.line, tok.column), want):
            problems.append(f"{tok.line}:{tok.column} {tok.value!r} ({tok.type}) is {at(tok.line, tok.column)}, wants {want}")
        if tok.type not in ("STRING", "LONG_STRING"):
            continue
        inner = {}  # offset -> the scope a message's braces and interpolations need (as argus.language.parser splits them)
        if id(tok) in templates:
            for m in re.finditer(r"\{\{|\}\}|\{[^}]*\}", tok.value):
                need = "constant.character.escape" if m.group() in ("{{", "}}") else "meta.interpolation"
                inner.update((k, need) for k in range(m.start(), m.end()))
        for offset, line, col in span(tok):
            need = "string." if offset not in inner else "string.|" + inner[offset]
            if not has(at(line, col), "string.") or (offset in inner and not has(at(line, col), inner[offset])):
                problems.append(f"{line}:{col} {tok.value[offset]!r} of {tok.value[:40]!r} is {at(line, col)}, wants {need}")
                break
    for c in comments:
        for _, line, col in span(c):
            if not has(at(line, col), "comment.line"):
                problems.append(f"{line}:{col} {c.value!r} is {at(line, col)}, wants comment.line")
                break
    assert not problems, f"{name}:\n" + "\n".join(problems[:20])


# ------------------------------------------------------------------ README snippets and schema modelines
def readme_blocks(lang: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{lang}[^\n]*\n(.*?)^```$", text, re.M | re.S)


def test_readme_package_json_contributes_this_grammar() -> None:
    manifests = [json.loads(b) for b in readme_blocks("json") if '"contributes"' in b]
    assert len(manifests) == 1, "editors/README.md should show exactly one VS Code package.json"
    contributes = manifests[0]["contributes"]
    (language,) = contributes["languages"]
    (grammar,) = contributes["grammars"]
    assert language["extensions"] == ["." + t for t in GRAMMAR["fileTypes"]]
    assert grammar["language"] == language["id"]
    assert grammar["scopeName"] == GRAMMAR["scopeName"]
    assert grammar["path"].endswith("/" + GRAMMAR_FILE.name)
    configs = [json.loads(b) for b in readme_blocks("json") if '"comments"' in b]
    assert configs and configs[0]["comments"]["lineComment"] in ("#", "//")


def test_readme_yaml_schemas_setting_points_at_the_schema() -> None:
    settings = [json.loads(b) for b in readme_blocks("json") if '"yaml.schemas"' in b]
    assert len(settings) == 1
    (path, globs), = settings[0]["yaml.schemas"].items()
    assert (ROOT / path).resolve() == SCHEMA.resolve()
    assert "policies.yaml" in " ".join(globs if isinstance(globs, list) else [globs])


MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


@pytest.mark.parametrize("path", ["policies.yaml", "docs/examples/tutorial/policies.yaml"])
def test_policies_modeline_points_at_the_schema_and_validates(path: str) -> None:
    file = ROOT / path
    first = file.read_text(encoding="utf-8").splitlines()[0]
    m = MODELINE.match(first)
    assert m, f"{path} should start with a yaml-language-server modeline"
    assert (file.parent / m.group(1)).resolve() == SCHEMA.resolve(), "the modeline path is relative to the YAML file"
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(doc)
    # The YAML language server validates with draft-07 semantics; the schema must mean the same there.
    jsonschema.Draft7Validator(schema).validate(doc)
    assert list(jsonschema.Draft7Validator(schema).iter_errors({"version": 1, "policies": {"p": {"rule": []}}}))
