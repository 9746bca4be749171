"""Exit codes of every argus command, in one place (documented in `argus --help` and the README).

In: nothing. Out: the constants. A scheduled job must tell "findings" from "argus could not run" from
"argus crashed", so each has its own code and none is reused for another meaning.
"""

OK = 0          # nothing failed at or above --fail-on (or the command did what it was asked)
FINDINGS = 1    # failing findings (scan), failing fixture cases (test)
USAGE = 2       # a usage, rule, policy or input error, or a rule that errored during evaluation
INTERNAL = 3    # argus itself failed: a bug, reported in one line (the traceback with --debug / ARGUS_DEBUG)
INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports a process the signal ended

EPILOG = ("exit codes: 0 ok, 1 failing findings (or failing fixture cases), 2 usage, rule, policy or input error "
          "(or a rule that errored), 3 internal error in argus (rerun with --debug and report it)")
