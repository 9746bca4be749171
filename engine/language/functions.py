"""Built-in functions: one table of declarations, read by the checker (names, arity, literal arguments) and
the compiler (implementations).

In: argument values (plain JSON values, rows, Missing). Out: a value. Adding a function is one `Function(...)`
entry in FUNCTIONS. Unless a function declares `takes_missing`, a Missing argument is passed through as the
result, so absent data stays visible as not_evaluated. A Partial list (some elements unreadable or undecided)
stays Partial through the list functions, counts as a range (`Count`), and is never "empty" or "exactly one"
for sure. Literal-only arguments (`literal`) are prepared once at compile time by `prepare` (e.g. a JSONPath
is parsed once, never per resource).
The implementations of the newer functions live by domain in argus.language.fn_order (numbers, order, versions),
argus.language.fn_net (addresses, prefixes, ports) and argus.language.fn_time (time: `needs_now` functions get the scan's one
instant first); the table stays here, one for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from argus.language import fn_net
from argus.language import fn_order
from argus.language import fn_time
from argus.language import unresolved
from argus.language.values import Count, EvalError, Missing, Partial, json_key, partial, type_name


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    params: tuple[str, ...]           # kinds: any string number bool list object
    impl: Callable[..., Any]
    doc: str
    variadic: bool = False            # the last param repeats
    takes_missing: bool = False       # impl receives Missing arguments itself
    needs_context: bool = False       # impl(ctx, *args): ctx is the evaluation context (snapshot access)
    literal: tuple[int, ...] = ()     # argument positions that must be literals
    prepare: Callable[[Any], Any] | None = None  # compile-time preparation of the literal argument(s)
    needs_now: bool = False           # impl(now, *args): now is the scan's one instant (argus.evaluation.clock)
    literal_kind: str = "JSONPath"    # what `prepare` reads, for its E304 message
    names_call: bool = False          # its own Missing ("f(): ...") names the call as written: f(a.b): ...

    def arity(self) -> tuple[int, int | None]:
        n = len(self.params)
        return (n - 1 if self.variadic else n), (None if self.variadic else n)


def _s(name: str, v) -> str:
    if not isinstance(v, str):
        raise EvalError(f"{name}() needs a string, got {type_name(v)}")
    return v


def _segments(name: str, rid) -> list[str]:
    return [p for p in _s(name, rid).split("/") if p]


def _rebuild(parts: list[str]) -> str:
    return "/" + "/".join(parts)


def type_of_id(rid: str) -> str:
    """The resource type an ARM id names, lower-cased as the loader lower-cases ARG's `type` ("" for none)."""
    parts = [p for p in rid.split("/") if p]
    low = [p.casefold() for p in parts]
    if "providers" in low:
        i = len(low) - 1 - low[::-1].index("providers")
        ns, rest = parts[i + 1], parts[i + 2:]
        return "/".join([ns] + rest[0::2]).lower()
    if len(parts) == 4 and low[2] == "resourcegroups":
        return "microsoft.resources/subscriptions/resourcegroups"
    if len(parts) == 2 and low[0] == "subscriptions":
        return "microsoft.resources/subscriptions"
    return ""


def parent_id(rid):
    parts = _segments("parent_id", rid)
    if len(parts) <= 2:
        return Missing(f"parent_id: '{rid}' has no parent")
    parts = parts[:-2]
    if len(parts) >= 2 and parts[-2].casefold() == "providers":
        parts = parts[:-2]
    return _rebuild(parts)


def resource_group_id(rid):
    parts = _segments("resource_group_id", rid)
    if len(parts) < 4 or parts[2].casefold() != "resourcegroups":
        return Missing(f"resource_group_id: '{rid}' is not inside a resource group")
    return _rebuild(parts[:4])


def subscription_id(rid):
    parts = _segments("subscription_id", rid)
    if len(parts) < 2 or parts[0].casefold() != "subscriptions":
        return Missing(f"subscription_id: '{rid}' has no subscription")
    return parts[1]


def _find_type(name: str, rid, type_segment) -> tuple[list[str], int] | Missing:
    parts = _segments(name, rid)
    want = _s(name, type_segment).casefold()
    for i in range(len(parts) - 1):
        if parts[i].casefold() == want:
            return parts, i
    return Missing(f"{name}: no '{type_segment}' segment in '{rid}'")


def id_prefix(rid, type_segment):
    found = _find_type("id_prefix", rid, type_segment)
    if isinstance(found, Missing):
        return found
    parts, i = found
    return _rebuild(parts[: i + 2])


def id_segment(rid, type_segment):
    found = _find_type("id_segment", rid, type_segment)
    if isinstance(found, Missing):
        return found
    parts, i = found
    return parts[i + 1]


def id_name(rid):
    parts = _segments("id_name", rid)
    return parts[-1] if parts else Missing(f"id_name: '{rid}' is empty")


def _list(name: str, v) -> list:
    if not isinstance(v, list):
        raise EvalError(f"{name}() needs a list, got {type_name(v)}")
    return v


def _len(v):
    if v.__class__ is Partial:
        return _count(v)
    if isinstance(v, (list, str, dict)):
        return len(v)
    raise EvalError(f"len() needs a list, string or object, got {type_name(v)}")


def _count(xs):
    xs = _list("count", xs)
    if xs.__class__ is Partial:
        return Count(len(xs), None if xs.extra is None else len(xs) + xs.extra, xs.missing)
    return len(xs)


def _empty(xs):
    xs = _list("empty", xs)
    if xs.__class__ is Partial and not xs:
        return xs.missing  # nothing certain, but the undecided elements may be there
    return not xs


def _first(xs):
    """The first element. Of a Partial list it is unknown: an element that could not be read or decided may
    come before the first certain one."""
    xs = _list("first", xs)
    if xs.__class__ is Partial:
        return xs.missing
    if xs:
        return xs[0]
    return Missing("first(): the list is empty")


def _only(xs, what="value"):
    xs = _list("only", xs)
    if xs.__class__ is Partial:
        more = "some" if xs.extra is None else xs.extra
        return Missing(f"exactly one {what} expected, found {len(xs)} and {more} undecided ({xs.missing.describe()})",
                       static=True)
    if len(xs) == 1:
        return xs[0]
    return Missing(f"exactly one {what} expected, found {len(xs)}", static=True)


def _nonempty(xs, what):
    xs = _list("nonempty", xs)
    if xs:
        return xs
    return xs.missing if xs.__class__ is Partial else Missing(f"no {what} in the snapshot")


def _keep(out: list, *sources, lost=None, extra=0):
    """out, as a Partial when a source list was Partial (or `lost` says an element was dropped)."""
    for src in sources:
        if src.__class__ is Partial:
            lost = lost or src.missing
            extra = None
    return out if lost is None else partial(out, lost, extra)


def _resource(ctx, rid):
    if rid is None:
        return Missing("resource(): the id is null")
    row = ctx.snapshot.by_id(_s("resource", rid))
    return row if row is not None else Missing(f"{rid} is not in the snapshot")


def _private_link_connections(pe):
    """Automatic and manual private-link connections of a private endpoint, in one list."""
    if type(pe) is dict:  # a plain row with both lists (every ARG row): the answer in four lookups
        props = pe.get("properties")
        if type(props) is dict:
            auto, manual = props.get("privateLinkServiceConnections"), props.get("manualPrivateLinkServiceConnections")
            if type(auto) is list and type(manual) is list:
                return auto + manual
    if not isinstance(pe, dict):
        raise EvalError(f"private_link_connections() needs a private endpoint row, got {type_name(pe)}")
    props = unresolved.get(pe, "properties", "private_link_connections(): properties")
    if props.__class__ is Missing:  # a private endpoint a what-if could not predict (argus.language.unresolved)
        return props
    if props is None:  # no properties at all: the data is not there (an absent list inside them means none)
        rid = pe.get("id")
        return Missing("properties (read by private_link_connections())", rid if isinstance(rid, str) else None)
    keys = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
    absent = [k for k in keys if isinstance(props, dict) and k not in props]
    if len(absent) == 1:  # ARG and ARM carry both lists (empty when unused): one without the other is a cut row
        rid = pe.get("id")
        return Missing(f"properties.{absent[0]} (read by private_link_connections())",
                       rid if isinstance(rid, str) else None)
    out, lists = [], []
    for key in keys:
        value = unresolved.get(props, key, f"private_link_connections(): properties.{key}")
        if value.__class__ is Missing:
            return value
        value = value or []
        if not isinstance(value, list):
            raise EvalError(f"private_link_connections(): properties.{key} is a {type_name(value)}")
        out.extend(value)
        lists.append(value)
    return _keep(out, *lists)  # a list with a connection a what-if could not predict stays incomplete


def _each(fn):
    """Apply a string function to a value or, element-wise, to a list (elements whose result is missing are
    dropped, and the list is then Partial)."""
    def impl(v, *rest):
        if isinstance(v, list):
            out = [fn(x, *rest) for x in v]
            kept = [x for x in out if x.__class__ is not Missing]
            lost = next((x for x in out if x.__class__ is Missing), None)
            return _keep(kept, v, lost=lost, extra=len(out) - len(kept))
        return fn(v, *rest)
    impl.__doc__ = fn.__doc__
    return impl


def _distinct(xs):
    seen, out = set(), []
    for x in _list("distinct", xs):
        k = json_key(x, True)
        if k not in seen:
            seen.add(k)
            out.append(x)
    return _keep(out, xs)


def _flatten(xs):
    out = []
    for x in _list("flatten", xs):
        out.extend(x if isinstance(x, list) else [x])
    return _keep(out, xs, *xs)


def _exists(v):
    return not isinstance(v, Missing) and v is not None


def _default(v, d):
    """The fallback stands for a platform default: it fills in a null or an absent last step of a path whose
    object is there, never data that is not there at all (an absent parent stays missing: not_evaluated)."""
    if v.__class__ is Missing:
        return d if v.leaf else v
    return d if v is None else v


def _coalesce(*vs):
    for v in vs:
        if not isinstance(v, Missing) and v is not None:
            return v
    return vs[-1] if vs else None


def _lower(v):
    return None if v is None else _s("lower", v).lower()


def _upper(v):
    return None if v is None else _s("upper", v).upper()


def _normalize_location(v):
    return None if v is None else "".join(_s("normalize_location", v).split()).lower()


def _split(v, sep):
    return _s("split", v).split(_s("split", sep))


def _join(xs, sep):
    xs = _list("join", xs)
    if xs.__class__ is Partial:  # the joined text would leave out what could not be read
        return xs.missing
    return _s("join", sep).join(str(x) for x in xs)


def _keys(v):
    if not isinstance(v, dict):
        raise EvalError(f"keys() needs an object, got {type_name(v)}")
    return list(v)


def _table(ctx, name):
    return ctx.table(_s("table", name))


def _prepare_jsonpath(text):
    # jsonpath-ng (and the parser generator under it) is imported by the rules that use jsonpath() only
    from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
    from jsonpath_ng.ext import parse as jsonpath_parse
    try:
        return jsonpath_parse(text)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:  # jsonpath-ng raises bare Exception too
        raise ValueError(str(exc)) from None


def _jsonpath(value, compiled):
    if not isinstance(value, (dict, list)):
        raise EvalError(f"jsonpath() needs an object or list, got {type_name(value)}")
    return [m.value for m in compiled.find(value)]


def _bypass(name: str):
    def impl(bypass, host):
        from argus.language import bypass as bp
        if not isinstance(bypass, list):
            raise EvalError(f"{name}() needs the proxy's bypass list, got {type_name(bypass)}")
        try:
            hits = bp.covering_entries(bypass, _s(name, host))
        except ValueError as exc:
            raise EvalError(f"{name}(): {exc}") from None
        return bool(hits) if name == "bypass_covers" else [h["entry"] for h in hits]
    return impl


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("lower", ("string",), _each(_lower), "lower-case a string"),
    Function("upper", ("string",), _each(_upper), "upper-case a string"),
    Function("len", ("any",), _len, "length of a list, string or object"),
    Function("count", ("list",), _count, "number of elements in a set or list"),
    Function("empty", ("list",), _empty, "true when a set or list has no elements"),
    Function("exists", ("any",), _exists, "true when a value is present and not null", takes_missing=True),
    Function("default", ("any", "any"), _default, "the value, or the fallback when it is null or only its last step is absent (an absent parent stays missing)", takes_missing=True),
    Function("coalesce", ("any",), _coalesce, "the first argument that is present and not null", variadic=True, takes_missing=True),
    Function("first", ("list",), _first, "the first element; missing when the list is empty"),
    Function("only", ("list", "string"), _only, "the single element; missing (naming what, e.g. only(xs, \"migrate project\")) unless there is exactly one", variadic=True),
    Function("nonempty", ("list", "string"), _nonempty, "the list, or missing data ('no <what> in the snapshot') when it is empty: all() over it can then never pass vacuously"),
    Function("resource", ("string",), _resource, "the row with this ARM id (any table, ignoring case); missing when the snapshot does not hold it", needs_context=True),
    Function("private_link_connections", ("object",), _private_link_connections, "a private endpoint's automatic and manual private-link connections"),
    Function("distinct", ("list",), _distinct, "elements without duplicates (strings compared ignoring case)"),
    Function("flatten", ("list",), _flatten, "one level of nested lists flattened"),
    Function("keys", ("object",), _keys, "the keys of an object"),
    Function("split", ("string", "string"), _split, "split a string by a separator"),
    Function("join", ("list", "string"), _join, "join list elements with a separator"),
    Function("normalize_location", ("string",), _each(_normalize_location), "'West Europe' -> 'westeurope'"),
    Function("parent_id", ("string",), _each(parent_id), "ARM id of the parent resource (subnet -> VNet, top-level -> resource group)"),
    Function("resource_group_id", ("string",), _each(resource_group_id), "ARM id of the resource group holding an id"),
    Function("subscription_id", ("string",), _each(subscription_id), "subscription GUID of an ARM id"),
    Function("id_prefix", ("string", "string"), _each(id_prefix), "the id up to the name after a type segment: id_prefix(subnet_id, \"virtualNetworks\") is the VNet id"),
    Function("id_segment", ("string", "string"), _each(id_segment), "the name after a type segment: id_segment(subnet_id, \"virtualNetworks\") is the VNet name"),
    Function("id_name", ("string",), _each(id_name), "last segment of an ARM id"),
    Function("cidr_contains", ("string", "string"), fn_net.cidr_contains, "true when the address or prefix lies in the CIDR block (IPv4 or IPv6)", names_call=True),
    Function("cidr_overlaps", ("string", "string"), fn_net.cidr_overlaps, "true when two prefixes share any address", names_call=True),
    Function("port_in", ("any", "number"), fn_net.port_in, "true when an NSG port specification (\"*\", \"443\", \"1000-2000\" or a list of them) covers the port", names_call=True),
    Function("number", ("any",), fn_order.number, "a number from a number or a numeric string", names_call=True),
    Function("min", ("list",), fn_order.minimum, "the smallest number or string; missing when the list is empty or incomplete", names_call=True),
    Function("max", ("list",), fn_order.maximum, "the largest number or string; missing when the list is empty or incomplete", names_call=True),
    Function("sum", ("list",), fn_order.total, "the sum of numbers; missing when the list is empty or incomplete", names_call=True),
    Function("sort", ("list",), fn_order.sort, "numbers or strings in ascending order", names_call=True),
    Function("sort_by", ("list", "string"), fn_order.sort_by, "rows in ascending order of the value at a path (a field missing from a row is an error)", literal=(1,), prepare=fn_order.prepare_path, literal_kind="sort_by path", names_call=True),
    Function("version_compare", ("string", "string"), fn_order.version_compare, "-1, 0 or 1 as the first dotted version is lower than, equal to or higher than the second", names_call=True),
    Function("now", (), fn_time.now, "the scan's instant as an ISO 8601 timestamp (fixed with --now or ARGUS_NOW)", needs_now=True),
    Function("days_between", ("string", "string"), fn_time.days_between, "days from the first ISO 8601 timestamp to the second, with the fraction", names_call=True),
    Function("days_since", ("string",), fn_time.days_since, "days from an ISO 8601 timestamp to the scan's instant, with the fraction", needs_now=True, names_call=True),
    Function("jsonpath", ("any", "string"), _jsonpath, "all values a JSONPath (jsonpath-ng extended syntax) selects", literal=(1,), prepare=_prepare_jsonpath),
    Function("table", ("string",), _table, "a snapshot table by name, for tables the language has no name for", needs_context=True, literal=(0,)),
    Function("bypass_covers", ("list", "string"), _bypass("bypass_covers"), "true when a proxy bypass entry covers the host (per each entry's origin rules)"),
    Function("bypass_covering", ("list", "string"), _bypass("bypass_covering"), "the bypass entries that cover the host"),
)}
