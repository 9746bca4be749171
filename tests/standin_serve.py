"""Serve the bundled example estate from the ARG/ARM stand-in (argstandin.py) until stdin closes.

In: nothing (run as `python tests/standin_serve.py`). Out: the stand-in's URL on the first line of stdout; the
process then waits for stdin to close (or a signal) and stops the server. Used where `argus collect` runs in
another process than the tests: the wheel smoke test of .ci/run and tests/test_wheel.py. Clients send
ARGUS_ACCESS_TOKEN=standin-token.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from argstandin import ArgStandIn  # noqa: E402
from test_collect_scan import example_tables, standin_estate  # noqa: E402


def main() -> int:
    with ArgStandIn(standin_estate(example_tables())) as standin:
        print(standin.url, flush=True)
        sys.stdin.read()  # until the caller closes our stdin
        if standin.violations:
            print("\n".join(standin.violations), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
