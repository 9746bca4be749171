"""The README's `make scan` output is real: it is what `argus scan --example` prints when piped (100 columns,
no colour), line for line, only the scan's time differing; so the front page cannot drift from the product."""

from __future__ import annotations

import os
import re
from pathlib import Path

from argus.commands import cli

ROOT = Path(__file__).resolve().parents[1]
SCANNED = re.compile(r"scanned \d{4}-\d\d-\d\dT[\d:.]+Z")


def test_readme_scan_output_is_the_real_output(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    for key in [k for k in os.environ if k.startswith("ARGUS_")] + ["COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"]:
        monkeypatch.delenv(key, raising=False)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What `make scan` shows", 1)[1]
    excerpt = re.search(r"```\n(.*?)```", section, re.S).group(1)
    assert cli.main(["scan", "--example"]) == 1
    real = capsys.readouterr().out
    assert SCANNED.sub("scanned <time>", excerpt) == SCANNED.sub("scanned <time>", real)
    assert excerpt.splitlines()[-1] == "27 findings: 5 fail, 3 warn, 1 skip, 18 pass"


def test_the_text_report_in_outputs_md_is_the_real_output(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    for key in [k for k in os.environ if k.startswith("ARGUS_")] + ["COLUMNS", "FORCE_COLOR", "TTY_COMPATIBLE"]:
        monkeypatch.delenv(key, raising=False)
    doc = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    section = doc.split("## Text", 1)[1].split("\n## ", 1)[0]
    excerpt = re.search(r"```\n(.*?)```", section, re.S).group(1)
    assert cli.main(["scan", "--example", "--severity", "critical"]) == 1
    real = capsys.readouterr().out
    assert SCANNED.sub("scanned <time>", excerpt) == SCANNED.sub("scanned <time>", real)
    assert excerpt.splitlines()[-1] == "8 findings: 1 fail, 7 pass"
