"""Assembly: each chapter encoded on its own (in parallel, cached), then joined frame by frame.

A chapter's MP3 is keyed on everything that makes its sound, so an unchanged chapter
is never encoded again: re-voicing one segment re-encodes one chapter. Parts are
joined without re-encoding (`encode.join_mp3`); chapter k then starts exactly at the
sum of the earlier parts' frames, which is where its mark goes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .encode import SAMPLES_PER_FRAME, Mp3Settings, audio_frames, encode_mp3
from .errors import OutputError
from .model import ChapterMark, Take, Timeline
from .stitch import stream

if TYPE_CHECKING:
    from pydub import AudioSegment

FORMAT = 1
"""Bump when a chapter's encoded audio changes meaning."""


@dataclass(frozen=True)
class ChapterPart:
    """One chapter of the planned timeline, as its own piece of audio."""

    index: int
    start: int
    """First sample in the planned timeline (the chapter mark)."""
    end: int
    """One past the last sample."""
    takes: tuple[Take, ...]
    key: str
    """Cache key of its encoded audio."""


def chapter_parts(planned: Timeline, gains: dict[str, float], settings: Mp3Settings, filters: str) -> list[ChapterPart]:
    """Split the planned timeline at its chapter marks, each part keyed for the cache."""
    parts = []
    for index, mark in enumerate(planned.chapters):
        takes = tuple(t for t in planned.takes if t.chapter == index)
        material = {
            "format": FORMAT,
            "rate": planned.sample_rate,
            "length": mark.end - mark.start,
            "mp3": [settings.sample_rate, settings.bitrate, settings.channels],
            "filters": filters,
            "takes": [[t.cache_key, round(gains[t.cache_key], 3), t.start - mark.start, t.end - mark.start] for t in takes],
        }
        key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]
        parts.append(ChapterPart(index, mark.start, mark.end, takes, key))
    return parts


def encode_chapters(
    planned: Timeline,
    parts: list[ChapterPart],
    load: Callable[[Take], "AudioSegment"],
    folder: Path,
    settings: Mp3Settings,
    filters: str,
    sample_format: str,
    stage: Callable[[str, int], Callable[[int], None]] | None = None,
    workers: int | None = None,
) -> tuple[list[Path], int]:
    """The encoded MP3 of every part (from the cache where it is there); and how many were encoded.

    `stage(label, total)` starts a progress stage and returns its advance function.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write to the chapter cache ({exc.strerror})", folder) from None
    paths = [folder / f"{part.key}.mp3" for part in parts]
    todo = [(part, path) for part, path in zip(parts, paths) if not _usable(path)]
    progress = stage("Encoding", len(todo)) if stage else None

    def encode(item: tuple[ChapterPart, Path]) -> None:
        part, path = item
        sub = Timeline(planned.sample_rate, part.takes, (), part.end)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".mp3")
        os.close(fd)
        try:
            encode_mp3(stream(sub, load, start=part.start), planned.sample_rate, Path(tmp), settings, filters, sample_format)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        if progress:
            progress(1)

    if todo:
        with ThreadPoolExecutor(max_workers=max(1, min(workers or os.cpu_count() or 1, len(todo)))) as pool:
            list(pool.map(encode, todo))
    return paths, len(todo)


def _usable(path: Path) -> bool:
    try:
        return path.stat().st_size > 0 and audio_frames(path) > 0
    except Exception:  # missing or damaged: encoded again, never joined
        return False


def placed_timeline(planned: Timeline, paths: list[Path], output_rate: int) -> Timeline:
    """The timeline as the joined MP3 plays it, in samples at the output rate.

    Part k starts at the sum of the earlier parts' frames; its content keeps its
    offsets from the chapter mark, scaled to the output rate.
    """
    ratio = output_rate / planned.sample_rate
    starts, position = [], 0
    for path in paths:
        starts.append(position)
        position += audio_frames(path) * SAMPLES_PER_FRAME
    takes = []
    for take in planned.takes:
        mark = planned.chapters[take.chapter]
        base = starts[take.chapter]
        takes.append(
            replace(take, start=base + round((take.start - mark.start) * ratio), end=base + round((take.end - mark.start) * ratio))
        )
    last = planned.chapters[-1]
    length = starts[-1] + round((last.end - last.start) * ratio)
    marks = tuple(
        ChapterMark(c.title, starts[i], starts[i + 1] if i + 1 < len(starts) else length)
        for i, c in enumerate(planned.chapters)
    )
    return Timeline(output_rate, tuple(takes), marks, length)


def prune(folder: Path, keep: int = 400) -> None:
    """Keep the chapter cache from growing without end: drop the least recently used parts."""
    try:
        files = sorted(folder.glob("*.mp3"), key=lambda p: p.stat().st_atime)
        for path in files[:-keep]:
            path.unlink(missing_ok=True)
    except OSError:
        pass

