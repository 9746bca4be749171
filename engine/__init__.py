"""argus: a policy-as-code rule engine for Azure Resource Graph snapshots.

A package per stage, in the order a scan meets them (docs/architecture.md has the map): language (grammar.lark
-> parser -> checker) -> planning (compiler: AST -> closures) -> evaluation (session, evaluator) over snapshots
(loading) -> reports (the document and its formats); beside them collection, facts, policy, state, testing,
deployment (what-if), the scan pipeline and the commands. The top-level modules are utilities every stage uses.
"""

__version__ = "0.1.0"
