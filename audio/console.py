"""The `podcast` console script: Ctrl-C at any moment is one line and exit code 130."""

from __future__ import annotations

import contextlib
import os
import sys

from .hooks import moment

INTERRUPTED = 130


def _readable_output() -> None:
    """A terminal that cannot show a character gets a `?` rather than a crash; output that goes to a file or a
    pipe (`split --format script > fixed.txt`) is UTF-8 whatever the locale, so that no character is lost."""
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.reconfigure(errors="replace")
        if sys.stdout.isatty():
            sys.stdout.reconfigure(errors="replace")
        else:
            sys.stdout.reconfigure(encoding="utf-8")


def main() -> None:
    """Run the CLI; an interruption, even while it starts, ends with one `error:` line."""
    _readable_output()
    try:
        moment("starting")
        from .cli import run

        code = run()
    except KeyboardInterrupt:
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # reported once: a second one must not end us mid-exit
        print("error: interrupted; the previous episode is unchanged, finished segments stay cached", file=sys.stderr)
        code = INTERRUPTED
    if code == INTERRUPTED:
        # A Ctrl-C that lands while a module is being imported leaves CPython marked as
        # interrupted: at exit it would end itself with SIGINT instead of this exit code.
        # Everything is cleaned up by now (the render's own handlers ran): leave at once.
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(INTERRUPTED)
    sys.exit(code)
