"""Command-line conventions (issue: a CLI that fits where users work): no prefix abbreviations, usage errors
that name the subcommand, exit codes in --help, and shell completion generated from the parser itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ARGUS = [sys.executable, "-m", "argus"]


@pytest.mark.parametrize("argv,first_line_of_error", [
    (["scan", "--rul", "x"], "argus scan: error: unrecognized arguments: --rul x"),  # not --rule, nor --rules
    (["scan", "--examp"], "argus scan: error: unrecognized arguments: --examp"),  # no prefix matching
    (["scan", "--example", "--format", "xml"],
     "argus scan: error: argument -f/--format: invalid choice: 'xml' (choose from 'azuredevops', 'github', 'json', "
     "'junit', 'markdown', 'sarif', 'text')"),
    (["check", "--strikt"], "argus check: error: unrecognized arguments: --strikt"),
    (["completion", "tcsh"],
     "argus completion: error: argument shell: invalid choice: 'tcsh' (choose from 'bash', 'zsh', 'fish', 'powershell')"),
    (["--bogus"], "argus: error: unrecognized arguments: --bogus"),
])
def test_usage_errors_name_the_subcommand_and_show_its_usage(argus, argv, first_line_of_error):
    code, out, err = argus(*argv)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == first_line_of_error
    assert err.startswith(f"usage: argus {argv[0]}" if not argv[0].startswith("-") else "usage: argus")


@pytest.mark.parametrize("shell,marker", [
    ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete argus"),
    ("zsh", "#compdef argus"),
    ("fish", "complete --command argus"),
    ("powershell", "Register-ArgumentCompleter -Native -CommandName argus"),
])
def test_completion_script_for_each_shell(argus, shell, marker):
    code, out, err = argus("completion", shell)
    assert (code, err) == (0, "")
    assert marker in out


@pytest.mark.parametrize("line,expected", [
    ("argus sc", {"scan"}),
    ("argus scan --fail-o", {"--fail-on", "--fail-on-new", "--fail-on-not-evaluated"}),
    ("argus scan --fail-on h", {"high"}),
    ("argus completion f", {"fish"}),
])
def test_completion_answers_come_from_the_parser(tmp_path, line, expected):
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n"}
    done = subprocess.run(ARGUS, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {w.strip() for w in out.read_text(encoding="utf-8").split("\n") if w.strip()} == expected
