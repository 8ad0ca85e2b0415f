"""Stitching: segments, pauses and fades laid out on one timeline, streamed as PCM.

Nothing here holds more than one segment in memory: `lay_out_takes` places the
trimmed segments, `stream` yields the episode's PCM piece by piece for the encoder.
"""

from __future__ import annotations

import warnings
from array import array
from collections.abc import Callable, Iterator
from dataclasses import replace

with warnings.catch_warnings():  # pydub looks for ffmpeg on import; we never let it run one
    warnings.simplefilter("ignore", RuntimeWarning)
    warnings.simplefilter("ignore", DeprecationWarning)  # its `import audioop` (Python 3.11, 3.12)
    from pydub import AudioSegment

from ..model import ChapterMark, Pauses, Take, Timeline

FADE_MS = 8
"""Fade at each segment's edges, so that no join clicks."""
LEAD_IN_MS = 300
"""Silence before the first words."""
TAIL_MS = 1000
"""Silence after the last words."""
MUSIC_TAIL_MS = 300
"""Silence after the outro's end."""
MARK_BEFORE_MS = 400
"""A chapter mark sits this long before its first words (at most half the pause)."""
SAMPLE_BYTES = 4
"""The stream is signed 32-bit little-endian mono."""
HEADROOM_DB = 24.0
"""The stream runs this much below full scale, so that levelling gain never clips; the encoder adds it back."""


def prepare(pcm: bytes, sample_rate: int, bounds: tuple[int, int], gain_db: float = 0.0) -> bytes:
    """A segment cut to its speech `bounds`, with gain applied and its ends faded: PCM for the stream.

    The result has 32-bit samples, `HEADROOM_DB` below full scale, so that gain never
    clips: the encoder restores the level and its limiter takes care of the peaks.
    The fades are ramps on the edges' samples alone (pydub's copy the segment several times).
    """
    start, end = bounds
    data = pcm[2 * start : 2 * end]
    data += bytes(2 * (end - start) - len(data))  # bounds may reach past the end: silence
    audio = AudioSegment(data=data, sample_width=2, frame_rate=sample_rate, channels=1)
    wide = audio.set_sample_width(SAMPLE_BYTES).apply_gain(gain_db - HEADROOM_DB).raw_data
    fade = min(FADE_MS * sample_rate // 1000, len(data) // 4)
    if not fade:
        return wide
    edge = fade * SAMPLE_BYTES
    head, tail = array("i", wide[:edge]), array("i", wide[-edge:])
    for i in range(fade):  # linear, from silence and back to it
        head[i] = head[i] * i // fade
        tail[-1 - i] = tail[-1 - i] * i // fade
    return b"".join((head.tobytes(), memoryview(wide)[edge:-edge], tail.tobytes()))


def pause_before(previous: Take | None, current: Take, pauses: Pauses, after_title: bool) -> int:
    """Milliseconds of silence before `current`."""
    if previous is None:
        return LEAD_IN_MS
    if current.chapter != previous.chapter:
        return pauses.chapter
    if after_title:
        return pauses.title
    if current.segment.speaker != previous.segment.speaker:
        return pauses.speaker
    return pauses.paragraph


def lay_out_takes(
    takes: list[Take],
    lengths: list[int],
    titles: list[str],
    pauses: Pauses,
    sample_rate: int,
    quantum: int = 1,
    lead: int = 0,
    outro: tuple[int, int] | None = None,
) -> Timeline:
    """Lay takes of known lengths (in samples) on a timeline with their pauses and chapters.

    Pauses are rounded to whole `quantum`s (an MP3 frame): with segments of whole
    frames, every segment then starts on a frame. The first words start `lead` samples
    in, or later (an intro plays first); `outro` (its overlap with the last words, its
    length) makes the timeline last until it ends.
    """
    ms = lambda n: round(n * sample_rate / 1000)  # noqa: E731
    grid = lambda n: round(n * sample_rate / 1000 / quantum) * quantum  # noqa: E731
    laid: list[Take] = []
    position = 0
    previous = None
    chapter_marks: list[int] = []
    for index, (item, length) in enumerate(zip(takes, lengths)):
        gap = grid(pause_before(previous, item, pauses, after_title=index == 1))
        if previous is None and lead > gap:
            gap = -(-lead // quantum) * quantum
        position += gap
        if previous is None or item.chapter != previous.chapter:
            chapter_marks.append(0 if previous is None else position - min(ms(MARK_BEFORE_MS), gap // 2))
        laid.append(replace(item, start=position, end=position + length))
        position += length
        previous = item
    total = position + grid(TAIL_MS)
    if outro is not None and laid:
        start = max(laid[-1].start, laid[-1].end - outro[0])
        total = max(total, -(-(start + outro[1] + ms(MUSIC_TAIL_MS)) // quantum) * quantum)
    chapter_ids = list(dict.fromkeys(t.chapter for t in takes))
    marks = tuple(
        ChapterMark(titles[c], start, chapter_marks[i + 1] if i + 1 < len(chapter_marks) else total)
        for i, (c, start) in enumerate(zip(chapter_ids, chapter_marks))
    )
    return Timeline(sample_rate, tuple(laid), marks, total)


def stream(
    timeline: Timeline,
    load: Callable[[Take], bytes],
    progress: Callable[[int], None] | None = None,
    block: int = 1 << 16,
    start: int = 0,
) -> Iterator[bytes]:
    """The timeline's PCM from sample `start` on: silence, segment, silence, … as `load` provides segments."""
    position = start
    for take in timeline.takes:
        yield from _silence(take.start - position, block)
        pcm = load(take)
        expected = (take.end - take.start) * SAMPLE_BYTES
        if len(pcm) != expected:  # the cache changed under us: keep the timeline exact
            pcm = pcm[:expected].ljust(expected, b"\0")
        yield pcm
        position = take.end
        if progress:
            progress(1)
    yield from _silence(timeline.length - position, block)


def _silence(samples: int, block: int) -> Iterator[bytes]:
    while samples > 0:
        n = min(samples, block)
        yield bytes(SAMPLE_BYTES * n)
        samples -= n
