"""Fuzzing rule text (issue 11): whatever a rule file holds, `argus check` and `argus scan` answer with a
documented exit code, never a traceback, and a scan that refuses its input leaves no report.

Generated: (1) rule files from a grammar-aware strategy: `param`, `data` and `let` declarations and rules with
metadata, `for ... in ... [otherwise ...]`, `let`, `when` and `require ... else ...` clauses; expressions over
random paths (`.field`, `[*]`, `[i]`, `["key"]`, `[expr]`), every comparison and arithmetic operator of the
grammar, `and`/`or`/`not`, `where` filters with `it`, every built-in function (arities right and wrong),
`any`/`all`/`none` quantifiers, list literals, nesting, and message templates with `{expr}` and `{{ }}`; names
are mostly in scope, sometimes not; required parts are sometimes left out or given twice. (2) raw mutations of
real rule files: the bundled pack's files (each prefixed with common.argus, whose lets they use) and every
`argus` example of the docs, with bytes inserted, deleted and duplicated (tests/fuzz_support.py).

Each file is run through `argus check FILE` and `argus scan --rules FILE --snapshot docs/examples/mini.json
--format json --output OUT`, in-process, asserting (tests/fuzz_support.py): no traceback and no internal error
(exit 3 is a bug), check exits 0 or 2 as its summary's error count says, scan exits 0, 1 or 2, exit 1 exactly
when a finding fails, exit 2 either with a report holding an `error` finding or with no report (and no stray
file) at all; a file `argus check` finds errors in is refused by `argus scan` too (exit 2, no report); and each
located diagnostic shows, under its `FILE:LINE:COL` head, that line of the file (lines as the parser counts them,
ending at "\n"). Inputs this test found failing are kept, minimised, as explicit examples.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, example, given, note, strategies as st

from argus.language.functions import FUNCTIONS
from fuzz_support import (FUZZ, MINI, PACK, REPO, assert_check_outcome, assert_excerpts_match, assert_scan_outcome,
                          mutated_bytes, run_cli, shown)

# ---- vocabulary: what the grammar and the snapshot offer, plus near misses

CMP_OPS = ["==", "!=", "=~", "!~", "<=", ">=", "<", ">", "in~", "!in~", "!in", "in",
           "startswith", "endswith", "!contains", "contains", "matches", "like"]
FIELDS = ["id", "name", "type", "kind", "location", "tags", "env", "owner", "properties", "sku", "tier",
          "subscriptionId", "resourceGroup", "subnets", "addressPrefix", "networkAcls", "ipRules", "value",
          "defaultAction", "minimumTlsVersion", "supportsHttpsTrafficOnly", "allowSharedKeyAccess",
          "privateEndpointConnections", "privateLinkServiceConnections", "privateLinkServiceId", "groupIds",
          "customDnsConfigs", "ipAddresses", "status", "x", "Name", "ID"]
TYPES = ["microsoft.storage/storageaccounts", "microsoft.network/virtualnetworks", "microsoft.network/privateendpoints",
         "microsoft.network/networkinterfaces", "microsoft.resources/subscriptions/resourcegroups",
         "Microsoft.Storage/storageAccounts", "microsoft.storage/storageaccount", ""]
TABLES = ["resources", "resourcecontainers", "dnsresources", "appliance"]
# Regular expressions for `matches`: ordinary, invalid and empty ones. Snapshot strings are at most ~110
# characters, so any of these finishes quickly (catastrophic patterns are a known-open item, not fuzzed here).
REGEXES = ["^st", "01$", ".*", "[a-z]+[0-9]*", "(data|logs)", "^/subscriptions/.*", "(?i)STDATA", "", "a{2,3}",
           "\\d+", "x|"]
BAD_REGEXES = ["(", "[", "*", "\\", "a{3,2}"]
JSONPATHS = ["$.a", "$..name", "$.properties.subnets[*].name", "$[0]", "[", "$.", "$..*", "a.b", ""]
SEVERITIES = ["critical", "high", "medium", "low", "info", "hight", "none"]
KEYWORDS = ["rule", "for", "in", "where", "let", "when", "require", "else", "otherwise", "on", "data", "param",
            "severity", "it", "not", "and", "or", "true", "false", "null", "any", "all", "none"]

names = st.one_of(st.sampled_from(["a", "b", "acct", "_x", "Name1", "vnet_2", "resources2"]),
                  st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True).filter(lambda n: n not in KEYWORDS))
rule_ids = st.one_of(st.sampled_from(["R-1", "R-2", "r-1", "NET_07", "contoso.storage.1", "A"]),
                     st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,3}([-_.][A-Za-z0-9]{1,3}){0,2}", fullmatch=True))
numbers = st.one_of(st.integers(-10, 100).map(str), st.sampled_from(["0", "-1", "2.5", "1" * 39, "0.000001"]),
                    st.floats(-1e6, 1e6).map(lambda f: f"{f:.3f}"))


def _leaves(value, prefix: str = ""):
    """(path, leaf value) of every scalar under `value`, spelled as a rule would read it (first list element)."""
    if isinstance(value, dict):
        for k, v in value.items():
            plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) and k not in KEYWORDS
            yield from _leaves(v, prefix + (f".{k}" if plain else f'["{k}"]'))
    elif isinstance(value, list):
        for v in value[:1]:
            yield from _leaves(v, prefix + "[0]")
    else:
        yield prefix, value


def _snapshot_paths() -> dict[tuple[str, str], list[tuple[str, object]]]:
    """(table, type) -> the leaf paths of its rows in mini.json: rules built on them pass and fail, instead of
    mostly reading nothing."""
    doc = json.loads(MINI.read_text(encoding="utf-8"))
    out: dict = {}
    for table, rows in doc.items():
        for row in rows if isinstance(rows, list) else ():
            out.setdefault((table, row["type"]), set()).update(_leaves(row))
    return {k: sorted(v, key=repr) for k, v in out.items()}


REAL = _snapshot_paths()

# Mostly the well-formed choice: a rule that is refused at the first error reaches no evaluator. (hypothesis
# favours the first element of sampled_from when it simplifies, so the usual case goes first.)
usually = st.sampled_from([True] * 19 + [False])
rarely = usually.map(lambda b: not b)


def quote(text: str, style: str) -> str:
    """A string literal of the grammar holding `text` (escapes for the quote, backslash and line ends)."""
    if style == '"""':
        return '"""' + text.replace('"', "'") + '"""'
    body = text.replace("\\", "\\\\").replace(style, "\\" + style).replace("\n", "\\n").replace("\r", "\\r")
    return style + body + style


def string_literal(style: str = '"'):
    return st.builds(quote, st.one_of(st.sampled_from(TYPES + FIELDS + REGEXES), st.text(max_size=12)),
                     st.just(style) if style != '"' else st.sampled_from(['"', "'", '"""']))


# Binding strength of the grammar's expression levels (engine/language/grammar.lark): an operand looser than its
# operator's operand level is put in parentheses, so generated text parses as the tree it was built as.
WHERE, OR, AND, NOT, CMP, ADD, POSTFIX = range(7)


def at_least(level: int, part: tuple[str, int]) -> str:
    text, got = part
    return text if got >= level else f"({text})"


@st.composite
def expr(draw, scope: tuple, depth: int, in_where: bool = False, sq: bool = False) -> tuple[str, int]:
    """(text, level): an expression over the names in `scope` (`it` too inside a where filter); `sq`: string
    literals in single quotes only (inside a template, whose own quotes are double)."""
    q = "'" if sq else '"'
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(atom(scope, in_where, string_literal(q))), POSTFIX
    kind = draw(st.sampled_from(["path", "path", "cmp", "cmp", "bool", "not", "arith", "call", "call", "quant",
                                 "where", "list", "regex"]))
    sub = lambda: expr(scope, depth - 1, in_where, sq)  # noqa: E731
    if kind == "path":
        return draw(path(scope, depth, in_where, sq)), POSTFIX
    if kind == "cmp":
        return f"{at_least(ADD, draw(sub()))} {draw(st.sampled_from(CMP_OPS))} {at_least(ADD, draw(sub()))}", CMP
    if kind == "regex":
        pattern = draw(st.sampled_from(REGEXES) if draw(usually) else st.sampled_from(BAD_REGEXES))
        return f"{at_least(ADD, draw(sub()))} matches {quote(pattern, q)}", CMP
    if kind == "bool":
        op, level = draw(st.sampled_from([("and", AND), ("or", OR)]))
        return f"{at_least(level, draw(sub()))} {op} {at_least(level + 1, draw(sub()))}", level
    if kind == "not":
        return f"not {at_least(NOT, draw(sub()))}", NOT
    if kind == "arith":
        return f"{at_least(ADD, draw(sub()))} {draw(st.sampled_from(['+', '-']))} {at_least(POSTFIX, draw(sub()))}", ADD
    if kind == "where":
        return f"{at_least(WHERE, draw(sub()))} where {at_least(OR, draw(expr(scope, depth - 1, True, sq)))}", WHERE
    if kind == "list":
        items = [at_least(WHERE, e) for e in draw(st.lists(sub(), max_size=3))]
        return "[" + ", ".join(items) + ("," if items and draw(st.booleans()) else "") + "]", POSTFIX
    if kind == "call":
        fn = draw(st.sampled_from(sorted(FUNCTIONS) + ["nosuchfn"]))
        spec = FUNCTIONS.get(fn)
        n = len(spec.params) if spec else 1
        n = n if draw(usually) else draw(st.sampled_from([max(0, n - 1), n + 1]))  # mostly the right arity
        args = []
        for i in range(n):
            if spec and i in spec.literal:  # table("...") and jsonpath(x, "...") take literals
                args.append(quote(draw(st.sampled_from(TABLES + JSONPATHS)), q))
            else:
                args.append(at_least(WHERE, draw(sub())))
        return f"{fn}({', '.join(args)})", POSTFIX
    var = f"q{depth}" if draw(usually) else draw(names)  # a quantifier
    body = draw(expr(scope + (var,), depth - 1, in_where, sq))
    return f"{draw(st.sampled_from(['any', 'all', 'none']))}({var} in {at_least(WHERE, draw(sub()))}: {at_least(WHERE, body)})", POSTFIX


def text_of(strategy):
    return strategy.map(lambda part: part[0])


@st.composite
def atom(draw, scope: tuple, in_where: bool, lit) -> str:
    if scope and draw(usually):  # mostly a declared name: an unknown one is E200 and stops everything
        return draw(st.sampled_from(scope))
    choices = [st.sampled_from(TABLES), lit, numbers, st.sampled_from(["true", "false", "null", "[]"])]
    if in_where:
        choices += [st.just("it"), st.sampled_from(FIELDS)]  # a bare field of the row being filtered
    if draw(rarely):
        choices += [names, st.just("it")]  # unknown names; `it` outside a where
    return draw(st.one_of(choices))


@st.composite
def path(draw, scope: tuple, depth: int, in_where: bool, sq: bool) -> str:
    base = draw(st.sampled_from((scope or ("resources",)) + (("it",) if in_where else ()) + tuple(TABLES)))
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        step = draw(st.sampled_from(["field", "field", "field", "star", "index", "key", "expr"]))
        if step == "field":
            steps.append("." + draw(st.one_of(st.sampled_from(FIELDS), names)))
        elif step == "star":
            steps.append("[*]")
        elif step == "index":
            steps.append(f"[{draw(st.sampled_from(['0', '1', '-1', '99', '1.5', 'true']))}]")
        elif step == "key":
            steps.append(f"[{quote(draw(st.sampled_from(FIELDS + ['a.b', ''])), chr(39) if sq else chr(34))}]")
        else:
            steps.append(f"[{at_least(WHERE, draw(expr(scope, depth - 1, in_where, sq)))}]")
    return base + "".join(steps)


@st.composite
def template(draw, scope: tuple):
    """A message: text, `{expr}` holes, `{{`/`}}` literal braces and now and then an unbalanced brace."""
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["hole", "text", "hole", "braces"]) if draw(usually) else st.just("stray"))
        if kind == "text":
            parts.append(draw(st.text(alphabet=st.characters(codec="utf-8", exclude_characters='"\\{}\n\r'), max_size=10)))
        elif kind == "hole":
            parts.append("{" + at_least(WHERE, draw(expr(scope, 2, sq=True))) + "}")
        elif kind == "braces":
            parts.append(draw(st.sampled_from(["{{", "}}", "{{x}}"])))
        else:
            parts.append(draw(st.sampled_from(["{", "}", "{}", "{ }"])))
    return '"' + "".join(parts) + '"'


@st.composite
def condition(draw, scope: tuple, var: str, real: list) -> str:
    """What `when` and `require` test: often a field of the subject against a value of its kind (so subjects
    pass and fail), or a comparison, a quantifier or a call; else any expression (most are no boolean: an error)."""
    kinds = ["real", "real", "real", "cmp", "cmp", "quant", "call", "expr"]
    kind = draw(st.sampled_from(kinds if real else kinds[3:]))
    if kind == "real":
        field, value = draw(st.sampled_from(real))
        if draw(st.booleans()):  # another value of the same kind
            value = draw({str: st.text(max_size=8), bool: st.booleans(), int: st.integers(-5, 5),
                          float: st.floats(-5, 5)}.get(type(value), st.none()))
        literal = quote(value, '"') if isinstance(value, str) else json.dumps(value)
        return f"{var}{field} {draw(st.sampled_from(CMP_OPS))} {literal}"
    if kind == "call":  # a boolean of a path of the subject
        field = draw(st.sampled_from([path for path, _ in real] or [".properties", ".tags", ".name"]))
        return draw(st.sampled_from([f"exists({var}{field})", f"count({var}{field}) > {draw(st.integers(0, 2))}",
                                     f"empty({var}{field})", f"default({var}{field}, true) == true"]))
    if kind == "cmp":
        left, right = draw(expr(scope, 2)), draw(expr(scope, 2))
        return f"{at_least(ADD, left)} {draw(st.sampled_from(CMP_OPS))} {at_least(ADD, right)}"
    if kind == "quant":
        body = draw(condition(scope + ("q",), "q", [])) if draw(st.booleans()) else draw(expr(scope + ("q",), 2))[0]
        source = draw(st.sampled_from([f"{var}.properties.subnets", f"{var}.tags", f"keys({var})", "resources"]) if draw(st.booleans()) else text_of(expr(scope, 2)))
        return f"{draw(st.sampled_from(['any', 'all', 'none']))}(q in {source if ' where ' not in source else f'({source})'}: {body if ' where ' not in body else f'({body})'})"
    return draw(expr(scope, 3))[0]


@st.composite
def rule_decl(draw, scope: tuple, n: int):
    rule_id = f"R-{n}" if draw(usually) else draw(rule_ids)  # the same id twice: E202
    lines = [f"rule {rule_id} {quote(draw(st.text(max_size=10)), chr(34))} {{"]
    if draw(usually):  # a severity; now and then none (E400)
        lines.append(f"  severity {draw(st.sampled_from(SEVERITIES[:5]) if draw(usually) else st.sampled_from(SEVERITIES))}")
    for key in draw(st.lists(st.sampled_from(["description", "remediation", "help", "tags", "severity"]), max_size=2, unique=True)):
        if key == "tags":
            lines.append("  tags " + ", ".join(quote(t, '"') for t in draw(st.lists(st.text(max_size=5), min_size=1, max_size=3))))
        elif key == "severity" and draw(rarely):  # given twice: E400
            lines.append(f"  severity {draw(st.sampled_from(SEVERITIES))}")
        elif key != "severity":
            lines.append(f"  {key} {draw(string_literal())}")
    var = "subject" if draw(usually) else draw(names)
    body_scope = scope + (var,)
    real = []  # (path, value) of the subjects' rows when they are rows of mini.json
    if draw(usually):  # one `for` (E401 without)
        if draw(st.booleans()):
            table, rtype = draw(st.sampled_from(sorted(REAL)))
            subjects, real = f'{table} where type == "{rtype}"', REAL[(table, rtype)]
        else:
            table = draw(st.sampled_from(TABLES))
            subjects = draw(st.one_of(
                st.sampled_from(TYPES).map(lambda t: f'{table} where type == {quote(t, chr(34))}'),
                st.just(table), text_of(expr(scope, 2)).map(lambda e: e if " where " not in e else f"({e})")))
        line = f"  for {var} in {subjects}"
        if draw(st.booleans()):
            line += f" otherwise {draw(st.sampled_from(['fail', 'warn', 'skip']))}"
            if draw(st.booleans()):
                line += f" on {at_least(WHERE, draw(expr(scope, 2)))}"
            line += f" {draw(template(scope))}"
        lines.append(line)
    clauses = draw(st.lists(st.sampled_from(["require", "let", "when", "require"]), max_size=4))
    if "require" not in clauses and draw(usually):  # one require at least (E401 without)
        clauses.append("require")
    for n, kind in enumerate(clauses):
        if kind == "let":
            name = f"x{n}" if draw(usually) else draw(names)
            lines.append(f"  let {name} = {draw(expr(body_scope, 3))[0]}")
            body_scope += (name,)
        elif kind == "when":
            lines.append(f"  when {draw(condition(body_scope, var, real))}")
        else:
            line = f"  require {draw(condition(body_scope, var, real))}"
            if draw(st.booleans()):
                level = draw(st.sampled_from(["", "fail ", "warn "]) if draw(usually) else st.just("skip "))
                line += f" else {level}{draw(template(body_scope))}"
            lines.append(line)
    lines.append("}")
    return "\n".join(lines)


@st.composite
def rule_file(draw):
    """Declarations in any order, then one to three rules; the names declared at file level are in scope."""
    scope: tuple = ()
    decls = []
    for n in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["let", "param", "data", "let"]))
        name = f"{kind}{n}" if draw(usually) or not scope else draw(st.sampled_from(scope))  # redefined: E201
        if kind == "param":
            ptype = draw(st.sampled_from(["string", "number", "bool", "list"]) if draw(usually) else st.just("object"))
            default = f" = {draw(expr(scope, 2))[0]}" if draw(usually) else ""  # without a default: E204 in scan
            decls.append(f"param {name}: {ptype}{default}")
        elif kind == "data":
            source = draw(st.just("data.yaml") if draw(usually) else st.sampled_from(["missing.yaml", "data/bgp-communities.yaml", "", "."]))
            decls.append(f"data {name} from {quote(source, chr(34))}")
        else:
            self_ref = draw(rarely)  # a let that names itself: E207
            decls.append(f"let {name} = {draw(expr(scope + (name,) if self_ref else scope, 3))[0]}")
        scope += (name,)
    rules = [draw(rule_decl(scope, n)) for n in range(draw(st.integers(1, 3)))]
    items = decls + rules
    return "\n".join(draw(st.permutations(items)) if draw(st.booleans()) else items) + "\n"


# ---- running one rule file

DATA_YAML = "regions:\n  westeurope: {code: weu}\nskus: [Standard_LRS, Standard_ZRS]\nn: 3\n"


@pytest.fixture(scope="module")
def workdir():
    base = Path(tempfile.mkdtemp(prefix="argus-fuzz-rules-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


def check_and_scan(base: Path, data: bytes, what: str) -> None:
    """Write `data` as FILE beside a data file and the pack's data folder, then `argus check FILE` and `argus scan
    --rules FILE`; assert both outcomes and that check's errors stop the scan."""
    case = Path(tempfile.mkdtemp(dir=base))
    try:
        rules = case / "rules.argus"
        rules.write_bytes(data)
        (case / "data.yaml").write_text(DATA_YAML, encoding="utf-8")
        (case / "data").symlink_to(PACK / "data")  # read by the pack's `data ... from "data/..."` lines
        out_dir = case / "out"
        out_dir.mkdir()
        report = out_dir / "report.json"
        checked = run_cli(["check", rules], case)
        errors = assert_check_outcome(checked, what)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # refused as a whole (asserted above); there are no lines to compare
        if text is not None:
            assert_excerpts_match(checked[2], rules, text)
        result = run_cli(["scan", "--rules", rules, "--snapshot", MINI, "--format", "json", "--output", report], case)
        assert_scan_outcome(result, report, what)
        event(f"check errors: {errors > 0}, scan exit {result[0]}{' (report)' if report.exists() else ''}")
        if errors > 0:
            assert result[0] == 2 and not report.exists(), (
                f"argus check found {errors} errors but argus scan ran (exit {result[0]})\n{result[2][-2000:]}\n{what}")
    finally:
        shutil.rmtree(case, ignore_errors=True)


# Minimal inputs of failures this test found, kept as explicit examples: they run first, every time, and while
# one fails the test stops there (no minutes of shrinking a known failure again).
SELF_CYCLE_UNDER_ALL = "let l = l\nlet m = all(q in l: true)\n"        # was a RecursionError, exit 3 (fixed: 1a7dca6)
LINE_BREAK_IN_STRING = ('rule R-0 "\x1e" {\n  severity critical\n'     # the W505 excerpt showed line 3 (fixed: af13f01)
                        '  for subject in resources where type == "microsoft.storage/storageaccounts"\n'
                        '  require subject == subject\n}\n')


@FUZZ(150)
@example(text=SELF_CYCLE_UNDER_ALL)
@example(text=LINE_BREAK_IN_STRING)
@given(text=rule_file())
def test_generated_rule_files(workdir, text):
    note(text)
    check_and_scan(workdir, text.encode("utf-8"), shown(text))


def _corpus() -> list[tuple[str, bytes]]:
    """The pack's rule files (each after common.argus, which declares the lets and parameters they use) and the
    `argus` blocks of the docs."""
    common = (PACK / "common.argus").read_bytes()
    out = [("common.argus", common)]
    out += [(p.name, common + b"\n" + p.read_bytes()) for p in sorted(PACK.glob("*.argus")) if p.name != "common.argus"]
    for doc in sorted((REPO / "docs").glob("*.md")):
        for n, block in enumerate(re.findall(r"```argus[^\n]*\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)):
            out.append((f"{doc.name}#{n}", block.encode("utf-8")))
    return out


CORPUS = _corpus()


def test_the_mutation_corpus_is_the_real_files():
    """The mutation test below starts from the pack and the docs' examples, so they must be found."""
    names = [n for n, _ in CORPUS]
    assert {"common.argus", "appliance.argus", "private-peering.argus", "microsoft-peering.argus"} <= set(names)
    assert sum(n.startswith("language.md#") for n in names) >= 40


@FUZZ(100)
@given(mutation=mutated_bytes(CORPUS))
def test_mutated_real_rule_files(workdir, mutation):
    name, data = mutation
    text = data.decode("utf-8", "backslashreplace")
    note(f"{name}:\n{text}")
    check_and_scan(workdir, data, f"mutated {name}:\n{shown(text)}")
