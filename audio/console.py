"""The `podcast` console script: Ctrl-C at any moment is one line and exit code 130."""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    """Run the CLI; an interruption, even while it starts, ends with one `error:` line."""
    try:
        from .cli import run

        code = run()
    except KeyboardInterrupt:
        print("error: interrupted; the previous episode is unchanged, finished segments stay cached", file=sys.stderr)
        code = INTERRUPTED
    sys.exit(code)
