"""Connecting to a Dask scheduler: the `cluster` extra installed, the scheduler reached within a deadline,
or one clear error (never a traceback, never a hang)."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from typing import TYPE_CHECKING

from ..errors import ClusterError, PodcastError

if TYPE_CHECKING:
    from distributed import Client

TIMEOUT_ENV = "PODCAST_SCHEDULER_TIMEOUT"
"""Seconds to wait for the scheduler to answer; default `DEFAULT_TIMEOUT`."""
DEFAULT_TIMEOUT = 5.0
"""A scheduler on the network answers in milliseconds: five seconds is ample, and short enough to wait for."""


def connect(address: str, timeout: float | None = None) -> Client:
    """A Dask client connected to the scheduler at `address` (`tcp://host:8786`).

    Raises `PodcastError` (exit 2) if Dask is not installed, `ClusterError` if the
    scheduler does not answer within `timeout` seconds (default: `$PODCAST_SCHEDULER_TIMEOUT` or 5).
    """
    distributed = need_dask()
    seconds = timeout if timeout is not None else deadline()
    _probe(address, seconds)
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # its retries would print lines of their own before our one
    made: list = []
    # In a thread, on our deadline: Dask's own covers the connection, not the handshake after it, which waits
    # for ever on a listener that never answers. A client still waiting there is left behind (a daemon thread).
    trying = threading.Thread(target=_client, args=(distributed, address, seconds, made), daemon=True)
    try:
        trying.start()
        trying.join(seconds + 1)
    finally:
        quiet.setLevel(level)
    if not made or isinstance(made[0], BaseException):
        sys.unraisablehook = _without_client_teardown(sys.unraisablehook)
        raise _unreachable(address, seconds, made[0] if made else TimeoutError("no answer"))
    return made[0]


def _client(distributed, address: str, seconds: float, made: list) -> None:
    try:
        made.append(distributed.Client(address, timeout=seconds, set_as_default=False))
    except Exception as exc:  # noqa: BLE001 - whatever answered there is not a scheduler we can use
        made.append(exc)


def need_dask():
    """The `distributed` module; `PodcastError` (exit 2) if the `cluster` extra is not installed."""
    try:
        import distributed
    except ImportError:
        raise PodcastError(
            "--scheduler needs Dask, which is not installed: pip install 'podcast-renderer[cluster]' "
            "(in the project: pip install '.[cluster]')"
        ) from None
    return distributed


def _probe(address: str, seconds: float) -> None:
    """Fail at once where nothing listens (a client would retry until its deadline) or the address is wrong."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=seconds).close()
    except (OSError, ValueError, TypeError) as exc:
        raise _unreachable(address, seconds, exc) from None


def _unreachable(address: str, seconds: float, exc: BaseException) -> ClusterError:
    why = (str(exc).splitlines() or [""])[0] or type(exc).__name__
    return ClusterError(
        f"cannot reach the Dask scheduler at {address} within {seconds:g} s ({why[:120]}); "
        "start one (`dask scheduler`) or check the address"
    )


def _without_client_teardown(hook):
    """`sys.unraisablehook` that passes over a half-made client's closing at exit (Dask's, which would print a
    traceback after our one line); anything else goes to `hook`."""
    if getattr(hook, "skips_client_teardown", False):
        return hook

    def skipping(info) -> None:
        if getattr(info.object, "__qualname__", "") != "Client.__del__":
            hook(info)

    skipping.skips_client_teardown = True
    return skipping


def deadline() -> float:
    """The connection deadline in seconds: `$PODCAST_SCHEDULER_TIMEOUT`, else `DEFAULT_TIMEOUT`."""
    text = os.environ.get(TIMEOUT_ENV, "")
    try:
        seconds = float(text) if text else DEFAULT_TIMEOUT
    except ValueError:
        raise PodcastError(f"${TIMEOUT_ENV} must be a number of seconds, not {text!r}") from None
    if not 0 < seconds < 3600:
        raise PodcastError(f"${TIMEOUT_ENV} must be between 0 and 3600 seconds, not {text!r}")
    return seconds
