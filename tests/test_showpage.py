"""The show's page: two real episodes (tone engine) listed, opened and followed in the system's headless Chromium."""

from __future__ import annotations

import functools
import json
import re
import struct
import threading
import urllib.request
import zlib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from audio.publish.showpage import newest_first, show_page
from audio.publish.sidecars import read_manifest, sidecar_paths
from audio.render import render

NEWER = """\
Interview
Published: 3 May 2024

Looms & engines: the first programs

A mathematician on the machine that wove numbers.

How did it start?

Ada Lovelace (AL): With a loom that read punched cards.

Share
"""

SHOW = {"name": "Small Talk", "description": "Interviews, read aloud.", "author": "The Desk", "cover": None, "link": ""}
TRICKY = "<script>window.owned = 1</script> & \"quoted\" 'single'"


def _png() -> bytes:
    """A real 2x2 red PNG, made here."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _manifests(dist: Path) -> list[dict]:
    """The manifest beside each MP3 in dist/, with its player page's file name added, in file-name order."""
    out = []
    for mp3 in sorted(dist.glob("*.mp3")):
        files = sidecar_paths(mp3)
        manifest = read_manifest(files["manifest"])
        assert manifest is not None and manifest["audio"] == mp3.name
        out.append({**manifest, "page": files["html"].name})
    return out


@pytest.fixture(scope="module")
def segments_cache(tmp_path_factory) -> Path:
    """One segment cache for the module: each test renders its own episodes, but synthesizes only once."""
    return tmp_path_factory.mktemp("showpage-cache")


@pytest.fixture()
def dist(project, tone_cast, segments_cache) -> Path:
    """dist/ with two episodes rendered with the tone engine (the older one first) and the show's index.html."""
    (project / "scripts" / "newer.txt").write_text(NEWER, encoding="utf-8")
    for name in ("tiny.txt", "newer.txt"):
        render(project / "scripts" / name, cast_file=tone_cast, engine_name="tone", cache_dir=segments_cache)
    folder = project / "dist"
    (folder / "index.html").write_text(show_page(SHOW, _manifests(folder)), encoding="utf-8")
    return folder


def _file(url: str) -> Path:
    """The file a file:// URL names."""
    return Path(unquote(urlsplit(url).path))


def _links(page, selector: str) -> list[str]:
    """The absolute URLs of the links the selector finds, in page order."""
    return page.eval_on_selector_all(selector, "els => els.map(e => e.href)")


@pytest.mark.slow  # a real browser
def test_episodes_are_listed_newest_first_and_their_titles_open_their_player_pages(page, dist):
    page.goto((dist / "index.html").as_uri())
    titles = page.eval_on_selector_all("a.title", "els => els.map(e => e.textContent)")
    assert titles == ["Looms & engines: the first programs", "Tiny robots: 'Small is the new big'"]
    pages = [_file(url) for url in _links(page, "a.title")]
    assert pages == [dist / "newer.html", dist / "tiny.html"]
    assert all(p.exists() for p in pages)

    page.click("text=Tiny robots")
    page.wait_for_url((dist / "tiny.html").as_uri())
    assert page.inner_text("h1") == "Tiny robots: 'Small is the new big'"  # the player page itself


@pytest.mark.slow  # a real browser
def test_each_mp3_link_is_its_episode_audio_beside_the_page(page, dist):
    page.goto((dist / "index.html").as_uri())
    mp3s = [_file(url) for url in _links(page, "a.mp3")]
    assert mp3s == [dist / "newer.mp3", dist / "tiny.mp3"]
    assert all(p.stat().st_size > 1000 for p in mp3s)
    assert page.get_attribute("a.mp3 >> nth=1", "aria-label") == "MP3: Tiny robots: 'Small is the new big'"


@pytest.mark.slow  # a real browser
def test_dates_durations_and_guests_are_written_for_people(page, dist):
    page.goto((dist / "index.html").as_uri())
    dates = page.eval_on_selector_all(".meta time:not(.duration)", "els => els.map(e => [e.dateTime, e.textContent])")
    assert dates == [["2024-05-03", "3 May 2024"], ["2024-03-14", "14 March 2024"]]

    durations = page.eval_on_selector_all("time.duration", "els => els.map(e => e.textContent)")
    lengths = [json.loads((dist / f"{name}.json").read_text())["duration"] for name in ("newer", "tiny")]
    assert all(5 < s < 60 for s in lengths)  # so mm:ss is minutes and seconds, rounded down
    assert durations == [f"{int(s) // 60:02d}:{int(s) % 60:02d}" for s in lengths]

    guests = page.eval_on_selector_all("ol.episodes > li", "els => els.map(e => e.querySelector('.guests')?.innerText)")
    assert guests == ["With Ada Lovelace", "With Jane Smith, RK"]  # not the narrator or the interviewer


@pytest.mark.slow  # a real browser
def test_the_cover_is_shown_when_given(page, dist):
    (dist / "art").mkdir()
    (dist / "art" / "cover #1.png").write_bytes(_png())
    html = dist / "index.html"
    html.write_text(show_page({**SHOW, "cover": "art/cover #1.png"}, _manifests(dist)), encoding="utf-8")
    page.goto(html.as_uri())
    page.wait_for_function("document.querySelector('img.cover').complete")
    assert page.evaluate("document.querySelector('img.cover').naturalWidth") == 2  # the file, loaded
    assert page.get_attribute("img.cover", "alt") == "Cover of Small Talk"
    assert page.inner_text("h1") == "Small Talk"
    assert page.inner_text(".description") == "Interviews, read aloud."


@pytest.mark.slow  # a real browser
def test_the_page_asks_for_nothing_but_files_beside_it(page, dist):
    page.goto((dist / "index.html").as_uri())
    assert page.evaluate("document.scripts.length") == 0
    assert page.requests == [(dist / "index.html").as_uri()]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.mark.slow  # a real browser
def test_every_link_works_from_a_static_server_in_a_subfolder(page, dist):
    handler = functools.partial(_Quiet, directory=str(dist.parent))  # the page at /dist/: no link may lean on the root
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = f"http://127.0.0.1:{server.server_port}/dist/"
            page.goto(base + "index.html")
            links = _links(page, "a.title, a.mp3")
            assert links == [base + name for name in ("newer.html", "newer.mp3", "tiny.html", "tiny.mp3")]
            for url in links:
                with urllib.request.urlopen(url) as answer:
                    assert answer.status == 200 and len(answer.read()) > 1000
            page.click("text=Looms & engines")
            page.wait_for_url(base + "newer.html")
        finally:
            server.shutdown()


@pytest.mark.slow  # a real browser
@pytest.mark.parametrize("width", [360, 1280])
def test_readable_on_a_phone_and_a_desk_in_light_and_dark(browser, dist, width):
    backgrounds = {}
    for scheme in ("light", "dark"):
        # a phone lays a page out 980 px wide unless its viewport meta says otherwise
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme,
                                      is_mobile=width < 600)  # fmt: skip
        tab = context.new_page()
        tab.goto((dist / "index.html").as_uri())
        assert tab.evaluate("innerWidth") == width
        assert tab.evaluate("document.documentElement.scrollWidth") <= width  # nothing to scroll sideways
        backgrounds[scheme] = tab.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    assert backgrounds["light"] != backgrounds["dark"]


def _handmade(**over) -> dict:
    """A manifest as small as the page needs."""
    return {
        "audio": "ep.mp3",
        "page": "ep.html",
        "title": "An episode",
        "date": None,
        "duration": 642.9,
        "lede": "",
        "speakers": [{"tag": "AB", "name": "Ann Bell", "role": "guest"}],
        **over,
    }


def test_newest_first_then_undated_by_title():
    episodes = [
        _handmade(title="b undated", page="1.html"),
        _handmade(title="Old", date="2023-01-05", page="2.html"),
        _handmade(title="A undated", page="3.html"),
        _handmade(title="New", date="2025-02-02", page="4.html"),
        _handmade(title="also new", date="2025-02-02", page="5.html"),
    ]
    order = ["also new", "New", "Old", "A undated", "b undated"]
    assert [e["title"] for e in newest_first(episodes)] == order
    html = show_page(SHOW, episodes)
    assert re.findall(r'class="title" href="[^"]*">([^<]*)<', html) == order
    assert '<time datetime="2025-02-02">2 February 2025</time>' in html
    assert ">10:42</time>" in html  # 642.9 s, rounded down


def test_tricky_text_is_escaped_in_the_markup():
    show = {"name": TRICKY, "description": TRICKY, "author": TRICKY, "cover": 'a "b".png',
            "link": "javascript:alert(1)"}  # fmt: skip
    html = show_page(show, [_handmade(title=TRICKY, lede=TRICKY, audio='x"y.mp3', page="p'q.html",
                                      speakers=[{"tag": "T", "name": TRICKY, "role": "guest"}])])  # fmt: skip
    assert "<script" not in html and "'single'" not in html and '"quoted"' not in html
    escaped = "&lt;script&gt;window.owned = 1&lt;/script&gt; &amp; &quot;quoted&quot; &#x27;single&#x27;"
    assert html.count(escaped) == 9  # title element, h1, alt, author, description; episode title, label, guest, lede
    assert 'href="x%22y.mp3"' in html and 'href="p%27q.html"' in html and 'src="a%20%22b%22.png"' in html
    assert 'href="javascript' not in html and "<p class=\"link\">javascript:alert(1)</p>" in html


@pytest.mark.slow  # a real browser
def test_tricky_text_shows_literally_in_the_browser(page, tmp_path):
    html = tmp_path / "index.html"
    show = {"name": TRICKY, "description": TRICKY, "author": "", "cover": None, "link": ""}
    html.write_text(show_page(show, [_handmade(title=TRICKY)]), encoding="utf-8")
    page.goto(html.as_uri())
    assert page.title() == TRICKY
    assert page.inner_text("h1") == TRICKY
    assert page.inner_text(".description") == TRICKY
    assert page.inner_text("a.title") == TRICKY
    assert page.evaluate("document.scripts.length") == 0 and page.evaluate("window.owned") is None


def test_an_empty_show_says_so_in_one_line():
    html = show_page({"name": "Quiet", "description": "", "author": "", "cover": None, "link": ""}, [])
    assert re.findall(r"<p class=\"empty\">[^<]*</p>", html) == ['<p class="empty">No episodes yet.</p>']
    assert "<li>" not in html and "<ol" not in html
    assert "<img" not in html and 'class="by"' not in html and 'class="description"' not in html  # nothing empty
