"""`argus scan` outputs are all or nothing: every destination is checked before the scan runs, every file
is staged beside its target and renamed into place only once all are staged, the history is appended last,
`--output -` is stdout, a symbolic link is written through, and a rule error is never silent."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from argus import errors
from argus.state import history

REPO = Path(__file__).resolve().parents[1]
OLD = "old report\n"
ERRING_RULES = """\
rule T-ERR-01 "errors on a string" {
  severity high
  for r in resources
  require any(c in r.properties.conns: c == 1)
}
rule T-ERR-02 "errors too" {
  severity low
  for r in resources
  require any(c in r.properties.conns: c == 2)
}
rule T-OK-01 "passes" {
  severity low
  for r in resources
  require r.name != ""
}
"""
ERRING_SNAPSHOT = {"resources": [{"id": "/subscriptions/s/resourceGroups/g/providers/x/y/a", "name": "a",
                                  "type": "x/y", "properties": {"conns": "oops"}}]}


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("ARGUS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)


def scan(argus, *argv):
    return argus("scan", "--example", *argv)


def tree(root: Path) -> dict[str, str]:
    """Every entry under root: file -> its text, link -> '-> target', directory -> '/', pipe -> '|',
    socket -> '='."""
    out = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            out[name] = "/"
        elif path.is_fifo():
            out[name] = "|"
        elif path.is_socket():
            out[name] = "="
        else:
            out[name] = path.read_bytes().decode("utf-8", "replace")
    return out


def foreign_db(path: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")


def unix_socket(path: str) -> None:
    """A socket file at path (it stays once the socket is closed)."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(path)


def old_file(path: str) -> None:
    Path(path).write_text(OLD, encoding="utf-8")


SETUPS = {
    "nothing": lambda: None,
    "out is a directory": lambda: os.mkdir("out"),
    "afile is a file": lambda: old_file("afile"),
    "h.db is text": lambda: Path("h.db").write_text("hello\n", encoding="utf-8"),
    "h.db is another SQLite DB": lambda: foreign_db("h.db"),
    "hdir is a directory": lambda: os.mkdir("hdir"),
    "pipe is a FIFO": lambda: os.mkfifo("pipe"),
    "sock is a socket": lambda: unix_socket("sock"),
    "link.json -> a.json": lambda: (old_file("a.json"), os.symlink("a.json", "link.json")),
    "h.db is an argus history, hlink.db -> h.db": lambda: (
        history.append("h.db", json.loads(Path(REPO / "tests/data/reports/scan-2026-11-20.json").read_text())),
        os.symlink("h.db", "hlink.db")),
    "loopa <-> loopb": lambda: (os.symlink("loopb", "loopa"), os.symlink("loopa", "loopb")),
    "ok.json exists": lambda: old_file("ok.json"),
}


@pytest.mark.parametrize("setup,argv,message", [
    ("ok.json exists", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "nodir/x.sarif"],
     "nodir/x.sarif: cannot write: directory nodir does not exist"),
    ("nothing", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "a/b/x.sarif"],
     "a/b/x.sarif: cannot write: directory a/b does not exist"),
    ("out is a directory", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "out"],
     "out: cannot write: it is a directory"),
    ("afile is a file", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "afile/x.sarif"],
     "afile/x.sarif: cannot write: afile is not a directory"),
    ("sock is a socket", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "sock"],
     "sock: cannot write: not a regular file, a character device or a pipe"),
    ("pipe is a FIFO", ["--format", "json", "--output", "ok.json", "--history", "pipe"],
     "pipe: cannot write: a history DB must be a regular file"),
    ("loopa <-> loopb", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "loopa"],
     "loopa: cannot write: the symbolic link never ends in a file (a loop)"),
    ("nothing", ["--format", "json", "--output", "ok.json", "--history", "nodir/h.db"],
     "nodir/h.db: cannot write: directory nodir does not exist"),
    ("hdir is a directory", ["--format", "json", "--output", "ok.json", "--history", "hdir"],
     "hdir: cannot write: it is a directory"),
    ("h.db is text", ["--format", "json", "--output", "ok.json", "--history", "h.db"],
     "h.db: not an argus history DB (not a SQLite file)"),
    ("h.db is another SQLite DB", ["--format", "json", "--output", "ok.json", "--history", "h.db"],
     "h.db: not an argus history DB"),
    ("nothing", ["--format", "json", "--output", "same.db", "--history", "same.db"],
     "--history same.db is also the --output of --format json; give the history its own file"),
    ("h.db is an argus history, hlink.db -> h.db", ["--format", "json", "--output", "hlink.db", "--history", "h.db"],
     "--history h.db is also the --output of --format json; give the history its own file"),
    ("link.json -> a.json", ["--format", "json", "--output", "a.json", "--format", "sarif", "--output", "link.json"],
     "--output link.json (for --format sarif) is the same file as --output a.json (for --format json); "
     "one file holds one format"),
    ("nothing", ["--format", "json", "--output", "-", "--format", "text"],
     "only one format can go to stdout; give --output FILE for the others"),
    ("nothing", ["--format", "json", "--output", "ok.json", "--format", "sarif", "--output", "-",
                 "--format", "markdown", "--output", "-"],
     "only one format can go to stdout; give --output FILE for the others"),
])
def test_a_doomed_destination_fails_before_anything_is_written(argus, tmp_path, setup, argv, message):
    SETUPS[setup]()
    before = tree(tmp_path)
    assert scan(argus, *argv) == (2, "", f"argus scan: error: {message}\n")
    assert tree(tmp_path) == before  # no output, no temporary file, no history, links untouched


def test_a_destination_is_checked_before_the_scan_runs(argus, tmp_path, monkeypatch):
    from argus.evaluation import session
    monkeypatch.setattr(session.Session, "evaluate", lambda *a: pytest.fail("evaluated a doomed run"))
    assert scan(argus, "--format", "json", "--output", "nodir/r.json")[0] == 2


def test_a_history_from_the_environment_is_checked_too(argus, tmp_path, monkeypatch):
    monkeypatch.setenv("ARGUS_HISTORY", "nodir/h.db")
    assert scan(argus, "--format", "json", "--output", "ok.json") == (
        2, "", "argus scan: error: nodir/h.db: cannot write: directory nodir does not exist\n")
    assert tree(tmp_path) == {}


def run_unprivileged(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """argus in a child process that file permissions apply to: root's capabilities let it write anywhere,
    so as root the child runs without them (still uid 0, which can read the interpreter under /root)."""
    code = "import sys; from argus.commands.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")} | {"NO_COLOR": "1"}
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv (util-linux) to drop the capabilities")
        prefix = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"]
    return subprocess.run([*prefix, sys.executable, "-c", code, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True)


def test_a_directory_without_write_permission_is_refused_before_the_scan(tmp_path):
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    done = run_unprivileged(tmp_path, "scan", "--example", "--format", "json", "--output", "ok.json",
                            "--format", "sarif", "--output", "ro/x.sarif")
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "argus scan: error: ro/x.sarif: cannot write: directory ro is not writable\n")
    assert tree(tmp_path) == {"ro": "/"}


class DiskFull:
    """Stand-ins for errors._create_temp and os.fdopen (as errors uses it) whose nth call fails as a full disk
    would: creating the temporary file, or writing to it once created."""

    def __init__(self, n: int):
        self.n, self.calls = n, 0
        self.real_create, self.real_fdopen = errors._create_temp, os.fdopen

    def due(self) -> bool:
        self.calls += 1
        return self.calls == self.n

    def create(self, directory):
        if self.due():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real_create(directory)

    def fdopen(self, fd, *args, **kwargs):
        fh = self.real_fdopen(fd, *args, **kwargs)
        if self.due():
            def write(_data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            fh.write = write
        return fh


@pytest.mark.parametrize("failing", [1, 2, 3])
@pytest.mark.parametrize("step", ["create", "fdopen"])
def test_a_write_that_fails_after_the_checks_leaves_every_file_as_it_was(argus, tmp_path, monkeypatch, step, failing):
    old_file("r.json")
    disk = DiskFull(failing)
    if step == "create":
        monkeypatch.setattr(errors, "_create_temp", disk.create)
    else:
        monkeypatch.setattr(errors.os, "fdopen", disk.fdopen)
    names = ["r.json", "r.sarif", "r.md"]
    code, out, err = scan(argus, "--history", "h.db", "--format", "json", "--output", "r.json", "--format", "sarif",
                          "--output", "r.sarif", "--format", "markdown", "--output", "r.md", "--format", "text")
    assert (code, out, err) == (2, "", f"argus scan: error: {names[failing - 1]}: cannot write: No space left on device\n")
    assert tree(tmp_path) == {"r.json": OLD}  # nothing renamed, no temporary file, no history, nothing on stdout


@pytest.mark.parametrize("argv,stdout_starts", [
    (["--format", "json", "--output", "-"], '{\n  "schema_version": "1.0"'),
    (["--format", "sarif", "--output", "r.sarif", "--format", "json", "--output", "-"], '{\n  "schema_version": "1.0"'),
    (["--format", "markdown", "--output", "-", "--format", "json", "--output", "r.json"], "## argus: azure-migrate\n"),
])
def test_output_dash_is_standard_output(argus, tmp_path, argv, stdout_starts):
    code, out, err = scan(argus, *argv)
    assert (code, err) == (1, "") and out.startswith(stdout_starts)
    files = {argv[i + 1] for i, a in enumerate(argv) if a == "--output" and argv[i + 1] != "-"}
    assert set(tree(tmp_path)) == files  # no file named "-"


@pytest.mark.parametrize("output", ["pipe", "link-to-pipe"])
def test_a_pipe_is_written_in_place_after_the_files(argus, tmp_path, output):
    # a named pipe stands for every stream (/dev/stdout, /dev/null, a shell's >(...)): renaming over one
    # would replace the node itself, and as root even /dev/null
    os.mkfifo("pipe")
    os.symlink("pipe", "link-to-pipe")
    got = {}

    def read():
        with open("pipe", encoding="utf-8") as fh:
            got["files"] = sorted(os.listdir(tmp_path))  # when the stream is opened, the files are in place
            got["text"] = fh.read()
    reader = threading.Thread(target=read, daemon=True)  # a reader left waiting must not keep pytest alive
    reader.start()
    code = scan(argus, "--format", "sarif", "--output", output, "--format", "json", "--output", "r.json")[0]
    reader.join(timeout=10)
    assert code == 1 and json.loads(got["text"])["version"] == "2.1.0"
    assert got["files"] == ["link-to-pipe", "pipe", "r.json"]
    assert tree(tmp_path)["pipe"] == "|" and os.readlink("link-to-pipe") == "pipe"


@pytest.mark.parametrize("link,target", [
    ("out.json", "real/report.json"),                    # relative link into another directory
    ("out.json", "{tmp}/real/report.json"),              # absolute link
    ("real/out.json", "report.json"),                    # relative to the link's own directory
    ("out.json", "chain.json"),                          # a link to a link: written through both
])
@pytest.mark.parametrize("exists", [True, False])
def test_an_output_that_is_a_symbolic_link_is_written_through(argus, tmp_path, link, target, exists):
    os.mkdir("real")
    target = target.format(tmp=tmp_path)
    final = tmp_path / "real" / "report.json"
    if target == "chain.json":
        os.symlink("real/report.json", "chain.json")
    if exists:
        final.write_text(OLD, encoding="utf-8")
        final.chmod(0o640)
    os.symlink(target, link)
    assert scan(argus, "--format", "json", "--output", link)[0] == 1
    assert os.readlink(link) == target  # the link is still the same link
    assert json.loads(final.read_text(encoding="utf-8"))["schema_version"] == "1.0"
    if exists:
        assert final.stat().st_mode & 0o777 == 0o640  # the target keeps its mode
    assert not [p for p in tree(tmp_path) if p.endswith(".tmp")]


@pytest.fixture
def erring(tmp_path):
    (tmp_path / "r.argus").write_text(ERRING_RULES, encoding="utf-8")
    (tmp_path / "snap.json").write_text(json.dumps(ERRING_SNAPSHOT), encoding="utf-8")
    return lambda argus, *argv: argus("scan", "--rules", "r.argus", "--snapshot", "snap.json", *argv)


@pytest.mark.parametrize("argv,err", [
    (["--format", "json", "--output", "r.json"],
     "argus scan: 2 rules errored (T-ERR-01, T-ERR-02): see the report in r.json\n"
     "argus scan: 3 findings: 2 error, 1 pass (written to r.json)\n"),
    (["--format", "json", "--output", "r.json", "--format", "sarif", "--output", "r.sarif"],
     "argus scan: 2 rules errored (T-ERR-01, T-ERR-02): see the reports in r.json, r.sarif\n"
     "argus scan: 3 findings: 2 error, 1 pass (written to r.json, r.sarif)\n"),
    (["--format", "json", "--output", "r.json", "--format", "text"], ""),  # the report on stdout shows them
    (["--format", "json", "--output", "r.json", "--format", "junit"], ""),
])
def test_a_rule_error_is_said_on_stderr_when_every_format_goes_to_a_file(argus, tmp_path, erring, argv, err):
    code, out, got = erring(argus, *argv)
    assert (code, got) == (2, err)
    statuses = [f["status"] for f in json.loads((tmp_path / "r.json").read_text())["findings"]]
    assert statuses == ["error", "error", "pass"]


def test_history_is_appended_last_and_a_failure_says_the_outputs_stay(argus, tmp_path, monkeypatch):
    seen = {}

    def broken(conn, db_path):
        seen["outputs"] = sorted(p.name for p in tmp_path.iterdir())
        raise sqlite3.OperationalError("database is locked")
    monkeypatch.setattr(history, "_prepare", broken)
    code, out, err = scan(argus, "--history", "h.db", "--format", "json", "--output", "r.json",
                          "--format", "sarif", "--output", "r.sarif")
    assert (code, out) == (2, "")
    assert err == ("argus scan: error: h.db: cannot record the scan in the history DB: database is locked; "
                   "the outputs were written (r.json, r.sarif), but this scan is not in the history\n")
    assert seen["outputs"] == ["h.db", "r.json", "r.sarif"]  # sqlite had opened h.db; both outputs were in place
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == "1.0"


def test_a_good_run_writes_every_output_and_records_the_scan(argus, tmp_path):
    assert scan(argus, "--history", "h.db", "--format", "json", "--output", "r.json", "--format", "sarif",
                "--output", "r.sarif")[:2] == (1, "")
    assert sorted(tree(tmp_path)) == ["h.db", "r.json", "r.sarif"]
    with sqlite3.connect(tmp_path / "h.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 1


@pytest.mark.parametrize("argv,message", [
    (["--snapshot", "missing.json"], "missing.json"),
    (["--example", "--waivers", "missing.yaml"], "missing.yaml"),
    (["--example", "--baseline", "missing.json"], "missing.json"),
    (["--example", "--rules", "missing.argus"], "missing.argus"),
    (["--example", "--fail-on-new"], "--fail-on-new needs --baseline PREVIOUS"),
])
def test_bad_input_writes_no_output(argus, tmp_path, argv, message):
    old_file("r.json")
    code, out, err = argus("scan", *argv, "--history", "h.db", "--format", "json", "--output", "r.json",
                           "--format", "markdown", "--output", "-")
    assert (code, out) == (2, "") and message in err and "Traceback" not in err
    assert tree(tmp_path) == {"r.json": OLD}
