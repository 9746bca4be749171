"""Built-in functions on networks: cidr_contains, cidr_overlaps (IPv4 and IPv6, by the standard `ipaddress`
module) and port_in (NSG port syntax).

In: argument values as the evaluator passes them (never Missing: argus.language.functions passes that through first).
Out: true/false; a `Missing` for a null, and for a service tag (`VirtualNetwork`, `Internet`, `AzureCloud`,
`Storage.WestEurope`, `*`) where an address or prefix was asked for: a tag stands for addresses argus does not
know, so whether it lies in a block is unknown (not_evaluated), not false; rules test tags by name. Text that
is neither an address, a prefix nor a tag (`10.0.0.300/24`) is an `EvalError` naming it. The declarations are
in the one table, argus.language.functions.FUNCTIONS.
"""

from __future__ import annotations

import ipaddress
import re

from argus.language.values import article, EvalError, Missing, short, type_name

# A service tag, or `*`: a word that is no address (letters first; dots and dashes as in Storage.WestEurope,
# AzureCloud.westeurope, Sql.EastUS2, ApiManagement). Anything else that fails to parse is a malformed address.
_TAG = re.compile(r"\*|[A-Za-z][A-Za-z0-9_.\-]*")
MAX_PORT = 65535


def _network(name: str, v, what: str):
    """An ip_network for an address (a /32 or /128) or a prefix; Missing for null or a service tag."""
    if v is None:
        return Missing(f"{name}(): the {what} is null")
    if not isinstance(v, str):
        raise EvalError(f"{name}() needs an address or prefix string, got {type_name(v)} ({short(v, 40)})")
    text = v.strip()
    try:
        return ipaddress.ip_network(text, strict=False)  # host bits set (10.0.0.5/24) as ARM itself accepts them
    except ValueError as exc:
        if _TAG.fullmatch(text):
            return Missing(f"{name}(): '{text}' is a service tag, not an address prefix; rules test tags by name")
        raise EvalError(f"{name}(): {v!r} is not an IP address or prefix ({exc})") from None


def _two_networks(name: str, a, b, which: tuple[str, str]):
    """Both operands as networks, or the first Missing (a service tag, null...) among them."""
    first = _network(name, a, which[0])
    if first.__class__ is Missing:
        return first
    second = _network(name, b, which[1])
    return second if second.__class__ is Missing else (first, second)


def cidr_contains(block, x):
    """True when `x` (an address or a prefix) lies wholly inside `block`."""
    nets = _two_networks("cidr_contains", block, x, ("block", "address"))
    if nets.__class__ is Missing:
        return nets
    outer, inner = nets
    return inner.version == outer.version and inner.subnet_of(outer)  # an IPv4 prefix is never in an IPv6 one


def cidr_overlaps(a, b):
    """True when the two prefixes (or addresses) share at least one address."""
    nets = _two_networks("cidr_overlaps", a, b, ("first prefix", "second prefix"))
    if nets.__class__ is Missing:
        return nets
    na, nb = nets
    return na.version == nb.version and na.overlaps(nb)


def port_in(spec, port):
    """True when an NSG port specification covers `port`: `*` (any), `443`, `1000-2000`, or a list of them
    (destinationPortRanges), any of which covers it."""
    if spec is None:
        return Missing("port_in(): the port specification is null")
    if port is None:
        return Missing("port_in(): the port is null")
    if isinstance(port, bool) or not isinstance(port, int) and not (isinstance(port, float) and port.is_integer()):
        raise EvalError(f"port_in(): the port is {short(port, 40)} ({type_name(port)}), not a whole number "
                        "(convert text with number())")
    port = int(port)
    if not 0 <= port <= MAX_PORT:
        raise EvalError(f"port_in(): port {port} is outside 0-{MAX_PORT}")
    specs = spec if isinstance(spec, list) else [spec]
    hit = False
    for item in specs:  # every entry is read, so a malformed one is an error even after a match
        lo, hi = _port_range(item)
        hit = hit or lo <= port <= hi
    return hit


def _port_range(item) -> tuple[int, int]:
    if isinstance(item, int) and not isinstance(item, bool):
        text = str(item)
    elif isinstance(item, str):
        text = item.strip()
    else:
        raise EvalError(f"port_in(): a port specification is {article(type_name(item))} ({short(item, 40)}), not text "
                        "like \"443\", \"1000-2000\" or \"*\"")
    if text == "*":
        return 0, MAX_PORT
    m = re.fullmatch(r"(\d{1,5})(?:\s*-\s*(\d{1,5}))?", text, re.ASCII)
    if m is None:
        raise EvalError(f"port_in(): {item!r} is not a port specification (\"443\", \"1000-2000\" or \"*\")")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) is not None else lo
    if hi > MAX_PORT or lo > hi:
        raise EvalError(f"port_in(): {item!r} is not a port range within 0-{MAX_PORT}")
    return lo, hi
