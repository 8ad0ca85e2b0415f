"""Files beside the MP3: WebVTT, SubRip and JSON transcripts, JSON chapters, the render manifest."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .clock import clock

if TYPE_CHECKING:  # reading a manifest (an up-to-date check) needs none of the model
    from ..model import Episode, Show, Timeline
    from .tags import ChapterTag

CHAPTERS_VERSION = "1.2.0"
TRANSCRIPT_VERSION = "1.0.0"
MANIFEST_VERSION = 1


def _clock(seconds: float, sep: str) -> str:
    return clock(round(seconds * 1000), fraction=sep, hours=True)


def _cues(episode: Episode, timeline: Timeline):
    for take in timeline.takes:
        name = episode.speaker(take.segment.speaker).name
        yield take.start / timeline.sample_rate, take.end / timeline.sample_rate, name, take


def _captions(episode: Episode, timeline: Timeline):
    """(cue id, start s, end s, speaker's name, lines, first cue of its segment) for every caption."""
    from .captions import cues

    rate = timeline.sample_rate
    for take in timeline.takes:
        name = episode.speaker(take.segment.speaker).name
        for n, cue in enumerate(cues(take, rate)):
            yield f"{take.segment.id}" + (f"-{n + 1}" if n else ""), cue.start / rate, cue.end / rate, name, cue.lines


def vtt_text(episode: Episode, timeline: Timeline) -> str:
    """WebVTT: caption-sized cues (a segment's first keeps its id), each in a voice span with the speaker's name."""
    out = ["WEBVTT", f"Title: {episode.title.replace(chr(10), ' ')}", ""]
    for cue_id, start, end, name, lines in _captions(episode, timeline):
        text = [line.replace("-->", "->").replace("&", "&amp;").replace("<", "&lt;") for line in lines]
        text[0] = f"<v {name}>{text[0]}"
        text[-1] += "</v>"
        out += [cue_id, f"{_clock(start, '.')} --> {_clock(end, '.')}", *text, ""]
    return "\n".join(out)


def srt_text(episode: Episode, timeline: Timeline) -> str:
    """SubRip: caption-sized numbered cues, the speaker's name in front where the speaker changes."""
    out, previous = [], None
    for n, (_, start, end, name, lines) in enumerate(_captions(episode, timeline), start=1):
        text = [f"{name}: {lines[0]}" if name != previous else lines[0], *lines[1:]]
        out += [str(n), f"{_clock(start, ',')} --> {_clock(end, ',')}", *text, ""]
        previous = name
    return "\n".join(out)


def transcript_json(episode: Episode, timeline: Timeline) -> str:
    """Podcasting 2.0 JSON transcript: one segment per paragraph, with its speaker's name and times in seconds,
    and its words' times (`words`: startTime, endTime, body) where its engine gave them."""
    rate = timeline.sample_rate
    return _one_per_line(
        {
            "version": TRANSCRIPT_VERSION,
            "segments": [
                {"speaker": name, "startTime": round(start, 3), "endTime": round(end, 3), "body": take.segment.text}
                | ({"words": [{"startTime": round(w.start / rate, 3), "endTime": round(w.end / rate, 3),
                               "body": w.text} for w in take.words]} if take.words else {})  # fmt: skip
                for start, end, name, take in _cues(episode, timeline)
            ],
        },
        "segments",
    )


def _one_per_line(data: dict, long: str) -> str:
    """JSON indented as people read it, but each item of the list `data[long]` on one line of its own: a long
    episode's word times stay a few megabytes (a number per line would be five times that, in memory too)."""
    head = json.dumps({k: v for k, v in data.items() if k != long}, ensure_ascii=False, indent=2)
    items = ",\n".join("    " + json.dumps(item, ensure_ascii=False) for item in data[long])
    return f'{head[:-2]},\n  "{long}": [\n{items}\n  ]\n}}' if items else json.dumps(data, ensure_ascii=False, indent=2)


def chapters_json(title: str, chapters: Sequence[ChapterTag]) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2.0), from chapters as the MP3 stores them."""
    return json.dumps(
        {
            "version": CHAPTERS_VERSION,
            "title": title,
            "chapters": [
                {"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title} for c in chapters
            ],
        },
        ensure_ascii=False,
        indent=2,
    )


def manifest_json(
    episode: Episode, timeline: Timeline, digest: str, mp3_name: str, show: Show, inputs: str = ""
) -> str:
    """The render manifest: every segment's id, chapter, speaker, voice (its engine and settings, a Piper voice's
    model file), text, times, cache key and words (`[word, start, end]` in seconds; none without word times).

    `digest` fingerprints what was rendered, `inputs` the files it was read from.
    """
    rate = timeline.sample_rate
    return _one_per_line(
        {
            "version": MANIFEST_VERSION,
            "digest": digest,
            "inputs": inputs,
            "audio": mp3_name,
            "title": episode.title,
            "show": show.name,
            "language": show.language,
            "lede": episode.lede,
            "author": episode.author,
            "date": episode.date.isoformat() if episode.date else None,
            "sample_rate": rate,
            "duration": timeline.length / rate,
            "speakers": [asdict(s) for s in episode.speakers],
            "chapters": [
                {"title": c.title, "start": timeline.ms(c.start) / 1000, "end": timeline.ms(c.end) / 1000}
                for c in timeline.chapters
            ],
            "segments": [
                {
                    "id": t.segment.id,
                    "chapter": t.chapter,
                    "speaker": t.segment.speaker,
                    "voice": {k: v for k, v in asdict(t.voice).items() if v not in ("", None) or k == "variant"},
                    "text": t.segment.text,
                    "start": t.start / rate,
                    "end": t.end / rate,
                    "start_sample": t.start,
                    "end_sample": t.end,
                    "cache_key": t.cache_key,
                    "words": [[w.text, round(w.start / rate, 3), round(w.end / rate, 3)] for w in t.words],
                }
                for t in timeline.takes
            ],
        },
        "segments",
    )


def sidecar_paths(mp3: Path) -> dict[str, Path]:
    """The files written beside an episode, by kind."""
    stem = mp3.with_suffix("")
    return {
        "vtt": stem.with_suffix(".vtt"),
        "srt": stem.with_suffix(".srt"),
        "chapters": Path(f"{stem}.chapters.json"),
        "transcript": Path(f"{stem}.transcript.json"),
        "manifest": stem.with_suffix(".json"),
        "html": stem.with_suffix(".html"),
    }


def read_manifest(path: Path) -> dict | None:
    """A manifest written earlier, or None if there is none or it is unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == MANIFEST_VERSION else None
