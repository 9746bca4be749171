"""argus: a policy-as-code rule engine for Azure Resource Graph snapshots.

Stages, one module each: grammar.lark -> parser (text -> AST) -> checker (AST -> diagnostics)
-> compiler (AST -> closures) -> evaluator (closures x snapshot -> findings) -> report/formats.
"""

__version__ = "0.1.0"
