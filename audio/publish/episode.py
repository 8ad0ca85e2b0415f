"""Writing an episode: the joined MP3 with its tags and chapters, and the files beside it, all or nothing."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..atomic import commit_all, reason, staged
from ..errors import OutputError
from ..model import Cast, Episode, Metadata, Timeline
from ..sound.frames import EncodedPart, join
from .player import player_html
from .sidecars import chapters_json, manifest_json, sidecar_paths, srt_text, transcript_json, vtt_text
from .tags import ChapterTag, write_tags


def texts_beside(
    episode: Episode, timeline: Timeline, cast: Cast, output: Path, digest: str, inputs: str
) -> dict[str, str]:
    """The files beside the MP3, by kind (see `sidecar_paths`): they follow from the timeline alone."""
    texts = {
        "vtt": vtt_text(episode, timeline),
        "srt": srt_text(episode, timeline),
        "chapters": chapters_json(episode.title, chapter_tags(timeline)),
        "transcript": transcript_json(episode, timeline),
        "manifest": manifest_json(episode, timeline, digest, output.name, cast.show, inputs),
    }
    texts["html"] = player_html(json.loads(texts["manifest"]))
    return texts


def metadata(episode: Episode, cast: Cast) -> Metadata:
    """What the MP3's tags say of an episode."""
    return Metadata(
        title=episode.title,
        artist=", ".join(g.name for g in episode.guests),
        album=cast.show.name,
        date=episode.date,
        language=cast.show.language,
        comment=episode.lede,
        author=episode.author,
    )


def chapter_tags(timeline: Timeline) -> list[ChapterTag]:
    """The timeline's chapters as the MP3 stores them, in whole milliseconds."""
    return [
        ChapterTag(f"chp{n}", c.title, timeline.ms(c.start), timeline.ms(c.end))
        for n, c in enumerate(timeline.chapters)
    ]


def write_episode(
    output: Path, parts: list[EncodedPart], timeline: Timeline, meta: Metadata, cover, texts: dict[str, str]
) -> None:
    """Join the parts into the MP3, tag it, write the files beside it; then put them all in place at once.

    The manifest goes last: an episode whose manifest is there is whole.
    """
    with staged(output) as mp3_tmp, contextlib.ExitStack() as stack:
        join(parts, mp3_tmp, timeline.length)
        write_tags(mp3_tmp, meta, chapter_tags(timeline), cover)
        pairs = [(mp3_tmp, output)]
        for kind, path in sidecar_paths(output).items():
            tmp = stack.enter_context(staged(path))
            try:
                tmp.write_text(texts[kind], encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"cannot be written ({reason(exc)})", path) from None
            pairs.append((tmp, path))
        pairs.sort(key=lambda pair: pair[1] == sidecar_paths(output)["manifest"])
        commit_all(pairs)
