"""`python -m audio` is the `podcast` command."""

from .console import main

main()
