"""Evaluator messages: an error inside a message template names that template expression and where it is (not
the condition it belongs to), and evidence `expected` shows the value of a parameter compared against beside
its name. Table-driven: rule text -> (status, message) or the evidence of the first finding."""

from __future__ import annotations

import pytest

ACCOUNT = {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1", "name": "sa1",
           "type": "microsoft.storage/storageaccounts", "kind": "StorageV2", "location": "westeurope",
           "properties": {"minimumTlsVersion": "TLS1_0", "allowBlobPublicAccess": False}}
TABLES = {"resources": [ACCOUNT]}

TEMPLATE_ERRORS = [
    pytest.param(
        'rule T-1 "x" {\n  severity low\n  for a in resources\n'
        '  require false\n    else "{a.name}: {a.name + 1}"\n}\n',
        [("error", "error in `a.name + 1` in the message (rules.argus:5): '+' cannot combine string and number")],
        id="require ... else, message on its own line"),
    pytest.param(
        'rule T-1 "x" {\n  severity low\n  for a in resources\n'
        '  require a.kind == "Storage" else warn "{a.name} is {lower(a.kind) + 2}"\n  require a.name == "sa1"\n}\n',
        [("error", "error in `lower(a.kind) + 2` in the message (rules.argus:4): '+' cannot combine string and number")],
        id="a warn message"),
    pytest.param(
        'rule T-1 "x" {\n  severity low\n  for a in resources where type == "nothing"\n'
        '    otherwise fail "none: {1 + \'x\'}"\n  require a.name == "x"\n}\n',
        [("error", "error in `1 + 'x'` in the message (rules.argus:4): '+' cannot combine number and string")],
        id="an otherwise message"),
    pytest.param(
        'rule T-1 "x" {\n  severity low\n  for a in resources where type == "nothing"\n'
        '    otherwise fail on 1 + \'x\' "none"\n  require a.name == "x"\n}\n',
        [("error", "error in `1 + 'x'` (rules.argus:4): '+' cannot combine number and string")],
        id="an otherwise subject"),
    pytest.param(
        'rule T-1 "x" {\n  severity low\n  for a in resources\n  require a.name + 1 == "x" else "{a.name}"\n}\n',
        [("error", "error in `a.name + 1 == \"x\"` (rules.argus:4): '+' cannot combine string and number")],
        id="an error in the condition still names the condition"),
]


@pytest.mark.parametrize("text,expected", TEMPLATE_ERRORS)
def test_an_error_in_a_message_names_its_expression(run_rules, text, expected):
    assert [(f["status"], f["message"]) for f in run_rules(text, TABLES)] == expected


PARAMS = ('param min_tls: string = "TLS1_2"\nparam kinds: list = ["StorageV2", "BlobStorage"]\n'
          'param region: string\n')

EVIDENCE = [
    pytest.param('  require a.properties.minimumTlsVersion == min_tls\n', {},
                 [("properties.minimumTlsVersion", "TLS1_0", '== min_tls ("TLS1_2")')], id="a default value"),
    pytest.param('  require a.properties.minimumTlsVersion == min_tls\n', {"min_tls": "TLS1_3"},
                 [("properties.minimumTlsVersion", "TLS1_0", '== min_tls ("TLS1_3")')], id="a value given"),
    pytest.param('  require a.kind !in kinds\n', {},
                 [("kind", "StorageV2", '!in kinds (["StorageV2", "BlobStorage"])')], id="a list"),
    pytest.param('  require a.location !~ region\n', {"region": "westeurope"},
                 [("location", "westeurope", '!~ region ("westeurope")')], id="a parameter without default"),
    pytest.param('  require a.properties.minimumTlsVersion == "TLS1_2"\n', {},
                 [("properties.minimumTlsVersion", "TLS1_0", '== "TLS1_2"')], id="a literal stays as written"),
]


def test_a_variable_of_the_rule_named_like_a_parameter_is_not_the_parameter(run_rules):
    text = ('param acct: string = "sa1"\nrule T-1 "x" {\n  severity low\n  for acct in resources\n'
            '  require acct.name == acct\n}\n')
    [finding] = run_rules(text, TABLES)
    assert [(e["path"], e["actual"], e["expected"]) for e in finding["evidence"]] == [("name", "sa1", "== acct")]


@pytest.mark.parametrize("body,params,expected", EVIDENCE)
def test_evidence_shows_the_value_of_a_parameter(run_rules, body, params, expected):
    text = PARAMS + 'rule T-1 "x" {\n  severity low\n  for a in resources\n' + body + '}\n'
    [finding] = run_rules(text, TABLES, params)
    assert finding["status"] == "fail"
    assert [(e["path"], e["actual"], e["expected"]) for e in finding["evidence"]] == expected
