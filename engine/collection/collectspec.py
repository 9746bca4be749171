"""What `argus collect` asks Azure Resource Graph for: the query files, the types each selects, pushdown.

In: the KQL files in queries/ and an optional set of wanted resource types (--types, or the types the rules of
`argus scan --live` read). Out: the `QuerySpec`s in run order, the query text as sent (narrowed to the wanted
types), and the table each collected type lands in (`TYPES_BY_TABLE`), which the snapshot loader uses to tell
a pushdown collection from a complete one. No Azure SDK import here: the loader reads it on every scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argus import resources
from argus.errors import UserError

SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"
PE_TYPE = "microsoft.network/privateendpoints"
ZONE_GROUP_TYPE = "microsoft.network/privateendpoints/privatednszonegroups"
_DNS_RECORD_KINDS = ("a", "aaaa", "cname", "mx", "ptr", "soa", "srv", "txt")


@dataclass(frozen=True)
class QuerySpec:
    name: str
    table: str  # the ARG table the query runs on
    types: tuple[str, ...]  # what its `where type in~ (...)` selects

    @property
    def file(self) -> str:
        return f"queries/{self.name}.kql"


# resource_containers runs first: it proves every requested scope is readable before quota is spent.
QUERIES: tuple[QuerySpec, ...] = (
    QuerySpec("resource_containers", "resourcecontainers",
              (SUBSCRIPTION_TYPE, "microsoft.resources/subscriptions/resourcegroups")),
    QuerySpec("storage_accounts", "resources", ("microsoft.storage/storageaccounts",)),
    QuerySpec("private_endpoints", "resources", (PE_TYPE, "microsoft.network/networkinterfaces")),
    QuerySpec("private_dns_zones", "resources",
              ("microsoft.network/privatednszones", "microsoft.network/privatednszones/virtualnetworklinks")),
    QuerySpec("dns_records", "dnsresources",
              tuple(f"microsoft.network/privatednszones/{kind}" for kind in _DNS_RECORD_KINDS)),
    QuerySpec("networks", "resources", ("microsoft.network/virtualnetworks",
                                        "microsoft.network/virtualnetworkgateways", "microsoft.network/connections")),
    QuerySpec("expressroute", "resources",
              ("microsoft.network/expressroutecircuits", "microsoft.network/routefilters")),
    QuerySpec("migrate_projects", "resources", ("microsoft.migrate/migrateprojects",)),
)
TABLES = ("resources", "resourcecontainers", "dnsresources")
# Zone groups come from ARM reads, not a query, and are stored in `resources`.
TYPES_BY_TABLE: dict[str, frozenset[str]] = {
    table: frozenset(t for spec in QUERIES if spec.table == table for t in spec.types)
    | (frozenset((ZONE_GROUP_TYPE,)) if table == "resources" else frozenset())
    for table in TABLES
}
COLLECTABLE = frozenset().union(*TYPES_BY_TABLE.values())


def load_query(spec: QuerySpec) -> str:
    """The query text as sent: the file without its `//` comment lines and blank lines."""
    path = Path(resources.queries_dir()) / f"{spec.name}.kql"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read query file {path}: {exc.strerror}") from None
    lines = [line.rstrip() for line in raw.splitlines() if line.strip() and not line.lstrip().startswith("//")]
    if not lines or lines[0].strip().casefold() != spec.table:
        # the queries ship with argus: a file that does not start with its table was edited or damaged
        raise UserError(f"broken installation: query file {path} does not start with its table '{spec.table}'; "
                        "reinstall argus")
    return "\n".join(lines)


def pushdown(spec: QuerySpec, text: str, wanted: set[str] | None) -> str | None:
    """Narrow a query to the wanted types (None: nothing of it is wanted, skip it)."""
    if wanted is None:
        return text
    keep = [t for t in spec.types if t in wanted]
    if not keep:
        return None
    if len(keep) == len(spec.types):
        return text
    table, rest = text.split("\n", 1)
    return f"{table}\n| where type in~ ({', '.join(repr(t) for t in keep)})\n{rest}"


def wanted_types(types: set[str] | None) -> set[str] | None:
    """The types to collect for a --types set (None: everything), with the ones the collection itself needs."""
    if types is None:
        return None
    # argus/ types (appliance facts) come from files, not from Azure.
    wanted = {t.strip().casefold() for t in types if t.strip() and not t.strip().casefold().startswith("argus/")}
    unknown = sorted(wanted - COLLECTABLE)
    if unknown:
        raise UserError(f"no query collects {', '.join(unknown)}; collectable types: {', '.join(sorted(COLLECTABLE))}")
    wanted.add(SUBSCRIPTION_TYPE)  # the scope check reads the subscription rows
    if ZONE_GROUP_TYPE in wanted:
        wanted.add(PE_TYPE)  # zone groups are read per private endpoint
    return None if wanted >= COLLECTABLE else wanted
