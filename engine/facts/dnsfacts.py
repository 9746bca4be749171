"""Name-resolution facts for the appliance table: host name -> final addresses and CNAME chain.

In: host names plus either an answers file (YAML or JSON map ``host: {addresses, cname_chain}``) or
name servers to ask live (dnspython, so the CNAME chain stays visible). Out: the ``dns`` object of an
appliance row, keys lower-case without a trailing dot, ``cname_chain`` the CNAME targets in the order
they were followed, ``addresses`` the A and AAAA addresses the chain ends in, sorted.

A name that does not exist (NXDOMAIN) or has no address is an answer and is recorded with no
addresses (``notes`` says so); a lookup that gets no answer at all (timeout, SERVFAIL from every
server, no name server) is a UserError, because recording it as "no addresses" would be a guess. A problem
in an answers file is an E407 diagnostic at its place in the file.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.nameserver
import dns.name
import dns.resolver
import yaml

from argus import yamlpos
from argus.diagnostics import Diagnostic, DiagnosticError
from argus.errors import UserError

ANSWER_KEYS = ("addresses", "cname_chain")


@dataclass(slots=True)
class DnsFacts:
    answers: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def normalize_host(name: str) -> str:
    """Host names compare case-insensitively and with or without the root dot: fold both away."""
    return name.strip().rstrip(".").lower()


def load_answers(path: str, hosts: list[str]) -> DnsFacts:
    """Read an answers file; with ``hosts`` keep those (each must be there), else keep every entry."""
    try:
        doc = yamlpos.compose(path)
    except yamlpos.InputError as exc:
        raise exc.error("E407", invalid="DNS answers are not valid YAML/JSON") from None
    try:
        answers = _answers(doc.root)
    except _Bad as bad:
        raise DiagnosticError([Diagnostic("E407", yamlpos.node_span(path, bad.node), bad.message)],
                              {path: doc.text}) from None
    if not hosts:
        return DnsFacts(dict(sorted(answers.items())))
    wanted = sorted({normalize_host(h) for h in hosts})
    missing = [h for h in wanted if h not in answers]
    if missing:
        raise UserError(f"{path}: no answer for {', '.join(missing)} (asked with --resolve)")
    return DnsFacts({h: answers[h] for h in wanted})


def resolve_live(hosts: list[str], nameservers: list[tuple[str, int]], timeout: float) -> DnsFacts:
    """Ask DNS for A and AAAA of each host; ``nameservers`` empty means the system's resolver."""
    resolver = _resolver(nameservers, timeout)
    facts = DnsFacts()
    for name in sorted({normalize_host(h) for h in hosts}):
        chain, addresses, missing = _lookup(resolver, name, "A")
        chain6, addresses6, missing6 = _lookup(resolver, name, "AAAA")
        facts.answers[name] = {"addresses": _sorted_addresses(addresses + addresses6),
                               "cname_chain": chain or chain6}
        if not facts.answers[name]["addresses"]:
            why = "the name does not exist (NXDOMAIN)" if missing and missing6 else "DNS returned no address"
            facts.notes.append(f"{name}: {why}; recorded with addresses []")
    return facts


def parse_nameserver(text: str) -> tuple[str, int]:
    """``IP``, ``IPv4:PORT`` or ``[IPv6]:PORT`` -> (address, port)."""
    host, port = text.strip(), 53
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        if rest:
            port = _port(text, rest.removeprefix(":"))
    elif host.count(":") == 1:
        host, _, rest = host.partition(":")
        port = _port(text, rest)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise UserError(f"--nameserver {text!r}: expected an IP address, optionally with :PORT") from None
    return host, port


def _port(text: str, value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise UserError(f"--nameserver {text!r}: port must be a number from 1 to 65535")
    return int(value)


def _resolver(nameservers: list[tuple[str, int]], timeout: float) -> dns.resolver.Resolver:
    try:
        resolver = dns.resolver.Resolver(configure=not nameservers)
    except dns.exception.DNSException as exc:
        raise UserError(f"cannot read the system's DNS configuration ({exc}); pass --nameserver") from None
    if nameservers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(a, p) for a, p in nameservers]
    resolver.lifetime = timeout
    return resolver


def _lookup(resolver: dns.resolver.Resolver, name: str, rdtype: str) -> tuple[list[str], list[str], bool]:
    """(CNAME targets followed, addresses found, whether the chain ended in NXDOMAIN) for one query type."""
    nxdomain = False
    try:
        result = resolver.resolve(dns.name.from_text(name), rdtype, raise_on_no_answer=False).chaining_result
    except dns.resolver.NXDOMAIN as exc:
        # The NXDOMAIN response still carries the CNAMEs followed before the name that is missing.
        nxdomain = True
        result = exc.response(exc.qnames()[0]).resolve_chaining()
    except dns.exception.DNSException as exc:
        raise UserError(f"DNS lookup of {name} ({rdtype}) got no answer: {exc}") from None
    chain = [normalize_host(rrset[0].target.to_text()) for rrset in result.cnames]
    addresses = [rdata.address for rdata in result.answer] if result.answer is not None else []
    return chain, addresses, nxdomain


class _Bad(Exception):
    """A problem at a node of the answers file; load_answers makes it a diagnostic with the file's text."""

    def __init__(self, node: yaml.Node | None, message: str):
        super().__init__(message)
        self.node, self.message = node, message


def _answers(root: yaml.Node | None) -> dict[str, dict]:
    if not isinstance(root, yaml.MappingNode):
        raise _Bad(root, "DNS answers must be a map of host name -> answer")
    answers: dict[str, dict] = {}
    for key_node, value_node in root.value:
        name = normalize_host(_scalar(key_node, "host name"))
        if not name:
            raise _Bad(key_node, "empty host name")
        if name in answers:
            raise _Bad(key_node, f"host {name} is given twice")
        answers[name] = _answer(name, value_node)
    return answers


def _answer(host: str, node: yaml.Node) -> dict:
    if not isinstance(node, yaml.MappingNode):
        raise _Bad(node, f"answer for {host} must be a map with {' and '.join(ANSWER_KEYS)}")
    fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = _scalar(key_node, "key")
        if key in fields:
            raise _Bad(key_node, f"answer for {host} gives {key!r} twice")
        fields[key] = (key_node, value_node)
    unknown = sorted(set(fields) - set(ANSWER_KEYS))
    if unknown:
        raise _Bad(fields[unknown[0]][0], f"answer for {host} has unknown key {unknown[0]!r}")
    for key in ANSWER_KEYS:
        if key not in fields:
            raise _Bad(node, f"answer for {host} has no {key!r}")
    addresses = []
    for item in _sequence(fields["addresses"][1], f"{host} addresses"):
        text = _scalar(item, "address")
        try:
            addresses.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise _Bad(item, f"{text!r} in {host} addresses is not an IP address") from None
    chain = [normalize_host(_scalar(item, "CNAME target"))
             for item in _sequence(fields["cname_chain"][1], f"{host} cname_chain")]
    return {"addresses": _sorted_addresses(addresses), "cname_chain": chain}


def _sequence(node: yaml.Node, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise _Bad(node, f"{what} must be a list")
    return node.value


def _scalar(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
        raise _Bad(node, f"expected a {what} (text)")
    return node.value


def _sorted_addresses(addresses: list[str]) -> list[str]:
    unique = {ipaddress.ip_address(a) for a in addresses}
    return [str(a) for a in sorted(unique, key=lambda a: (a.version, int(a)))]
