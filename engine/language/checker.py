"""Checker: parsed rule files -> diagnostics and a Program the compiler can trust.

In: RuleFiles from the parser. Out: `Program` (params, data tables, file-level lets, rules, in one namespace
across all loaded files) and Diagnostics with stable codes: undefined names, functions and arity (from the
function table), literal regex/glob/JSONPath validity, rule metadata, duplicate ids, columns of known ARG
tables, literal parameter defaults of the wrong type, and warnings (id or GUID compared with `==`, type against
an upper-case literal, unused let or parameter, constant condition). What the warnings rest on (is a condition
constant, which words does unparsable text mention) lives in engine/language/static.py.
"""

from __future__ import annotations

from typing import Callable
from dataclasses import dataclass

from argus.language import ast as A
from argus.diagnostics import Diagnostic, did_you_mean
from argus.errors import UserError
from argus.language.functions import FUNCTIONS
from argus.model import SEVERITIES
from argus.language import regex
from argus.language.operators import OPERATORS
from argus.language.regex import RegexError
from argus.language.letchains import let_chain_errors
from argus.language.program import Program
from argus.language.tables import KNOWN_TABLES, TABLE_COLUMNS
from argus.language.static import constant, last_name, literal_kind, literal_source, lower_literal, never_empty, unparsed_words
from argus.language.values import type_name

# the scope entry of a `where`'s element (`it`, and the fields a bare name reads): no rule name holds a NUL
ROW_SCOPE = "\0row"
PARAM_TYPES = ("string", "number", "bool", "list")
GUID_COLUMNS = ("subscriptionId", "tenantId")



@dataclass
class _Sym:
    kind: str            # param | data | let | table | var
    node: object = None
    table: str | None = None   # element table for sets / rows, when known
    used: bool = False


def _no_data_files(rule_file: str, name: str):
    raise UserError(f"data file '{name}' not read: rule files with data declarations are loaded through "
                    "argus.language.loader")


class Checker:
    def __init__(self, read_data: Callable[[str, str], object] = _no_data_files):
        self.read_data = read_data  # (rule file, data path as written) -> the data; the loader does the reading
        self.diags: list[Diagnostic] = []
        self.program = Program()
        self.globals: dict[str, _Sym] = {}
        self._in_let: str | None = None  # the file-level let whose value is being checked
        self.let_deps: dict[str, list[str]] = {}  # file-level let -> the file-level lets its value names

    def err(self, code: str, span, message: str) -> None:
        self.diags.append(Diagnostic(code, span, message))

    # ---- entry
    def check(self, files: list[A.RuleFile]) -> Program:
        self.program.files = list(files)
        for name in KNOWN_TABLES:
            self.globals[name] = _Sym("table", table=name)
        for f in files:
            for item in f.items:
                self._declare(f, item)
        for f in files:
            for item in f.items:
                if isinstance(item, A.Param) and item.default is not None:
                    self.expr(item.default, [])
                    self._param_default(item)
                elif isinstance(item, A.Let):
                    sym = self.globals[item.name]
                    # a second definition of the name (E201) is still checked, but the name stays the first one's
                    self._in_let = item.name if sym.node is item else None
                    table = self.expr(item.value, [])
                    if sym.node is item:
                        sym.table = table
                    self._in_let = None
        self._let_chains()
        seen: dict[str, A.Rule] = {}
        for f in files:
            for item in f.items:
                if isinstance(item, A.Rule):
                    if item.id.casefold() in seen:
                        first = seen[item.id.casefold()].span
                        self.err("E202", item.id_span, f"duplicate rule id '{item.id}' (first defined at {first.file}:{first.line})")
                    seen[item.id.casefold()] = item
                    self.rule(item)
        mentioned = unparsed_words(files)
        for name, sym in self.globals.items():
            if sym.kind in ("let", "param") and not sym.used and name not in mentioned:
                code = "W501" if sym.kind == "let" else "W502"
                self.err(code, sym.node.span, f"{sym.kind} '{name}' is never used")
        return self.program

    def _let_chains(self) -> None:
        for name, message in let_chain_errors(self.let_deps, lambda n: self.globals[n].node.value):
            self.err("E207", self.globals[name].node.span, message)

    def _declare(self, f: A.RuleFile, item) -> None:
        if isinstance(item, A.Rule):
            self.program.rules.append(item)
            return
        name = item.name
        if name in self.globals:
            prev = self.globals[name]
            where = f" (first defined at {prev.node.span.file}:{prev.node.span.line})" if prev.node else " (a table name)"
            self.err("E201", item.span, f"'{name}' is already defined{where}")
            return
        if isinstance(item, A.Param):
            if item.type_name not in PARAM_TYPES:
                self.err("E208", item.type_span, f"unknown parameter type '{item.type_name}'{did_you_mean(item.type_name, PARAM_TYPES)}; use one of {', '.join(PARAM_TYPES)}")
            self.program.params[name] = item
            self.globals[name] = _Sym("param", item)
        elif isinstance(item, A.Let):
            self.program.lets[name] = item
            self.globals[name] = _Sym("let", item)
        elif isinstance(item, A.Data):
            self.globals[name] = _Sym("data", item, used=True)
            self.program.data[name] = self._load_data(f, item)

    def _param_default(self, item: A.Param) -> None:
        """A literal default of the wrong type is used as written (defaults are expressions, not converted
        like --param values), so `param n: number = "five"` would only fail at scan time; say so now."""
        default, want = item.default, item.type_name
        got = "list" if isinstance(default, A.ListExpr) else type_name(default.value) if isinstance(default, A.Literal) else None
        if got in (None, "null") or want not in PARAM_TYPES or got == want:
            return
        shown = "a list" if got == "list" else f"the {got} {literal_source(default)}"
        self.err("E205", default.span, f"parameter '{item.name}' ({want}): the default is {shown}, not a {want}")

    def _load_data(self, f: A.RuleFile, item: A.Data):
        try:
            return self.read_data(f.path, item.path)
        except UserError as exc:
            self.err("E402", item.path_span or item.span, str(exc))
        return None

    # ---- rules
    def rule(self, rule: A.Rule) -> None:
        metas: dict[str, A.Meta] = {}
        scopes: list[dict[str, _Sym]] = [{}]
        fors = [s for s in rule.body if isinstance(s, A.For)]
        if not fors:
            self.err("E401", rule.id_span, f"rule {rule.id} has no 'for NAME in SET' clause: say which resources it checks")
        elif len(fors) > 1:
            self.err("E401", fors[1].span, f"rule {rule.id} has more than one 'for' clause")
        if not any(isinstance(s, A.Require) for s in rule.body):
            self.err("E401", rule.id_span, f"rule {rule.id} has no 'require' clause, so it can never fail")
        for stmt in rule.body:
            if isinstance(stmt, A.Meta):
                self._meta(rule, stmt, metas)
            elif isinstance(stmt, A.For):
                table = self.expr(stmt.source, scopes)
                if stmt.otherwise:
                    if stmt.otherwise.subject is not None:
                        self.expr(stmt.otherwise.subject, scopes)
                    self.template(stmt.otherwise.message, scopes)
                scopes[0][stmt.var] = _Sym("var", stmt, table=table, used=True)
            elif isinstance(stmt, A.Let):
                if stmt.name in scopes[0] or stmt.name in self.globals:
                    self.err("E201", stmt.span, f"'{stmt.name}' is already defined")
                table = self.expr(stmt.value, scopes)
                scopes[0][stmt.name] = _Sym("let", stmt, table=table)
            elif isinstance(stmt, A.When):
                self._condition(stmt.cond, scopes, "the rule applies to every subject (or to none)")
            elif isinstance(stmt, A.Require):
                self._condition(stmt.cond, scopes, "the requirement can never fail (or never pass)")
                if stmt.level == "skip":
                    self.err("E406", stmt.span, "a require clause can end in 'fail' or 'warn', not 'skip' (use 'when' for applicability)")
                if stmt.message:
                    self.template(stmt.message, scopes)
        for name, sym in scopes[0].items():
            if sym.kind == "let" and not sym.used:
                self.err("W501", sym.node.span, f"let '{name}' is never used")
        if "severity" not in metas:
            self.err("E400", rule.id_span, f"rule {rule.id} has no severity (one of {', '.join(SEVERITIES)})")

    def _condition(self, cond, scopes, consequence: str) -> None:
        errors = sum(d.severity == "error" for d in self.diags)
        self.expr(cond, scopes)
        # a condition that already has an error (`lower(42) == "42"`) needs fixing anyway: no warning on top
        if constant(cond) and errors == sum(d.severity == "error" for d in self.diags):
            self.err("W505", cond.span, f"this condition is constant, so {consequence}")

    def _meta(self, rule: A.Rule, meta: A.Meta, seen: dict) -> None:
        if meta.key in seen:
            self.err("E400", meta.span, f"'{meta.key}' is given twice in rule {rule.id}")
        seen[meta.key] = meta
        if meta.key == "severity" and meta.value not in SEVERITIES:
            self.err("E400", meta.span, f"unknown severity '{meta.value}'{did_you_mean(meta.value, SEVERITIES)}; use one of {', '.join(SEVERITIES)}")

    def template(self, tpl: A.Template, scopes) -> None:
        for part in tpl.parts:
            if not isinstance(part, str):
                self.expr(part, scopes)

    # ---- expressions; returns the element table of a set/row when known
    def lookup(self, name: str, scopes) -> _Sym | None:
        for scope in scopes:
            if name in scope:
                return scope[name]
        return self.globals.get(name)

    def visible(self, scopes) -> list[str]:
        names = [n for s in scopes for n in s if not n.startswith("\0")]
        return names + [n for n, s in self.globals.items()]

    def expr(self, node, scopes) -> str | None:
        method = getattr(self, "_" + type(node).__name__)
        return method(node, scopes)

    def _Name(self, node: A.Name, scopes):
        sym = self.lookup(node.name, scopes)
        if sym is not None:
            sym.used = True
            if self._in_let is not None and sym.kind == "let" and self.globals.get(node.name) is sym:
                self.let_deps.setdefault(self._in_let, []).append(node.name)
            return sym.table
        row = self._row_scope(scopes)
        if row is not None:
            self._column(row, node.name, node.span, self.visible(scopes))
            return None
        others = [n for n in self.visible(scopes) + list(FUNCTIONS) if n != node.name]
        msg = f"undefined name '{node.name}'{did_you_mean(node.name, others)}"
        if node.name in FUNCTIONS:  # `for x in resource where ...`: the function, not the table, was named
            fn = FUNCTIONS[node.name]
            msg += f"; {node.name}() is a function: call it as {node.name}({', '.join(fn.params)}{', ...' if fn.variadic else ''})"
        self.err("E200", node.span, msg)
        return None

    def _row_scope(self, scopes):
        for scope in scopes:
            if ROW_SCOPE in scope:
                return scope[ROW_SCOPE]
        return None

    def _column(self, row: _Sym, column: str, span, names=()) -> None:
        cols = TABLE_COLUMNS.get(row.table or "")
        if cols and column not in cols:
            hint = did_you_mean(column, cols) or did_you_mean(column, [n for n in names if not n.startswith("\0")])
            self.err("E206", span, f"unknown column '{column}' for table {row.table}{hint}")

    def _It(self, node, scopes):
        row = self._row_scope(scopes)
        if row is None:
            self.err("E200", node.span, "'it' is only defined inside a 'where' filter")
            return None
        return row.table

    def _Literal(self, node, scopes):
        return None

    def _ListExpr(self, node, scopes):
        for item in node.items:
            self.expr(item, scopes)
        return None

    def _Attr(self, node: A.Attr, scopes):
        base = node.obj
        table = self.expr(base, scopes)
        if table and self._is_row(base, scopes):
            self._column(_Sym("row", table=table), node.name, node.span)
        return None

    def _is_row(self, node, scopes) -> bool:
        if isinstance(node, A.It):
            return True
        if isinstance(node, A.Name):
            sym = self.lookup(node.name, scopes)
            return sym is not None and sym.kind == "var"
        return isinstance(node, A.Call) and node.func in ("first", "only")

    def _Project(self, node, scopes):
        self.expr(node.obj, scopes)
        return None

    def _Index(self, node, scopes):
        self.expr(node.obj, scopes)
        self.expr(node.index, scopes)
        return None

    def _Call(self, node: A.Call, scopes):
        fn = FUNCTIONS.get(node.func)
        tables = [self.expr(a, scopes) for a in node.args]
        if fn is None:
            self.err("E300", node.span, f"unknown function '{node.func}'{did_you_mean(node.func, FUNCTIONS)}")
            return None
        lo, hi = fn.arity()
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            self.err("E301", node.span, f"{node.func}() takes {want} argument{'s' if (hi if hi is not None else lo) != 1 else ''}, got {n}")
            return None
        for pos in fn.literal:
            arg = node.args[pos]
            if not isinstance(arg, A.Literal) or not isinstance(arg.value, str):
                self.err("E306", arg.span, f"argument {pos + 1} of {node.func}() must be a string literal")
            elif fn.prepare is not None:
                try:
                    self.program.prepared[arg] = fn.prepare(arg.value)
                except ValueError as exc:
                    self.err("E304", arg.span, f"invalid {fn.literal_kind} {arg.value!r}: {exc}")
        for arg, kind in zip(node.args, fn.params + (fn.params[-1:] * n if fn.variadic else ())):
            if isinstance(arg, A.Literal) and kind not in ("any",) and type_name(arg.value) not in (kind, "null"):
                self.err("E302", arg.span, f"{node.func}() expects a {kind} here, got {type_name(arg.value)}")
        return tables[0] if node.func in ("first", "only", "distinct") and tables else None

    def _Quant(self, node: A.Quant, scopes):
        table = self.expr(node.source, scopes)
        if node.kind == "all" and not self._never_empty(node.source, scopes):
            self.err("W504", node.span, "all() over an empty set is true, so this passes when nothing is there; "
                     "use nonempty(..., \"what\") to make absence not_evaluated, or require count(...) > 0 first")
        self.expr(node.body, [{node.var: _Sym("var", node, table=table, used=True)}] + scopes)
        return None

    def _never_empty(self, node, scopes) -> bool:
        """Through lets, iteratively: a let may name itself (E207 reports that; this must not recurse on it)."""
        seen: set[str] = set()
        while isinstance(node, A.Name):
            sym = self.lookup(node.name, scopes)
            if sym is None or sym.kind != "let" or node.name in seen:
                return False
            seen.add(node.name)
            node = sym.node.value
        return never_empty(node)

    def _Where(self, node: A.Where, scopes):
        table = self.expr(node.source, scopes)
        self.expr(node.pred, [{ROW_SCOPE: _Sym("row", table=table)}] + scopes)
        return table

    def _Compare(self, node: A.Compare, scopes):
        self.expr(node.left, scopes)
        self.expr(node.right, scopes)
        op = OPERATORS[node.op]
        right = node.right
        if op.pattern and isinstance(right, A.Literal):
            if not isinstance(right.value, str):
                self.err("E307", right.span, f"'{node.op}' needs a string pattern, got {type_name(right.value)}")
            elif op.pattern == "regex":
                try:  # RE2 (engine/language/regex.py): refused syntax and the size budget are caught here, once
                    self.program.prepared[right] = regex.compile(right.value, op.ignore_case)
                except RegexError as exc:
                    self.err("E303", right.span, f"invalid regular expression {right.value!r}: {exc}")
            else:
                try:
                    self.program.prepared[right] = regex.compile_glob(right.value)
                except RegexError as exc:  # only a glob too large for RE2's budget
                    self.err("E303", right.span, f"invalid glob pattern {right.value!r}: {exc}")
        if op.family == "order":
            self._ordering(node)
        self._case_warnings(node)
        return None

    def _ordering(self, node: A.Compare) -> None:
        """Literal operands `<` cannot order (`true`, a number with a string) would fail every subject at scan time."""
        kinds = [k for k in (literal_kind(node.left), literal_kind(node.right)) if k is not None]
        odd = sorted(set(kinds) - {"number", "string"})
        if odd:
            self.err("E305", node.span, f"'{node.op}' compares numbers or strings, not {' or '.join(odd)}")
        elif len(kinds) == 2 and kinds[0] != kinds[1]:
            self.err("E305", node.span, f"'{node.op}' cannot compare {kinds[0]} with {kinds[1]}; it orders two numbers or two strings")

    def _case_warnings(self, node: A.Compare) -> None:
        if OPERATORS[node.op].family != "equality" or OPERATORS[node.op].ignore_case:
            return
        alt = "=~" if node.op == "==" else "!~"
        for side, other in ((node.left, node.right), (node.right, node.left)):
            last = last_name(side)
            if last in GUID_COLUMNS:
                # ARG writes these GUIDs in lower case, so `==` is exact against another such column or a
                # lower-case literal; against anything else (a parameter, an id segment) case can differ.
                if last_name(other) in GUID_COLUMNS or lower_literal(other):
                    continue
                self.err("W500", node.span, f"'{last}' is a GUID, which is case-insensitive; compare with '{alt}'")
                return
            if last == "id" or (last or "").endswith("Id"):
                self.err("W500", node.span, f"'{last}' is an Azure resource id, which is case-insensitive; compare with '{alt}'")
                return
            if last == "type" and isinstance(other, A.Literal) and isinstance(other.value, str) and not other.value.islower():
                self.err("W503", other.span, f"resource types are lower-case in snapshots, so this never matches; write {other.value.lower()!r} or use '=~'")
                return

    def _Arith(self, node, scopes):
        self.expr(node.left, scopes)
        self.expr(node.right, scopes)
        return None

    def _And(self, node, scopes):
        self.expr(node.left, scopes)
        self.expr(node.right, scopes)
        return None

    _Or = _And

    def _Not(self, node, scopes):
        self.expr(node.operand, scopes)
        return None


def check(files: list[A.RuleFile], read_data: Callable[[str, str], object] = _no_data_files
          ) -> tuple[Program, list[Diagnostic]]:
    """Parsed files -> the Program and its diagnostics. `read_data(rule file, path)` reads a `data` declaration's
    file (a UserError becomes E402): files are the loader's business, the checker only checks."""
    c = Checker(read_data)
    program = c.check(files)
    return program, c.diags
