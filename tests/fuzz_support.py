"""Shared pieces of the property-based fuzz suites (tests/test_fuzz_*.py, issue 11).

- `FUZZ(n)`: the hypothesis settings every fuzz test uses: `n` examples, derandomized (the same examples on
  every run, so CI time and outcomes are stable), no deadline (a scan's time varies with the machine's load),
  no example database (nothing is written into the checkout), and no shrinking unless ARGUS_FUZZ_SHRINK=1:
  shrinking a failing scan takes hypothesis up to five minutes per test, which CI cannot spend; a failure shows
  the input as found, and `ARGUS_FUZZ_SHRINK=1 pytest tests/test_fuzz_...py` minimises it. A failure found this
  way is kept, minimised, as an explicit `@example` of its test. ARGUS_FUZZ_SCALE=N runs N times the examples
  (the tests' counts are what CI affords: the suite takes about 35 s of CPU).
- `run_cli(argv, cwd)`: `argus.commands.cli.main` in-process, as the `argus` fixture of conftest.py does, but usable from
  a hypothesis test (no function-scoped fixture), with ARGUS_* variables cleared, in a working directory of the
  test's own, and under a time limit: a hang (a catastrophic regular expression, say) fails the test and shows
  the input instead of stalling CI.
- `assert_check_outcome` / `assert_scan_outcome`: what every run must satisfy, whatever the input.
- `mutated_bytes(corpus)`: a strategy that inserts, deletes and duplicates bytes of real input files.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings, strategies as st

from argus.commands import cli

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "rules" / "azure-migrate"
ESTATE = REPO / "examples" / "estate"
MINI = REPO / "docs" / "examples" / "mini.json"   # the docs' small snapshot: the SMALL.json of the rule fuzz
FACTS = REPO / "examples" / "appliance" / "contoso-mig-app01.facts.json"

TIME_LIMIT = 20  # seconds for one command; the slowest honest run here (the bundled pack on the estate) takes ~0.3 s


SHRINK = os.environ.get("ARGUS_FUZZ_SHRINK", "") not in ("", "0")
SCALE = float(os.environ.get("ARGUS_FUZZ_SCALE", "1") or 1)  # e.g. 20 for a long run away from CI


def FUZZ(examples: int, **extra) -> settings:
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if SHRINK else [])
    return settings(max_examples=max(1, round(examples * SCALE)), deadline=None, derandomize=True, database=None, print_blob=False,
                    phases=phases, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.large_base_example, HealthCheck.filter_too_much],
                    **extra)


class TookTooLong(BaseException):
    """Raised by the alarm: a BaseException, so argus's top-level `except Exception` (exit 3) cannot swallow it."""


def _alarm(signum, frame):
    raise TookTooLong(f"an argus command ran longer than {TIME_LIMIT} s")


def run_cli(argv, cwd: Path) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `argus ARGV` run in-process from `cwd`."""
    argv = [str(a) for a in argv]
    saved_env = {k: v for k, v in os.environ.items() if k.startswith("ARGUS_")}
    for k in saved_env:
        del os.environ[k]
    here = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(here)
        os.environ.update(saved_env)
    return code, out.getvalue(), err.getvalue()


def shown(data, limit: int = 3000) -> str:
    """An input as an assertion message shows it: bytes as Python writes them, text with its invisible characters
    (control characters, line and paragraph separators) escaped, cut if long."""
    text = repr(data) if isinstance(data, bytes) else "".join(
        c if c.isprintable() or c in "\n\t" else repr(c)[1:-1] for c in data)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _no_crash(code: int, err: str, what: str) -> None:
    assert "Traceback" not in err, f"traceback on stderr\n--- stderr:\n{err[-3000:]}\n--- input:\n{what}"
    assert code != 3 and "internal error" not in err, f"internal error (exit {code})\n--- stderr:\n{err[-3000:]}\n--- input:\n{what}"


_SUMMARY = re.compile(r"^\d+ files?, \d+ rules?(?: \(\d+ could not be parsed\))?: (\d+) errors?, (\d+) warnings?$", re.M)


def assert_check_outcome(result: tuple[int, str, str], what: str) -> int:
    """`argus check` exits 0 (no error diagnostic) or 2 (errors, or an input it cannot read, said in one line);
    its summary line's error count agrees with the exit code. Returns the number of errors (-1: no summary)."""
    code, out, err = result
    _no_crash(code, err, what)
    assert code in (0, 2), f"argus check exit {code}\n--- stderr:\n{err[-3000:]}\n--- input:\n{what}"
    assert out == "", f"argus check wrote to stdout: {out[:500]!r}"
    summary = _SUMMARY.findall(err)
    if not summary:
        assert code == 2 and err.startswith("argus check: error: "), f"exit {code} without a summary\n{err[-3000:]}\n{what}"
        return -1
    errors = int(summary[-1][0])
    assert code == (2 if errors else 0), f"exit {code} but the summary counts {errors} errors\n{err[-3000:]}\n{what}"
    return errors


_HEAD = re.compile(r"^(.+?):(\d+):(\d+): [EW]\d{3}: ")


def assert_excerpts_match(err: str, path: Path, text: str) -> None:
    """Each located diagnostic about `path` shows, under its head, the source line it names (lines end at "\n",
    as the parser counts them) and a caret under it."""
    lines = text.removeprefix("\ufeff").split("\n")
    out = err.split("\n")
    for i, head in enumerate(out[:-2]):
        m = _HEAD.match(head)
        if not m or Path(m.group(1)).name != path.name or not re.fullmatch(r"  *\^~*", out[i + 2]):
            continue
        line = int(m.group(2))
        want = lines[line - 1].rstrip("\r") if 1 <= line <= len(lines) else None
        assert out[i + 1] == f"  {want}", (f"the excerpt under {head!r} is {out[i + 1][2:]!r}, but line {line} of the "
                                           f"file is {want!r}\n--- input:\n{shown(text)}")


def assert_scan_outcome(result: tuple[int, str, str], report: Path, what: str, plain_exit: bool = True) -> dict | None:
    """`argus scan --format json --output REPORT` (REPORT alone in its directory, absent before the run):

    - no traceback, no internal error; exit 0, 1 or 2; nothing on stdout (the only format goes to a file);
    - exit 0/1: the report was written, parses, and holds no `error` finding;
    - exit 2 with a report: the report holds an `error` finding (a rule that errored is the one reason a scan that
      ran exits 2); exit 2 without one: bad input, said on stderr, and no file at all in the report's directory
      (neither the report nor a temporary file of the atomic write);
    - `plain_exit` (no waivers, default --fail-on): exit 1 exactly when some finding fails.
    Returns the report document, or None when none was written."""
    code, out, err = result
    _no_crash(code, err, what)
    assert code in (0, 1, 2), f"argus scan exit {code}\n--- stderr:\n{err[-3000:]}\n--- input:\n{what}"
    assert out == "", f"argus scan wrote to stdout although its only output is {report}: {out[:500]!r}"
    others = sorted(p.name for p in report.parent.iterdir() if p != report)
    assert not others, f"files left beside the report: {others}"
    if not report.exists():
        assert code == 2, f"exit {code} but no report was written\n--- stderr:\n{err[-3000:]}\n--- input:\n{what}"
        assert re.search(r"error|\bE\d{3}\b", err), f"exit 2, no report and no error on stderr: {err[-2000:]!r}\n{what}"
        return None
    doc = json.loads(report.read_text(encoding="utf-8"))
    errored = [f for f in doc["findings"] if f["status"] == "error"]
    if code == 2:
        assert errored, f"exit 2 with a report that holds no error finding (bad input must leave no report)\n--- stderr:\n{err[-3000:]}\n--- input:\n{what}"
    else:
        assert not errored, f"exit {code} although a finding is an error: {errored[0]}\n{what}"
        if plain_exit:
            failing = any(f["status"] == "fail" and not f.get("waiver") for f in doc["findings"])
            assert code == (1 if failing else 0), f"exit {code} but failing findings: {failing}\n{what}"
    return doc


# ---- byte-level mutation of real files

# Bytes that mean something to a JSON, YAML or rule parser, or to a decoder: quotes, brackets, separators, escapes,
# comment starts, line ends, a NUL, a BOM, a lone UTF-8 lead byte, an invalid byte, a multi-byte character.
INTERESTING = [b'"', b"'", b"{", b"}", b"[", b"]", b"(", b")", b",", b":", b".", b"*", b"=", b"!", b"~", b"<", b">",
               b"#", b"//", b"\\", b"\n", b"\r\n", b"\t", b" ", b"-", b"0", b"9" * 30, b"-1e999", b"null", b"true",
               b"\x00", b"\xef\xbb\xbf", b"\xc3", b"\xff", "é".encode(), "\U0001f600".encode(), b"&a ", b"*a", b"!!",
               b"---\n", b"%", b"@", b"|", b"{{", b"}}", b"where", b"not ", b"any(x in "]


@st.composite
def mutated_bytes(draw, corpus: list[tuple[str, bytes]], max_ops: int = 4):
    """(name, bytes): one corpus file with 1..max_ops edits, each an insertion (of an interesting fragment or of
    random bytes), a deletion of up to 40 bytes, or a duplication of up to 200 bytes in place."""
    name, data = draw(st.sampled_from(corpus), label="file")
    for _ in range(draw(st.integers(1, max_ops), label="edits")):
        at = draw(st.integers(0, len(data)), label="at")
        op = draw(st.sampled_from(["insert", "delete", "duplicate"]), label="op")
        if op == "insert":
            piece = draw(st.one_of(st.sampled_from(INTERESTING), st.binary(min_size=1, max_size=4),
                                   st.text(min_size=1, max_size=3).map(str.encode)), label="insert")
            data = data[:at] + piece + data[at:]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40), label="delete"):]
        else:
            data = data[:at] + data[at:at + draw(st.integers(1, 200), label="duplicate")] + data[at:]
    return name, data
