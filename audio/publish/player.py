"""The player page beside an episode: the MP3, its chapters and a transcript that follows along.

One self-contained HTML file: inline CSS and JavaScript (`player.css`, `player.js`, shipped beside this module),
no fonts or scripts from anywhere else, so it works opened from disk as well as from any static server.
The markup is rendered here (it reads without JavaScript); the script only seeks,
highlights and handles keys, from a JSON copy of the timings embedded in the page; with
word times, the word being spoken is highlighted too, and a click on a word plays from it.
"""

from __future__ import annotations

import datetime
import json
from html import escape
from importlib import resources
from urllib.parse import quote

from .clock import clock, date_for_people


def _asset(name: str) -> str:
    """The player's stylesheet or script, shipped beside this module."""
    return (resources.files(__package__) / name).read_text(encoding="utf-8")


# Kept as plain text (no str.format) so JavaScript braces need no doubling.

_KEYS = (
    ("n", "next chapter"),
    ("p", "previous chapter"),
    ("Space", "play or pause"),
    ("\u2190 \u2192", "back or forward 5 seconds"),
)


def _clock(seconds: float) -> str:
    """A time as `mm:ss`, or `h:mm:ss` from an hour on (whole seconds, rounded down)."""
    return clock(max(0, int(seconds)) * 1000, fraction=None, minute_digits=2)


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` that could end it or open a comment."""
    text = json.dumps(value, ensure_ascii=False)
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def _date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        day = datetime.date.fromisoformat(iso)
    except ValueError:
        return escape(iso)
    return f'<time datetime="{escape(iso)}">{date_for_people(day)}</time>'


def _chapter_list(chapters: list[dict]) -> str:
    items = [
        f'<li data-chapter="{n}"><button type="button"><span class="num">{n + 1}</span>'
        f'<span class="time">{_clock(c["start"])}</span><span class="title">{escape(c["title"])}</span></button></li>'
        for n, c in enumerate(chapters)
    ]
    return "\n".join(items)


def _transcript(chapters: list[dict], segments: list[dict], names: dict[str, str]) -> str:
    out: list[str] = []
    chapter = None
    for seg in segments:
        if seg["chapter"] != chapter or not out:
            if out:
                out.append("</ol></section>")
            chapter = seg["chapter"]
            title = chapters[chapter]["title"] if 0 <= chapter < len(chapters) else ""
            heading = f'<h3>{chapter + 1}. {escape(title)}</h3>' if title else ""
            out.append(f"<section>{heading}<ol>")
        name = names.get(seg["speaker"], seg["speaker"])
        out.append(
            f'<li class="cue" data-segment="{escape(str(seg["id"]))}"><span class="who">{escape(name)}</span>'
            f'<button type="button" class="time" aria-label="Play from {_clock(seg["start"])}">'
            f'{_clock(seg["start"])}</button><p class="text">{_words(seg)}</p></li>'
        )
    if out:
        out.append("</ol></section>")
    return "\n".join(out)


def _words(segment: dict) -> str:
    """A segment's text; with word times, each word a span that knows when it is spoken (`data-t`, `data-e`)."""
    words = segment.get("words") or []
    if not words:
        return escape(segment["text"])
    return " ".join(f'<span class="w" data-t="{start:.3f}" data-e="{end:.3f}">{escape(text)}</span>'
                    for text, start, end in words)  # fmt: skip


def _player_data(manifest: dict) -> dict:
    """What the page's script needs from a render manifest: the audio, chapter and segment timings."""
    names = {s["tag"]: s["name"] for s in manifest.get("speakers", [])}
    return {
        "title": manifest.get("title", ""),
        "audio": manifest["audio"],
        "duration": manifest.get("duration", 0),
        "chapters": [{"title": c["title"], "start": c["start"], "end": c["end"]} for c in manifest.get("chapters", [])],
        "segments": [
            {
                "id": str(s["id"]),
                "chapter": s["chapter"],
                "speaker": s["speaker"],
                "name": names.get(s["speaker"], s["speaker"]),
                "text": s["text"],
                "start": s["start"],
                "end": s["end"],
            }
            for s in manifest.get("segments", [])
        ],
    }


def player_html(manifest: dict) -> str:
    """A self-contained HTML page that plays the manifest's MP3 (beside it) with chapters and a transcript."""
    chapters = manifest.get("chapters", [])
    segments = manifest.get("segments", [])
    names = {s["tag"]: s["name"] for s in manifest.get("speakers", [])}
    title = escape(manifest.get("title") or manifest["audio"])
    guests = [escape(s["name"]) for s in manifest.get("speakers", []) if s.get("role") == "guest"]
    with_guests = "With " + ", ".join(guests) if guests else ""
    meta = " · ".join(p for p in (_date(manifest.get("date")), with_guests, _clock(manifest.get("duration", 0))) if p)
    source = escape(quote(manifest["audio"]))
    keys = "\n".join(f"<li><kbd>{escape(k)}</kbd> {v}</li>" for k, v in _KEYS)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="podcast">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>{_asset("player.css")}</style>
</head>
<body>
<header class="episode wrap">
<h1>{title}</h1>
<p class="meta">{meta}</p>
</header>
<div class="bar">
<div class="wrap">
<audio id="audio" controls preload="metadata" src="{source}"></audio>
<button type="button" class="step" id="prev" aria-keyshortcuts="p">\u2190 Previous chapter</button>
<button type="button" class="step" id="next" aria-keyshortcuts="n">Next chapter \u2192</button>
<p class="now" id="now"></p>
<p class="error" id="audio-error" hidden>Could not load {escape(manifest["audio"])}: keep this page beside it.</p>
</div>
</div>
<main class="wrap">
<aside>
<nav class="chapters" aria-labelledby="chapters-heading">
<h2 id="chapters-heading">Chapters</h2>
<ol>
{_chapter_list(chapters)}
</ol>
</nav>
<section class="keys" aria-labelledby="keys-heading">
<h2 id="keys-heading">Keyboard shortcuts</h2>
<ul>
{keys}
</ul>
<p>Link to a chapter with <code>#chapter=3</code> or to a moment with <code>#t=125</code>.</p>
</section>
</aside>
<section id="transcript" aria-labelledby="transcript-heading">
<h2 id="transcript-heading">Transcript</h2>
{_transcript(chapters, segments, names)}
</section>
</main>
<footer class="wrap">Rendered by podcast. Click a chapter, a line or a word of the transcript to play from it.</footer>
<script type="application/json" id="episode-data">{_script_json(_player_data(manifest))}</script>
<script>{_asset("player.js")}</script>
</body>
</html>
"""
