"""Whole-pack benchmark: `argus scan` end to end, as a user runs it, against `orjson.loads` of the same file.

In: `--sizes N…` (rows in the generated estate; default 10,000 and 100,000), `--runs R` (default 3).
Out: per size, the file size, the wall time of each `argus scan --snapshot F --format json --output …
--format sarif --output …` run (a subprocess: imports, load, the whole bundled pack, both outputs, exit), the
time `orjson.loads` takes on the same bytes (in a subprocess with the collector off, the read not counted),
their ratio, time per row, and each scan's peak RSS beside the file size. Runs are interleaved (scan, loads,
scan, loads, …) so a busy machine hurts both alike. Exit 1 when a scan's failing (rule, subject) pairs are
not exactly the estate's injected defects, so a fast wrong answer cannot pass.

The estate (written to bench/out/pack-N.json, git-ignored): the example Migrate landing zone of examples/
(hub and spoke across two subscriptions, ExpressRoute with both peerings, private DNS, the cache and gateway
accounts with their defects, the appliance's facts) plus bulk landing-zone rows from bench/gen.py (storage
accounts with private endpoints, VNets with subnets, disks, NICs, VMs) up to N rows: most bytes are
properties no rule reads, as in a real export.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import orjson

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import gen  # noqa: E402

# The example estate's injected defects (README "What `make scan` shows"): what every size must find.
EXPECTED_FAILS = {("AMX-PP-02", "lsa7c1d0e93ab"), ("AMX-PP-03", "lsa7c1d0e93ab"), ("AMX-MP-05", "rf-er-ams-microsoft"),
                  ("AMX-PP-07", "privatelink.blob.core.windows.net"), ("AMX-PP-12", "contoso-mig-app01")}
EXPECTED_COUNTS = {"fail": 5, "warn": 3, "skip": 1, "error": 0, "not_evaluated": 0}


def core_tables() -> dict:
    """The example landing zone, table by table, as one object-of-tables snapshot holds it."""
    estate = os.path.join(REPO, "examples", "estate")
    with open(os.path.join(estate, "resources.json"), "rb") as fh:
        resources = orjson.loads(fh.read())["data"]
    with open(os.path.join(estate, "resourcecontainers.pages.json"), "rb") as fh:
        containers = [row for page in orjson.loads(fh.read()) for row in page["data"]]
    with open(os.path.join(estate, "dnsresources.jsonl"), "rb") as fh:
        dns = [orjson.loads(line) for line in fh if line.strip()]
    with open(os.path.join(REPO, "examples", "appliance", "contoso-mig-app01.facts.json"), "rb") as fh:
        appliance = orjson.loads(fh.read())["appliance"]
    return {"resources": resources, "resourcecontainers": containers, "dnsresources": dns, "appliance": appliance}


def write_estate(path: str, size: int, seed: int = 11) -> None:
    """Stream the estate to `path` (temp file + rename): the core tables, then bulk rows to `size` in all."""
    core = core_tables()
    bulk = max(0, size - sum(len(rows) for rows in core.values()))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".pack-", dir=os.path.dirname(path))
    with os.fdopen(fd, "wb", buffering=1 << 20) as fh:
        fh.write(b'{"resources": [\n')
        fh.write(b",\n".join(orjson.dumps(row) for row in core["resources"]))
        for row in gen.rows(seed, bulk):
            fh.write(b",\n" + orjson.dumps(row))
        for table in ("resourcecontainers", "dnsresources", "appliance"):
            fh.write(b'\n], "%s": [\n' % table.encode() + b",\n".join(orjson.dumps(r) for r in core[table]))
        fh.write(b"\n]}\n")
    os.replace(tmp, path)


def run_child(argv: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in bytes, stdout) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:3])}… exited {code}: {err.decode(errors='replace')[-2000:]}")
    return wall, usage.ru_maxrss * 1024, out.decode()


LOADS = ("import gc, sys, time, orjson\ngc.disable()\ndata = open(sys.argv[1], 'rb').read()\n"
         "t0 = time.perf_counter()\norjson.loads(data)\nprint(time.perf_counter() - t0)\n")


def check(report_path: str) -> str | None:
    """None when the report holds exactly the injected defects, else what differs."""
    with open(report_path, "rb") as fh:
        doc = orjson.loads(fh.read())
    fails = {(f["rule_id"], f["subject"]["name"]) for f in doc["findings"] if f["status"] == "fail"}
    counts = {s: doc["summary"]["by_status"][s] for s in EXPECTED_COUNTS}
    if fails != EXPECTED_FAILS or counts != EXPECTED_COUNTS:
        return f"failing pairs {sorted(fails ^ EXPECTED_FAILS)} differ, counts {counts}"
    return None


def bench(size: int, runs: int, argus: str) -> bool:
    path = os.path.join(HERE, "out", f"pack-{size}.json")
    if not os.path.exists(path):
        write_estate(path, size)
    mb = os.path.getsize(path)
    scans, loads, peaks, ok = [], [], [], True
    with tempfile.TemporaryDirectory(prefix="argus-bench-") as tmp:
        report = os.path.join(tmp, "r.json")
        argv = [argus, "scan", "--snapshot", path, "--format", "json", "--output", report,
                "--format", "sarif", "--output", os.path.join(tmp, "r.sarif")]
        for _ in range(runs):
            wall, peak, _ = run_child(argv)
            scans.append(wall)
            peaks.append(peak)
            problem = check(report)
            if problem:
                print(f"  {size}: WRONG ANSWER: {problem}")
                ok = False
            loads.append(float(run_child([sys.executable, "-c", LOADS, path])[2]))
    ratio = [s / ld for s, ld in zip(scans, loads)]
    print(f"{size:>9} {mb / 1e6:>8.1f} {' '.join(f'{s:6.2f}' for s in scans):>22} "
          f"{' '.join(f'{ld:5.2f}' for ld in loads):>18} {min(ratio):>5.2f}-{max(ratio):<5.2f} "
          f"{min(scans) / size * 1e6:>7.1f} {max(peaks) / 1e6:>8.0f} {max(peaks) / mb:>5.1f}x")
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--argus", default=os.path.join(os.path.dirname(sys.executable), "argus"))
    args = ap.parse_args(argv)
    print(f"{'rows':>9} {'file MB':>8} {'argus scan s (runs)':>22} {'orjson.loads s':>18} {'ratio':>11} "
          f"{'us/row':>7} {'peak MB':>8} {'/file':>6}")
    ok = all([bench(size, args.runs, args.argus) for size in args.sizes])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
