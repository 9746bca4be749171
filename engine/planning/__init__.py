"""Checked AST -> closures over a frame: the compiler, its operator/filter builders, join planning."""
