"""`argus completion SHELL`: the completion script for a shell, generated from argus' own parser.

In: a shell name. Out: the script on stdout (argcomplete writes it; the shell then calls argus back with
_ARGCOMPLETE set, and `complete` answers from the full parser, so flags and choices never drift from the CLI).
Install, e.g.: `argus completion bash > ~/.local/share/bash-completion/completions/argus`,
`argus completion zsh > "${fpath[1]}/_argus"`, `argus completion fish > ~/.config/fish/completions/argus.fish`.
"""

from __future__ import annotations

import sys

from argus import exitcodes

SHELLS = ("bash", "zsh", "fish", "powershell")


def add_arguments(p) -> None:
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def run(args) -> int:
    import argcomplete

    sys.stdout.write(argcomplete.shellcode(["argus"], shell=args.shell))
    return exitcodes.OK


def complete(parser) -> None:
    """Answer the shell's completion request (argcomplete exits the process when it has)."""
    import argcomplete

    argcomplete.autocomplete(parser)
