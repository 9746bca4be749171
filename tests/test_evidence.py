"""Evidence of require/when clauses (argus.compile_evidence): what each comparison, call and quantifier on a
clause's and/or/not skeleton shows, in evaluation order, and that nothing beneath them (operands, call
arguments, quantifier bodies, filters) records. Table-driven: one clause over one row -> (status, evidence as
(path, actual, expected))."""

from __future__ import annotations

import pytest

ROW = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet1", "name": "vnet1",
       "type": "microsoft.network/virtualnetworks",
       "properties": {
           "ints": [0, 1, 1], "twos": [1, 2, 2], "bools": [True, 1], "empty": [],
           "subnets": [{"name": "a", "nsg": "n1"}, {"name": "b"}, {"name": "c", "nsg": "n3"}],
           "tls": "TLS1_0", "flag": True, "cidr": "10.0.0.0/8",
       }}
OTHER = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1", "name": "sa1",
         "type": "microsoft.storage/storageaccounts"}
TABLES = {"resources": [ROW, OTHER]}

CLAUSES = [
    pytest.param('require v.properties.tls == "TLS1_2"',
                 ("fail", [("properties.tls", "TLS1_0", '== "TLS1_2"')]), id="a comparison shows its left operand"),
    pytest.param('require v.properties.tls == "TLS1_2" or v.properties.flag == true',
                 ("pass", [("properties.tls", "TLS1_0", '== "TLS1_2"'), ("properties.flag", True, "== true")]),
                 id="or: both sides, in order"),
    pytest.param('require v.properties.flag == true or v.properties.tls == "TLS1_2"',
                 ("pass", [("properties.flag", True, "== true")]), id="or: a true left side stops it"),
    pytest.param('require not (v.properties.tls =~ "tls1_0") and v.name == "x"',
                 ("fail", [("properties.tls", "TLS1_0", '=~ "tls1_0"')]), id="not, then a false and"),
    pytest.param('require v.properties.nothing == 1',
                 ("not_evaluated", [("properties.nothing", None, "== 1 (value missing)")]), id="a missing operand"),
    pytest.param('require exists(v.properties.nothing)',
                 ("fail", [("properties.nothing", None, "exists(v.properties.nothing) is true (value missing)")]),
                 id="a call shows its first argument"),
    pytest.param('require cidr_contains(v.properties.cidr, "10.1.2.3")',
                 ("pass", [("properties.cidr", "10.0.0.0/8", 'cidr_contains(v.properties.cidr, "10.1.2.3") is true')]),
                 id="a call of two arguments"),
    pytest.param('require any(x in v.properties.ints: x == 1)',
                 ("pass", [("properties.ints", "element 2 of 3 matches", "at least one match")]),
                 id="any: decided at the first match, though the same value comes again"),
    pytest.param('require all(x in v.properties.twos: x == 1)',
                 ("fail", [("properties.twos", "element 2 of 3 does not match", "every element matches")]),
                 id="all: decided at the first miss"),
    pytest.param('require none(x in v.properties.twos: x == 2)',
                 ("fail", [("properties.twos", "element 2 of 3 matches", "no element matches")]),
                 id="none: decided at the first match"),
    pytest.param('require any(x in v.properties.bools: x == 1)',
                 ("pass", [("properties.bools", "element 2 of 2 matches", "at least one match")]),
                 id="true is not the number 1, though Python says it equals it"),
    pytest.param('require any(x in v.properties.empty: x == 1)',
                 ("fail", [("properties.empty", "0 elements, none matches", "at least one match")]), id="any of none"),
    pytest.param('require all(x in v.properties.empty: x == 1)',
                 ("pass", [("properties.empty", "0 elements, all match", "every element matches")]), id="all of none"),
    pytest.param('require all(s in v.properties.subnets: s.name != "z")',
                 ("pass", [("properties.subnets", "3 elements, all match", "every element matches")]),
                 id="all, read to the end"),
    pytest.param('require any(s in v.properties.subnets: s.nsg == "n9")',
                 ("not_evaluated", [("properties.subnets", "3 elements, some unknown", "at least one match")]),
                 id="an element without the field is unknown"),
    pytest.param('require any(x in v.properties.nothing: x == 1)',
                 ("not_evaluated", [("properties.nothing", None, "at least one match (value missing)")]),
                 id="a missing set is shown as missing"),
    pytest.param('require any(x in v.properties.subnets[*].nsg: x == "n9")',
                 ("not_evaluated", [("properties.subnets[*].nsg", "2 elements, some unknown", "at least one match")]),
                 id="an incomplete projection: the elements left out are unknown"),
    pytest.param('require any(x in v.properties.ints: x == region)',
                 ("not_evaluated", [("properties.ints", None, "at least one match (value missing)")]),
                 id="a parameter without value stops the loop: the record is that static unknown"),
    pytest.param('require any(x in v.properties.ints: any(y in v.properties.twos: y == x))',
                 ("pass", [("properties.ints", "element 2 of 3 matches", "at least one match")]),
                 id="a quantifier's body records nothing"),
    pytest.param('require count(resources where type == "microsoft.storage/storageaccounts" and name == "sa1") == 1',
                 ("pass", [('count(resources where type == "microsoft.storage/storageaccounts" and name == "sa1")', 1,
                            "== 1")]), id="a filter's conjuncts record nothing"),
    pytest.param('require count(v.properties.ints) > 2 and cidr_contains(v.properties.cidr, "192.168.0.1")',
                 ("fail", [("count(v.properties.ints)", 3, "> 2"),
                           ("properties.cidr", "10.0.0.0/8", 'cidr_contains(v.properties.cidr, "192.168.0.1") is true')]),
                 id="a literal right side, then a call"),
]


@pytest.mark.parametrize("clause,expected", CLAUSES)
def test_evidence_of_a_clause(run_rules, clause, expected):
    text = ('param region: string\nrule T-1 "x" {\n  severity low\n'
            '  for v in resources where type == "microsoft.network/virtualnetworks"\n  ' + clause + '\n}\n')
    [finding] = run_rules(text, TABLES)
    assert (finding["status"], [(e["path"], e["actual"], e["expected"]) for e in finding["evidence"]]) == expected


def test_a_when_clause_records_and_a_let_does_not(run_rules):
    text = ('rule T-1 "x" {\n  severity low\n  for v in resources where type == "microsoft.network/virtualnetworks"\n'
            '  let n = count(v.properties.ints) == 3\n  when v.name == "vnet1"\n  require n\n}\n')
    [finding] = run_rules(text, TABLES)
    assert (finding["status"], [(e["path"], e["actual"], e["expected"]) for e in finding["evidence"]]) == (
        "pass", [("name", "vnet1", '== "vnet1"')])
