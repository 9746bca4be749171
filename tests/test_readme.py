"""The README's `make scan` excerpt is real: its lines are lines of `argus scan` on the bundled example, in the
same order (the excerpt leaves the passing rules out), so the front page cannot drift from the product."""

from __future__ import annotations

import os
import re
from pathlib import Path

from argus import cli

ROOT = Path(__file__).resolve().parents[1]


def test_readme_scan_excerpt_is_a_subsequence_of_the_real_output(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")
    for key in [k for k in os.environ if k.startswith("ARGUS_")]:
        monkeypatch.delenv(key)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What `make scan` shows", 1)[1]
    excerpt = re.search(r"```\n(.*?)```", section, re.S).group(1).splitlines()
    assert cli.main(["scan", "--example"]) == 1
    lines = iter(capsys.readouterr().out.splitlines())
    for want in excerpt:
        assert any(got == want for got in lines), f"README line not in the scan output (or out of order): {want!r}"
    assert excerpt[-1] == "27 findings: 5 fail, 3 warn, 1 skip, 18 pass"
