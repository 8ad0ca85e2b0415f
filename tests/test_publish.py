"""Publishing a show (issue 16): a folder of scripts rendered, its feed read back by feedparser, its checks."""

from __future__ import annotations

import email.utils
import json
import os
import re
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from urllib.parse import unquote
from urllib.request import Request, urlopen

import feedparser
import pytest
from helpers import TWO_GUESTS, last_error, podcast, with_ctrl_c

from audio.publish.feed import show_guid

URL = "https://example.org/show"
SHOW = f'''
url = "{URL}/"
author = "Ana Example"
description = "Two robots, read aloud."
category = "Science/Natural Sciences"
explicit = false
owner = {{ name = "Ana Example", email = "ana@example.org" }}
cover = "cover.png"
'''
SECOND = TWO_GUESTS.replace("14 March 2024", "2 May 2024").replace("Tiny robots", "Tinier robots").replace(
    "grain of sand", "grain of rice"
)


def png(width: int, height: int) -> bytes:
    """A real PNG of one colour, made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\x00" + b"\x20\x60\xa0" * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture()
def show(project, tone_cast) -> Path:
    """The project with a second script, the show's settings and a 1400 px cover."""
    (project / "scripts" / "second.txt").write_text(SECOND, encoding="utf-8")
    cast = project / "voices" / "default.toml"
    cast.write_text(cast.read_text().replace('language = "eng"', 'language = "eng"' + SHOW), encoding="utf-8")
    (project / "cover.png").write_bytes(png(1400, 1400))
    return project


def last_line(done: subprocess.CompletedProcess) -> str:
    """The last line on stderr: a render of several scripts says each failure, then sums them up."""
    return done.stderr.strip().splitlines()[-1]


def render_folder(project: Path, *more) -> subprocess.CompletedProcess:
    return podcast("render", "scripts", "--engine", "tone", "--cast", "voices/tone.toml", *more, cwd=project)


def in_dist(project: Path, url: str) -> Path:
    """The file in dist/ that a feed URL points at."""
    assert url.startswith(URL + "/"), url
    return project / "dist" / unquote(url[len(URL) + 1 :])


def test_a_folder_renders_into_a_feed_that_feedparser_reads(show):
    done = render_folder(show)
    assert done.returncode == 0, done.stderr
    assert "2 rendered, 0 up to date, 0 failed" in done.stderr
    feed_path = show / "dist" / "feed.xml"
    parsed = feedparser.parse(feed_path.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    channel = parsed.feed
    assert channel.title == "Interviews, read aloud" and channel.author == "Ana Example"
    assert channel.language == "en" and channel.image.href == f"{URL}/cover.png"
    assert (show / "dist" / "cover.png").read_bytes() == (show / "cover.png").read_bytes()
    assert [t["term"] for t in channel.tags] == ["Science", "Natural Sciences"]
    assert channel.itunes_explicit is not True and "<itunes:explicit>false</itunes:explicit>" in feed_path.read_text()
    assert channel.publisher_detail.email == "ana@example.org"
    titles = [e.title for e in parsed.entries]
    assert titles == ["Tinier robots: 'Small is the new big'", "Tiny robots: 'Small is the new big'"]  # newest first
    assert [e.itunes_episode for e in parsed.entries] == ["2", "1"]
    for entry, day in zip(parsed.entries, ("2024-05-02", "2024-03-14")):
        assert email.utils.parsedate_to_datetime(entry.published).date().isoformat() == day
        (enclosure,) = entry.enclosures
        mp3 = in_dist(show, enclosure.href)
        assert enclosure.type == "audio/mpeg" and int(enclosure.length) == mp3.stat().st_size
        manifest = json.loads(mp3.with_suffix(".json").read_text())
        assert entry.summary == manifest["lede"]
        assert int(entry.itunes_duration) == round(manifest["duration"])
        assert in_dist(show, entry.link).is_file()
    raw = feed_path.read_text(encoding="utf-8")
    assert f"<podcast:guid>{show_guid(URL + '/feed.xml')}</podcast:guid>" in raw
    links = re.findall(r'<podcast:(?:transcript|chapters) url="([^"]+)" type="([^"]+)"', raw)
    assert sorted({t for _, t in links}) == ["application/json", "application/json+chapters", "application/x-subrip",
                                              "text/vtt"]  # fmt: skip
    assert len(links) == 8 and all(in_dist(show, url).is_file() for url, _ in links)
    persons = re.findall(r'<podcast:person role="(\w+)">([^<]+)<', raw)
    assert persons.count(("guest", "Jane Smith")) == 2 and persons.count(("host", "Ana Example")) == 1
    assert ("host", "Interviewer") not in persons  # a placeholder, not a person
    assert (show / "dist" / "index.html").is_file()


def test_the_show_guid_is_the_podcasting_2_0_one():
    # the namespace's own examples (docs/tags/guid.md of the podcast namespace)
    assert show_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert show_guid("podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_a_pinned_guid_keeps_every_guid_when_the_show_moves(show):
    cast = show / "voices" / "default.toml"
    pinned = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    cast.write_text(cast.read_text().replace(f'url = "{URL}/"', f'url = "{URL}/"\nguid = "{pinned}"'))
    assert render_folder(show).returncode == 0
    feed = show / "dist" / "feed.xml"
    guids = [e.id for e in feedparser.parse(feed.read_bytes()).entries]
    cast.write_text(cast.read_text().replace(f'url = "{URL}/"', 'url = "https://elsewhere.example.net/pod"'))
    assert podcast("feed", cwd=show).returncode == 0
    assert f"<podcast:guid>{pinned}</podcast:guid>" in feed.read_text()
    assert [e.id for e in feedparser.parse(feed.read_bytes()).entries] == guids


def test_guids_and_the_feed_stay_the_same_across_renders(show):
    assert render_folder(show).returncode == 0
    feed = show / "dist" / "feed.xml"
    before, guids = feed.read_bytes(), [e.id for e in feedparser.parse(feed.read_bytes()).entries]
    again = render_folder(show, "--force")
    assert again.returncode == 0, again.stderr
    assert [e.id for e in feedparser.parse(feed.read_bytes()).entries] == guids and len(set(guids)) == 2
    assert feed.read_bytes() == before  # the same episodes, byte for byte: the same feed


def test_one_bad_script_does_not_stop_the_others(show):
    (show / "scripts" / "broken.txt").write_text("", encoding="utf-8")
    done = render_folder(show)
    assert "error: scripts/broken.txt: is empty" in done.stderr  # said as it happened
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert last_line(done).startswith("error: 2 rendered, 0 up to date, 1 failed; the first: scripts/broken.txt: is")
    assert (show / "dist" / "tiny.mp3").exists() and (show / "dist" / "second.mp3").exists()
    assert (show / "dist" / "feed.xml").exists()
    again = render_folder(show)
    assert again.returncode == 3 and "0 rendered, 2 up to date, 1 failed" in last_line(again)


def test_scripts_that_would_overwrite_each_other_or_the_show_page_are_refused(show):
    (show / "scripts" / "tiny.md").write_text(TWO_GUESTS, encoding="utf-8")  # dist/tiny.mp3 as tiny.txt's
    (show / "scripts" / "index.txt").write_text(SECOND, encoding="utf-8")  # dist/index.html is the show's
    os.mkfifo(show / "scripts" / "zz.txt")  # no writer: never opened
    done = render_folder(show)
    assert "error: scripts/tiny.txt: writes the same episode as scripts/tiny.md (tiny.mp3); rename one" in done.stderr
    assert "error: scripts/index.txt: its episode would overwrite the show page, index.html" in done.stderr
    assert "warning: scripts/zz.txt: not a regular file; passed over" in done.stderr
    assert done.returncode == 3 and "error: 2 rendered, 0 up to date, 2 failed; the first" in last_line(done)
    assert "Tiny robots" in (show / "dist" / "index.html").read_text()


def test_a_strict_render_refuses_a_bad_cover_before_any_speech(show, cache_dir):
    (show / "cover.png").write_bytes(png(600, 400))
    line = last_error(render_folder(show, "--strict"), 4)
    assert "the cover is 600×400 px" in line
    assert not (show / "dist").exists() and not cache_dir.exists()


def test_what_directories_refuse_is_a_warning_or_with_strict_an_error(show):
    (show / "cover.png").write_bytes(png(600, 400))
    done = render_folder(show)
    assert done.returncode == 0, done.stderr
    assert "warning: feed: the cover is 600×400 px; directories want a square of 1400 to 3000 px" in done.stderr
    line = last_error(podcast("feed", "--strict", cwd=show), 4)
    assert "the cover is 600×400 px" in line


def test_without_a_url_there_is_a_page_but_no_feed(project, tone_cast):
    (project / "scripts" / "second.txt").write_text(SECOND, encoding="utf-8")
    done = render_folder(project)
    assert done.returncode == 0, done.stderr
    assert (project / "dist" / "index.html").exists() and not (project / "dist" / "feed.xml").exists()
    assert "the show has no url: set [show] url" in last_error(podcast("feed", cwd=project), 4)


@pytest.mark.parametrize(
    "setting, says",
    [
        ('url = "example.org/show"', "[show] url must be an absolute http(s) address"),
        ('category = "Gardening"', "[show] category 'Gardening' is not one of Apple's"),
        ('category = "Science/Gardening"', "'Gardening' is not a subcategory of Science"),
        ('owner = { name = "A", email = "not-an-address" }', "[show] owner: email 'not-an-address' is not"),
        ('owner = "Ana"', "[show] owner must be a table"),
        ('explicit = "no"', "[show] explicit must be true or false"),
        ('authors = "Ana"', "unknown key 'authors' in [show]"),
    ],
)
def test_show_settings_are_checked_with_the_key_named(setting, says, project):
    cast = project / "voices" / "default.toml"
    cast.write_text(cast.read_text().replace('language = "eng"', f'language = "eng"\n{setting}'), encoding="utf-8")
    (project / "dist").mkdir()
    assert says in last_error(podcast("feed", cwd=project), 4)


def test_serve_prints_the_feed_address_and_serves_it(show):
    assert render_folder(show).returncode == 0
    process = subprocess.Popen(with_ctrl_c([sys.executable, "-m", "audio", "serve", "--port", "0"]), cwd=show,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        line = process.stdout.readline()
        address = re.search(r"the feed: (http://127\.0\.0\.1:\d+/feed\.xml)", line).group(1)
        with urlopen(address, timeout=10) as response:
            assert response.headers["Content-Type"] == "application/rss+xml"
            served = feedparser.parse(response.read())
        assert not served.bozo and len(served.entries) == 2
        here = address.rsplit("/", 1)[0] + "/"
        for entry in served.entries:  # the episodes from here: an app subscribed to it plays them
            (enclosure,) = entry.enclosures
            assert enclosure.href.startswith(here), enclosure.href
            mp3 = show / "dist" / unquote(enclosure.href[len(here) :])
            with urlopen(Request(enclosure.href, headers={"Range": "bytes=100-199"}), timeout=10) as response:
                assert response.status == 206 and response.read() == mp3.read_bytes()[100:200]
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
