"""Collection scopes for `argus collect`: which subscriptions / management groups, and proof they are readable.

In: the --subscription / --management-group flags; after the resource_containers query, its rows and (for
management groups) the group's subscriptions as ARM lists them (`.../descendants`, read through the same
SDK pipeline as every other request). Out: validated scope ids, the batches sent to ARG, and a header
record of the descendants read; a scope that is missing or only partly readable raises UserError naming it,
because ARG silently leaves out what the identity cannot read.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from argus.collection.argclient import ArgSession, FetchError, Scope
from argus.collection.collectspec import SUBSCRIPTION_TYPE
from argus.errors import UserError

SUBSCRIPTION_BATCH = 1000
DESCENDANTS_API = "2020-05-01"
DESCENDANT_SUBSCRIPTION_TYPES = ("microsoft.management/managementgroups/subscriptions", "/subscriptions")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MANAGEMENT_GROUP = re.compile(r"[A-Za-z0-9_().-]{1,90}")
_PARTIAL = ("the scope is missing or only partly readable (the identity needs Reader on it), so the snapshot "
            "would be partial")


def scope_ids(subscription_flags: Iterable[str], management_group_flags: Iterable[str]) -> tuple[list[str], list[str]]:
    """The scope ids the flags give (repeatable, comma-separated), checked; a UserError names a bad one."""
    subscriptions = _unique(subscription_flags)
    management_groups = _unique(management_group_flags)
    if not subscriptions and not management_groups:
        raise UserError("nothing to collect: give --subscription ID or --management-group ID")
    if subscriptions and management_groups:
        raise UserError("give --subscription or --management-group, not both")
    for value in subscriptions:
        if not _GUID.fullmatch(value):
            raise UserError(f"--subscription {value!r}: not a subscription ID (a GUID)")
    for value in management_groups:
        if not _MANAGEMENT_GROUP.fullmatch(value):
            raise UserError(f"--management-group {value!r}: not a management group ID")
    return subscriptions, management_groups


def _unique(values: Iterable[str] | None) -> list[str]:
    seen: dict[str, str] = {}
    for value in values or ():
        for item in value.split(","):
            if item.strip():
                seen.setdefault(item.strip().casefold(), item.strip())
    return list(seen.values())


def batches(subscriptions: list[str], management_groups: list[str]) -> list[Scope]:
    if management_groups:
        return [Scope(management_groups=tuple(management_groups))]
    return [Scope(subscriptions=tuple(subscriptions[i:i + SUBSCRIPTION_BATCH]))
            for i in range(0, len(subscriptions), SUBSCRIPTION_BATCH)]


def check_readable(session: ArgSession, rows: list[dict], scopes: list[Scope],
                   status: Callable[[str], None]) -> dict | None:
    """Every requested subscription, and every subscription ARM lists under a requested management group, must
    have its row in resourcecontainers. Returns the header record of the descendants read (None without groups)."""
    subscriptions = [row for row in rows if str(row.get("type", "")).casefold() == SUBSCRIPTION_TYPE]
    seen = {str(row.get("subscriptionId", "")).casefold() for row in subscriptions}
    ancestors = {str(entry.get("name", "")).casefold() for row in subscriptions
                 for entry in (row.get("properties") or {}).get("managementGroupAncestorsChain") or ()
                 if isinstance(entry, dict)}
    record = None
    for scope in scopes:
        missing = [s for s in scope.subscriptions if s.casefold() not in seen]
        if missing:
            _refuse(scope, f"no subscription row for {', '.join(missing)}")
        for group in scope.management_groups:
            status(f"listing the subscriptions of management group {group}")
            under = _descendant_subscriptions(session, group)
            record = record or {"name": "management_group_descendants",
                                "type": DESCENDANT_SUBSCRIPTION_TYPES[0], "api_version": DESCENDANTS_API,
                                "parents": 0, "rows": 0}
            record["parents"] += 1
            record["rows"] += len(under)
            missing = [s for s in under if s.casefold() not in seen]
            if missing:
                _refuse(scope, f"no subscription row for {', '.join(missing)} under management group {group}")
            if group.casefold() not in ancestors:
                _refuse(scope, f"no readable subscription under {group}")
    return record


def _refuse(scope: Scope, what: str) -> None:
    raise UserError(f"query 'resource_containers' (resourcecontainers) on {scope.describe()}: {what}: {_PARTIAL}")


def _descendant_subscriptions(session: ArgSession, group: str) -> list[str]:
    """The subscription ids anywhere under a management group, as ARM lists them (nextLink followed)."""
    try:
        items = session.arm_list(f"/providers/Microsoft.Management/managementGroups/{group}/descendants",
                                 DESCENDANTS_API)
        return [sub for item in items if (sub := _subscription_of(item)) is not None]
    except FetchError as exc:
        raise UserError(f"ARM read 'management_group_descendants' of management group {group}: {exc}") from None


def _subscription_of(item: Any) -> str | None:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        raise FetchError(f"ARM returned a descendant without a type: {str(item)[:200]}")
    if item["type"].casefold() not in DESCENDANT_SUBSCRIPTION_TYPES:
        return None  # a child management group: its subscriptions are listed too
    sub = item.get("name")
    if not isinstance(sub, str) or not _GUID.fullmatch(sub):
        raise FetchError(f"ARM returned a descendant subscription whose name is not a subscription id: {sub!r}")
    return sub
