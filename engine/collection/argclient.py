"""Azure Resource Graph and ARM access for the collector, through the Azure SDK pipeline.

In: an ARM endpoint choice (cloud name or URL), a credential choice (ARGUS_ACCESS_TOKEN or
DefaultAzureCredential, optional tenant), KQL text and scopes. Out: complete row lists (every page,
checked for truncation, partial scopes and paging gaps) and ARM child-resource lists; any fault is
raised as FetchError, which the caller turns into a UserError naming the query and scope.

Throttling: ARG reports the caller's quota in x-ms-user-quota-remaining / -resets-after. QuotaPacer
waits before the next request while the quota is spent; ArgRetryPolicy retries 408/429/5xx (POST
included: ARG queries are read-only) and waits the quota reset on a 429 without Retry-After.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote, urlsplit

from azure.core import AzureClouds
from azure.core.credentials import AccessToken
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline.policies import HTTPPolicy, RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential
from azure.mgmt.core.tools import get_arm_endpoints
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from argus.errors import UserError

ARG_API_VERSION = "2021-03-01"
PAGE_SIZE = 1000  # ARG's maximum $top
TOKEN_ENV = "ARGUS_ACCESS_TOKEN"
QUOTA_REMAINING = "x-ms-user-quota-remaining"
QUOTA_RESETS = "x-ms-user-quota-resets-after"
SUBSCRIPTION_LIMIT_HIT = "x-ms-tenant-subscription-limit-hit"
MAX_WAIT = 120.0

CLOUDS = {
    "public": (AzureClouds.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_PUBLIC_CLOUD),
    "usgov": (AzureClouds.AZURE_US_GOVERNMENT, AzureAuthorityHosts.AZURE_GOVERNMENT),
    "china": (AzureClouds.AZURE_CHINA_CLOUD, AzureAuthorityHosts.AZURE_CHINA),
}

# Every wait goes through these two names so tests can substitute a fake clock.
pause: Callable[[float], None] = time.sleep
monotonic: Callable[[], float] = time.monotonic


class FetchError(Exception):
    """A read that did not yield complete data; the message says why (without query or scope)."""


@dataclass(frozen=True)
class Endpoint:
    cloud: str  # public | usgov | china | custom
    url: str  # ARM base URL, no trailing slash
    scope: str  # token scope for ARM
    authority: str | None
    plain_http: bool  # only ever true for a loopback address


@dataclass(frozen=True)
class Scope:
    subscriptions: tuple[str, ...] = ()
    management_groups: tuple[str, ...] = ()

    def describe(self) -> str:
        kind, ids = ("subscription", self.subscriptions) if self.subscriptions else (
            "management group", self.management_groups)
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        return f"{kind}{'s' if len(ids) > 1 else ''} {shown}"


def resolve_endpoint(cloud: str | None, arm_endpoint: str | None) -> Endpoint:
    """--cloud picks a sovereign cloud; --arm-endpoint overrides its ARM URL (https, or http on loopback)."""
    name = cloud or "public"
    arm_cloud, authority = CLOUDS[name]
    known = get_arm_endpoints(arm_cloud)
    if not arm_endpoint:
        return Endpoint(name, known["resource_manager"].rstrip("/"), known["credential_scopes"][0], authority, False)
    parts = urlsplit(arm_endpoint)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UserError(f"--arm-endpoint {arm_endpoint!r}: expected an https:// URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UserError(f"--arm-endpoint {arm_endpoint!r}: credentials, query and fragment are not allowed")
    plain = parts.scheme == "http"
    if plain and not _is_loopback(parts.hostname):
        raise UserError(f"--arm-endpoint {arm_endpoint!r}: plain http is accepted only for a loopback address "
                        "(127.0.0.0/8 or ::1); use https")
    url = arm_endpoint.rstrip("/")
    scope = known["credential_scopes"][0] if cloud else f"{parts.scheme}://{parts.netloc}/.default"
    return Endpoint(cloud or "custom", url, scope, authority if cloud else None, plain)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StaticTokenCredential:
    """A bearer token obtained elsewhere (ARGUS_ACCESS_TOKEN); ARM rejects it with 401 once it expires."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)

    def close(self) -> None:
        pass


class TenantCredential:
    """Asks the wrapped credential for tokens of one tenant (--tenant)."""

    def __init__(self, inner: Any, tenant: str) -> None:
        self._inner, self._tenant = inner, tenant

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        kwargs["tenant_id"] = kwargs.get("tenant_id") or self._tenant
        return self._inner.get_token(*scopes, **kwargs)

    def close(self) -> None:
        self._inner.close()


def build_credential(endpoint: Endpoint, tenant: str | None) -> Any:
    """ARGUS_ACCESS_TOKEN when set (it must not be empty), else DefaultAzureCredential."""
    token = os.environ.get(TOKEN_ENV)
    if token is not None:
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise UserError(f"{TOKEN_ENV} is set but empty; unset it to use DefaultAzureCredential")
        return StaticTokenCredential(token)
    options: dict[str, Any] = {}
    if endpoint.authority:
        options["authority"] = endpoint.authority
    if tenant:
        options["additionally_allowed_tenants"] = [tenant]
        return TenantCredential(DefaultAzureCredential(**options), tenant)
    return DefaultAzureCredential(**options)


def parse_resets_after(value: str | None) -> float | None:
    """ARG's x-ms-user-quota-resets-after is hh:mm:ss (seconds may carry a fraction)."""
    match = re.fullmatch(r"\s*(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*", value or "")
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return min(MAX_WAIT, int(hours) * 3600 + int(minutes) * 60 + float(seconds))


class QuotaPacer(HTTPPolicy):
    """Holds the next ARG request back until the quota resets, once a response says it is spent."""

    def __init__(self, notify: Callable[[str], None]) -> None:
        super().__init__()
        self._notify = notify
        self._not_before = 0.0

    def send(self, request):
        wait = self._not_before - monotonic()
        if wait > 0 and "/providers/microsoft.resourcegraph/" in request.http_request.url.lower():
            self._notify(f"Resource Graph quota spent; waiting {wait:g} s for it to reset")
            pause(wait)
        response = self.next.send(request)
        headers = response.http_response.headers
        resets = parse_resets_after(headers.get(QUOTA_RESETS))
        remaining = headers.get(QUOTA_REMAINING, "").strip()
        if resets is not None and remaining.lstrip("-").isdigit() and int(remaining) <= 0:
            self._not_before = monotonic() + resets
        return response


class ArgRetryPolicy(RetryPolicy):
    """Retries 408, 429, 500 and 502-504 (POST included) after Retry-After, the quota reset, or backoff.

    Backoff doubles from 1 s up to 60 s; eight retries, then the error goes to the caller.
    """

    def __init__(self, notify: Callable[[str], None]) -> None:
        super().__init__(retry_total=8, retry_status=8, retry_connect=3, retry_read=3,
                         retry_backoff_factor=1.0, retry_backoff_max=60)
        self._method_whitelist = self._method_whitelist | {"POST"}
        self._notify = notify

    def get_retry_after(self, response) -> float | None:
        after = super().get_retry_after(response)
        if after is None and response.http_response.status_code == 429:
            after = parse_resets_after(response.http_response.headers.get(QUOTA_RESETS))
        return None if after is None else min(after, MAX_WAIT)

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        attempts = len(settings["history"])
        return min(settings["max_backoff"], settings["backoff"] * 2 ** max(attempts - 1, 0))

    def sleep(self, settings, transport, response=None) -> None:
        wait = (self.get_retry_after(response) if response is not None else None) or self.get_backoff_time(settings)
        what = f"HTTP {response.http_response.status_code}" if response is not None else "connection error"
        self._notify(f"{what}; retrying in {wait:g} s")
        if wait > 0:
            transport.sleep(wait)


class _Transport(RequestsTransport):
    def sleep(self, duration: float) -> None:
        pause(duration)


class ArgSession:
    """One ResourceGraphClient (and its pipeline) for all ARG queries and ARM reads of a run."""

    def __init__(self, endpoint: Endpoint, credential: Any, notify: Callable[[str], None]) -> None:
        self._endpoint = endpoint
        self._credential = credential
        # A proxy never has business with a loopback endpoint, and test runs must not depend on one.
        transport = _Transport(use_env_settings=not endpoint.plain_http, connection_timeout=30, read_timeout=300)
        self._client = ResourceGraphClient(
            credential, base_url=endpoint.url, credential_scopes=[endpoint.scope], api_version=ARG_API_VERSION,
            retry_policy=ArgRetryPolicy(notify), per_retry_policies=[QuotaPacer(notify)], transport=transport)
        # The SDK refuses bearer tokens over plain http unless told per call; resolve_endpoint
        # only lets plain http through for loopback addresses.
        self._call = {"enforce_https": not endpoint.plain_http}

    def __enter__(self) -> "ArgSession":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._client.close()
        close = getattr(self._credential, "close", None)
        if close:
            close()

    def query(self, text: str, scope: Scope, on_page: Callable[[int], None]) -> list[dict]:
        """All rows of one query over one scope, or FetchError if any part is missing."""
        rows: list[dict] = []
        seen: set[str] = set()
        token, total = None, None
        while True:
            response, headers = self._post(text, scope, token)
            data = _check_page(response, headers)
            total = response.total_records if total is None else total
            for row in data:
                key = str(row.get("id") or "").casefold()
                if not key:
                    raise FetchError("ARG returned a row without an id; paging cannot be checked")
                if key in seen:
                    raise FetchError(f"paging returned row {row['id']} twice; the result is not stable")
                seen.add(key)
            rows.extend(data)
            on_page(len(data))
            token = response.skip_token
            if not token:
                break
        if len(rows) != total:
            raise FetchError(f"ARG reported {total} matching rows (totalRecords) but paging returned {len(rows)}")
        return rows

    def _post(self, text: str, scope: Scope, token: str | None):
        options = QueryRequestOptions(skip_token=token, top=PAGE_SIZE, result_format="objectArray",
                                      allow_partial_scopes=False)
        request = QueryRequest(query=text, subscriptions=list(scope.subscriptions) or None,
                               management_groups=list(scope.management_groups) or None, options=options)
        try:
            return self._client.resources(
                request, cls=lambda pipeline_response, body, _: (body, pipeline_response.http_response.headers),
                **self._call)
        except AzureError as exc:
            raise FetchError(describe_error(exc)) from exc

    def arm_list(self, resource_path: str, api_version: str) -> list[dict]:
        """GET an ARM collection under resource_path (following nextLink) and return its items."""
        url: str | None = f"{quote(resource_path, safe='/')}?api-version={api_version}"
        items: list[dict] = []
        while url:
            try:
                response = self._client._send_request(HttpRequest("GET", url), **self._call)
            except AzureError as exc:
                raise FetchError(describe_error(exc)) from exc
            if response.status_code != 200:
                raise FetchError(_describe_arm_failure(response))
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise FetchError("ARM answered without a 'value' list")
            items.extend(body["value"])
            url = body.get("nextLink")
            if url and not url.lower().startswith(self._endpoint.url.lower() + "/"):
                raise FetchError(f"ARM nextLink {url!r} leaves the ARM endpoint {self._endpoint.url}")
        return items


def _check_page(response: Any, headers: Any) -> list[dict]:
    if str(headers.get(SUBSCRIPTION_LIMIT_HIT, "")).strip().lower() == "true":
        raise FetchError(f"ARG read only part of the scope ({SUBSCRIPTION_LIMIT_HIT}: the identity can see more "
                         "subscriptions than ARG evaluates at once); split the scope into smaller ones")
    # The SDK model may hold the enum ResultTruncated.TRUE, whose str() is 'ResultTruncated.TRUE', not 'true'.
    truncated = response.result_truncated
    if str(getattr(truncated, "value", truncated)).strip().lower() == "true":
        raise FetchError("ARG truncated the result (resultTruncated true) and gave no skip token to page on")
    data = response.data
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise FetchError("ARG did not answer with an object array (resultFormat objectArray)")
    if response.count != len(data):
        raise FetchError(f"ARG page says count {response.count}, but its data has {len(data)}")
    return data


def describe_error(exc: AzureError) -> str:
    if isinstance(exc, ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        first = str(exc.message or exc).strip().splitlines()[0]
        return (f"no usable Azure credential: {first} (set {TOKEN_ENV}, or configure a managed identity, "
                "service principal or az login for DefaultAzureCredential)")
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        error = getattr(exc, "error", None)
        return _http_text(exc.status_code, getattr(error, "code", None) or exc.reason,
                          getattr(error, "message", None))
    detail = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0] if detail else 'request failed'}"


def _describe_arm_failure(response: Any) -> str:
    code, message = response.reason, None
    try:
        error = response.json().get("error") or {}
        code, message = error.get("code") or code, error.get("message")
    except (ValueError, AttributeError):
        pass
    return _http_text(response.status_code, code, message)


def _http_text(status: int, code: str | None, message: str | None) -> str:
    text = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if status == 401:
        text += " (the token was rejected: expired, or issued for another cloud or tenant)"
    elif status == 403:
        text += " (the identity needs Reader on every scope collected)"
    elif status in (408, 429) or status >= 500:
        text += " (still failing after retries)"
    return text
