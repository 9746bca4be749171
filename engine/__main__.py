"""`python -m argus`: the same command line as the `argus` console script."""

from argus.commands.cli import entry

entry()
