"""Stopping points for tests: a render stops itself at a named moment, so that a test can signal it there.

With `$PODCAST_TEST_STOP_AT` set to a moment's name (`starting`, `importing`, `parsed`,
`synthesized 3`, `writing .wav`, `encoding`, `on the cluster`), the process stops its process group
(SIGSTOP: itself, the speech server, any ffmpeg) the first time it reaches that moment;
the test sees it stopped, sends Ctrl-C or kill -9, then SIGCONT. Without the variable, a
moment costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
import threading

STOP_AT = "PODCAST_TEST_STOP_AT"
_reached: set[str] = set()
_lock = threading.Lock()


def moment(name: str) -> None:
    """Stop here, once, if a test asked to (see the module's docstring)."""
    if os.environ.get(STOP_AT) != name:
        return
    with _lock:
        if name in _reached:
            return
        _reached.add(name)
    os.killpg(os.getpgrp(), signal.SIGSTOP)  # as a terminal's Ctrl-C reaches the whole group
