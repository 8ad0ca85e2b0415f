"""Serving the folder of rendered episodes over HTTP on this machine, with byte ranges so players can seek."""

from __future__ import annotations

import contextlib
import email.utils
import errno
import http.server
import io
import logging
import os
import re
import socket
import socketserver
import stat
import urllib.parse
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace
from typing import BinaryIO

from ..errors import OutputError

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
"""Bytes read and sent at a time: an episode is streamed, never held whole in memory."""
IDLE_SECONDS = 120
"""A connection that sends or reads nothing for this long is closed, so idle players do not hold threads forever."""
TYPES = (
    (".chapters.json", "application/json+chapters"),  # before ".json": the longest ending wins
    (".transcript.json", "application/json"),
    (".json", "application/json"),
    (".mp3", "audio/mpeg"),
    (".vtt", "text/vtt; charset=utf-8"),
    (".srt", "application/x-subrip"),
    (".xml", "application/rss+xml"),
    (".html", "text/html; charset=utf-8"),
    (".css", "text/css"),
    (".js", "text/javascript"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".png", "image/png"),
)
"""Content types by the end of a file's name (compared in lower case); anything else is application/octet-stream."""
RANGE = re.compile(r"\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*", re.IGNORECASE)
"""One byte range (RFC 7233): `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges do not match, and are ignored."""
WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
"""A server listening on every interface is reached on this machine through the loopback address."""


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server for the files in `folder`, bound to host:port but not yet serving (call `serve_forever`).

    Port 0 picks a free port (`server.server_address[1]`). Raises `OutputError` when `folder` is not
    a folder, or when the address cannot be listened on (port taken, host not on this machine).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError("nothing to serve: not a folder; render an episode into it first", folder)
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if not 0 <= port <= 65535:
        raise OutputError(f"cannot listen on {shown} (no such port); choose a --port from 0 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return _Server(folder.resolve(), (host, port), family)
    except OSError as exc:
        # a taken or privileged port is the port's fault; anything else (no such address here) is the host's
        option = "--port" if exc.errno in (errno.EADDRINUSE, errno.EACCES) else "--host"
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot listen on {shown} ({reason}); choose another {option}") from None


def feed_address(server: http.server.HTTPServer) -> str:
    """The URL of `feed.xml` on `server`, e.g. `http://127.0.0.1:8000/feed.xml`."""
    host, port = server.server_address[:2]
    host = WILDCARDS.get(str(host), str(host))
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/feed.xml"


def local_feed(feed: bytes, host: str) -> bytes:
    """The feed as this server serves it: its links (to the published show, `[show] url`) pointing here
    instead, at `host` (the request's Host), so that an app subscribed to it plays the episodes from here."""
    self_link = re.search(rb'<atom:link href="([^"]+)/feed\.xml"', feed)
    if self_link is None or not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]+", host):
        return feed
    return feed.replace(self_link.group(1) + b"/", f"http://{host}/".encode())


def network_addresses(server: http.server.HTTPServer) -> list[str]:
    """Where other machines reach `server`: its address, or for one that listens on every address, this
    machine's address on its network (found without sending anything)."""
    host, port = server.server_address[:2]
    if str(host) not in WILDCARDS:
        return [feed_address(server).rsplit("/", 1)[0]]
    found = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # a UDP "connection" only picks the route: no packet is sent
        found.append(f"http://{probe.getsockname()[0]}:{port}")
    return found or [feed_address(server).rsplit("/", 1)[0]]


def content_type(name: str) -> str:
    """The Content-Type of a file by its name: see `TYPES`."""
    lower = name.lower()
    return next((kind for end, kind in TYPES if lower.endswith(end)), "application/octet-stream")


def locate(root: Path, request_path: str) -> Path | None:
    """The regular file inside `root` (already resolved) that a request's path names, or None.

    A folder stands for its `index.html`. None for anything that resolves outside `root`
    (`..`, percent-encoded or not, or a symlink pointing out), for hidden names (the
    renderer's `.lock` and `.part` files), and for anything but a regular file.
    """
    path = urllib.parse.unquote(urllib.parse.urlsplit(request_path).path)
    parts = [part for part in path.split("/") if part]
    if any(part.startswith(".") or "\0" in part for part in parts):
        return None
    target = root.joinpath(*parts)
    try:
        if target.is_dir():
            target = target / "index.html"
        real = target.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):  # missing, a symlink loop, an unusable name
        return None
    if not real.is_relative_to(root):
        return None
    if any(part.startswith(".") for part in real.relative_to(root).parts):
        return None  # a visible symlink to a hidden file
    return real if real.is_file() else None


def byte_range(header: str | None, size: int) -> range | None:
    """The bytes a Range header asks of a file of `size` bytes (RFC 7233, one range).

    None to send the whole file (no header, or one that is malformed or asks for several
    ranges, which RFC 7233 lets a server ignore); an empty range when no byte of it is in
    the file (answered 416); else the non-empty range of offsets to send.
    """
    match = RANGE.fullmatch(header or "")
    if not match or not (match[1] or match[2]):
        return None
    try:
        first = int(match[1]) if match[1] else None
        last = int(match[2]) if match[2] else None
    except ValueError:  # more digits than int() takes: no file is that large
        return None
    if first is None:  # bytes=-n: the last n bytes
        return range(max(size - last, 0), size) if last else range(0)
    if last is not None and last < first:
        return None  # RFC 7233 calls this invalid, not unsatisfiable
    if first >= size:
        return range(0)
    return range(first, size if last is None else min(last + 1, size))


class _Server(http.server.ThreadingHTTPServer):
    """A threading HTTP server that knows its folder, logs instead of printing, and skips a DNS lookup."""

    def __init__(self, root: Path, address: tuple[str, int], family: socket.AddressFamily):
        self.address_family = family
        self.root = root
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's `getfqdn`: a reverse DNS lookup that can stall on an offline machine."""
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = self.server_address[1]

    def handle_error(self, request, client_address) -> None:
        """A request that failed unexpectedly is a bug: logged with its traceback (not printed)."""
        log.error("request from %s failed", client_address[0], exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD for the regular files under the server's folder, with single byte ranges."""

    server: _Server
    server_version = "podcast-serve"
    protocol_version = "HTTP/1.1"  # keep-alive: a seeking player asks for many ranges on one connection
    timeout = IDLE_SECONDS

    def handle(self) -> None:
        """Serve the connection; a client that hangs up or goes quiet ends it without an error."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError) as exc:
            log.debug("%s hung up (%s)", self.address_string(), type(exc).__name__)
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        """Each request, through the module's logger at DEBUG, rather than to stderr."""
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        """A file, or the part of it that the Range header asks for."""
        self._serve(body=True)

    def do_HEAD(self) -> None:
        """What GET would answer, without the body."""
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        target = locate(self.server.root, self.path)
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        try:
            # O_NOFOLLOW: the resolved path must not have become a symlink since it was checked
            fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        with open(fd, "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            if target.name == "feed.xml" and target.parent == self.server.root:
                data = local_feed(file.read(), self.headers.get("Host") or "%s:%s" % self.server.server_address[:2])
                facts = SimpleNamespace(st_size=len(data), st_ino=info.st_ino, st_mtime=info.st_mtime,
                                        st_mtime_ns=info.st_mtime_ns)  # fmt: skip
                self._send_file(io.BytesIO(data), facts, target.name, body)
                return
            self._send_file(file, info, target.name, body)

    def _send_file(self, file: BinaryIO, info: os.stat_result, name: str, body: bool) -> None:
        size = info.st_size
        etag = f'"{info.st_ino:x}-{size:x}-{info.st_mtime_ns:x}"'
        modified = email.utils.formatdate(info.st_mtime, usegmt=True)
        condition = self.headers.get("If-Range")
        # a player resuming a file that was rendered again since must get the new file whole, not a spliced one
        fresh = condition is None or condition.strip() in (etag, modified)
        wanted = byte_range(self.headers.get("Range"), size) if fresh else None
        if wanted is not None and not wanted:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        span = wanted or range(size)
        if wanted:
            self.send_response(HTTPStatus.PARTIAL_CONTENT)
            self.send_header("Content-Range", f"bytes {span.start}-{span.stop - 1}/{size}")
        else:
            self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type(name))
        self.send_header("Content-Length", str(len(span)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", modified)
        self.send_header("ETag", etag)
        self.end_headers()
        if body:
            self._copy(file, span)

    def _copy(self, file: BinaryIO, span: range) -> None:
        file.seek(span.start)
        left = len(span)
        while left:
            chunk = file.read(min(CHUNK, left))
            if not chunk:
                # the file shrank after its length was sent: closing tells the client the body is short
                log.debug("a file shrank while being sent to %s", self.address_string())
                self.close_connection = True
                return
            self.wfile.write(chunk)
            left -= len(chunk)
