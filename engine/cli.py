"""Command-line entry point: argv in, exit code out.

Each sub-command lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``;
COMMANDS maps the command name to that module, imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__
from .errors import UserError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("argus.scan", "evaluate rules against a snapshot and report findings"),
    "check": ("argus.checkcmd", "lint rule files"),
    "test": ("argus.testcmd", "run rule fixtures"),
    "explain": ("argus.explain", "show why a finding came out"),
    "collect": ("argus.collect", "collect a snapshot from Azure Resource Graph"),
    "appliance-facts": ("argus.appliance", "build the appliance facts table from appliance files"),
    "history": ("argus.history", "show the trend of recorded scans"),
    "new-rule": ("argus.newrule", "scaffold a rule and its fixture"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default prints usage and exits 2; keep that, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"argus: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="argus", description="Policy-as-code for Azure Resource Graph snapshots.")
    parser.add_argument("--version", action="version", version=f"argus {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or name == only:
            try:
                importlib.import_module(module_name).add_arguments(cmd)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command if command in COMMANDS else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return module.run(args)
    except UserError as exc:
        print(f"argus {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


def entry() -> None:
    sys.exit(main())
