"""Rule reference pages (docs/rules/) checked against the rule pack they describe.

In: the rules under rules/ (argus.language.loader.load_rules), the policy sets in policies.yaml, and the Markdown
pages docs/rules/<RULE-ID>.md plus the index docs/rules/README.md. Out: assertions that every loaded rule
has a page and every page a rule; that each page's title line, severity, policy sets and help link are the
rule's own; that its "Parameters it reads" list is exactly the parameters the rule reaches (directly,
through file-level lets, or through a parameter's default); that every example finding is a message one
of the rule's `else`/`otherwise` templates can render, with that template's outcome; and that the index
lists every rule with the same facts. Rule texts change; these tests say which page fell behind.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path

import pytest

from argus.language import ast as A
from argus.policy import policies
from argus.language.loader import load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
DOCS = ROOT / "docs" / "rules"
POLICIES = ROOT / "policies.yaml"
INDEX = DOCS / "README.md"
PAGE_NAME = re.compile(r"^[A-Z]+-[A-Z]+-\d+\.md$")
SECTIONS = ("What it checks", "Why", "How to fix", "Parameters it reads", "Example finding")
# "**fail** on `subject` ..." (the sentence may wrap), then the message in a ```text block.
EXAMPLE = re.compile(r"^\*\*(pass|fail|warn|skip|not_evaluated|error)\*\* on `[^`\n]*`[^\n]*\n"
                     r"(?:(?!```)[^\n]*\n)*?```text\n(.*?)\n```", re.M | re.S)
INDEX_ROW = re.compile(r"^\| \[([^\]]+)\]\(([^)]+)\) \| (.*) \| (\S+) \| (.*) \|$", re.M)


# ---- the rule pack --------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _load(paths: tuple[str, ...]):
    program, diags = load_rules(list(paths))
    errors = [d.render() for d in diags if d.severity == "error"]
    return program, errors


def pack():
    return _load((str(RULES),))


def rules() -> dict[str, A.Rule]:
    return {r.id: r for r in pack()[0].rules}


def meta(rule: A.Rule) -> dict:
    return {m.key: m.value for m in rule.body if isinstance(m, A.Meta)}


def templates(rule: A.Rule) -> list[tuple[str, A.Template]]:
    """(outcome, message template) for every message the rule can emit itself."""
    out = []
    for step in rule.body:
        if isinstance(step, A.Require) and step.message is not None:
            out.append((step.level, step.message))
        elif isinstance(step, A.For) and step.otherwise is not None:
            out.append((step.otherwise.level, step.otherwise.message))
    return out


def template_regex(template: A.Template) -> re.Pattern:
    # An interpolation can render anything, including "(none)" or "<missing>"; the text around it is fixed.
    return re.compile("".join(re.escape(p) if isinstance(p, str) else ".*?" for p in template.parts), re.S)


def _names(node, out: set[str]) -> set[str]:
    if isinstance(node, A.Name):
        out.add(node.name)
    elif isinstance(node, (tuple, list)):
        for item in node:
            _names(item, out)
    elif dataclasses.is_dataclass(node) and not isinstance(node, A.Span):
        for f in dataclasses.fields(node):
            _names(getattr(node, f.name), out)
    return out


def params_read(rule: A.Rule) -> set[str]:
    """Parameters a rule reaches: named in its body, in a file-level let it uses, or in such a parameter's default."""
    program = pack()[0]
    todo, seen, found = _names(rule.body, set()), set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in program.params:
            found.add(name)
            if program.params[name].default is not None:
                _names(program.params[name].default, todo)
        elif name in program.lets:
            _names(program.lets[name].value, todo)
    return found


@functools.lru_cache(maxsize=None)
def policy_sets() -> dict[str, list[str]]:
    """rule id -> the policies.yaml policies that run it, in file order."""
    names = list(policies.load_file(str(POLICIES)).data["policies"])
    member: dict[str, list[str]] = {}
    for name in names:
        policy = policies.load_policy(str(POLICIES), name)
        program, errors = _load(tuple(policy.rules))
        assert not errors, f"policy {name}: rules do not load:\n" + "\n".join(errors)
        selected, diags = policies.select_rules(policy, [r.id for r in program.rules])
        assert not diags, f"policy {name}: " + "; ".join(d.message for d in diags)
        for rid in selected:
            member.setdefault(rid, []).append(name)
    return member


# ---- the pages --------------------------------------------------------------------------------------

def page_files() -> list[str]:
    return sorted(p.name for p in DOCS.glob("*.md") if p.name != INDEX.name)


def read_page(rule_id: str) -> str:
    path = DOCS / f"{rule_id}.md"
    assert path.is_file(), f"no page {path.relative_to(ROOT)} for rule {rule_id}"
    return path.read_text(encoding="utf-8")


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def field(text: str, label: str) -> str:
    m = re.search(rf"^- \*\*{re.escape(label)}:\*\* (.+)$", text, re.M)
    assert m, f"no '- **{label}:** ...' line"
    return m.group(1).strip()


def backticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


RULE_IDS = sorted(rules())


def test_the_pack_loads_without_errors():
    program, errors = pack()
    assert not errors, "\n".join(errors)
    assert len(program.rules) == len(RULE_IDS) > 0


@pytest.mark.parametrize("name", page_files())
def test_every_page_is_a_loaded_rule(name):
    assert PAGE_NAME.match(name), f"docs/rules/{name}: not a <RULE-ID>.md page"
    assert name[:-3] in rules(), f"docs/rules/{name} describes no loaded rule (loaded: {', '.join(RULE_IDS)})"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_title_severity_and_policy_sets(rule_id):
    rule, text = rules()[rule_id], read_page(rule_id)
    assert text.splitlines()[0] == f"# {rule.id}: {rule.title}"
    assert field(text, "Severity") == meta(rule)["severity"]
    assert backticked(field(text, "Policy sets")) == policy_sets().get(rule_id, [])


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_page_has_every_section_and_links_the_help_url(rule_id):
    text = read_page(rule_id)
    found = sections(text)
    assert [s for s in found if s in SECTIONS] == list(SECTIONS), f"sections: {list(found)}"
    help_url = meta(rules()[rule_id])["help"]
    assert f"]({help_url})" in found["Why"], f"'Why' does not link {help_url}"


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_parameters_section_lists_exactly_what_the_rule_reads(rule_id):
    body = sections(read_page(rule_id))["Parameters it reads"]
    listed = re.findall(r"^- `([A-Za-z_][A-Za-z0-9_]*)`", body, re.M)
    assert len(listed) == len(set(listed)), f"listed twice: {listed}"
    assert set(listed) == params_read(rules()[rule_id])


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_example_findings_are_messages_the_rule_renders(rule_id):
    body = sections(read_page(rule_id))["Example finding"]
    examples = EXAMPLE.findall(body)
    assert examples, "no '**<status>** on `subject`' line followed by a ```text block"
    candidates = templates(rules()[rule_id])
    for status, message in examples:
        levels = {level for level, t in candidates if template_regex(t).fullmatch(message)}
        assert levels, f"no else/otherwise template of {rule_id} renders: {message}"
        assert status in levels, f"{message!r} is a {'/'.join(sorted(levels))} message, the page says {status}"


def test_index_lists_every_rule_with_its_facts():
    text = INDEX.read_text(encoding="utf-8")
    rows = {m[0]: m for m in INDEX_ROW.findall(text)}
    assert sorted(rows) == RULE_IDS
    for rule_id, (_, link, title, severity, sets) in rows.items():
        rule = rules()[rule_id]
        assert link == f"{rule_id}.md"
        assert title == rule.title, rule_id
        assert severity == meta(rule)["severity"], rule_id
        assert backticked(sets) == policy_sets().get(rule_id, []), rule_id
