"""The player page: a real episode (tone engine) played in the system's headless Chromium."""

from __future__ import annotations

import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from audio.publish.player import player_html
from audio.render import render

AUDIO = "document.getElementById('audio')"
TRICKY = "</script><b>x</b> & <!-- not a comment"


def _page(dist: Path) -> Path:
    """The episode's player page, as the render wrote it beside the MP3."""
    html = dist / "tiny.html"
    assert html.exists(), "the render writes the player page beside the MP3"
    manifest = json.loads((dist / "tiny.json").read_text(encoding="utf-8"))
    assert html.read_text(encoding="utf-8") == player_html(manifest)
    return html


@pytest.fixture(scope="module")
def segments_cache(tmp_path_factory) -> Path:
    """One segment cache for the module: each test renders its own episode, but synthesizes only once."""
    return tmp_path_factory.mktemp("player-cache")


@pytest.fixture()
def episode(project, tone_cast, segments_cache):
    """The two-guest script rendered with the tone engine: (player page, manifest)."""
    render(project / "scripts" / "tiny.txt", cast_file=tone_cast, engine_name="tone", cache_dir=segments_cache)
    dist = project / "dist"
    manifest = json.loads((dist / "tiny.json").read_text(encoding="utf-8"))
    assert len(manifest["chapters"]) == 2
    return _page(dist), manifest


def _open(page, html: Path, fragment: str = "") -> None:
    page.goto(html.as_uri() + fragment)
    page.wait_for_function(f"{AUDIO}.readyState >= 1")


def _record_seeks(page) -> None:
    """Remember where each seek lands: once playing, currentTime moves on from the target at once."""
    page.evaluate(f"window.seeks = []; {AUDIO}.addEventListener('seeking', () => seeks.push({AUDIO}.currentTime))")


def _current(page, selector: str) -> list[str]:
    """The chapter indexes or segment ids marked current."""
    script = "els => els.map(e => e.dataset.chapter ?? e.dataset.segment)"
    return page.eval_on_selector_all(f"{selector}.current", script)


@pytest.mark.slow  # a real browser
def test_clicking_a_chapter_seeks_to_its_start_and_plays(page, episode):
    html, manifest = episode
    start = manifest["chapters"][1]["start"]
    _open(page, html)
    _record_seeks(page)
    page.click('[data-chapter="1"]')
    now = page.evaluate(f"{AUDIO}.currentTime")
    assert abs(page.evaluate("seeks[0]") - start) < 0.05
    assert start - 0.05 < now < start + 0.5  # playing from there
    page.wait_for_function(f"!{AUDIO}.paused")
    assert _current(page, "[data-chapter]") == ["1"]
    assert page.evaluate("location.hash") == "#chapter=2"


@pytest.mark.slow  # a real browser
def test_a_chapter_link_seeks_there_on_load(page, episode):
    html, manifest = episode
    start = manifest["chapters"][1]["start"]
    _open(page, html, "#chapter=2")
    page.wait_for_function(f"Math.abs({AUDIO}.currentTime - {start}) < 0.05")
    assert _current(page, "[data-chapter]") == ["1"]
    first = next(s for s in manifest["segments"] if s["chapter"] == 1)
    assert _current(page, "[data-segment]") == [first["id"]]  # the line coming up


@pytest.mark.slow  # a real browser
def test_a_time_link_highlights_the_cue_spoken_then(page, episode):
    html, manifest = episode
    cue = manifest["segments"][3]
    moment = round((cue["start"] + cue["end"]) / 2, 1)
    _open(page, html, f"#t={moment}")
    page.wait_for_function(f"Math.abs({AUDIO}.currentTime - {moment}) < 0.05")
    assert _current(page, "[data-segment]") == [cue["id"]]
    assert _current(page, "[data-chapter]") == [str(cue["chapter"])]
    speaker = {s["tag"]: s["name"] for s in manifest["speakers"]}[cue["speaker"]]
    text = page.inner_text(f'[data-segment="{cue["id"]}"]')
    assert speaker in text and cue["text"] in text

    later = manifest["segments"][6]  # a hash change while the page is open
    page.evaluate(f"location.hash = 't={later['start'] + 0.2}'")
    page.wait_for_function(f"document.querySelector('[data-segment=\"{later['id']}\"]').classList.contains('current')")


@pytest.mark.slow  # a real browser
def test_next_and_previous_chapter_by_key_and_button(page, episode):
    html, manifest = episode
    starts = [c["start"] for c in manifest["chapters"]]
    _open(page, html)
    assert page.is_disabled("#prev")
    _record_seeks(page)
    page.keyboard.press("n")
    page.click("#prev")
    page.click("#next")
    assert page.evaluate("seeks.length") == 3
    assert [round(t, 3) for t in page.evaluate("seeks")] == [starts[1], starts[0], starts[1]]
    assert _current(page, "[data-chapter]") == ["1"]
    assert page.is_disabled("#next")
    assert page.evaluate("location.hash") == "#chapter=2"
    assert "next chapter" in page.inner_text(".keys")  # the shortcuts are documented on the page


@pytest.mark.slow  # a real browser
def test_the_page_asks_for_nothing_but_files(page, episode):
    html, manifest = episode
    _open(page, html)
    page.click('[data-chapter="1"]')
    page.wait_for_function(f"{AUDIO}.currentTime > {manifest['chapters'][1]['start'] + 0.3}")
    page.click(f'[data-segment="{manifest["segments"][0]["id"]}"]')
    assert page.requests and all(url.startswith("file://") for url in page.requests), page.requests
    assert html.as_uri() in page.requests and (html.parent / manifest["audio"]).as_uri() in page.requests


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.mark.slow  # a real browser
def test_a_server_without_range_requests_still_seeks(page, episode):
    html, manifest = episode
    handler = functools.partial(_Quiet, directory=str(html.parent))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:  # answers every request whole, like http.server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            cue = manifest["segments"][3]
            page.goto(f"http://127.0.0.1:{server.server_port}/{html.name}#t={cue['start'] + 0.5}")
            page.wait_for_function(f"Math.abs({AUDIO}.currentTime - {cue['start'] + 0.5}) < 0.05")
            assert _current(page, "[data-segment]") == [cue["id"]]
        finally:
            server.shutdown()


def _handmade() -> dict:
    return {
        "version": 1,
        "digest": "0" * 64,
        "audio": "odd #1.mp3",
        "title": "Tags <i>in</i> titles & more",
        "date": None,
        "sample_rate": 22050,
        "duration": 4.0,
        "speakers": [{"tag": "AB", "name": "Ann <B> & Co", "role": "guest"}],
        "chapters": [{"title": "</script>", "start": 0.0, "end": 4.0}],
        "segments": [
            {
                "id": "abc123",
                "chapter": 0,
                "speaker": "AB",
                "voice": {"name": "tone"},
                "text": TRICKY,
                "start": 0.5,
                "end": 3.5,
                "start_sample": 11025,
                "end_sample": 77175,
                "cache_key": "f" * 32,
            }
        ],
    }


def test_markup_and_embedded_json_are_escaped():
    html = player_html(_handmade())
    assert TRICKY not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;/script&gt;&lt;b&gt;x&lt;/b&gt; &amp; &lt;!-- not a comment" in html
    assert "Ann &lt;B&gt; &amp; Co" in html
    assert html.count("</script>") == 2  # the data and the code, nothing from the transcript
    assert 'src="odd%20%231.mp3"' in html
    data = re.search(r'<script type="application/json" id="episode-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data
    assert json.loads(data)["segments"][0]["text"] == TRICKY


@pytest.mark.slow  # a real browser
def test_tricky_text_shows_literally_in_the_browser(page, tmp_path):
    html = tmp_path / "odd.html"
    html.write_text(player_html(_handmade()), encoding="utf-8")
    page.goto(html.as_uri())
    page.wait_for_function("document.getElementById('now').textContent !== ''")  # the script parsed its data
    assert page.inner_text('[data-segment="abc123"] .text') == TRICKY
    assert page.inner_text('[data-chapter="0"] .title') == "</script>"
    assert page.eval_on_selector_all("b, i", "els => els.length") == 0
    assert page.title() == "Tags <i>in</i> titles & more"


@pytest.mark.slow  # a real browser
def test_the_word_being_spoken_is_highlighted_and_a_click_on_a_word_plays_from_it(page, episode):
    html, manifest = episode
    segment = manifest["segments"][3]
    words = segment["words"]
    assert len(words) == len(segment["text"].split())
    text, start, end = words[2]
    _open(page, html, f"#t={(start + end) / 2:.3f}")
    page.wait_for_function("document.querySelector('.w.word-current') !== null")
    assert page.inner_text(".w.word-current") == text
    assert page.eval_on_selector_all(".w.word-current", "els => els.length") == 1

    _record_seeks(page)
    target = words[4]
    page.click(f'[data-segment="{segment["id"]}"] .w >> nth=4')
    assert abs(page.evaluate("seeks[0]") - target[1]) < 0.01  # played from the word's start
    page.wait_for_function(f"!{AUDIO}.paused")
    page.wait_for_function(f"{AUDIO}.currentTime > {words[-1][2] + 0.3}")  # the highlight follows while playing
    assert page.eval_on_selector_all(f'[data-segment="{segment["id"]}"] .w.word-current', "els => els.length") == 0
