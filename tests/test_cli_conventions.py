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


# ---- exit codes: named in one module, chosen in one place

ENGINE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "engine")


def _engine_modules():
    import ast
    for name in sorted(os.listdir(ENGINE)):
        if name.endswith(".py"):
            with open(os.path.join(ENGINE, name), encoding="utf-8") as fh:
                yield name, ast.parse(fh.read())


def _int_literals(node) -> list[int]:
    import ast
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and type(n.value) is int]


def test_commands_return_named_exit_codes():
    """A command's `run` returns argus.exitcodes constants, never a number written in place."""
    import ast
    found = [f"{name}:{ret.lineno}" for name, tree in _engine_modules() for fn in ast.walk(tree)
             if isinstance(fn, ast.FunctionDef) and fn.name == "run"
             for ret in ast.walk(fn) if isinstance(ret, ast.Return) and ret.value is not None and _int_literals(ret.value)]
    assert found == []


def test_exit_codes_are_defined_only_in_exitcodes():
    """No module but exitcodes.py names an exit code (EXIT_* = 2) or exits with a number of its own."""
    import ast
    found = []
    for name, tree in _engine_modules():
        for node in ast.walk(tree):
            if name != "exitcodes.py" and isinstance(node, ast.Assign) and _int_literals(node.value):
                targets = [t.id for target in node.targets for t in ast.walk(target) if isinstance(t, ast.Name)]
                if any(t.startswith("EXIT_") for t in targets):
                    found.append(f"{name}:{node.lineno}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "exit"
                    and _int_literals(node)):
                found.append(f"{name}:{node.lineno}")
    assert found == []


def test_only_cli_main_turns_errors_into_exit_codes():
    """DiagnosticError and UserError reach cli.main, which prints them and returns exitcodes.USAGE; no command
    catches them to choose a code itself (a reader may catch one to raise another with more context)."""
    import ast
    found = []
    for name, tree in _engine_modules():
        for handler in (n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.type is not None):
            caught = {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(handler.type)
                      if isinstance(n, (ast.Name, ast.Attribute))}
            if caught & {"DiagnosticError", "UserError"} and not any(isinstance(n, ast.Raise) for n in ast.walk(handler)):
                if any(isinstance(n, ast.Return) for n in ast.walk(handler)) and name != "cli.py":
                    found.append(f"{name}:{handler.lineno}")
    assert found == []
