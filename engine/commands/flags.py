"""The flags several commands share, and the typed values they become.

In: argparse parsers (to add flags to) and the Namespaces they parse. Out: `--config` (every command that reads
policies.yaml), `--snapshot`/`--example` and `--now` (scan, explain), the Azure source flags of `argus collect`
and `argus scan --live` with `source(args)` (an argus.collection.collect.Source), `inputs(args)` (the ScanInputs and
resolved settings of a scan-like command). Commands
import this module, never each other.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from argus.evaluation import clock
from argus.policy import settings

if TYPE_CHECKING:  # the scan pipeline and the collection library: imported when a command runs
    from argus.collection.collect import Source
    from argus.pipeline.scan_pipeline import LiveScope, ScanInputs

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


def source(args: argparse.Namespace) -> Source:
    """The Azure source the flags describe (a command's own Namespace; absent flags are defaults)."""
    from argus.collection.collect import Source
    return Source(tuple(args.subscription or ()), tuple(args.management_group or ()), args.tenant, args.cloud,
                  args.arm_endpoint, bool(args.quiet), bool(args.verbose))


def add_config_argument(p) -> None:
    p.add_argument("--config", "--policies", dest="policies", metavar="FILE",
                   help="policies file (env ARGUS_CONFIG; default: policies.yaml in this directory or a parent up to "
                        "the repository root, else the bundled one)")


def add_snapshot_arguments(p) -> None:
    p.add_argument("--snapshot", action="append", metavar="FILE",
                   help="snapshot file or directory (repeatable; env ARGUS_SNAPSHOT)")
    p.add_argument("--example", action="store_true", help="scan the example estate bundled with argus")


def add_now_argument(p) -> None:
    p.add_argument("--now", metavar="TIMESTAMP", help=clock.HELP)


def setting_flags(args) -> dict:
    """The settings flags this command has, as given (unset: None/False/[]): the input of argus.policy.settings."""
    return {s.dest: getattr(args, s.dest) for s in settings.SETTINGS if hasattr(args, s.dest)}


def inputs(args, live: LiveScope | None = None) -> tuple[ScanInputs, settings.Resolved]:
    """The rules, policy, parameters, snapshot and instant a scan-like command (scan, explain) was asked for,
    with its resolved settings; the policies file is read here, as its settings are needed to resolve them."""
    from argus.pipeline import scan_pipeline
    policy, resolved = scan_pipeline.load_settings(setting_flags(args), tuple(args.param or ()))
    now, origin = clock.resolve(args.now)  # a bad --now or ARGUS_NOW stops here, before any rule or snapshot is read
    return scan_pipeline.ScanInputs(policy, resolved.get("policy"), tuple(resolved.get("rules") or ()),
                      resolved.sources.get("rules") == "flag", resolved.params, resolved.param_origins,
                      tuple(resolved.get("snapshot") or ()), resolved.sources.get("snapshot") == "flag",
                      bool(args.example), live, now, origin), resolved
