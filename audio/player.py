"""The player page beside an episode: the MP3, its chapters and a transcript that follows along.

One self-contained HTML file: inline CSS and JavaScript, no fonts or scripts from
anywhere else, so it works opened from disk as well as from any static server.
The markup is rendered here (it reads without JavaScript); the script only seeks,
highlights and handles keys, from a JSON copy of the timings embedded in the page.
"""

from __future__ import annotations

import datetime
import json
from html import escape
from urllib.parse import quote

_CSS = """
:root { color-scheme: light dark; --bg: #fbfaf7; --fg: #1e1f22; --muted: #62646b; --line: #e2e0d9;
  --accent: #2453b8; --hl: #fff1bf; --hover: #f0eee7; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #17181b; --fg: #e7e5e1; --muted: #a3a4ab; --line: #2f3136;
    --accent: #8db3ff; --hl: #3b3421; --hover: #24262a; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
.wrap { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header.episode { padding-top: 1.5rem; padding-bottom: .75rem; }
h1 { font-size: 1.65rem; line-height: 1.25; margin: 0 0 .3rem; }
h2 { font-size: .85rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 .5rem; }
h3 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.meta { color: var(--muted); margin: 0; }
.bar { position: sticky; top: 0; z-index: 1; background: var(--bg); border-bottom: 1px solid var(--line); }
.bar .wrap { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; padding-block: .5rem; }
audio { flex: 1 1 18rem; min-width: 0; }
.now { flex-basis: 100%; margin: 0; color: var(--muted); font-size: .9rem; }
.error { flex-basis: 100%; margin: 0; color: #b3261e; }
button { font: inherit; color: inherit; cursor: pointer; }
.step { padding: .35rem .75rem; border: 1px solid var(--line); border-radius: .4rem; background: var(--bg); }
.step:hover:not(:disabled) { background: var(--hover); }
.step:disabled { opacity: .45; cursor: default; }
main.wrap { display: grid; gap: 2.5rem; grid-template-columns: minmax(14rem, 21rem) 1fr; align-items: start;
  padding-top: 1.25rem; padding-bottom: 3rem; }
aside { position: sticky; top: calc(var(--bar, 5rem) + 1rem); overflow: auto;
  max-height: calc(100vh - var(--bar, 5rem) - 2rem); }
@media (max-width: 48rem) { main.wrap { grid-template-columns: 1fr; } aside { position: static; max-height: none; } }
ol { list-style: none; margin: 0; padding: 0; }
.chapters button { display: flex; gap: .6rem; width: 100%; text-align: left; padding: .4rem .5rem;
  border: 0; border-radius: .4rem; background: none; }
.chapters button:hover { background: var(--hover); }
.chapters .current button { background: var(--hl); font-weight: 600; }
.num { color: var(--muted); min-width: 1.4em; text-align: right; }
.time { color: var(--muted); font-variant-numeric: tabular-nums; }
.keys { margin-top: 1.5rem; font-size: .9rem; color: var(--muted); }
.keys ul { margin: 0; padding-left: 1.1rem; }
kbd { font: .8rem ui-monospace, monospace; padding: .05rem .35rem; border: 1px solid var(--line);
  border-bottom-width: 2px; border-radius: .3rem; color: var(--fg); }
.cue { padding: .5rem .75rem; margin: 0 -.75rem; border-left: 3px solid transparent; border-radius: .3rem;
  cursor: pointer; scroll-margin-top: calc(var(--bar, 5rem) + 1rem); scroll-margin-bottom: 2rem; }
.cue:hover { background: var(--hover); }
.cue.current { background: var(--hl); border-left-color: var(--accent); }
.who { font-weight: 600; margin-right: .5rem; }
.cue .time { border: 0; background: none; padding: 0; font-size: .85rem; }
.cue .time:hover { color: var(--accent); text-decoration: underline; }
.text { margin: .15rem 0 0; }
footer { color: var(--muted); font-size: .85rem; padding-bottom: 2rem; }
"""

# Kept as plain text (no str.format) so JavaScript braces need no doubling.
_JS = """
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("episode-data").textContent);
  const audio = document.getElementById("audio");
  const chapters = data.chapters, segments = data.segments;
  const chapterItems = Array.from(document.querySelectorAll("[data-chapter]"));
  const cueItems = new Map();
  document.querySelectorAll("[data-segment]").forEach((el) => cueItems.set(el.dataset.segment, el));
  const bar = document.querySelector(".bar");
  const now = document.getElementById("now");
  const prevButton = document.getElementById("prev"), nextButton = document.getElementById("next");
  const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const EPS = 0.001;
  let pending = null, currentChapter = null, currentCue = null, ownHash = "", userScrolled = -Infinity;
  let whole = "";  // "loading", then "done", once the MP3 is fetched whole (see loadWhole)

  function position() { return pending !== null ? pending : audio.currentTime; }
  function length() { return isFinite(audio.duration) ? audio.duration : data.duration; }

  function chapterAt(t) {
    let found = chapters.length ? 0 : -1;
    chapters.forEach((c, i) => { if (c.start <= t + EPS) found = i; });
    return found;
  }

  function cueAt(t, chapter) {
    // Before a chapter's first line is spoken, that line is the one coming up.
    let found = null;
    for (const s of segments) if (s.chapter === chapter && (s.start <= t + EPS || !found)) found = s;
    return found;
  }

  function reveal(el, force) {
    if (!force && (audio.paused || Date.now() - userScrolled < 4000)) return;
    const box = el.getBoundingClientRect();
    if (box.top >= bar.getBoundingClientRect().bottom && box.bottom <= window.innerHeight) return;
    el.scrollIntoView({ block: "center", behavior: smooth ? "smooth" : "auto" });
  }

  function highlight(t, force) {
    const ch = chapterAt(t);
    if (ch !== currentChapter) {
      currentChapter = ch;
      chapterItems.forEach((el) => {
        const on = Number(el.dataset.chapter) === ch;
        el.classList.toggle("current", on);
        if (on) el.setAttribute("aria-current", "true"); else el.removeAttribute("aria-current");
      });
      now.textContent = ch < 0 ? "" : "Chapter " + (ch + 1) + " of " + chapters.length + ": " + chapters[ch].title;
      prevButton.disabled = ch <= 0;
      nextButton.disabled = ch < 0 || ch >= chapters.length - 1;
    }
    const cue = cueAt(t, ch), id = cue ? cue.id : null, changed = id !== currentCue;
    if (changed) {
      if (currentCue !== null) cueItems.get(currentCue).classList.remove("current");
      currentCue = id;
      if (id !== null) cueItems.get(id).classList.add("current");
    }
    if (id !== null && (changed || force)) reveal(cueItems.get(id), force);
  }

  function seek(t, play) {
    t = Math.max(0, Math.min(t, length()));
    if (audio.readyState >= 1 && whole !== "loading") { audio.currentTime = t; pending = null; } else { pending = t; }
    highlight(t, true);
    if (play) { const p = audio.play(); if (p) p.catch(() => {}); }
  }

  function setHash(hash) {
    ownHash = "#" + hash;
    try { history.replaceState(null, "", ownHash); } catch (e) { location.hash = hash; }
  }

  function goChapter(i, play) {
    if (i < 0 || i >= chapters.length) return;
    seek(chapters[i].start, play);
    setHash("chapter=" + (i + 1));
  }

  function seconds(text) {
    const parts = text.split(":");
    if (!parts.every((p) => /^\\d+(\\.\\d+)?$/.test(p))) return NaN;
    return parts.reduce((total, p) => total * 60 + Number(p), 0);
  }

  function fromHash(play) {
    const params = new URLSearchParams(location.hash.slice(1));
    const n = Number(params.get("chapter"));
    if (params.has("chapter") && Number.isInteger(n) && n >= 1 && n <= chapters.length) {
      seek(chapters[n - 1].start, play);
    } else if (params.has("t") && !isNaN(seconds(params.get("t")))) {
      seek(seconds(params.get("t")), play);
    }
  }

  function toggle() {
    if (audio.paused) { const p = audio.play(); if (p) p.catch(() => {}); } else audio.pause();
  }

  // A server that ignores Range requests (python -m http.server) leaves the audio unseekable:
  // fetch it whole instead, as a blob in which every position can be reached.
  function loadWhole() {
    whole = "loading";
    if (pending === null) pending = audio.currentTime;
    fetch(audio.currentSrc)
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.statusText))))
      .then((blob) => {
        const playing = !audio.paused;
        whole = "done";
        audio.src = URL.createObjectURL(blob);
        if (playing) audio.play().catch(() => {});
      })
      .catch(() => { whole = "done"; pending = null; });  // it still plays, from the start only
  }

  audio.addEventListener("loadedmetadata", () => {
    const s = audio.seekable;
    if (!whole && /^https?:$/.test(location.protocol) && !(s.length && s.end(s.length - 1) > 0)) return loadWhole();
    if (pending !== null) { const t = pending; pending = null; audio.currentTime = t; }
  });
  audio.addEventListener("timeupdate", () => highlight(position(), false));
  audio.addEventListener("seeked", () => highlight(position(), false));
  audio.addEventListener("error", () => { document.getElementById("audio-error").hidden = false; });
  chapterItems.forEach((el) => el.addEventListener("click", () => goChapter(Number(el.dataset.chapter), true)));
  document.getElementById("transcript").addEventListener("click", (e) => {
    const el = e.target.closest("[data-segment]");
    if (!el || (String(window.getSelection()) && !e.target.closest("button"))) return;
    const cue = segments.find((s) => s.id === el.dataset.segment);
    if (cue) seek(cue.start, true);
  });
  prevButton.addEventListener("click", () => goChapter(Math.max(0, chapterAt(position()) - 1), true));
  nextButton.addEventListener("click", () => goChapter(chapterAt(position()) + 1, true));

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target instanceof Element ? e.target : document.body;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    const inControl = target.closest("button, a, audio, summary");
    if (["PageUp", "PageDown", "ArrowUp", "ArrowDown", "Home", "End"].includes(e.key)) userScrolled = Date.now();
    switch (e.key) {
      case "n": case "N": nextButton.click(); break;
      case "p": case "P": prevButton.click(); break;
      case " ": if (inControl) return; toggle(); break;
      case "ArrowLeft": if (inControl) return; seek(position() - 5, false); break;
      case "ArrowRight": if (inControl) return; seek(position() + 5, false); break;
      default: return;
    }
    e.preventDefault();
  });
  ["wheel", "touchmove"].forEach((kind) =>
    window.addEventListener(kind, () => { userScrolled = Date.now(); }, { passive: true }));

  // The sticky bar's height, for the chapter list and for scrolling cues out from under it.
  new ResizeObserver(() => document.documentElement.style.setProperty("--bar", bar.offsetHeight + "px")).observe(bar);
  window.addEventListener("hashchange", () => { if (location.hash !== ownHash) fromHash(!audio.paused); });
  highlight(0, false);
  fromHash(false);
})();
"""

_KEYS = (
    ("n", "next chapter"),
    ("p", "previous chapter"),
    ("Space", "play or pause"),
    ("\u2190 \u2192", "back or forward 5 seconds"),
)


def _clock(seconds: float) -> str:
    """A time as `mm:ss`, or `h:mm:ss` from an hour on (whole seconds, rounded down)."""
    h, rest = divmod(max(0, int(seconds)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


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
    return f'<time datetime="{escape(iso)}">{day.day} {day.strftime("%B")} {day.year}</time>'


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
            f'{_clock(seg["start"])}</button><p class="text">{escape(seg["text"])}</p></li>'
        )
    if out:
        out.append("</ol></section>")
    return "\n".join(out)


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
<style>{_CSS}</style>
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
<footer class="wrap">Rendered by podcast. Click a chapter or a line of the transcript to play from there.</footer>
<script type="application/json" id="episode-data">{_script_json(_player_data(manifest))}</script>
<script>{_JS}</script>
</body>
</html>
"""
