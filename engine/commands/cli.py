"""Command-line entry point: argv in, exit code out.

Each sub-command lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``;
COMMANDS maps the command name to that module, imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from argus import __version__
from argus import exitcodes
from argus.diagnostics import DiagnosticError
from argus.errors import UserError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = exitcodes.OK, exitcodes.FINDINGS, exitcodes.USAGE, exitcodes.INTERNAL
DEBUG_HELP = "on an internal error, print the traceback (or set ARGUS_DEBUG=1)"

COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("argus.commands.scan", "evaluate rules against a snapshot and report findings"),
    "check": ("argus.commands.checkcmd", "lint rule files"),
    "test": ("argus.commands.testcmd", "run rule fixtures"),
    "explain": ("argus.commands.explain", "show why a finding came out"),
    "collect": ("argus.commands.collectcmd", "collect a snapshot from Azure Resource Graph"),
    "appliance-facts": ("argus.commands.appliancecmd", "build the appliance facts table from appliance files"),
    "history": ("argus.commands.historycmd", "show the trend of recorded scans"),
    "new-rule": ("argus.commands.newrule", "scaffold a rule and its fixture"),
    "rules": ("argus.commands.rulescmd", "list the rules: id, severity, title, tags, policies, help link"),
    "completion": ("argus.commands.completion", "print the shell completion script for bash, zsh, fish or powershell"),
}


class _Parser(argparse.ArgumentParser):
    """No prefix abbreviations (`--rule X` must not silently mean `--rules X`), and a usage error names the
    (sub)command and shows its usage, as `argus scan: error: ...`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # argparse's default prints usage and exits 2; keep that, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="argus", description="Policy-as-code for Azure Resource Graph snapshots.",
                     epilog=exitcodes.EPILOG)
    parser.add_argument("--version", action="version", version=f"argus {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.commands = {}  # name -> its parser, so errors found after parsing can name the subcommand
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = parser.commands[name] = sub.add_parser(name, help=help_text, description=help_text,
                                                     epilog=exitcodes.EPILOG)
        cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        if only is None or name == only:
            try:
                importlib.import_module(module_name).add_arguments(cmd)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (see `argus completion`): answer and exit
        from argus.commands.completion import complete
        complete(build_parser())
    command = next((a for a in argv if not a.startswith("-")), None)
    # no command (`argus --help`, `--version`, a mistyped name): no command module is imported at all
    parser = build_parser(only=command if command in COMMANDS else "")
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # argparse would blame the top-level parser; the user typed them to the subcommand
            parser.commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return module.run(args)
    except DiagnosticError as exc:  # located errors (rule text, YAML, JSON): already `file:line:col: CODE: ...`
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except UserError as exc:
        print(f"argus {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print(f"argus {args.command}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes a message and its own exit code
        return _internal_error(args, argv, exc)


def _internal_error(args, argv: list[str], exc: BaseException) -> int:
    """One line naming the command, the input and how to report it; exit 3, never 1, so a crashed scheduled
    scan does not look like one that found failures. The traceback only when asked for."""
    import traceback
    debug = getattr(args, "debug", False) or os.environ.get("ARGUS_DEBUG", "").lower() not in ("", "0", "false", "no")
    if debug:
        traceback.print_exc(file=sys.stderr)
    inputs = " ".join(argv)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    print(f"argus {args.command}: internal error ({what[:300]}) while running `argus {inputs[:300]}`; this is a bug "
          f"in argus {__version__}: please report it to the argus maintainers with that command line and the "
          "traceback that --debug (or ARGUS_DEBUG=1) prints", file=sys.stderr)
    return EXIT_INTERNAL


def entry() -> None:
    from argus import gcpause
    gcpause.hold_until_exit()  # a scan's snapshot dies with the process, not object by object (gcpause.leave)
    gcpause.leave(main())
