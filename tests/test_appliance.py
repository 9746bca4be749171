"""`argus appliance-facts` (engine/facts/appliance.py, engine/facts/dnsfacts.py) and the facts schema."""

from __future__ import annotations

import copy
import json
import re
import shlex
import socket
import threading
from pathlib import Path

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import jsonschema
import pytest

from argus.commands import cli
from argus.facts import dnsfacts
from argus.diagnostics import DiagnosticError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "appliance"
SCHEMA = json.loads((ROOT / "engine" / "schemas" / "appliance-facts.schema.json").read_text(encoding="utf-8"))
PS51_APPLIANCE_JSON = '{\r\n    "FabricType":  "VMware",\r\n    "EnableProxyBypassList":  "true",\r\n    "ScaleOut":  false\r\n}\r\n'


def run_cli(argv, capsys):
    code = cli.main(["appliance-facts", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(path: Path, data: str | bytes) -> str:
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


@pytest.fixture
def appliance_json(tmp_path):
    return write(tmp_path / "appliance.json", b"\xef\xbb\xbf" + PS51_APPLIANCE_JSON.encode())


def base_args(appliance_json, *extra):
    return ["--name", "app01", "--kind", "vmware-agentless", "--appliance-json", appliance_json,
            "--collected-at", "2026-11-20T09:12:00Z", *extra]


# --- the documented example ------------------------------------------------------------------

def documented_command() -> list[str]:
    text = (ROOT / "docs" / "appliance-facts.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- example-command -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "docs/appliance-facts.md lost its example command block"
    argv = shlex.split(block.group(1).replace("\\\n", " "))
    assert argv[:2] == ["argus", "appliance-facts"]
    return argv[1:]


def test_documented_command_reproduces_the_checked_in_facts_file(tmp_path, monkeypatch, capsys):
    argv = documented_command()
    out_index = argv.index("--output") + 1
    assert argv[out_index] == "examples/appliance/contoso-mig-app01.facts.json"
    argv[out_index] = str(tmp_path / "facts.json")
    monkeypatch.chdir(ROOT)
    assert cli.main(argv) == 0
    assert capsys.readouterr().err == (
        f"argus appliance-facts: wrote appliance/contoso-mig-app01 (4 bypass entries, 2 DNS names) to {argv[out_index]}\n")
    assert (tmp_path / "facts.json").read_bytes() == (EXAMPLE / "contoso-mig-app01.facts.json").read_bytes()


def test_example_inputs_are_as_the_installer_writes_them():
    raw = (EXAMPLE / "appliance.json").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b'"EnableProxyBypassList":  "true",\r\n' in raw


def test_example_facts_file_has_the_scenario_values():
    row = json.loads((EXAMPLE / "contoso-mig-app01.facts.json").read_text(encoding="utf-8"))["appliance"][0]
    jsonschema.Draft202012Validator(SCHEMA).validate({"appliance": [row]})
    assert (row["id"], row["type"], row["kind"], row["collected_at"]) == (
        "appliance/contoso-mig-app01", "argus/appliance", "vmware-agentless", "2026-11-20T09:12:00Z")
    assert row["config"]["EnableProxyBypassList"] == "true" and row["config"]["FabricType"] == "VMware"
    assert row["proxy"] == {"enabled": True, "address": "http://proxy.contoso.local:8080", "bypass": [
        {"entry": ".*.blob.core.windows.net", "origin": "appliance"},
        {"entry": "<local>", "origin": "wininet"},
        {"entry": "*.contoso.local", "origin": "wininet"},
        {"entry": "10.*", "origin": "wininet"},
    ]}
    assert row["dns"] == {
        "gwsa4f8e2b1c9d.blob.core.windows.net": {
            "addresses": ["20.60.222.100"],
            "cname_chain": ["gwsa4f8e2b1c9d.privatelink.blob.core.windows.net", "blob.ams23prdstr11a.store.core.windows.net"]},
        "lsa4f8e2b1c9d.blob.core.windows.net": {
            "addresses": ["10.20.1.5"], "cname_chain": ["lsa4f8e2b1c9d.privatelink.blob.core.windows.net"]},
    }


# --- building a row --------------------------------------------------------------------------

def test_full_row_from_flags(tmp_path, appliance_json, capsys):
    answers = write(tmp_path / "a.json", json.dumps(
        {"LSA1.Blob.Core.Windows.Net.": {"addresses": ["10.0.0.9", "10.0.0.5", "10.0.0.9"], "cname_chain": ["LSA1.privatelink.blob.core.windows.net."]}}))
    code, out, err = run_cli(base_args(appliance_json, "--proxy-address", "http://proxy:3128",
                                       "--bypass-appliance", "lsa1.blob.core.windows.net", "--bypass-winhttp", "<local> *.corp",
                                       "--bypass-wininet", "10.*", "--bypass-winhttp", "192.168.*",
                                       "--dns-answers", answers, "--collected-at", "2026-11-20T10:12:00.5+01:00"), capsys)
    assert (code, err) == (0, "")
    assert json.loads(out) == {"appliance": [{
        "id": "appliance/app01", "type": "argus/appliance", "name": "app01", "kind": "vmware-agentless",
        "collected_at": "2026-11-20T09:12:00.500000Z",
        "config": {"FabricType": "VMware", "EnableProxyBypassList": "true", "ScaleOut": False},
        "proxy": {"enabled": True, "address": "http://proxy:3128", "bypass": [
            {"entry": "lsa1.blob.core.windows.net", "origin": "appliance"},
            {"entry": "10.*", "origin": "wininet"},
            {"entry": "<local>", "origin": "winhttp"},
            {"entry": "*.corp", "origin": "winhttp"},
            {"entry": "192.168.*", "origin": "winhttp"},
        ]},
        "dns": {"lsa1.blob.core.windows.net": {"addresses": ["10.0.0.5", "10.0.0.9"],
                                               "cname_chain": ["lsa1.privatelink.blob.core.windows.net"]}},
    }]}


def test_agent_based_without_appliance_json_and_without_proxy(capsys):
    code, out, err = run_cli(["--name", "cs01", "--kind", "agent-based", "--no-proxy", "--collected-at", "2026-01-02T03:04:05Z"], capsys)
    assert code == 0
    assert json.loads(out)["appliance"][0] == {
        "id": "appliance/cs01", "type": "argus/appliance", "name": "cs01", "kind": "agent-based",
        "collected_at": "2026-01-02T03:04:05Z", "config": None,
        "proxy": {"enabled": False, "address": None, "bypass": []}, "dns": {}}
    assert err == ("argus appliance-facts: warning: no --resolve or --dns-answers: the row carries no DNS answers "
                   "(rules that need them cannot run)\n")


def test_collected_at_defaults_to_now_in_utc(appliance_json, monkeypatch, capsys):
    from datetime import datetime, timezone
    from argus.facts import appliance
    monkeypatch.setattr(appliance, "_now", lambda: datetime(2027, 3, 4, 5, 6, 7, tzinfo=timezone.utc))
    argv = ["--name", "app01", "--kind", "vmware-agentless", "--appliance-json", appliance_json, "--no-proxy"]
    code, out, _ = run_cli(argv, capsys)
    assert code == 0 and json.loads(out)["appliance"][0]["collected_at"] == "2027-03-04T05:06:07Z"


@pytest.mark.parametrize("data", [
    PS51_APPLIANCE_JSON.encode("utf-8"),                          # no BOM
    b"\xef\xbb\xbf" + PS51_APPLIANCE_JSON.encode("utf-8"),        # PowerShell 5.1 -Encoding UTF8
    PS51_APPLIANCE_JSON.encode("utf-16"),                         # Notepad "Unicode" (UTF-16 LE with BOM)
])
def test_appliance_json_encodings(tmp_path, data, capsys):
    path = write(tmp_path / "appliance.json", data)
    code, out, _ = run_cli(base_args(path, "--no-proxy"), capsys)
    assert code == 0
    assert json.loads(out)["appliance"][0]["config"] == {"FabricType": "VMware", "EnableProxyBypassList": "true", "ScaleOut": False}


# --- user errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("content, message, source", [
    (b"\xef\xbb\xbf{\r\n    \"Cloud\":  \"Public\",\r\n}\r\n",
     "{path}:3:1: E410: not valid JSON: Expecting property name enclosed in double quotes", "}"),
    # Add-Content appends: a second installer run leaves two objects in the file.
    (b"\xef\xbb\xbf{\r\n    \"Cloud\":  \"Public\"\r\n}\r\n{\r\n    \"Cloud\":  \"Public\"\r\n}\r\n",
     "{path}:4:1: E410: not valid JSON: Extra data", "{"),
    (b"[\"Cloud\"]", "{path}:1:1: E410: appliance.json must be a JSON object, found list", '["Cloud"]'),
])
def test_malformed_appliance_json_is_located(tmp_path, content, message, source, capsys):
    path = write(tmp_path / "appliance.json", content)
    code, out, err = run_cli(base_args(path, "--no-proxy"), capsys)
    assert (code, out) == (2, "")
    assert err == f"{message.format(path=path)}\n  {source}\n  ^\n"  # each at the line's first character


def test_appliance_json_in_another_encoding_names_the_byte(tmp_path, capsys):
    path = write(tmp_path / "appliance.json", b"\xef\xbb\xbf{\"Cloud\": \"\xe9\"}")
    code, out, err = run_cli(base_args(path, "--no-proxy"), capsys)
    assert (code, out, err) == (
        2, "", f"argus appliance-facts: error: {path}: not UTF-8 text (byte 14): invalid continuation byte\n")


@pytest.mark.parametrize("extra, message", [
    (["--no-proxy", "--bypass-appliance", ".*.vault.azure.net;*.blob.core.windows.net"],
     "--bypass-appliance: appliance bypass entry '*.blob.core.windows.net' is not a valid regular expression: "
     "no argument for repetition operator: *"),
    (["--proxy-address", "proxy.contoso.local:8080"],
     "--proxy-address 'proxy.contoso.local:8080': write it as the appliance UI takes it, http://HOST[:PORT]"),
    (["--proxy-address", "http://proxy:80800"], "--proxy-address 'http://proxy:80800': the port is not a number from 0 to 65535"),
    (["--no-proxy", "--collected-at", "2026-11-20 09:12"], "--collected-at '2026-11-20 09:12': give the time zone (e.g. a trailing Z for UTC)"),
    (["--no-proxy", "--collected-at", "yesterday"], "--collected-at 'yesterday': not an ISO 8601 time such as 2026-11-20T09:12:00Z"),
    (["--no-proxy", "--append"], "--append needs --output FILE (the snapshot file to merge into)"),
    (["--no-proxy", "--dns-answers", "x.yaml", "--nameserver", "127.0.0.1"],
     "--nameserver is for live lookups; it cannot be combined with --dns-answers"),
    (["--no-proxy", "--resolve", "a.example", "--nameserver", "dns.contoso.local"],
     "--nameserver 'dns.contoso.local': expected an IP address, optionally with :PORT"),
])
def test_flag_errors(appliance_json, extra, message, capsys):
    code, out, err = run_cli(base_args(appliance_json, *extra), capsys)
    assert (code, out, err) == (2, "", f"argus appliance-facts: error: {message}\n")


def test_name_and_kind_rules(capsys):
    code, _, err = run_cli(["--name", "app/01", "--kind", "agent-based", "--no-proxy"], capsys)
    assert (code, err) == (2, "argus appliance-facts: error: --name 'app/01': use letters, digits, '-', '_' or '.', "
                              "starting with a letter or digit\n")
    code, _, err = run_cli(["--name", "app01", "--kind", "vmware-agentless", "--no-proxy"], capsys)
    assert (code, err) == (2, "argus appliance-facts: error: --appliance-json is required for a vmware-agentless appliance "
                              "(its proxy bypass switch lives there)\n")


def test_proxy_choice_is_required(capsys):
    code, _, err = run_cli(["--name", "cs01", "--kind", "agent-based"], capsys)
    assert code == 2 and err.endswith("argus appliance-facts: error: one of the arguments --proxy-address --no-proxy is required\n")


def test_warnings_for_switched_off_bypass_list_and_windows_dialect_slips(tmp_path, capsys):
    path = write(tmp_path / "appliance.json", b'\xef\xbb\xbf{"EnableProxyBypassList":  "false"}')
    code, out, err = run_cli(base_args(path, "--no-proxy", "--bypass-appliance", ".*.blob.core.windows.net",
                                       "--bypass-wininet", ".contoso.local"), capsys)
    assert code == 0 and json.loads(out)["appliance"][0]["proxy"]["bypass"] == [
        {"entry": ".*.blob.core.windows.net", "origin": "appliance"}, {"entry": ".contoso.local", "origin": "wininet"}]
    assert err.splitlines() == [
        "argus appliance-facts: warning: --bypass-wininet: '.contoso.local' matches no host: a leading '.' is not a "
        "domain suffix here; write '*.contoso.local'",
        "argus appliance-facts: warning: appliance bypass entries given, but appliance.json does not set "
        "EnableProxyBypassList to \"true\": the appliance UI does not offer its bypass list then",
        "argus appliance-facts: warning: no --resolve or --dns-answers: the row carries no DNS answers "
        "(rules that need them cannot run)",
    ]


def test_a_json_boolean_bypass_switch_is_kept_as_written_and_warned_about(tmp_path, capsys):
    path = write(tmp_path / "appliance.json", b'{"EnableProxyBypassList": true}')
    code, out, err = run_cli(base_args(path, "--no-proxy", "--bypass-appliance", ".*.blob.core.windows.net"), capsys)
    assert code == 0 and json.loads(out)["appliance"][0]["config"] == {"EnableProxyBypassList": True}
    assert err.splitlines()[:2] == [
        "argus appliance-facts: warning: appliance.json sets EnableProxyBypassList to the JSON value true; the "
        "appliance expects the string \"true\" (AMX-MP-07 fails on anything else)",
        "argus appliance-facts: warning: appliance bypass entries given, but appliance.json does not set "
        "EnableProxyBypassList to \"true\": the appliance UI does not offer its bypass list then",
    ]


# --- DNS answers files -----------------------------------------------------------------------

ANSWERS = """\
lsa1.blob.core.windows.net:
  cname_chain: [lsa1.privatelink.blob.core.windows.net]
  addresses: [10.20.1.5]
gwsa1.blob.core.windows.net:
  cname_chain: []
  addresses: [20.60.222.100]
"""


@pytest.mark.parametrize("resolve, expected_hosts", [
    ([], ["gwsa1.blob.core.windows.net", "lsa1.blob.core.windows.net"]),
    (["LSA1.blob.core.windows.net."], ["lsa1.blob.core.windows.net"]),
])
def test_answers_file_selects_hosts(tmp_path, resolve, expected_hosts):
    path = write(tmp_path / "answers.yaml", ANSWERS)
    assert list(dnsfacts.load_answers(path, resolve).answers) == expected_hosts


def test_answers_file_without_an_asked_host(tmp_path):
    path = write(tmp_path / "answers.yaml", ANSWERS)
    with pytest.raises(dnsfacts.UserError) as info:  # the --resolve flag asks for it: no place in the file
        dnsfacts.load_answers(path, ["missing.blob.core.windows.net"])
    assert str(info.value) == f"{path}: no answer for missing.blob.core.windows.net (asked with --resolve)"


@pytest.mark.parametrize("content, message", [
    ("a.example:\n  addresses: [10.0.0.1]\n", "{path}:2:3: E407: answer for a.example has no 'cname_chain'"),
    ("a.example:\n  addresses: [10.0.0.1]\n  cname_chain: []\n  ttl: 10\n", "{path}:4:3: E407: answer for a.example has unknown key 'ttl'"),
    ("a.example:\n  addresses: [10.0.0.300]\n  cname_chain: []\n", "{path}:2:15: E407: '10.0.0.300' in a.example addresses is not an IP address"),
    ("a.example:\n  addresses: 10.0.0.1\n  cname_chain: []\n", "{path}:2:14: E407: a.example addresses must be a list"),
    ("a.example:\n  addresses: [10.0.0.1\n  cname_chain: []\n", "{path}:3:14: E407: DNS answers are not valid YAML/JSON: expected ',' or ']', but got ':'"),
    ("a.example:\n  addresses: []\n  cname_chain: []\n  addresses: [10.0.0.1]\n",
     "{path}:4:3: E407: answer for a.example gives 'addresses' twice"),
    ("- a.example\n", "{path}:1:1: E407: DNS answers must be a map of host name -> answer"),
    ("", "{path}:1:1: E407: DNS answers must be a map of host name -> answer"),
    ("a.example: {addresses: [], cname_chain: []}\nA.EXAMPLE.: {addresses: [], cname_chain: []}\n",
     "{path}:2:1: E407: host a.example is given twice"),
])
def test_answers_file_errors(tmp_path, content, message):
    path = write(tmp_path / "answers.yaml", content)
    with pytest.raises(DiagnosticError) as info:
        dnsfacts.load_answers(path, [])
    head, source, caret = str(info.value).split("\n")
    line, col = (int(n) for n in message.format(path="").split(":")[1:3])
    assert (head, source, caret.index("^") + 1) == (message.format(path=path),
                                                    "  " + (content.split("\n")[line - 1]), col + 2)


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1", ("127.0.0.1", 53)),
    ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("[::1]:5353", ("::1", 5353)),
    ("::1", ("::1", 53)),
])
def test_parse_nameserver(text, expected):
    assert dnsfacts.parse_nameserver(text) == expected


# --- live lookups against a tiny DNS server on 127.0.0.1 --------------------------------------

ZONE = {
    # name: ("CNAME", target) | ("A", [addresses]) | ("SERVFAIL",)
    "lsa1.blob.core.windows.net.": ("CNAME", "lsa1.privatelink.blob.core.windows.net."),
    "lsa1.privatelink.blob.core.windows.net.": ("A", ["10.20.1.5"]),
    "gwsa1.blob.core.windows.net.": ("CNAME", "gwsa1.privatelink.blob.core.windows.net."),
    "gwsa1.privatelink.blob.core.windows.net.": ("CNAME", "blob.ams23prdstr11a.store.core.windows.net."),
    "blob.ams23prdstr11a.store.core.windows.net.": ("A", ["20.60.222.100"]),
    # Zone linked but record missing: the public CNAME leads into privatelink, which has no such name.
    "lsa2.blob.core.windows.net.": ("CNAME", "lsa2.privatelink.blob.core.windows.net."),
    "broken.contoso.local.": ("SERVFAIL",),
}


def _answer(query: dns.message.Message) -> bytes:
    response = dns.message.make_response(query)
    question = query.question[0]
    name = question.name.to_text().lower()
    for _ in range(8):
        record = ZONE.get(name)
        if record is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            break
        if record[0] == "SERVFAIL":
            response.set_rcode(dns.rcode.SERVFAIL)
            break
        if record[0] == "CNAME":
            response.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", record[1]))
            name = record[1]
            continue
        if question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text_list(name, 60, "IN", "A", record[1]))
        break
    return response.to_wire()


@pytest.fixture
def dns_server():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                wire, peer = sock.recvfrom(4096)
            except socket.timeout:
                continue
            sock.sendto(_answer(dns.message.from_wire(wire)), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    thread.join()
    sock.close()


def test_live_lookup_records_cname_chains(appliance_json, dns_server, capsys):
    code, out, err = run_cli(base_args(appliance_json, "--no-proxy", "--nameserver", dns_server, "--resolve",
                                       "LSA1.blob.core.windows.net", "--resolve", "gwsa1.blob.core.windows.net.",
                                       "--resolve", "lsa2.blob.core.windows.net"), capsys)
    assert code == 0
    assert json.loads(out)["appliance"][0]["dns"] == {
        "gwsa1.blob.core.windows.net": {
            "addresses": ["20.60.222.100"],
            "cname_chain": ["gwsa1.privatelink.blob.core.windows.net", "blob.ams23prdstr11a.store.core.windows.net"]},
        "lsa1.blob.core.windows.net": {
            "addresses": ["10.20.1.5"], "cname_chain": ["lsa1.privatelink.blob.core.windows.net"]},
        "lsa2.blob.core.windows.net": {
            "addresses": [], "cname_chain": ["lsa2.privatelink.blob.core.windows.net"]},
    }
    assert err == ("argus appliance-facts: warning: lsa2.blob.core.windows.net: the name does not exist (NXDOMAIN); "
                   "recorded with addresses []\n")


def test_live_lookup_without_an_answer_is_an_error(appliance_json, dns_server, capsys):
    code, out, err = run_cli(base_args(appliance_json, "--no-proxy", "--nameserver", dns_server,
                                       "--resolve", "broken.contoso.local"), capsys)
    assert (code, out) == (2, "")
    assert err.startswith("argus appliance-facts: error: DNS lookup of broken.contoso.local (A) got no answer: ")
    assert "SERVFAIL" in err


# --- --append and the schema -----------------------------------------------------------------

def test_append_replaces_same_id_and_keeps_other_tables(tmp_path, appliance_json, capsys):
    snapshot = tmp_path / "snap.json"
    other = {"id": "appliance/other", "type": "argus/appliance"}
    write(snapshot, json.dumps({"header": {"collected_at": "x"}, "resources": [{"id": "/subscriptions/1"}],
                                "appliance": [other, {"id": "APPLIANCE/APP01", "stale": True}]}))
    code, _, err = run_cli(base_args(appliance_json, "--no-proxy", "--append", "--output", str(snapshot)), capsys)
    assert code == 0
    merged = json.loads(snapshot.read_text(encoding="utf-8"))
    assert merged["header"] == {"collected_at": "x"} and merged["resources"] == [{"id": "/subscriptions/1"}]
    assert [r["id"] for r in merged["appliance"]] == ["appliance/other", "appliance/app01"]
    assert merged["appliance"][1]["collected_at"] == "2026-11-20T09:12:00Z"
    assert err.splitlines()[-2:] == [
        f"argus appliance-facts: warning: {snapshot}: replaced the earlier row appliance/app01",
        f"argus appliance-facts: wrote appliance/app01 (0 bypass entries, 0 DNS names) to {snapshot}"]


SHAPE = "{path}: --append needs a snapshot of tables ({{\"table\": [rows], ...}}); write a separate file instead"


@pytest.mark.parametrize("existing, stderr", [
    ('{"data": {"columns": []}}', f"argus appliance-facts: error: {SHAPE}\n"),
    ('[{"id": "x"}]', f"argus appliance-facts: error: {SHAPE}\n"),
    ('{"appliance": [', "{path}:1:16: E412: not valid JSON: Expecting value\n"  # 15 characters, then nothing
                        '  {{"appliance": [\n  ' + " " * 15 + "^\n"),
])
def test_append_refuses_other_shapes_and_leaves_the_file(tmp_path, appliance_json, existing, stderr, capsys):
    path = write(tmp_path / "snap.json", existing)
    code, _, err = run_cli(base_args(appliance_json, "--no-proxy", "--append", "--output", path), capsys)
    assert (code, err) == (2, stderr.format(path=path))
    assert Path(path).read_text(encoding="utf-8") == existing


def test_append_creates_a_missing_file(tmp_path, appliance_json, capsys):
    path = tmp_path / "new.json"
    assert run_cli(base_args(appliance_json, "--no-proxy", "--append", "--output", str(path)), capsys)[0] == 0
    assert [r["id"] for r in json.loads(path.read_text(encoding="utf-8"))["appliance"]] == ["appliance/app01"]


def test_host_name_the_schema_rejects_is_reported(tmp_path, appliance_json, capsys):
    answers = write(tmp_path / "a.yaml", "'bad host.example': {addresses: [], cname_chain: []}\n")
    code, _, err = run_cli(base_args(appliance_json, "--no-proxy", "--dns-answers", answers), capsys)
    assert code == 2
    assert err == ("argus appliance-facts: error: the appliance row does not fit appliance-facts.schema.json at "
                   "appliance/0/dns: 'bad host.example' does not match '^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$'\n")


def _example_row():
    return json.loads((EXAMPLE / "contoso-mig-app01.facts.json").read_text(encoding="utf-8"))["appliance"][0]


@pytest.mark.parametrize("mutate, path", [
    (lambda r: r.update(kind="physical"), ["appliance", 0, "kind"]),
    (lambda r: r["proxy"].update(address=None), ["appliance", 0, "proxy", "address"]),
    (lambda r: r["proxy"].update(enabled=False), ["appliance", 0, "proxy", "address"]),
    (lambda r: r["proxy"]["bypass"][0].update(origin="pac"), ["appliance", 0, "proxy", "bypass", 0, "origin"]),
    (lambda r: r["dns"].update({"Upper.Example": {"addresses": [], "cname_chain": []}}), ["appliance", 0, "dns"]),
    (lambda r: r["dns"]["lsa4f8e2b1c9d.blob.core.windows.net"].pop("cname_chain"),
     ["appliance", 0, "dns", "lsa4f8e2b1c9d.blob.core.windows.net"]),
    (lambda r: r.update(collected_at="2026-11-20 09:12"), ["appliance", 0, "collected_at"]),
    (lambda r: r.update(extra=1), ["appliance", 0]),
])
def test_schema_rejects_malformed_rows(mutate, path):
    row = copy.deepcopy(_example_row())
    mutate(row)
    errors = list(jsonschema.Draft202012Validator(SCHEMA).iter_errors({"appliance": [row]}))
    assert [list(e.absolute_path) for e in errors] == [path]
