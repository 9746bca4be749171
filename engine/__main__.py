"""`python -m argus`: the same command line as the `argus` console script."""

from .cli import entry

entry()
