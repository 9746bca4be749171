"""Joins: `SET where <row path> =~|== <value not depending on the row>` over a SET that does not depend on the
subject runs through a hash index built once per snapshot on the (case-folded) key, so N subjects x M rows
cost O(N + M). Checked structurally, never with timings: how often the residual predicate runs, and the one
index the evaluation context memoizes and hands to every subject.
"""

from __future__ import annotations

import pytest

from argus.evaluation import evaluator
from argus.planning import lookup
from argus.language.functions import FUNCTIONS, Function

N_ACCOUNTS, UNKEYED, STRAY = 40, 15, 5
SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-5f2c9e1a7d40"


def account_id(i: int) -> str:
    return f"{SUB}/resourceGroups/rg-migrate/providers/Microsoft.Storage/storageAccounts/lsa{i:03d}"


def estate() -> dict:
    """Accounts 0..N-1; account i (i odd) has one private endpoint whose target id differs only in case.
    Plus endpoints with no target at all and endpoints targeting accounts that are not in the snapshot."""
    rows = [{"id": account_id(i), "name": f"lsa{i:03d}", "type": "Microsoft.Storage/storageAccounts", "properties": {}}
            for i in range(N_ACCOUNTS)]
    for i in range(1, N_ACCOUNTS, 2):
        target = account_id(i).upper() if i % 4 == 1 else account_id(i).lower()
        rows.append(pe(f"pe-{i:03d}", [target]))
    rows += [pe(f"pe-unkeyed-{j}", None) for j in range(UNKEYED)]
    rows += [pe(f"pe-stray-{j}", [account_id(1000 + j)]) for j in range(STRAY)]
    return {"resources": rows}


def pe(name: str, targets):
    """A private endpoint row; with targets it carries both connection lists, as ARG gives them (one list without
    the other is a cut row, argus.language.functions._private_link_connections); without, no properties to read."""
    props = {} if targets is None else {"privateLinkServiceConnections": [
        {"properties": {"privateLinkServiceId": t, "groupIds": ["blob"]}} for t in targets],
        "manualPrivateLinkServiceConnections": []}
    return {"id": f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/privateEndpoints/{name}", "name": name,
            "type": "microsoft.network/privateendpoints", "properties": props}


COMMON = '''\
let accounts = resources where type == "microsoft.storage/storageaccounts"
let private_endpoints = resources where type == "microsoft.network/privateendpoints"
'''

JOIN = COMMON + '''\
rule J-1 "Every account has a private endpoint" {
  severity high
  for account in accounts
  let pes = private_endpoints
      where visited(it) and properties.privateLinkServiceConnections[*].properties.privateLinkServiceId =~ account.id
  require count(pes) > 0 else "{account.name} has no private endpoint"
}
'''


@pytest.fixture
def visits(monkeypatch):
    """A built-in `visited(x)`: always true, counts its calls (the residual predicate's row visits) and notes
    which join indexes the evaluation context holds at each call."""
    seen = {"n": 0, "indexes": []}

    def visited(ctx, _):
        seen["n"] += 1
        seen["indexes"].append(tuple(id(ix) for ix in join_indexes(ctx)))
        return True
    monkeypatch.setitem(FUNCTIONS, "visited", Function("visited", ("any",), visited, "counts calls", needs_context=True))
    return seen


@pytest.fixture
def contexts(monkeypatch):
    """The evaluation contexts `evaluate` creates, to look at what they memoized."""
    made = []

    class Recording(evaluator.Context):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)
    monkeypatch.setattr(evaluator, "Context", Recording)
    return made


def join_indexes(ctx) -> list[dict]:
    """Hash indexes in the context's memo keyed by resource ids (the per-type indexes are keyed by types)."""
    return [v for v in ctx.memo.values()
            if isinstance(v, dict) and any(isinstance(k, str) and k.casefold().startswith("/subscriptions/") for k in v)]


def test_join_findings_fold_case(run_rules, visits):
    found = run_rules(JOIN, estate())
    assert len(found) == N_ACCOUNTS
    for i, f in enumerate(found):
        if i % 2:
            assert (f["status"], f["related"]) == ("pass", [pe(f"pe-{i:03d}", None)["id"]]), i
        else:
            assert (f["status"], f["message"]) == ("fail", f"lsa{i:03d} has no private endpoint"), i


ENDPOINTS = N_ACCOUNTS // 2 + UNKEYED + STRAY


def test_residual_predicate_visits_only_the_matching_rows(run_rules, visits):
    run_rules(JOIN, estate())
    # `visited(it)` comes first in the filter, yet the index hands each account only its own endpoint
    assert visits["n"] == N_ACCOUNTS // 2


def test_without_an_index_every_subject_visits_every_row(run_rules, visits):
    # the control: `startswith` cannot be a hash lookup, so the filter is a nested loop. Nor is it a lookup, so
    # the endpoints without a target are undecided: an account with a certain endpoint passes, one without
    # is not evaluated (an unreadable endpoint might be its own), never failed on rows that were not read
    found = run_rules(JOIN.replace("=~ account.id", "startswith account.id"), estate())
    assert visits["n"] == N_ACCOUNTS * ENDPOINTS
    unkeyed = pe("pe-unkeyed-0", None)["id"]
    for i, f in enumerate(found):
        if i % 2:
            assert f["status"] == "pass", i
        else:
            assert (f["status"], f["message"]) == ("not_evaluated", (
                "not evaluated: properties.privateLinkServiceConnections[*].properties.privateLinkServiceId "
                f"on {unkeyed} (needed by `count(pes) > 0`)")), i


def test_one_index_built_before_the_first_subject_is_reused_by_all(run_rules, visits, contexts):
    run_rules(JOIN, estate())
    assert len(set(visits["indexes"])) == 1 and len(visits["indexes"][0]) == 1
    [ctx] = contexts
    [index] = join_indexes(ctx)
    assert visits["indexes"][0] == (id(index),)
    # keyed by the case-folded target id; endpoints without a target are not in it
    assert sorted(index) == sorted([account_id(i).casefold() for i in range(1, N_ACCOUNTS, 2)]
                                   + [account_id(1000 + j).casefold() for j in range(STRAY)])
    assert all(len(rows) == 1 for rows in index.values())


def test_rules_with_the_same_join_share_the_index(rule_session, make_snapshot, visits, contexts):
    found = rule_session(JOIN + JOIN.replace(COMMON, "").replace("J-1", "J-2")).evaluate(make_snapshot(estate()))
    assert len(found) == 2 * N_ACCOUNTS
    assert len(set(visits["indexes"])) == 1
    assert len(join_indexes(contexts[0])) == 1


def test_each_snapshot_gets_its_own_index(rule_session, make_snapshot, visits, contexts):
    session = rule_session(JOIN)
    first = session.evaluate(make_snapshot(estate()))
    smaller = {"resources": [r for r in estate()["resources"] if r["name"] != "pe-001"]}
    second = session.evaluate(make_snapshot(smaller))
    assert (first[1].to_dict()["status"], second[1].to_dict()["status"]) == ("pass", "fail")
    one, two = (join_indexes(c) for c in contexts)
    assert len(one) == len(two) == 1 and one[0] is not two[0]
    assert account_id(1).casefold() in one[0] and account_id(1).casefold() not in two[0]


CASES = [
    pytest.param('private_endpoints where properties.privateLinkServiceConnections[*].properties.privateLinkServiceId == account.id',
                 ["lsa003"], id="== is exact: only the endpoint whose target has the same case"),
    pytest.param('private_endpoints where account.id =~ properties.privateLinkServiceConnections[*].properties.privateLinkServiceId',
                 ["lsa001", "lsa003"], id="probe on the left"),
    pytest.param('private_endpoints where type == "microsoft.network/privateendpoints" and '
                 'properties.privateLinkServiceConnections[*].properties.privateLinkServiceId =~ account.id',
                 ["lsa001", "lsa003"], id="join on a later conjunct"),
]


@pytest.mark.parametrize("expr, passing", CASES)
def test_join_variants(expr, passing, run_rules, contexts):
    text = COMMON + f'''\
rule J-1 "x" {{
  severity low
  for account in accounts where name in ["lsa001", "lsa002", "lsa003"]
  let pes = {expr}
  require count(pes) > 0
}}
'''
    rows = estate()["resources"]
    for row in rows:  # make lsa003's endpoint target the id in its exact case
        if row["name"] == "pe-003":
            row["properties"]["privateLinkServiceConnections"][0]["properties"]["privateLinkServiceId"] = account_id(3)
    found = run_rules(text, {"resources": rows})
    assert [f["subject"]["name"] for f in found if f["status"] == "pass"] == passing
    assert len(join_indexes(contexts[0])) == 1


def test_a_list_probe_collects_every_match_once(run_rules, contexts):
    text = COMMON + '''\
rule J-1 "Endpoints of odd accounts" {
  severity low
  for one in resources where name == "lsa000"
  let odd = accounts where name in ["lsa001", "lsa003", "lsa001"]
  let pes = private_endpoints
      where properties.privateLinkServiceConnections[*].properties.privateLinkServiceId =~ odd[*].id
  require count(pes) == 0 else "{pes[*].name}"
}
'''
    [f] = run_rules(text, estate())
    assert (f["status"], f["message"]) == ("fail", "pe-001, pe-003")
    assert len(join_indexes(contexts[0])) == 1


def test_a_missing_probe_is_not_evaluated_not_an_empty_match(run_rules):
    text = COMMON + '''\
rule J-1 "x" {
  severity low
  for account in accounts where name == "lsa001"
  let pes = private_endpoints where properties.privateLinkServiceConnections[*].properties.privateLinkServiceId =~ account.properties.homeId
  require count(pes) > 0
}
'''
    [f] = run_rules(text, estate())
    assert (f["status"], f["message"]) == (
        "not_evaluated", f"not evaluated: account.properties.homeId on {account_id(1)} (needed by `count(pes) > 0`)")


def test_a_set_that_depends_on_the_subject_is_filtered_per_subject(run_rules, contexts):
    text = COMMON + '''\
rule J-1 "Connections of each endpoint" {
  severity low
  for p in private_endpoints where name startswith "pe-00"
  let blob = p.properties.privateLinkServiceConnections where properties.privateLinkServiceId =~ p.properties.privateLinkServiceConnections[0].properties.privateLinkServiceId
  require count(blob) == 1
}
'''
    found = run_rules(text, estate())
    assert [(f["subject"]["name"], f["status"]) for f in found] == [
        ("pe-001", "pass"), ("pe-003", "pass"), ("pe-005", "pass"), ("pe-007", "pass"), ("pe-009", "pass")]
    assert join_indexes(contexts[0]) == []


# ---- keys that are expressions of the element, and any(...) over one: indexed, and equal to the scan

FORMS = [
    pytest.param("properties.privateLinkServiceConnections[*].properties.privateLinkServiceId =~ account.id", id="path"),
    pytest.param("private_link_connections(it)[*].properties.privateLinkServiceId =~ account.id", id="function of it"),
    pytest.param("any(c in properties.privateLinkServiceConnections: c.properties.privateLinkServiceId =~ account.id)",
                 id="any over a path"),
    pytest.param("any(c in private_link_connections(it): c.properties.privateLinkServiceId =~ account.id)",
                 id="any over a function of it"),
    pytest.param("any(c in private_link_connections(it): account.id =~ c.properties.privateLinkServiceId)",
                 id="any, probe on the left"),
]


def _rule(form: str, endpoints: str = "private_endpoints") -> str:
    return COMMON + f'''\
rule J-1 "Every account has a private endpoint" {{
  severity high
  for account in accounts
  let pes = {endpoints} where visited(it) and {form}
  require count(pes) > 0 else "{{account.name}} has no private endpoint"
}}
'''


# the same set, but depending on the subject: the planner cannot index it, so every row is visited
SCAN = '(private_endpoints where account.name != "")'


def _verdicts(found):
    return [(f["subject"]["name"], f["status"], f["message"], f["related"]) for f in found]


@pytest.mark.parametrize("form", FORMS)
def test_join_forms_are_indexed(form, run_rules, visits, contexts):
    found = run_rules(_rule(form), estate())
    assert visits["n"] == N_ACCOUNTS // 2  # the residual predicate sees only each account's own endpoint
    assert len(join_indexes(contexts[0])) == 1
    for i, f in enumerate(found):
        if i % 2:
            assert (f["status"], f["related"]) == ("pass", [pe(f"pe-{i:03d}", None)["id"]]), i
        else:
            assert (f["status"], f["message"]) == ("fail", f"lsa{i:03d} has no private endpoint"), i


@pytest.mark.parametrize("form", FORMS)
def test_join_forms_give_what_the_scan_gives(form, run_rules, visits, contexts):
    indexed = run_rules(_rule(form), estate())
    scanned = run_rules(_rule(form, SCAN), estate())
    # the scan, too, evaluates the join before `visited(it)`, as the index does: each account's own endpoint
    assert visits["n"] == N_ACCOUNTS // 2 + N_ACCOUNTS // 2
    assert len(join_indexes(contexts[0])) == 1 and join_indexes(contexts[1]) == []
    assert _verdicts(indexed) == _verdicts(scanned)


@pytest.fixture
def seen(monkeypatch):
    """A built-in `seen(x)`: returns x and counts its calls, to count how often a join key is read."""
    calls = {"n": 0}

    def impl(x):
        calls["n"] += 1
        return x
    monkeypatch.setitem(FUNCTIONS, "seen", Function("seen", ("any",), impl, "counts calls"))
    return calls


KEYED = N_ACCOUNTS // 2 + STRAY  # endpoints with a privateLinkServiceConnections list


def test_any_join_reads_each_key_once_per_snapshot(run_rules, seen):
    # any(...) over 40 accounts x 40 endpoints: the quantifier's set is read once per endpoint to build the
    # index, not once per (account, endpoint) pair as the scan does
    form = "any(c in seen(properties.privateLinkServiceConnections): c.properties.privateLinkServiceId =~ account.id)"
    indexed = run_rules(_rule(form).replace("visited(it) and ", ""), estate())
    assert seen["n"] == KEYED
    seen["n"] = 0
    scanned = run_rules(_rule(form, SCAN).replace("visited(it) and ", ""), estate())
    assert seen["n"] == N_ACCOUNTS * KEYED
    assert _verdicts(indexed) == _verdicts(scanned)


def test_a_key_that_is_a_type_error_fails_as_the_scan_does(run_rules, contexts):
    # an endpoint whose connections are a string: the quantifier reports it for every subject that reaches it,
    # indexed or not; a row the type filter excludes first is no error
    rows = estate()["resources"] + [
        pe("pe-broken", None) | {"properties": {"privateLinkServiceConnections": "oops"}},
        {"id": f"{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app", "name": "app",
         "type": "microsoft.web/sites", "properties": {"privateLinkServiceConnections": "oops"}}]
    text = COMMON + '''\
rule J-1 "x" {
  severity low
  for account in accounts where name in ["lsa000", "lsa001"]
  let pes = SET where type == "microsoft.network/privateendpoints"
      and any(c in properties.privateLinkServiceConnections: c.properties.privateLinkServiceId =~ account.id)
  require count(pes) > 0
}
'''
    indexed = run_rules(text.replace("SET", "resources"), {"resources": rows})
    scanned = run_rules(text.replace("SET", '(resources where account.name != "")'), {"resources": rows})
    assert len(join_indexes(contexts[0])) == 1
    let = ('let pes = resources where type == "microsoft.network/privateendpoints" and any(c in '
           'properties.privateLinkServiceConnections: c.properties.privateLinkServiceId =~ account.id)')
    reason = "quantifier needs a set or list, but `properties.privateLinkServiceConnections` is a string"
    assert [(f["status"], f["message"]) for f in indexed] == [("error", f"error in `{let}` (rules.argus:6): {reason}")] * 2
    assert [(f["status"], f["message"].split("): ", 1)[1]) for f in scanned] == [("error", reason)] * 2


def conn_pe(name: str, statuses):
    """An endpoint with one connection per status (None: a connection without a state); statuses None: no
    connections at all."""
    props = {} if statuses is None else {"privateLinkServiceConnections": [
        {"properties": {} if s is None else {"privateLinkServiceConnectionState": {"status": s}}} for s in statuses]}
    return {"id": f"{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/privateEndpoints/{name}", "name": name,
            "type": "microsoft.network/privateendpoints", "properties": props}


@pytest.mark.parametrize("endpoints, verdicts", [
    pytest.param([conn_pe("pe-a", ["Approved"]), conn_pe("pe-b", ["Pending"])],
                 [("pass", "x: satisfied"), ("fail", "requirement not met: `count(approved) == 0`")],
                 id="every connection has a state: decided"),
    pytest.param([conn_pe("pe-a", ["Approved"]), conn_pe("pe-b", ["Pending", None]), conn_pe("pe-c", None)],
                 [("pass", "x: satisfied"), ("fail", "requirement not met: `count(approved) == 0`")],
                 id="a certain match decides whatever is undecided"),
    pytest.param([conn_pe("pe-b", ["Pending", None]), conn_pe("pe-c", None)],
                 [("not_evaluated", "not evaluated: c.properties.privateLinkServiceConnectionState.status "
                                    "(needed by `count(approved) > 0`)"),
                  ("not_evaluated", "not evaluated: c.properties.privateLinkServiceConnectionState.status "
                                    "(needed by `count(approved) == 0`)")],
                 id="no match, some undecided: unknown"),
])
def test_a_filter_on_a_constant_keeps_undecided_rows_undecided(endpoints, verdicts, run_rules, contexts):
    # compared with a literal, a connection without a state might be the Approved one: unlike a lookup on data,
    # it is undecided, and the index re-checks such rows with the whole predicate, as the scan does
    approved = '''
  for one in ["a"]
  let approved = SET where any(c in properties.privateLinkServiceConnections:
                               c.properties.privateLinkServiceConnectionState.status =~ "Approved")
      and name != one'''
    text = f'''\
rule J-1 "x" {{
  severity low{approved}
  require count(approved) > 0
}}
rule J-2 "x" {{
  severity low{approved}
  require count(approved) == 0
}}
'''
    indexed = run_rules(text.replace("SET", "resources"), {"resources": endpoints})
    scanned = run_rules(text.replace("SET", '(resources where one != "")'), {"resources": endpoints})
    assert [(f["status"], f["message"]) for f in indexed] == verdicts
    assert _verdicts(indexed) == _verdicts(scanned)
    assert len(join_indexes(contexts[0])) == 0  # keyed by status, not by id
    assert any(k[0] == "index" and k[2][0] == "any" for k in contexts[0].memo)


VALUES = {"t": True, "one": 1, "onef": 1.0, "str1": "1", "list1": [1], "listt": [True], "f": False, "zero": 0,
          "str_one": "One"}


@pytest.mark.parametrize("op", ["==", "=~"])
@pytest.mark.parametrize("endpoints", ["items", '(items where w != "x")'], ids=["indexed", "scanned"])
def test_join_keys_use_json_equality(op, endpoints, run_rules, contexts):
    # true is not 1 and false is not 0, in the index as in a comparison; a list probe that is not a written
    # projection is one value, equal only to an equal list
    text = f'''\
let items = resources where type == "t"
rule B-1 "x" {{
  severity low
  for w in [true, 1, "1", false, 0, [1], [true], "one"]
  let hits = {endpoints} where properties.v {op} w
  require count(hits) == 0 else "{{hits[*].name}}"
}}
'''
    rows = [{"id": f"/x/{name}", "name": name, "type": "t", "properties": {"v": v}} for name, v in VALUES.items()]
    found = run_rules(text, {"resources": rows})
    assert [f["message"] for f in found] == [
        "t", "one, onef", "str1", "f", "zero", "list1", "listt", "str_one" if op == "=~" else "x: satisfied"]
    assert [f["status"] for f in found] == ["fail"] * 7 + ["fail" if op == "=~" else "pass"]
    indexes = [k for k in contexts[0].memo
               if isinstance(k, tuple) and k[0] == "index" and k[2] == ("path", ("properties", "v"))]
    assert len(indexes) == (endpoints == "items")


# ---- the index's memo name, and the snapshot's type partition as an index

def _index_names(ctx) -> set:
    return {k[2] for k in ctx.memo if isinstance(k, tuple) and k[0] == "index"}


def test_a_dotted_key_and_the_nested_key_get_their_own_index(run_rules, contexts):
    # `properties["a.b"]` and `properties.a.b` have the same dotted text; the index is named by the path's steps
    text = '''\
let nodes = resources where type == "n"
rule K-1 "x" {
  severity low
  for s in resources where type == "s"
  let dotted = nodes where properties["a.b"] == s.name
  let nested = nodes where properties.a.b == s.name
  require count(dotted) == 0 and count(nested) == 0 else "{dotted[*].id} {nested[*].id}"
}
'''
    rows = [{"id": "/s", "name": "y", "type": "s"}, {"id": "/d", "type": "n", "properties": {"a.b": "y"}},
            {"id": "/n", "type": "n", "properties": {"a": {"b": "y"}}}]
    [f] = run_rules(text, {"resources": rows})
    assert (f["status"], f["message"]) == ("fail", "/d /n")
    assert {("path", ("properties", "a.b")), ("path", ("properties", "a", "b"))} <= _index_names(contexts[0])


TYPE_INDEX = ("index", ("global", "resources"), ("path", ("type",)))


def test_the_type_partition_is_the_index_a_type_join_would_build(make_snapshot, rule_session, contexts):
    rows = [{"id": "/a", "type": "A"}, {"id": "/b", "type": "b"}, {"id": "/none"}, {"id": "/null", "type": None},
            {"id": "/t", "type": True}, {"id": "/one", "type": 1}, {"id": "/a2", "type": "a"}]
    rule_session('rule R "x" {\n  severity low\n  for r in resources\n  require true\n}\n').evaluate(
        make_snapshot({"resources": rows}))
    exact, folded = (contexts[0].memo[TYPE_INDEX + (fold,)] for fold in (False, True))
    for index in (exact, folded):
        assert {k: [r["id"] for r in v] for k, v in index.items()} == {
            "a": ["/a", "/a2"], "b": ["/b"], None: ["/null"], lookup.key(True, False): ["/t"], 1: ["/one"]}
        assert [r["id"] for r in index.undecided] == ["/none"] and index.errors == []


def test_a_type_that_casefold_changes_leaves_the_folded_index_to_the_planner(run_rules, contexts):
    text = '''\
rule R "x" {
  severity low
  for s in resources where type == "s"
  let m = resources where type =~ s.name
  require count(m) == 0 else "{m[*].id}"
}
'''
    rows = [{"id": "/s", "name": "STRASSE", "type": "s"}, {"id": "/x", "type": "Straße"}]
    [f] = run_rules(text, {"resources": rows})
    assert (f["status"], f["message"]) == ("fail", "/x")
    exact, folded = (contexts[0].memo[TYPE_INDEX + (fold,)] for fold in (False, True))
    assert sorted(exact) == ["s", "straße"]  # types are lower-cased on load, as a scan sees them
    assert sorted(folded) == ["s", "strasse"]  # built on first use by the =~ filter


# ---- a comparison that is one conjunct of an any() body: the index narrows, the whole filter decides

NARROW_FORMS = [
    pytest.param('any(c in private_link_connections(it): c.properties.privateLinkServiceId =~ account.id '
                 'and "blob" in~ c.properties.groupIds)', id="=~ and more"),
    pytest.param('any(c in private_link_connections(it): "blob" in~ c.properties.groupIds '
                 'and c.properties.privateLinkServiceId in~ [account.id, "/none"])', id="in~ a list, second"),
    pytest.param('any(c in properties.privateLinkServiceConnections: c.properties.privateLinkServiceId == account.id '
                 'and c.properties.groupIds[0] == "blob")', id="== over a path, exact case"),
]


@pytest.mark.parametrize("form", NARROW_FORMS)
def test_a_narrowing_index_gives_what_the_scan_gives_and_visits_fewer_rows(form, run_rules, visits, contexts):
    scanned = run_rules(_rule(form, SCAN), estate())
    scan_visits = visits["n"]
    indexed = run_rules(_rule(form), estate())
    assert _verdicts(indexed) == _verdicts(scanned)
    assert len(join_indexes(contexts[1])) == 1 and join_indexes(contexts[0]) == []
    # the scan visits, for each account, every endpoint whose quantifier is not false: its own (when the case
    # matches) and the unkeyed ones; the index only its own candidate and the unkeyed ones it cannot place
    assert visits["n"] - scan_visits < scan_visits


def test_a_narrowing_probe_that_is_not_a_list_is_scanned_as_the_filter_reads_it(run_rules, contexts):
    text = COMMON + '''\
param wanted: string = "/none"
rule J-1 "x" {
  severity low
  for account in accounts
  let pes = private_endpoints where any(c in private_link_connections(it): c.properties.privateLinkServiceId in~ wanted
                                        and "blob" in~ c.properties.groupIds)
  require count(pes) == 0
}
'''
    found = run_rules(text, estate())
    reason = "error in `let pes"
    assert {f["status"] for f in found} == {"error"} and all(f["message"].startswith(reason) for f in found)


def test_a_subject_independent_filter_shares_the_exact_joins_index(run_rules, contexts):
    text = COMMON + '''\
let ids = accounts[*].id
let blob_pes = private_endpoints where any(c in private_link_connections(it): c.properties.privateLinkServiceId in~ ids
                                           and "blob" in~ c.properties.groupIds)
rule J-1 "x" {
  severity low
  for account in accounts
  let pes = private_endpoints where any(c in private_link_connections(it): c.properties.privateLinkServiceId =~ account.id)
  require count(pes) > 0 and count(blob_pes) == N
}
'''.replace("N", str(N_ACCOUNTS // 2))
    found = run_rules(text, estate())
    assert [f["status"] for f in found] == ["fail", "pass"] * (N_ACCOUNTS // 2)
    indexes = [k for k in contexts[0].memo if isinstance(k, tuple) and k[0] == "index" and k[2][0] == "any"]
    assert indexes == [("index", ("global", "private_endpoints"),
                        ("any", "private_link_connections(it)", "c", "c.properties.privateLinkServiceId"), True)]
