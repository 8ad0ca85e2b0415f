"""Serving dist/ over HTTP: a real server on a free port, asked by a real client (http.client), no mocks."""

from __future__ import annotations

import http.client
import logging
import os
import random
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from audio.errors import OutputError
from audio.publish.serve import feed_address, make_server

EPISODE = random.Random(7).randbytes(200_003)  # over three chunks, so ranges cross chunk boundaries
SIZE = len(EPISODE)
SECRET = b"the secret outside the served folder"
FILES = {
    "episode.mp3": EPISODE,
    "feed.xml": b"<rss version='2.0'></rss>",
    "episode.vtt": b"WEBVTT\n",
    "episode.srt": b"1\n00:00:00,000 --> 00:00:01,000\nHi\n",
    "episode.chapters.json": b'{"version": "1.2.0", "chapters": []}',
    "episode.transcript.json": b'{"segments": []}',
    "episode.json": b'{"version": 1}',
    "other.xml": b"<x/>",
    "episode.html": b"<!doctype html><title>episode</title>",
    "player.css": b"body {}",
    "player.js": b"void 0;",
    "cover.jpg": b"\xff\xd8\xff",
    "cover.jpeg": b"\xff\xd8\xff\xe0",
    "cover.png": b"\x89PNG\r\n\x1a\n",
    "notes.bin": b"\x00\x01",
    "index.html": b"<!doctype html><title>the show</title>",
    ".episode.mp3.lock": b"lock",
    ".episode.mp3.123.part": b"part of an episode",
    "show/index.html": b"<!doctype html><title>a folder's page</title>",
    "notes/listing-would-show-this.txt": b"not listed",
    ".hidden/inside.txt": b"hidden folder",
}


class Site:
    """A running server for a folder, and a client for it."""

    def __init__(self, server, folder: Path):
        self.server = server
        self.folder = folder
        self.port = server.server_address[1]

    def ask(self, path: str, method: str = "GET", headers: dict | None = None):
        """(status, headers, body) of one request; the path is sent as it is, not normalised.

        A second request follows on the same connection, and must be answered: a body longer
        than its Content-Length would be read in place of that answer.
        """
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            answer = response.status, response.headers, response.read()
            connection.request("GET", "/feed.xml")
            after = connection.getresponse()
            assert (after.status, after.read()) == (200, FILES["feed.xml"])
            return answer
        finally:
            connection.close()


@pytest.fixture()
def site(tmp_path):
    folder = tmp_path / "dist"
    for name, data in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "secret.txt").write_bytes(SECRET)
    (tmp_path / "private" / "index.html").write_bytes(SECRET)
    (folder / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "outside").symlink_to(tmp_path / "private", target_is_directory=True)
    (folder / "latest.mp3").symlink_to("episode.mp3")
    (folder / "visible.mp3").symlink_to(".episode.mp3.123.part")
    (folder / ".alias.mp3").symlink_to("episode.mp3")
    os.mkfifo(folder / "pipe.mp3")
    server = make_server(folder, port=0)
    # a short poll: shutdown() waits for the loop to look, 0.5 s a test by default
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield Site(server, folder)
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_get_sends_the_whole_file(site):
    status, headers, body = site.ask("/episode.mp3")
    assert status == 200
    assert headers["Content-Length"] == str(SIZE)
    assert headers["Accept-Ranges"] == "bytes"
    assert body == EPISODE


def test_head_sends_the_headers_of_get_and_no_body(site):
    connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    try:
        connection.request("HEAD", "/episode.mp3")
        head = connection.getresponse()
        assert (head.status, head.read()) == (200, b"")
        assert head.headers["Content-Length"] == str(SIZE)
        assert head.headers["Accept-Ranges"] == "bytes"
        assert head.headers["Content-Type"] == "audio/mpeg"
        # a body sent after HEAD would be read here, on the same connection, in place of this answer
        connection.request("GET", "/feed.xml")
        after = connection.getresponse()
        assert (after.status, after.read()) == (200, FILES["feed.xml"])
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=10-19", 10, 20),
        ("bytes=65530-200000", 65530, 200001),  # across chunk boundaries
        ("bytes=0-", 0, SIZE),
        (f"bytes={SIZE - 7}-", SIZE - 7, SIZE),
        ("bytes=-5", SIZE - 5, SIZE),
        ("bytes=-999999999", 0, SIZE),  # a suffix longer than the file is the whole file
        (f"bytes={SIZE - 3}-99999999", SIZE - 3, SIZE),  # an end past the file stops at its end
    ],
)
def test_a_range_sends_exactly_those_bytes(site, header, start, stop):
    status, headers, body = site.ask("/episode.mp3", headers={"Range": header})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {start}-{stop - 1}/{SIZE}"
    assert headers["Content-Length"] == str(stop - start)
    assert headers["Accept-Ranges"] == "bytes"
    assert body == EPISODE[start:stop]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_a_range_past_the_end_is_not_satisfiable(site, header):
    status, headers, body = site.ask("/episode.mp3", headers={"Range": header})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{SIZE}"
    assert body == b""


@pytest.mark.parametrize(
    "header", ["bytes=abc", "bytes=5-2", "items=0-1", "bytes=-", "bytes=0-1,5-6", "bytes=" + "9" * 5000 + "-"]
)
def test_a_malformed_range_is_ignored(site, header):
    status, headers, body = site.ask("/episode.mp3", headers={"Range": header})
    assert status == 200
    assert "Content-Range" not in headers
    assert body == EPISODE


def test_a_range_of_a_file_rendered_again_since_sends_the_new_file_whole(site):
    _, headers, _ = site.ask("/episode.mp3", "HEAD")
    same = site.ask("/episode.mp3", headers={"Range": "bytes=0-9", "If-Range": headers["ETag"]})
    assert (same[0], same[2]) == (206, EPISODE[:10])
    stale = site.ask("/episode.mp3", headers={"Range": "bytes=0-9", "If-Range": '"an older render"'})
    assert (stale[0], stale[2]) == (200, EPISODE)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("episode.mp3", "audio/mpeg"),
        ("episode.vtt", "text/vtt; charset=utf-8"),
        ("episode.srt", "application/x-subrip"),
        ("episode.chapters.json", "application/json+chapters"),
        ("episode.transcript.json", "application/json"),
        ("episode.json", "application/json"),
        ("feed.xml", "application/rss+xml"),
        ("other.xml", "application/rss+xml"),
        ("episode.html", "text/html; charset=utf-8"),
        ("player.css", "text/css"),
        ("player.js", "text/javascript"),
        ("cover.jpg", "image/jpeg"),
        ("cover.jpeg", "image/jpeg"),
        ("cover.png", "image/png"),
        ("notes.bin", "application/octet-stream"),
    ],
)
def test_each_kind_of_file_has_its_content_type(site, name, kind):
    status, headers, body = site.ask(f"/{name}")
    assert (status, headers["Content-Type"], body) == (200, kind, FILES[name])


@pytest.mark.parametrize(("path", "name"), [("/", "index.html"), ("/show/", "show/index.html")])
def test_a_folder_is_its_index_page(site, path, name):
    status, headers, body = site.ask(path)
    assert (status, headers["Content-Type"], body) == (200, "text/html; charset=utf-8", FILES[name])


@pytest.mark.parametrize(
    "path",
    [
        "/missing.mp3",
        "/notes/",  # a folder without index.html: no listing
        "/notes",
        "/.episode.mp3.lock",
        "/.episode.mp3.123.part",
        "/%2eepisode.mp3.lock",
        "/.hidden/inside.txt",
        "/visible.mp3",  # a visible symlink to a hidden file
        "/.alias.mp3",  # a hidden symlink to a visible file
        "/pipe.mp3",  # not a regular file (and opening it must not wait for a writer)
    ],
)
def test_missing_hidden_and_unlisted_are_not_found(site, path):
    status, _, body = site.ask(path)
    assert status == 404
    for name, data in FILES.items():
        assert data not in body, name
    assert b"listing-would-show-this" not in body


def test_a_symlink_inside_the_folder_to_a_file_inside_it_is_served(site):
    status, _, body = site.ask("/latest.mp3")
    assert (status, body) == (200, EPISODE)


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/show/../../secret.txt",
        "/show/%2e%2e/%2e%2e/secret.txt",
        "http://127.0.0.1/../secret.txt",  # the absolute form of a request target
        "/leak.txt",  # a symlink inside the folder to a file outside it
        "/outside/secret.txt",  # through a symlinked folder
        "/outside/",
    ],
)
def test_nothing_outside_the_folder_is_served(site, path):
    status, _, body = site.ask(path)
    assert status == 404
    assert SECRET not in body


def test_an_absolute_path_is_not_served(site, tmp_path):
    status, _, body = site.ask("/" + str(tmp_path / "secret.txt"))
    assert status == 404
    assert SECRET not in body


def test_feed_address_names_the_feed_on_the_server(site):
    address = feed_address(site.server)
    assert address == f"http://127.0.0.1:{site.port}/feed.xml"
    status, headers, body = site.ask(address)
    assert (status, headers["Content-Type"], body) == (200, "application/rss+xml", FILES["feed.xml"])


@pytest.mark.parametrize(("host", "shown"), [("0.0.0.0", "127.0.0.1"), ("::1", "[::1]"), ("::", "[::1]")])
def test_feed_address_is_one_this_machine_can_reach(tmp_path, host, shown):
    try:
        server = make_server(tmp_path, host=host, port=0)
    except OutputError as exc:
        pytest.skip(f"this machine cannot listen on {host}: {exc}")
    try:
        assert feed_address(server) == f"http://{shown}:{server.server_address[1]}/feed.xml"
    finally:
        server.server_close()


def test_requests_are_logged_at_debug_and_not_printed(site, caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="audio.publish.serve")
    site.ask("/feed.xml")
    site.ask("/missing.mp3")
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "audio.publish.serve"]
    assert any(level == logging.DEBUG and '"GET /feed.xml HTTP/1.1" 200' in text for level, text in lines)
    assert any('"GET /missing.mp3 HTTP/1.1" 404' in text for _, text in lines)
    assert capfd.readouterr().err == ""


def test_a_client_hanging_up_mid_response_is_no_error(site, caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="audio.publish.serve")
    # larger than the loopback socket buffers, so the server is still writing when the client goes
    (site.folder / "long.mp3").write_bytes(EPISODE * 160)
    client = socket.create_connection(("127.0.0.1", site.port), timeout=10)
    client.sendall(b"GET /long.mp3 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert client.recv(1024).startswith(b"HTTP/1.1 200")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # hang up with a reset
    client.close()
    deadline = time.monotonic() + 10
    while not any("hung up" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("hung up" in r.getMessage() for r in caplog.records)
    assert [r for r in caplog.records if r.levelno > logging.DEBUG] == []
    assert capfd.readouterr().err == ""
    assert site.ask("/feed.xml")[0] == 200


def test_a_port_in_use_is_one_line_naming_the_address(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OutputError) as caught:
            make_server(tmp_path, port=port)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"cannot listen on 127.0.0.1:{port} (")
    assert "in use" in message
    assert message.endswith("; choose another --port")


def test_a_host_not_on_this_machine_is_one_line_naming_it(tmp_path):
    with pytest.raises(OutputError) as caught:
        make_server(tmp_path, host="192.0.2.1", port=0)  # TEST-NET-1: never a local address
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot listen on 192.0.2.1:0 (")
    assert message.endswith("; choose another --host")


def test_a_folder_that_is_not_there_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="nothing to serve"):
        make_server(tmp_path / "dist", port=0)
