"""The checked program: what the checker hands the compiler.

In: built by argus.language.checker from parsed rule files. Out: `Program`, the files (with their text, for
diagnostics and evidence), the parameters, data sets, file-level lets and rules by name, and the literals the
checker prepared once (compiled patterns and JSONPaths, keyed by the literal node).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argus.language import ast as A


@dataclass
class Program:
    files: list[A.RuleFile] = field(default_factory=list)
    params: dict[str, A.Param] = field(default_factory=dict)
    data: dict[str, object] = field(default_factory=dict)
    lets: dict[str, A.Let] = field(default_factory=dict)
    rules: list[A.Rule] = field(default_factory=list)
    prepared: dict[object, object] = field(default_factory=dict)  # literal node (by value: span and text) -> compiled regex/glob/jsonpath

    @property
    def sources(self) -> dict[str, str]:
        return {f.path: f.text for f in self.files}
