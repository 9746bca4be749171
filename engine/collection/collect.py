"""Collection: read a complete snapshot from Azure Resource Graph, or fail loudly (`argus collect` and
`argus scan --live` in argus.commands.collectcmd turn their flags into a `Source`).

In: a Source (scopes, checked in argus.collection.scopes; cloud or ARM endpoint; credential choice, see argus.collection.argclient),
optional pushdown types. Runs the KQL in queries/
(argus.collection.collectspec: one file per concern, each ordered by id so paging is stable), proves every scope
fully readable, reads private endpoint DNS zone groups from ARM (ARG does not hold them), and writes one
snapshot file atomically: {"header": ..., "resources": [...], "resourcecontainers": [...],
"dnsresources": [...]}, holding only the tables some query ran on. Out: the header dict; any read that
is not complete (failed, truncated, partial scope, paging gap) raises UserError naming query and scope,
and no file is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from argus import __version__
from argus.collection import argclient
from argus.collection import scopes
from argus.collection.argclient import FetchError, Scope
from argus.collection.collectspec import PE_TYPE, QUERIES, TABLES, ZONE_GROUP_TYPE, QuerySpec, load_query, pushdown, wanted_types
from argus.errors import UserError, atomic_write

SNAPSHOT_FORMAT = "argus-snapshot/1"
ZONE_GROUP_API = "2024-05-01"


@dataclass(frozen=True)
class Source:
    """Where and how to collect: what `argus collect` and `argus scan --live` turn their flags into."""
    subscriptions: tuple[str, ...] = ()        # as given: repeatable, comma-separated (checked in scopes)
    management_groups: tuple[str, ...] = ()
    tenant: str | None = None
    cloud: str | None = None
    arm_endpoint: str | None = None
    quiet: bool = False
    verbose: bool = False


def parse_types(values: Iterable[str] | None) -> set[str] | None:
    if values is None:
        return None
    return {t.strip().casefold() for value in values for t in value.split(",") if t.strip()}


def collect_snapshot(source: Source, output_path: str, types: set[str] | None = None) -> dict:
    """Collect every query over the scopes, write the snapshot atomically, return its header."""
    subscriptions, management_groups = scopes.scope_ids(source.subscriptions, source.management_groups)
    endpoint = argclient.resolve_endpoint(source.cloud, source.arm_endpoint)
    wanted = wanted_types(types)
    plan = [(spec, text) for spec in QUERIES if (text := pushdown(spec, load_query(spec), wanted)) is not None]
    zone_groups = wanted is None or ZONE_GROUP_TYPE in wanted
    _check_output(output_path)
    credential = argclient.build_credential(endpoint, source.tenant)
    progress = Progress(source.quiet, source.verbose, len(plan))
    started = datetime.now(timezone.utc)
    try:
        with argclient.ArgSession(endpoint, credential, progress.wait) as session:
            tables, queries, arm_reads = _collect(session, plan, scopes.batches(subscriptions, management_groups),
                                                  zone_groups, progress)
        header = {
            "format": SNAPSHOT_FORMAT,
            "collected_at": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "cloud": endpoint.cloud,
            "arm_endpoint": endpoint.url,
            "scopes": {"subscriptions": subscriptions, "management_groups": management_groups},
            "pushdown": sorted(wanted) if wanted is not None else None,
            "queries": queries,
            "arm_reads": arm_reads,
            "tool": {"name": "argus", "version": __version__},
        }
        _write(output_path, {"header": header, **tables})
    finally:
        progress.close()
    total = _count(sum(len(rows) for rows in tables.values()), "row")
    endpoints = [read["parents"] for read in arm_reads if read["name"] == "private_dns_zone_groups"]
    progress.finish(f"wrote {output_path}: {total} from {_count(len(queries), 'query', 'queries')}"
                    + (f" and {_count(endpoints[0], 'private endpoint')}" if endpoints else ""))
    return header


def _collect(session: argclient.ArgSession, plan: list[tuple[QuerySpec, str]], batches: list[Scope],
             zone_groups: bool, progress: "Progress") -> tuple[dict[str, list[dict]], list[dict], list[dict]]:
    """Run the plan; return the tables and the header's query and ARM read records.

    Only tables some query ran on are returned: a table written empty although nothing was asked of it would
    read as "collected, and holds nothing" (rules reading it would fail or pass on data never fetched)."""
    tables: dict[str, list[dict]] = {table: [] for table in TABLES if any(spec.table == table for spec, _ in plan)}
    queries, arm_reads = [], []
    for spec, text in plan:
        rows = _run_query(session, spec, text, batches, progress)
        if spec.name == "resource_containers":
            descendants = scopes.check_readable(session, rows, batches, progress.status)
            if descendants is not None:
                arm_reads.append(descendants)
        tables[spec.table].extend(rows)
        queries.append({"name": spec.name, "table": spec.table, "file": spec.file,
                        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "text": text, "rows": len(rows)})
    if zone_groups:
        parents = [row for row in tables["resources"] if str(row.get("type", "")).casefold() == PE_TYPE]
        rows = _zone_groups(session, parents, progress)
        tables["resources"].extend(rows)
        arm_reads.append({"name": "private_dns_zone_groups", "type": ZONE_GROUP_TYPE, "api_version": ZONE_GROUP_API,
                          "parents": len(parents), "rows": len(rows)})
    return tables, queries, arm_reads


def _check_output(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UserError(f"--output {path}: is a directory")
    if not os.path.isdir(directory):
        raise UserError(f"--output {path}: directory {directory} does not exist")


def _run_query(session: argclient.ArgSession, spec: QuerySpec, text: str, scopes: list[Scope],
               progress: "Progress") -> list[dict]:
    rows: list[dict] = []
    for scope in scopes:
        try:
            rows.extend(session.query(text, scope, progress.page))
        except FetchError as exc:
            raise UserError(f"query '{spec.name}' ({spec.table}) on {scope.describe()}: {exc}") from None
    progress.step(f"{spec.name}: {_count(len(rows), 'row')}")
    return rows


def _zone_groups(session: argclient.ArgSession, endpoints: list[dict], progress: "Progress") -> list[dict]:
    rows: list[dict] = []
    for done, endpoint in enumerate(endpoints, 1):
        endpoint_id = str(endpoint.get("id", ""))
        try:
            items = session.arm_list(f"{endpoint_id}/privateDnsZoneGroups", ZONE_GROUP_API)
            rows.extend(_zone_group_row(endpoint, item) for item in items)
        except FetchError as exc:
            raise UserError(f"ARM read 'private_dns_zone_groups' of private endpoint {endpoint_id} "
                            f"(subscription {endpoint.get('subscriptionId')}): {exc}") from None
        progress.page(len(items), f"private DNS zone groups: {done}/{len(endpoints)} private endpoints")
    parents = _count(len(endpoints), "private endpoint")
    progress.note(f"private_dns_zone_groups: {_count(len(rows), 'row')} from {parents}")
    return rows


def _zone_group_row(endpoint: dict, item: Any) -> dict:
    """An ARM zone group as an ARG-shaped row, so rules join it like any other resource."""
    item_id = item.get("id") if isinstance(item, dict) else None
    prefix = f"{endpoint['id']}/privatednszonegroups/".casefold()
    if not isinstance(item_id, str) or not item_id.casefold().startswith(prefix):
        raise FetchError(f"ARM returned a zone group with id {item_id!r}, not under the private endpoint")
    return {
        "id": item_id, "name": item.get("name"), "type": ZONE_GROUP_TYPE, "tenantId": endpoint.get("tenantId"),
        "kind": "", "location": "", "resourceGroup": endpoint.get("resourceGroup"),
        "subscriptionId": endpoint.get("subscriptionId"), "managedBy": "", "sku": None, "plan": None,
        "properties": item.get("properties") or {}, "tags": None, "identity": None, "zones": None,
        "extendedLocation": None,
    }


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def _write(path: str, snapshot: dict) -> None:
    try:
        atomic_write(path, json.dumps(snapshot, ensure_ascii=False, indent=1) + "\n")
    except OSError as exc:
        raise UserError(f"--output {path}: cannot write: {exc.strerror or exc}") from None


class Progress:
    """Progress on stderr: a live line on a terminal, one line per event with -v, nothing with --quiet.

    The live line counts ARG queries (`steps`); other reads (management group subscriptions, zone groups) and
    throttling or retry waits show as its status while they last, so the count and the summary agree."""

    def __init__(self, quiet: bool, verbose: bool, steps: int) -> None:
        isatty = getattr(sys.stderr, "isatty", None)
        self._live = not quiet and bool(isatty and isatty())
        self._verbose = bool(verbose) and not quiet
        self._summary = self._live or self._verbose
        self._steps, self._done, self._rows = steps, 0, 0

    def page(self, rows: int, status: str | None = None) -> None:
        self._rows += rows
        self._draw(status)

    def step(self, message: str) -> None:
        """One query done."""
        self._done += 1
        self.note(message)
        self._draw()

    def note(self, message: str) -> None:
        if self._verbose:
            self._clear()
            print(f"argus collect: {message}", file=sys.stderr, flush=True)
            self._draw()

    def status(self, message: str) -> None:
        """What is going on right now, in the live line only."""
        self._draw(message)

    def wait(self, message: str) -> None:
        """A throttling or retry wait: a line with -v, and the live line says what it waits for."""
        self.note(message)
        self._draw(message)

    def close(self) -> None:
        """Take the live line down (also when the run fails), so messages start on a clean line."""
        self._clear()
        self._live = False

    def finish(self, message: str) -> None:
        if self._summary:
            print(f"argus collect: {message}", file=sys.stderr, flush=True)

    def _draw(self, status: str | None = None) -> None:
        if self._live:
            state = status or f"{self._done}/{self._steps} {'query' if self._steps == 1 else 'queries'} done"
            sys.stderr.write(f"\r\x1b[Kargus collect: {state}, {self._rows:,} rows so far")
            sys.stderr.flush()

    def _clear(self) -> None:
        if self._live:
            sys.stderr.write("\r\x1b[K")
