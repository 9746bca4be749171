"""YAML with positions: safe-load a document and keep a map from data paths to file:line:col.

In: YAML text. Out: the plain data (SafeLoader only) and `locate(path)` giving the (line, col) of the node at a
path of keys/indexes, so schema and semantic errors in policies.yaml can say exactly where.

Dates and timestamps stay text (`expires: 2026-12-31` is the string "2026-12-31"), as they would in JSON: the
schemas check them, with a message and a position, where PyYAML's own conversion would raise a bare ValueError
on an impossible date such as 2026-02-30.
"""

from __future__ import annotations

import yaml

from .errors import UserError


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class TextDatesLoader(yaml.SafeLoader):
    """SafeLoader that reads timestamps, implicit or tagged !!timestamp, as the plain strings they are."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
TextDatesLoader.add_constructor(_TIMESTAMP, yaml.SafeLoader.construct_scalar)


class Located:
    def __init__(self, data, root):
        self.data = data
        self._root = root

    def locate(self, path) -> tuple[int, int]:
        node = self._root
        if node is None:  # an empty document: the error is at its start
            return 1, 1
        best = node
        for step in path:
            nxt = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == step:
                        nxt = v
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
                nxt = node.value[step]
            if nxt is None:
                break
            node = best = nxt
        return best.start_mark.line + 1, best.start_mark.column + 1

    def node(self, path):
        """The YAML node at a path of keys/indexes, or None (for edits that keep the file's own text)."""
        node = self._root
        for step in path:
            node = _child(node, step) if node is not None else None
        return node

    def key_position(self, path) -> tuple[int, int]:
        """Position of the last key of `path` itself (for 'unknown key' messages)."""
        parent = self._root
        for step in path[:-1]:
            parent = _child(parent, step) or parent
        if isinstance(parent, yaml.MappingNode):
            for k, _ in parent.value:
                if k.value == path[-1]:
                    return k.start_mark.line + 1, k.start_mark.column + 1
        return self.locate(path)


def _child(node, step):
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == step), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None


def load(path: str) -> Located:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    loader = TextDatesLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise UserError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    finally:
        loader.dispose()
    return Located(data, root)
