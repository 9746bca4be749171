"""The rule language: grammar, AST, parser, checker, functions and operators, runtime values."""
