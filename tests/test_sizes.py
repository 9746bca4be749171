"""Hostile sizes cost linear work (issue 11, item 8): 20,000 waivers on 20,000 findings, messages with many `{...}`.

Nothing here is timed (the house rule: measure with `make bench`). Each test counts the work instead: how often a
subject id is case-folded or a glob is tried while waivers are applied, and how much text the parser hands to lark
for a message's placeholders. Before the fix both grew with the product of the sizes (47 s and over 20 s).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch

import pytest

from argus.language import parser, regex
from argus.policy import waivers
from argus.language.checker import check
from argus.diagnostics import DiagnosticError, at
from argus.language.parser import parse_file

TODAY = dt.date(2026, 11, 27)
N = 20_000
GROUPS = 100  # resource groups; each holds N / GROUPS findings


class CountedId(str):
    """A subject id that counts how often it is case-folded: every comparison of a waiver with it folds it."""

    folds = 0

    def casefold(self):
        CountedId.folds += 1
        return super().casefold()


def waiver(subject: str, rule: str = "R-1", entry: int = 1) -> waivers.Waiver:
    return waivers.Waiver(rule=rule, subject=subject, justification="accepted", owner="ops",
                          expires=dt.date(2099, 1, 1), source="w.yaml", entry=entry, line=entry)


def subject(i: int) -> str:
    return f"/subscriptions/s/resourceGroups/rg-{i % GROUPS}/providers/p/t/n{i}"


@pytest.fixture
def glob_tries(monkeypatch):
    tries = []
    real = regex.Regex.fullmatch
    monkeypatch.setattr(regex.Regex, "fullmatch", lambda self, text: tries.append(text) or real(self, text))
    return tries


def test_waivers_are_matched_through_an_index_not_pairwise(glob_tries):
    CountedId.folds = 0
    findings = [{"rule_id": "R-1", "status": "fail", "subject": {"id": CountedId(subject(i))}} for i in range(N)]
    findings.append({"rule_id": "R-2", "status": "warn", "subject": {"id": CountedId(subject(0))}})
    listed = [waiver(subject(i).upper(), entry=i + 1) for i in range(N)]  # one per finding, in another case
    listed += [waiver(f"/subscriptions/s/resourcegroups/rg-{g}/providers/p/t/*", entry=N + g + 1) for g in range(GROUPS)]
    listed += [waiver("/subscriptions/s/nothing", entry=N + GROUPS + 1), waiver("*", rule="R-2", entry=N + GROUPS + 2)]
    doc = {"findings": findings}
    waivers.apply(doc, listed, today=TODAY, known_rule_ids={"R-1", "R-2"})

    assert CountedId.folds == N + 1  # each subject id folded once, not once per waiver of its rule
    per_group = N // GROUPS
    # a glob is tried only on the findings under its literal prefix: its own resource group, not all N
    assert len(glob_tries) == GROUPS * per_group + 1
    states = [(w["state"], w["matched"]) for w in doc["waivers"]]
    assert states == [("active", 1)] * N + [("active", per_group)] * GROUPS + [("unused", 0), ("active", 1)]
    assert [f["waiver"]["source"] for f in findings[:N]] == [f"w.yaml:{i + 1}" for i in range(N)]  # first listed wins


SUBJECTS = ["/subscriptions/S/resourceGroups/RG-A/providers/Microsoft.Storage/storageAccounts/st01",
            "/subscriptions/s/resourcegroups/rg-a/providers/microsoft.storage/storageaccounts/st02",
            "/subscriptions/s/resourceGroups/rg-b/providers/Microsoft.Network/privateEndpoints/pe-[1]",
            "/subscriptions/s/resourceGroups/rg-b/providers/Microsoft.Network/privateEndpoints/pe-2"]


@pytest.mark.parametrize("pattern", [
    SUBJECTS[0].lower(), SUBJECTS[1].upper(), "*/st0?", "*", "/subscriptions/s/resourcegroups/rg-a/*",
    "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG-[AB]/*", "*/pe-[[]1]", "*/pe-[!1]", "/subscriptions/s/resourcegroups/rg-b/*/pe-[",
    "*/PE-[1]", "/subscriptions/s/resourcegroups/rg-c/*", "",
])
def test_index_matches_as_fnmatch_did(pattern):
    findings = [{"rule_id": "R-1", "status": "fail", "subject": {"id": s}} for s in SUBJECTS]
    doc = {"findings": findings}
    waivers.apply(doc, [waiver(pattern)], today=TODAY, known_rule_ids={"R-1"})
    expected = [fnmatch.fnmatchcase(s.casefold(), pattern.casefold()) for s in SUBJECTS]
    assert ["waiver" in f for f in findings] == expected
    assert doc["waivers"][0]["matched"] == sum(expected)


def test_a_glob_too_large_for_re2_names_the_waiver():
    doc = {"findings": [{"rule_id": "R-1", "status": "fail", "subject": {"id": "/a"}}]}
    placed = dataclasses.replace(waiver("*" + "x" * 20_000, entry=3), subject_at=at("w.yaml", 3, 14, 20_001))
    with pytest.raises(DiagnosticError) as caught:
        waivers.apply(doc, [placed], today=TODAY, known_rule_ids={"R-1"})
    assert str(caught.value) == f"w.yaml:3:14: E405: waiver 3: subject {'*' + 'x' * 79!r}: {regex.TOO_LARGE}"


# ---------------------------------------------------------------- message templates
def rule_with_message(message: str) -> str:
    return f'rule T-1 "t" {{\n  severity low\n  for r in resources\n  require r.name == "x" else "{message}"\n}}\n'


@pytest.fixture
def lexed(monkeypatch):
    """The texts the parser hands to lark for expressions (a whole-file parse is one more call)."""
    texts = []
    real = parser._run
    monkeypatch.setattr(parser, "_run", lambda file, text, start: texts.append(text) or real(file, text, start))
    return texts


def test_placeholders_are_lexed_once_each(lexed):
    n = parser.MAX_PLACEHOLDERS
    message = " ".join(f"{{r.tags.t{i}}}" for i in range(n))
    rule_file, diags = parse_file("t.argus", rule_with_message(message))
    assert diags == []
    expressions = lexed[1:]
    assert len(expressions) == n
    # each placeholder's own text, not the text padded out to its line and column: linear in the message
    assert sum(map(len, expressions)) == sum(len(f"r.tags.t{i}") for i in range(n))
    template = rule_file.items[0].body[2].message
    last = template.parts[-1]
    assert (last.span.line, last.span.col) == (4, 31 + len(message) - len(f"r.tags.t{n - 1}}}"))  # the body is at 4:31


def test_too_many_placeholders_is_a_located_e101(lexed):
    message = "{r.name} " * 50_000
    _, diags = parse_file("t.argus", rule_with_message(message))
    col = 31 + len("{r.name} ") * parser.MAX_PLACEHOLDERS  # the 1001st `{`
    assert [d.render() for d in diags] == [f"t.argus:4:{col}: E101: more than 1000 '{{...}}' in one message; "
                                           "write '{{' for a literal brace"]
    assert len(lexed) <= 2 * (parser.MAX_PLACEHOLDERS + 1)  # the whole file, then the rule on its own


@pytest.mark.parametrize("message, diagnostic", [
    # positions inside a message still point into the file, now that spans are moved instead of padded
    ('"a {r.nme} b"', "t.argus:4:34: E206: unknown column 'nme' for table resources (did you mean 'name'?)"),
    ('"{r.name} {r.name +} b"', "t.argus:4:49: E100: unexpected '}'; expected an expression"),
    ('""" first line\\n {r.name} and\n  {r.nme} """',
     "t.argus:5:4: E206: unknown column 'nme' for table resources (did you mean 'name'?)"),
])
def test_placeholder_diagnostics_are_located(message, diagnostic):
    text = f'rule T-1 "t" {{\n  severity low\n  for r in resources\n  require r.name == "x" else {message}\n}}\n'
    rule_file, diags = parse_file("t.argus", text)
    if not diags:
        _, diags = check([rule_file])
    assert [d.render() for d in diags] == [diagnostic]


def test_a_broken_file_is_cut_into_items_in_linear_work(lexed):
    rules = [rule_with_message("{r.name}").replace("T-1", f"T-{i}") for i in range(2000)]
    rules[1500] = rules[1500].replace("r.name ==", "r.name = =")
    text = "".join(rules)
    rule_file, diags = parse_file("t.argus", text)
    assert [d.render() for d in diags] == ["t.argus:7504:18: E100: unexpected '='; did you mean '=='?"]
    assert [(r.id, r.span.line) for r in rule_file.items[-2:]] == [("T-1998", 9991), ("T-1999", 9996)]
    # the whole file once, then each item once (not padded with the newlines before it), and each placeholder
    assert sum(map(len, lexed)) == 2 * len(text) + len("r.name") * 1999
