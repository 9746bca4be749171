"""A stand-in for Azure Resource Graph and ARM on 127.0.0.1, for the collector tests.

In: an estate (tables of ARG rows, management group membership, DNS zone groups per private
endpoint) and scripted faults. Out: an HTTP server that answers
`POST /providers/Microsoft.ResourceGraph/resources` the way ARG does (objectArray pages of at most
$top rows, skip tokens, totalRecords, quota headers), `GET <private endpoint id>/privateDnsZoneGroups`
and `GET /providers/Microsoft.Management/managementGroups/<id>/descendants` the way ARM does (value +
nextLink). A management group holds the subscriptions listed for it in `management_groups` and, through
`management_group_children`, those of its child groups; a subscription listed there without rows is one
the identity cannot read (ARG leaves it out, ARM still lists it under its group). It understands exactly the KQL shape the collector sends
(table, `| where type in~ (...)` / `=~`, `| order by id asc`) and rejects anything else, and it
checks every request (bearer token, api-version, scopes, $top, resultFormat, allowPartialScopes,
skip tokens it issued), recording what it received in `requests` and what it rejected in `violations`.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

ARG_PATH = "/providers/Microsoft.ResourceGraph/resources"
ARG_API_VERSION = "2021-03-01"
ZONE_GROUP_API_VERSION = "2024-05-01"
DESCENDANTS_API_VERSION = "2020-05-01"
QUOTA_HEADERS = {"x-ms-user-quota-remaining": "14", "x-ms-user-quota-resets-after": "00:00:05"}
_ZONE_GROUPS_PATH = re.compile(
    r"(/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateEndpoints/[^/]+)"
    r"/privateDnsZoneGroups", re.IGNORECASE)
_DESCENDANTS_PATH = re.compile(r"/providers/Microsoft\.Management/managementGroups/([^/]+)/descendants",
                               re.IGNORECASE)
_WHERE_IN = re.compile(r"\| where type in~ \(((?:'[^']*'(?:, )?)+)\)")
_WHERE_EQ = re.compile(r"\| where type =~ '([^']*)'")


def reply(status: int = 200, headers: dict | None = None, body: Any = None, patch: dict | None = None) -> dict:
    """A scripted answer. status 200 with no body serves the normal page, with `patch` merged into it."""
    return {"status": status, "headers": headers or {}, "body": body, "patch": patch}


def arg_request(text: str, page: int | None = None) -> Callable[[dict], bool]:
    """Matches ARG requests whose query contains `text` (and, if given, asks for page `page`, from 0)."""
    return lambda rec: rec["kind"] == "arg" and text in rec["query"] and page in (None, rec["page"])


def arm_request(text: str) -> Callable[[dict], bool]:
    return lambda rec: rec["kind"] == "arm" and text.casefold() in rec["path"].casefold()


class ArgStandIn:
    def __init__(self, estate: dict, *, token: str = "standin-token", page_size: int | None = None,
                 arm_page_size: int | None = None) -> None:
        self.estate = copy.deepcopy(estate)
        self.token = token
        self.page_size = page_size  # serve fewer rows than $top, to exercise paging on small estates
        self.arm_page_size = arm_page_size
        self.requests: list[dict] = []
        self.violations: list[str] = []
        self._scripts: list[tuple[Callable[[dict], bool], deque]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "ArgStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def script(self, match: Callable[[dict], bool], *replies: dict) -> None:
        """Answer the next len(replies) matching requests with these replies, in order."""
        with self._lock:
            self._scripts.append((match, deque(replies)))

    def arg_requests(self) -> list[dict]:
        return [rec for rec in self.requests if rec["kind"] == "arg"]

    # -- request handling (runs on server threads) --

    def handle(self, method: str, target: str, headers: dict, raw: bytes) -> tuple[int, dict, Any]:
        parts = urlsplit(target)
        path, params = unquote(parts.path), {k: v[-1] for k, v in parse_qs(parts.query).items()}
        record = {"method": method, "path": path, "params": params,
                  "authorization": headers.get("authorization"), "kind": "other", "query": "", "page": None}
        with self._lock:
            self.requests.append(record)
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, _error("AuthenticationFailed", "stand-in: missing or wrong bearer token")
        if method == "POST" and path == ARG_PATH:
            return self._arg(record, params, raw)
        match = _ZONE_GROUPS_PATH.fullmatch(path)
        if method == "GET" and match:
            return self._zone_groups(record, match.group(1), params)
        match = _DESCENDANTS_PATH.fullmatch(path)
        if method == "GET" and match:
            return self._descendants(record, match.group(1), params)
        return self._reject(404, "NotFound", f"no such operation: {method} {path}")

    def _scripted(self, record: dict) -> dict | None:
        with self._lock:
            for match, replies in self._scripts:
                if replies and match(record):
                    return replies.popleft()
        return None

    def _reject(self, status: int, code: str, message: str) -> tuple[int, dict, Any]:
        with self._lock:
            self.violations.append(message)
        return status, {}, _error(code, f"stand-in: {message}")

    def _arg(self, record: dict, params: dict, raw: bytes) -> tuple[int, dict, Any]:
        record["kind"] = "arg"
        try:
            body = json.loads(raw)
        except ValueError:
            return self._reject(400, "BadRequest", "request body is not JSON")
        record["body"] = body
        record["query"] = str(body.get("query", ""))
        problem = _check_arg_request(params, body)
        if problem:
            return self._reject(400, "BadRequest", problem)
        options = body["options"]
        context = _token_context(body)
        offset = 0
        if "$skipToken" in options:
            offset = _read_token(options["$skipToken"], context)
            if offset is None:
                return self._reject(400, "BadRequest", "skip token not issued for this query and scope")
        size = min(options["$top"], self.page_size or options["$top"])
        record["page"] = offset // size
        scripted = self._scripted(record)
        if scripted and (scripted["status"] != 200 or scripted["body"] is not None):
            return scripted["status"], scripted["headers"], scripted["body"] or _error("Scripted", "scripted fault")
        try:
            rows = self._select(record["query"], body)
        except ValueError as exc:
            return self._reject(400, "InvalidQuery", str(exc))
        page = rows[offset:offset + size]
        answer = {"totalRecords": len(rows), "count": len(page), "data": page, "facets": [],
                  "resultTruncated": "false"}
        if offset + size < len(rows):
            answer["$skipToken"] = _make_token(context, offset + size)
        if scripted:
            answer.update(scripted["patch"] or {})
        return 200, {**QUOTA_HEADERS, **(scripted["headers"] if scripted else {})}, answer

    def _select(self, query: str, body: dict) -> list[dict]:
        lines = [line.strip() for line in query.splitlines() if line.strip()]
        table = lines[0] if lines else ""
        if table not in ("resources", "resourcecontainers", "dnsresources"):
            raise ValueError(f"unknown table {table!r}")
        if lines[-1] != "| order by id asc":
            raise ValueError("query does not end with '| order by id asc'")
        filters = []
        for line in lines[1:-1]:
            if m := _WHERE_IN.fullmatch(line):
                filters.append({t.strip("'").casefold() for t in m.group(1).split(", ")})
            elif m := _WHERE_EQ.fullmatch(line):
                filters.append({m.group(1).casefold()})
            else:
                raise ValueError(f"stand-in does not understand {line!r}")
        in_scope = self._scope_subscriptions(body)
        rows = [row for row in self.estate.get(table, [])
                if row["subscriptionId"].casefold() in in_scope and all(row["type"].casefold() in f for f in filters)]
        return sorted(rows, key=lambda row: row["id"])

    def _scope_subscriptions(self, body: dict) -> set[str]:
        subscriptions = {s.casefold() for s in body.get("subscriptions") or ()}
        for group in body.get("managementGroups") or ():
            subscriptions |= {s.casefold() for _, s in self._group_subscriptions(group)}
        return subscriptions

    def _group_subscriptions(self, group: str) -> list[tuple[str, str]]:
        """(parent group, subscription) for every subscription under `group`, child groups included."""
        out = [(group, s) for s in self.estate["management_groups"].get(group, ())]
        for child in self.estate.get("management_group_children", {}).get(group, ()):
            out += self._group_subscriptions(child)
        return out

    def _descendants(self, record: dict, group: str, params: dict) -> tuple[int, dict, Any]:
        record["kind"] = "arm"
        if params.get("api-version") != DESCENDANTS_API_VERSION:
            return self._reject(400, "InvalidApiVersion", f"api-version {params.get('api-version')!r}")
        scripted = self._scripted(record)
        if scripted:
            return scripted["status"], scripted["headers"], scripted["body"] or _error("Scripted", "scripted fault")
        if group not in self.estate["management_groups"]:
            return 404, {}, _error("NotFound", f"'{group}' not found")
        mg_id = "/providers/Microsoft.Management/managementGroups/{}".format
        items = [{"name": child, "type": "Microsoft.Management/managementGroups", "id": mg_id(child),
                  "properties": {"displayName": child, "parent": {"id": mg_id(parent)}}}
                 for parent, child in self._group_children(group)]
        items += [{"name": sub, "type": "Microsoft.Management/managementGroups/subscriptions",
                   "id": f"/subscriptions/{sub}", "properties": {"displayName": sub, "parent": {"id": mg_id(parent)}}}
                  for parent, sub in self._group_subscriptions(group)]
        offset = int(params.get("$skiptoken", "0"))
        size = self.arm_page_size or max(len(items), 1)
        answer: dict[str, Any] = {"value": items[offset:offset + size]}
        if self.arm_page_size and offset + size < len(items):
            answer["nextLink"] = (f"{self.url}{mg_id(group)}/descendants"
                                  f"?api-version={DESCENDANTS_API_VERSION}&$skiptoken={offset + size}")
        return 200, {}, answer

    def _group_children(self, group: str) -> list[tuple[str, str]]:
        out = []
        for child in self.estate.get("management_group_children", {}).get(group, ()):
            out += [(group, child)] + self._group_children(child)
        return out

    def _zone_groups(self, record: dict, endpoint_id: str, params: dict) -> tuple[int, dict, Any]:
        record["kind"] = "arm"
        if params.get("api-version") != ZONE_GROUP_API_VERSION:
            return self._reject(400, "InvalidApiVersion", f"api-version {params.get('api-version')!r}")
        scripted = self._scripted(record)
        if scripted:
            return scripted["status"], scripted["headers"], scripted["body"] or _error("Scripted", "scripted fault")
        groups = {k.casefold(): v for k, v in self.estate["zone_groups"].items()}.get(endpoint_id.casefold())
        if groups is None:
            return 404, {}, _error("ResourceNotFound", f"The Resource '{endpoint_id}' was not found.")
        offset = int(params.get("$skiptoken", "0"))
        size = self.arm_page_size or max(len(groups), 1)
        answer: dict[str, Any] = {"value": groups[offset:offset + size]}
        if self.arm_page_size and offset + size <= len(groups):
            answer["nextLink"] = (f"{self.url}{endpoint_id}/privateDnsZoneGroups"
                                  f"?api-version={ZONE_GROUP_API_VERSION}&$skiptoken={offset + size}")
        return 200, {}, answer


def _check_arg_request(params: dict, body: dict) -> str | None:
    if params.get("api-version") != ARG_API_VERSION:
        return f"api-version {params.get('api-version')!r}, expected {ARG_API_VERSION}"
    if bool(body.get("subscriptions")) == bool(body.get("managementGroups")):
        return "exactly one of subscriptions and managementGroups must be given"
    options = body.get("options") or {}
    expected = {"$top": 1000, "resultFormat": "objectArray", "allowPartialScopes": False}
    for key, value in expected.items():
        if options.get(key) != value or type(options.get(key)) is not type(value):
            return f"options.{key} is {options.get(key)!r}, expected {value!r}"
    extra = set(options) - set(expected) - {"$skipToken"}
    if extra:
        return f"unexpected options {sorted(extra)}"
    return None


def _token_context(body: dict) -> str:
    scope = json.dumps([body.get("subscriptions"), body.get("managementGroups")])
    return hashlib.sha256((body["query"] + scope).encode()).hexdigest()[:16]


def _make_token(context: str, offset: int) -> str:
    return base64.b64encode(json.dumps({"c": context, "o": offset}).encode()).decode()


def _read_token(token: str, context: str) -> int | None:
    try:
        data = json.loads(base64.b64decode(token, validate=True))
    except ValueError:
        return None
    return data["o"] if data.get("c") == context else None


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _handler(standin: ArgStandIn) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = standin.handle(self.command, self.path, headers, raw)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


# -- shared by the collector tests --

ESTATE_FILE = Path(__file__).with_name("test_collect_estate.json")
SUB_HUB = "6f1a2b3c-4d5e-4f60-8a71-92b3c4d5e6f7"
SUB_MIGRATE = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
SUB_SANDBOX = "aa11bb22-cc33-4d44-8e55-ff6677889900"


def load_estate() -> dict:
    return json.loads(ESTATE_FILE.read_text(encoding="utf-8"))


class FakeClock:
    """Replaces argclient.pause/monotonic: records every wait and advances time by it, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def standin_token(monkeypatch):
    """The collector takes ARGUS_ACCESS_TOKEN instead of DefaultAzureCredential; the stand-in checks it."""
    monkeypatch.setenv("ARGUS_ACCESS_TOKEN", "standin-token")


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """Retries and quota pacing wait on a fake clock: instant, and every wait is recorded."""
    from argus.collection import argclient
    fake = FakeClock()
    monkeypatch.setattr(argclient, "pause", fake.sleep)
    monkeypatch.setattr(argclient, "monotonic", fake.monotonic)
    return fake
