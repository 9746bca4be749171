"""Proxy-bypass matching (engine/language/bypass.py): the case table, list splitting, and error reporting."""

from pathlib import Path

import pytest
import yaml

from argus.language import bypass

CASES = yaml.safe_load((Path(__file__).parent / "data" / "appliance" / "bypass_cases.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['origin']}:{c['entry']}~{c['host']}" for c in CASES])
def test_entry_matches(case):
    assert bypass.entry_matches(case["entry"], case["origin"], case["host"]) is case["expected"], case["why"]


@pytest.mark.parametrize("text, origin, expected", [
    ("<local>;*.contoso.local;10.*", "wininet", ["<local>", "*.contoso.local", "10.*"]),
    ("<local> *.contoso.local;;  10.*;", "winhttp", ["<local>", "*.contoso.local", "10.*"]),
    ("a.contoso.local,b.contoso.local", "wininet", ["a.contoso.local,b.contoso.local"]),
    (".*.blob.core.windows.net; .*.vault.azure.net", "appliance", [".*.blob.core.windows.net", ".*.vault.azure.net"]),
    ("", "wininet", []),
    (" ; ", "appliance", []),
])
def test_split_list(text, origin, expected):
    assert bypass.split_list(text, origin) == expected


@pytest.mark.parametrize("entry, origin, expected", [
    (".contoso.local", "wininet",
     ["'.contoso.local' matches no host: a leading '.' is not a domain suffix here; write '*.contoso.local'"]),
    ("a.contoso.local,b.contoso.local", "winhttp",
     ["'a.contoso.local,b.contoso.local' contains ',', which does not separate entries here; use ';'"]),
    ("*.contoso.local", "wininet", []),
    (".*.blob.core.windows.net", "appliance", []),
])
def test_entry_warnings(entry, origin, expected):
    assert bypass.entry_warnings(entry, origin) == expected


EXAMPLE_BYPASS = [
    {"entry": ".*.blob.core.windows.net", "origin": "appliance"},
    {"entry": "<local>", "origin": "wininet"},
    {"entry": "*.contoso.local", "origin": "wininet"},
    {"entry": "10.*", "origin": "wininet"},
]


@pytest.mark.parametrize("host, expected_indexes", [
    ("gwsa4f8e2b1c9d.blob.core.windows.net", [0]),
    ("intranet", [1]),
    ("vcenter.contoso.local", [2]),
    ("10.20.1.5", [3]),
    ("management.azure.com", []),
])
def test_covering_entries_on_the_example_list(host, expected_indexes):
    assert bypass.covering_entries(EXAMPLE_BYPASS, host) == [EXAMPLE_BYPASS[i] for i in expected_indexes]
    assert bypass.covers(EXAMPLE_BYPASS, host) is bool(expected_indexes)


def test_covering_entries_keeps_list_order_across_origins():
    entries = [
        {"entry": ".*contoso.local", "origin": "appliance"},
        {"entry": "<local>", "origin": "wininet"},
        {"entry": "*.contoso.local", "origin": "winhttp"},
    ]
    assert bypass.covering_entries(entries, "App.Contoso.Local") == [entries[0], entries[2]]


@pytest.mark.parametrize("call, message", [
    (lambda: bypass.entry_matches("*.blob.core.windows.net", "appliance", "a.blob.core.windows.net"),
     "appliance bypass entry '*.blob.core.windows.net' is not a valid regular expression: no argument for repetition operator: *"),
    (lambda: bypass.entry_matches("*.contoso.local", "pac", "a.contoso.local"),
     "bypass origin 'pac' is not one of appliance, wininet, winhttp"),
    (lambda: bypass.entry_matches("*.contoso.local", "wininet", "  "),
     "target host '  ' is empty"),
    (lambda: bypass.entry_matches("*.contoso.local", "wininet", "a.contoso.local:99999"),
     "target 'a.contoso.local:99999' has an invalid port"),
    (lambda: bypass.covering_entries([{"origin": "wininet"}], "a.contoso.local"),
     "bypass item {'origin': 'wininet'} has no 'entry' text"),
    # An invalid entry is reported even when an earlier entry already covers the host.
    (lambda: bypass.covers([{"entry": "<local>", "origin": "wininet"}, {"entry": "(", "origin": "appliance"}], "intranet"),
     "appliance bypass entry '(' is not a valid regular expression: missing )"),
])
def test_errors_are_value_errors_naming_the_input(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


def test_check_entry_accepts_wildcards_and_rejects_bad_regex():
    bypass.check_entry("*.blob.core.windows.net", "wininet")
    bypass.check_entry(".*.blob.core.windows.net", "appliance")
    with pytest.raises(ValueError, match=r"^appliance bypass entry '\[a-' is not a valid regular expression"):
        bypass.check_entry("[a-", "appliance")


@pytest.mark.parametrize("text, expected", [
    ("lsa123.blob.core.windows.net", bypass.Target("https", "lsa123.blob.core.windows.net", 443)),
    ("Intranet:8080", bypass.Target("https", "intranet", 8080)),
    ("http://Intranet", bypass.Target("http", "intranet", 80)),
    ("ftp://files.contoso.local", bypass.Target("ftp", "files.contoso.local", None)),
    ("[FE80::1]:8443", bypass.Target("https", "fe80::1", 8443)),
    ("10.20.1.5", bypass.Target("https", "10.20.1.5", 443)),
])
def test_parse_target(text, expected):
    assert bypass.parse_target(text) == expected
