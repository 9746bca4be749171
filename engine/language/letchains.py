"""File-level lets that name each other: cycles, and chains nested too deep to evaluate (E207).

In: which file-level lets each let's value names (the checker collects them) and a way to reach a let's value.
Out: (let name, message) for each let that is defined in terms of itself (each cycle once, at the let it starts
from) and for each let where a chain nesting more than MAX_LET_DEPTH levels starts. An iterative walk, since
the rule text may be hostile: a deep chain must not overflow Python's stack here either.
"""

from __future__ import annotations

from typing import Callable

from argus.language import ast as A

# A file-level let evaluates the lets it names recursively, so nesting adds up along a chain: bound the sum as
# the parser bounds one expression (the bundled pack's deepest chain sums to about 40 levels).
MAX_LET_DEPTH = 150


def let_chain_errors(let_deps: dict[str, list[str]], value_of: Callable[[str], object]) -> list[tuple[str, str]]:
    depth: dict[str, int] = {}
    cyclic: set[str] = set()
    errors: list[tuple[str, str]] = []
    for root in let_deps:
        path, stack, on_path = [root], [(root, iter(let_deps.get(root, ())))], {root}
        while stack:
            name, deps = stack[-1]
            nxt = next(deps, None)
            if nxt is None:
                own = A.depth(value_of(name))
                depth[name] = own + max((depth.get(d, 0) for d in let_deps.get(name, ())), default=0)
                stack.pop()
                on_path.discard(path.pop())
            elif nxt in on_path:
                cycle = path[path.index(nxt):] + [nxt]
                if nxt == root and root not in cyclic:  # each cycle once, at the let it starts from
                    errors.append((root, f"let '{root}' is defined in terms of itself: {_chain(cycle)}"))
                cyclic.update(cycle)
                depth[name] = depth.get(name, 0)
            elif nxt not in depth:
                stack.append((nxt, iter(let_deps.get(nxt, ()))))
                on_path.add(nxt)
                path.append(nxt)
    for name, d in depth.items():  # report where the chain starts: no let above it is also too deep
        if name not in cyclic and d > MAX_LET_DEPTH and not any(
                depth.get(p, 0) > MAX_LET_DEPTH for p, deps in let_deps.items() if name in deps):
            errors.append((name, f"let '{name}' nests {d} levels deep through the lets it names; at most "
                                 f"{MAX_LET_DEPTH} are allowed"))
    return errors


def _chain(names: list[str]) -> str:
    return " -> ".join(names if len(names) <= 8 else names[:4] + [f"... ({len(names) - 6} more)"] + names[-2:])
