"""`argus collect` and the Azure source flags `argus scan --live` shares: flags in, a `Source` out.

In: argparse results. Out: `source(args)` (an argus.collect.Source) for the library, and the exit code of
`argus collect` (0, or a UserError naming what could not be read; no file written then).
"""

from __future__ import annotations

import argparse

from . import exitcodes

# The collection library (azure-core, azure-identity) is imported when a collection runs, not with the parser.
CLOUDS = ("china", "public", "usgov")  # argclient.CLOUDS' names (tests/test_imports.py keeps them the same)


def add_source_arguments(parser: argparse.ArgumentParser, verbose_help: str | None = None) -> None:
    """Flags shared by `argus collect` and `argus scan --live`."""
    group = parser.add_argument_group("Azure source")
    scope = group.add_mutually_exclusive_group()
    scope.add_argument("--subscription", action="append", metavar="ID",
                       help="subscription to collect (repeatable, or comma-separated)")
    scope.add_argument("--management-group", action="append", metavar="ID",
                       help="management group to collect (repeatable, or comma-separated)")
    group.add_argument("--tenant", metavar="ID", help="tenant to request tokens for (DefaultAzureCredential)")
    group.add_argument("--cloud", choices=CLOUDS, help="Azure cloud (default: public)")
    group.add_argument("--arm-endpoint", metavar="URL",
                       help="ARM endpoint URL overriding the cloud's (http only for a loopback address)")
    group.add_argument("--quiet", action="store_true", help="no progress output")
    group.add_argument("-v", "--verbose", action="store_true",
                       help=verbose_help or "report every query, retry and throttling wait on stderr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_source_arguments(parser)
    parser.add_argument("--output", required=True, metavar="SNAPSHOT", help="snapshot file to write")
    parser.add_argument("--types", action="append", metavar="TYPE[,TYPE...]",
                        help="collect only these resource types (pushdown; repeatable)")


def source(args: argparse.Namespace) -> Source:
    """The Azure source the flags describe (a command's own Namespace; absent flags are defaults)."""
    from .collect import Source
    return Source(tuple(args.subscription or ()), tuple(args.management_group or ()), args.tenant, args.cloud,
                  args.arm_endpoint, bool(args.quiet), bool(args.verbose))


def run(args: argparse.Namespace) -> int:
    from .collect import collect_snapshot, parse_types
    collect_snapshot(source(args), args.output, parse_types(args.types))
    return exitcodes.OK
