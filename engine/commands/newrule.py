"""`argus new-rule ID`: scaffold a rule and its fixture, ready to edit.

In: a rule id, a rule pack directory, a title, and the resource type it checks. Out: the rule appended to
`<pack>/<file>.argus` and `<pack>/fixtures/<ID>/cases.yaml` with a passing and a failing case, both written
atomically. The scaffold is a working rule (it checks properties.provisioningState) so `argus check` and
`argus test` pass at once; edit the condition and the fixture rows from there.
"""

from __future__ import annotations

import os
import re

from argus.errors import UserError, atomic_write
from argus import exitcodes, resources
from argus.model import SEVERITIES
from argus.language.loader import load_rules
from argus.policy.policies import load_policy, matching_ids
from argus.commands.flags import add_config_argument
from argus.policy.settings import config_file

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$")

RULE = '''
rule {id} "{title}" {{
  severity {severity}
  tags "custom"
  description "What this rule checks and why it matters."
  remediation "How to fix a failing resource."
  for {var} in resources where type == "{type}"
    otherwise skip "no {type} resources in the snapshot"
  require {var}.properties.provisioningState == "Succeeded"
    else "{{{var}.name}} is {{{var}.properties.provisioningState}}, not Succeeded"
  # Other checks take the same shape (docs/language.md: "Functions", "Recipes"), for example:
  #   require days_since({var}.properties.keyCreationTime.key1) <= 90
  #   require version_compare({var}.properties.version, "26.0") >= 0
  #   require not port_in({var}.properties.destinationPortRange, 3389)
  #   require cidr_contains("10.0.0.0/16", {var}.properties.addressPrefix)
  #   require {var}.name matches~ "^lsa[0-9a-f]+$"
  #   require max({var}.properties.securityRules[*].properties.priority) < 4096
  #   require number({var}.properties.port) != 22
}}
'''

FIXTURE = '''# Fixtures for {id}: each case is a small snapshot and the exact findings expected from it.
rule: {id}
cases:
  - name: a resource in the expected state passes
    tables:
      resources:
        - &good
          id: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-example/providers/{provider}/example-ok
          name: example-ok
          type: {type}
          resourceGroup: rg-example
          location: westeurope
          subscriptionId: 00000000-0000-0000-0000-000000000001
          properties: {{provisioningState: Succeeded}}
    expect:
      - {{status: pass, subject: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-example/providers/{provider}/example-ok}}
  - name: a resource in another state fails
    tables:
      resources:
        - <<: *good
          id: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-example/providers/{provider}/example-bad
          name: example-bad
          properties: {{provisioningState: Failed}}
    expect:
      - status: fail
        subject: /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-example/providers/{provider}/example-bad
        message: example-bad is Failed, not Succeeded
  - name: no resource of the type gives one skip
    tables: {{resources: []}}
    expect:
      - {{status: skip, subject: ""}}
'''


def add_arguments(p) -> None:
    p.add_argument("rule_id", metavar="ID", help="new rule id, e.g. CUSTOM-ST-01")
    p.add_argument("--pack", help="rule pack directory (default: rules/custom beside the project's policies.yaml, "
                   "which is told to load it)")
    add_config_argument(p)
    p.add_argument("--file", default="custom.argus", help="rule file in the pack to append to (default: custom.argus)")
    p.add_argument("--title", default="Describe what must hold", help="rule title")
    p.add_argument("--type", default="microsoft.storage/storageaccounts", help="resource type the rule checks")
    p.add_argument("--severity", default="medium", choices=SEVERITIES)


def run(args) -> int:
    rid = args.rule_id
    if not _ID.match(rid):
        raise UserError(f"'{rid}' is not a valid rule id (letters and digits, separated by - _ or ., e.g. CUSTOM-ST-01)")
    rtype = args.type.lower()
    if rtype.count("/") < 1:
        raise UserError(f"--type '{args.type}' is not a resource type (namespace/type, e.g. microsoft.storage/storageaccounts)")
    config = config_file(args.policies)
    if args.pack is None:
        args.pack = os.path.normpath(os.path.join(os.path.dirname(config), "rules", "custom")) if config else "rules/custom"
    config_text = _picked_up(config, args.pack, rid) if config else None
    os.makedirs(args.pack, exist_ok=True)
    if any(f.endswith(".argus") for f in os.listdir(args.pack)):
        program, _ = load_rules([args.pack])
        if rid.casefold() in {r.id.casefold() for r in program.rules}:
            raise UserError(f"rule {rid} already exists in {args.pack}")
    fixture_dir = os.path.join(args.pack, "fixtures", rid)
    fixture = os.path.join(fixture_dir, "cases.yaml")
    if os.path.exists(fixture):
        raise UserError(f"{fixture} already exists")
    rule_file = os.path.join(args.pack, args.file)
    existing = open(rule_file, encoding="utf-8").read() if os.path.exists(rule_file) else ""
    last = re.sub(r"[^a-z0-9_]", "_", rtype.rsplit("/", 1)[-1])
    var = (last[:-1] if last.endswith("s") else last) if last[:1].isalpha() else "resource"
    text = RULE.format(id=rid, title=args.title.replace('"', "'"), severity=args.severity, type=rtype, var=var)
    provider = _provider_path(rtype)
    os.makedirs(fixture_dir, exist_ok=True)
    atomic_write(fixture, FIXTURE.format(id=rid, type=rtype, provider=provider))
    atomic_write(rule_file, existing + text)
    print(f"wrote {rule_file} (rule {rid}) and {fixture}")
    if config is None:
        print(f"no policies.yaml here or in a parent directory: scan with `argus scan --rules {args.pack} ...`, "
              "or list the pack under a policy's rules in a policies.yaml")
    elif config_text is not None:
        atomic_write(config, config_text)
        print(f"added {rid} to the default policy in {config}, so `argus scan` runs it")
    else:
        print(f"{config}'s default policy already loads {args.pack}, so `argus scan` runs it")
    print(f"next: edit them, then `argus check {args.pack}` and `argus test {args.pack}`")
    return exitcodes.OK


def _picked_up(config: str, pack: str, rid: str) -> str | None:
    """The policies file's new text, with `pack` added to the default policy's rules (and `rid` to its include
    list, if it has one that does not match the id); None when the policy already runs rules from `pack`."""
    policy = load_policy(config, None)
    doc = policy.located  # the file as load_policy read it: node offsets index this very text
    text = doc.text
    edits = []
    full = os.path.abspath(pack)
    if not any(resources.inside(full, r) for r in policy.rules):
        rel = os.path.relpath(full, os.path.dirname(os.path.abspath(config)))
        edits.append((doc.node(["policies", policy.name, "rules"]), rel.replace(os.sep, "/")))
    if policy.include and not any(matching_ids(p, [rid]) for p in policy.include):
        edits.append((doc.node(["policies", policy.name, "include"]), rid))
    if not edits:
        return None
    for node, item in sorted(edits, key=lambda e: -e[0].end_mark.index):  # from the end, so offsets hold
        text = _append_item(text, node, item)
    return text


def _append_item(text: str, node, item: str) -> str:
    """`item` appended to the YAML list `node`, keeping the file's comments and layout (flow or block)."""
    if node.flow_style:
        end = text.rindex("]", 0, node.end_mark.index)
        sep = ", " if node.value else ""
        return text[:end] + sep + item + text[end:]
    last = node.value[-1].end_mark.index
    eol = text.find("\n", last)
    eol = len(text) if eol < 0 else eol
    return text[:eol] + "\n" + " " * node.start_mark.column + "- " + item + text[eol:]


def _provider_path(rtype: str) -> str:
    ns, *types = rtype.split("/")
    return "/".join([ns] + [p for t in types for p in (t, "x")][:-1]) if len(types) > 1 else f"{ns}/{types[0]}"
