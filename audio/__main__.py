"""`python -m audio` is the `podcast` command."""

from .cli import main

main()
