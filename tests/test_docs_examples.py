"""The rule-language docs run: every example in docs/language.md and docs/tutorial.md goes through the engine.

In: the fenced blocks of the two documents. Out: one test per language.md example, one end-to-end test for the
tutorial, and coverage checks that fail when a function, operator, keyword or diagnostic code exists in the
engine without being documented (and exercised) in docs/language.md.

Block convention (the info string after the opening fence; GitHub renders by its first word only):
- ```argus [file=NAME]      a rule file (default name example.argus)
- ```json snapshot          the snapshot the example scans (default: docs/examples/mini.json)
- ```LANG file=NAME         any other file the example needs (data tables, policies.yaml, fixtures)
- ```yaml params            parameter values for the next ```yaml expect block
- ```yaml expect [now=TS]   the findings of scanning every rule file against the snapshot, in order, exactly:
                            a YAML list of {rule, status, subject (the subject id), message}; `rule` may be left
                            out when the example has one rule. An example must not raise checker warnings.
                            `now=` fixes the clock now() and days_since() read, as `argus scan --now TS` does.
- ```console                `$ argus ...` commands and their output (stdout and stderr as a terminal shows
                            them); a line `...` stands for any run of lines; `$ echo $?` prints the exit code.
Other blocks (```text, ```sh, plain ```json ...) are prose. In language.md each example starts afresh at the
first file block after an outcome block; the tutorial is one story in a copy of docs/examples/tutorial/, and
each file it shows must, in its final version, equal that file on disk.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path

import pytest
import yaml

from argus.language import ast as A
from argus.commands import cli
from argus.evaluation import clock
from argus.snapshots import snapshot
from argus.diagnostics import CODES
from argus.language.functions import FUNCTIONS
from argus.language.operators import OPERATORS
from argus.language.grammar import lalr as _lark
from argus.language.parser import parse_file
from argus.evaluation.session import prepare

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = ROOT / "docs" / "language.md"
TUTORIAL = ROOT / "docs" / "tutorial.md"
EXAMPLES = ROOT / "docs" / "examples"
MINI = EXAMPLES / "mini.json"
TUTORIAL_DIR = EXAMPLES / "tutorial"
FENCE = re.compile(r"^(```+|~~~+)\s*(.*)$")
MARKERS = {"snapshot", "params", "expect"}


# ------------------------------------------------------------------ reading the documents
@dataclass
class Block:
    lang: str
    marks: set
    attrs: dict
    text: str
    line: int  # line of the opening fence

    @property
    def where(self) -> str:
        return f"line {self.line}"

    @property
    def is_file(self) -> bool:
        return self.lang == "argus" or "snapshot" in self.marks or "file" in self.attrs

    @property
    def is_outcome(self) -> bool:
        return self.lang == "console" or "expect" in self.marks

    @property
    def live(self) -> bool:
        return self.lang in ("argus", "console") or bool(self.marks or self.attrs)


def read_blocks(path: Path) -> list[Block]:
    blocks, lines, i = [], path.read_text(encoding="utf-8").splitlines(), 0
    while i < len(lines):
        if lines[i].lstrip().startswith(("```", "~~~")) and not FENCE.match(lines[i]):
            raise AssertionError(f"{path.name}:{i + 1}: indented fence; examples must start at column 0")
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        words = m.group(2).split()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == m.group(1)), None)
        assert end is not None, f"{path.name}:{i + 1}: unclosed code fence"
        attrs = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        marks = {w for w in words[1:] if "=" not in w}
        unknown = marks - MARKERS | (set(attrs) - {"file", "now"})
        assert not unknown, f"{path.name}:{i + 1}: unknown block marker(s) {sorted(unknown)}"
        blocks.append(Block(words[0] if words else "", marks, attrs, "\n".join(lines[i + 1:end]) + "\n", i + 1))
        i = end + 1
    return blocks


def file_name(block: Block) -> str:
    if "file" in block.attrs:
        return block.attrs["file"]
    return "snapshot.json" if "snapshot" in block.marks else "example.argus"


@dataclass
class Example:
    doc: str
    line: int
    steps: list = field(default_factory=list)  # blocks in order

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def language_examples() -> list[Example]:
    """Cut language.md into independent examples: a new one starts at a file block that follows an outcome."""
    examples: list[Example] = []
    current, had_outcome = None, False
    for block in (b for b in read_blocks(LANGUAGE) if b.live):
        if current is None or (block.is_file and had_outcome):
            current, had_outcome = Example(LANGUAGE.name, block.line), False
            examples.append(current)
        current.steps.append(block)
        had_outcome = had_outcome or block.is_outcome
    dangling = [e.id for e in examples if not any(b.is_outcome for b in e.steps)]
    assert not dangling, f"examples without an expect or console block: {dangling}"
    return examples


# ------------------------------------------------------------------ running examples
def findings_of(ws: Path, params: dict, now: str | None = None) -> list[dict]:
    """What `argus scan --rules <files> --snapshot snapshot.json [--now NOW]` finds, as the expect blocks write it."""
    rule_files = sorted(str(p.relative_to(ws)) for p in ws.rglob("*.argus"))
    session = prepare(rule_files, None, dict(params))
    session.now = clock.parse(now, "now=") if now is not None else None
    warnings = [d.render(session.sources) for d in session.diagnostics]
    assert not warnings, "the example raises checker warnings:\n" + "\n".join(warnings)
    rules = {r.node.id for r in session.rules}
    out = []
    for f in session.evaluate(snapshot.load(["snapshot.json"])):
        item = {"rule": f.rule.id, "status": f.status, "subject": f.subject.id, "message": f.message}
        if len(rules) == 1:
            del item["rule"]
        out.append(item)
    return out


def run_argus(argv: list[str]) -> tuple[str, int]:
    """One `argus` command in-process, stdout and stderr interleaved as a terminal shows them."""
    # argus.commands.testcmd binds sys.stdout as a default argument at import time; import it afresh under the redirect.
    sys.modules.pop("argus.commands.testcmd", None)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        rc = cli.main(argv)
    return buf.getvalue(), rc


def transcript(text: str) -> list[tuple[str, list[str]]]:
    steps: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"console output before any `$ ` command: {line!r}"
            steps[-1][1].append(line.rstrip())
    return steps


def line_matches(want: str, got: str) -> bool:
    """Exact, except that `...` inside a line matches any text (a timestamp, a version)."""
    return re.fullmatch(".*".join(re.escape(part) for part in want.split("...")), got) is not None


def lines_match(want: list[str], got: list[str]) -> bool:
    """Line by line; a line that is just `...` matches any run of lines (as doctest's ELLIPSIS)."""
    if not want:
        return not got
    if want[0] == "...":
        return any(lines_match(want[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and line_matches(want[0], got[0]) and lines_match(want[1:], got[1:])


def run_console(block: Block) -> None:
    rc = None
    for command, want in transcript(block.text):
        if command == "echo $?":
            got = [str(rc)]
        else:
            argv = shlex.split(command)
            assert argv[0] == "argus", f"{block.where}: console blocks run argus only (use ```sh for {argv[0]})"
            text, rc = run_argus(argv[1:])
            got = [ln.rstrip() for ln in text.splitlines()]
        assert lines_match(want, got), (
            f"{block.where}: `{command}` printed:\n" + "\n".join(got) + "\n--- the document says:\n" + "\n".join(want))


def load_yaml(block: Block):
    try:
        return yaml.safe_load(block.text)
    except yaml.YAMLError as exc:
        pytest.fail(f"{block.where}: the block is not valid YAML (quote messages that contain ': '): {exc}")


def run_steps(steps: list[Block], ws: Path) -> None:
    params: dict = {}
    for block in steps:
        if block.is_file:
            target = ws / file_name(block)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
        elif "params" in block.marks:
            params = load_yaml(block) or {}
        elif "expect" in block.marks:
            want = load_yaml(block) or []
            got = findings_of(ws, params, block.attrs.get("now"))
            assert got == want, f"{block.where}: findings differ\n--- the engine found:\n" + yaml.safe_dump(
                got, sort_keys=False, allow_unicode=True, width=200)
            params = {}
        elif block.lang == "console":
            run_console(block)


@pytest.fixture
def no_color(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.parametrize("example", language_examples(), ids=lambda e: e.id)
def test_language_example(example: Example, tmp_path: Path, monkeypatch, no_color) -> None:
    shutil.copy(MINI, tmp_path / "snapshot.json")
    monkeypatch.chdir(tmp_path)
    run_steps(example.steps, tmp_path)


def test_tutorial_runs_end_to_end(tmp_path: Path, monkeypatch, no_color) -> None:
    blocks = [b for b in read_blocks(TUTORIAL) if b.live]
    ws = tmp_path / "tutorial"
    shutil.copytree(TUTORIAL_DIR, ws)
    for name in {file_name(b) for b in blocks if b.is_file}:
        (ws / name).unlink()  # the reader writes these along the way; only the rest (the snapshot) is given
    monkeypatch.chdir(ws)
    assert any(b.lang == "console" for b in blocks) and any(b.lang == "argus" for b in blocks)
    run_steps(blocks, ws)
    final = {file_name(b): b.text for b in blocks if b.is_file}
    for name, text in final.items():
        on_disk = (TUTORIAL_DIR / name).read_text(encoding="utf-8")
        assert text == on_disk, f"docs/tutorial.md shows {name} differently from docs/examples/tutorial/{name}"


def _within(part, whole) -> bool:
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _within(v, whole[k]) for k, v in part.items())
    return part == whole


def test_tutorial_row_excerpts_come_from_its_snapshot() -> None:
    rows = {r["id"]: r for r in json.loads((TUTORIAL_DIR / "snapshot.json").read_text(encoding="utf-8"))["data"]}
    excerpts = [json.loads(b.text) for b in read_blocks(TUTORIAL) if b.lang == "json" and not b.live]
    assert excerpts, "the tutorial shows a snapshot row"
    for row in excerpts:
        assert _within(row, rows.get(row["id"])), f"the tutorial's excerpt of {row['id']} is not in its snapshot"


# ------------------------------------------------------------------ coverage: nothing undocumented
def _nodes(node):
    if isinstance(node, (tuple, list)):
        for item in node:
            yield from _nodes(item)
    elif is_dataclass(node) and not isinstance(node, A.Span):
        yield node
        for f in fields(node):
            yield from _nodes(getattr(node, f.name))


def example_sources() -> list[str]:
    return [b.text for doc in (LANGUAGE, TUTORIAL) for b in read_blocks(doc) if b.lang == "argus"]


def example_nodes() -> list:
    out = []
    for n, text in enumerate(example_sources()):
        rule_file, diags = parse_file(f"example{n}.argus", text)
        if not any(d.code == "E100" or d.code == "E101" for d in diags):
            out.extend(_nodes(rule_file.items))
    return out


def language_text() -> str:
    return LANGUAGE.read_text(encoding="utf-8")


def test_every_function_is_documented_and_exercised() -> None:
    text = language_text().replace("\\<", "<").replace("\\*", "*").replace("\\_", "_")
    called = {n.func for n in example_nodes() if isinstance(n, A.Call)}
    for name, fn in FUNCTIONS.items():
        assert re.search(rf"^\| `{name}\(", text, re.M), f"FUNCTIONS['{name}'] has no row in docs/language.md"
        assert fn.doc in text, f"docs/language.md does not carry the doc string of {name}(): {fn.doc!r}"
        assert name in called, f"no runnable example in the docs calls {name}()"


def test_every_operator_is_documented_and_exercised() -> None:
    text = language_text()
    used = {n.op for n in example_nodes() if isinstance(n, (A.Compare, A.Arith))}
    for token, op in OPERATORS.items():
        assert f"| `{token}` |" in text, f"OPERATORS['{token}'] has no row in docs/language.md"
        assert token in used, f"no runnable example in the docs uses the operator {token}"
    assert {"+", "-"} <= used, "no runnable example uses + and -"


def lark_keywords() -> set[str]:
    words = set()
    for t in _lark().terminals:
        if t.pattern.type == "str" and t.pattern.value.isalpha():
            words.add(t.pattern.value)
        elif t.name in ("TEXT_KEY", "LEVEL", "QUANT", "CMP_OP"):
            words |= set(re.findall(r"!?[a-z]{2,}", t.pattern.value.replace("\\b", "")))
    return words


def test_every_keyword_appears_in_a_runnable_example() -> None:
    seen = set()
    for text in example_sources():
        seen |= set(re.findall(r"!?[A-Za-z_]+", re.sub(r"#[^\n]*|//[^\n]*", "", text)))
    missing = sorted(lark_keywords() - seen)
    assert not missing, f"grammar keywords no runnable example in the docs uses: {missing}"


def console_outputs() -> str:
    return "\n".join(b.text for doc in (LANGUAGE, TUTORIAL) for b in read_blocks(doc) if b.lang == "console")


def test_every_diagnostic_code_is_documented_with_a_real_message() -> None:
    text, outputs = language_text(), console_outputs()
    engine_src = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "engine").rglob("*.py")
                           if p.name != "diagnostics.py")
    for code, meaning in CODES.items():
        row = re.search(rf"^\| `{code}` \| ([^|]+) \| (.+) \|$", text, re.M)
        assert row, f"diagnostic {code} has no row `| `{code}` | meaning | example |` in docs/language.md"
        assert row.group(1).strip().startswith(meaning), f"{code}: the meaning column should start with {meaning!r}"
        example = row.group(2).strip()
        if example == "reserved: not reported yet":
            assert f'"{code}"' not in engine_src, f"{code} is reported by the engine now: document a real message"
            continue
        m = re.fullmatch(r"`(.+)`", example)
        assert m, f"{code}: the example column should be a code span with the message"
        # `file:line:col: CODE: message` from check, or `warning: CODE message` in scan's text report
        assert f"{code}: {m.group(1)}" in outputs or f"{code} {m.group(1)}" in outputs, \
            f"{code}: the example message is not the output of any console block"


def sections(path: Path) -> list[tuple[int, str, str]]:
    """(level, heading, body) for every ## and ### heading outside code fences."""
    out, in_fence = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        m = None if in_fence else re.match(r"^(#{2,3}) (.+)$", line)
        if m:
            out.append((len(m.group(1)), m.group(2), ""))
        elif out:
            level, head, body = out[-1]
            out[-1] = (level, head, body + line + "\n")
    return out


# The one section that explains the page rather than a construct.
NO_EXAMPLE_NEEDED = {"How to read this document"}


def test_every_construct_section_has_a_runnable_example() -> None:
    secs = sections(LANGUAGE)
    missing = []
    for i, (level, head, body) in enumerate(secs):
        has_children = i + 1 < len(secs) and secs[i + 1][0] > level
        if has_children or head in NO_EXAMPLE_NEEDED:
            continue
        if not re.search(r"^```(console|yaml expect)", body, re.M):
            missing.append(head)
    assert not missing, f"sections of docs/language.md without a runnable example: {missing}"


def test_mini_snapshot_holds_what_the_page_says() -> None:
    snap = snapshot.load([str(MINI)])
    names = {t: [r["name"] for r in rows] for t, rows in snap.tables.items()}
    assert names == {
        "resourcecontainers": ["contoso-app", "rg-data", "rg-net"],
        "resources": ["stdata01", "stlogs01", "starchive01", "vnet-hub", "pe-stdata01-blob", "pe-stdata01-blob.nic.0b6e"],
    }
    text = language_text()
    for name in names["resources"]:
        assert f"`{name}`" in text, f"docs/language.md does not describe {name} of mini.json"
