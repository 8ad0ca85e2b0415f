"""Assembly: the timeline laid on MP3 frames and encoded in parts (one per take, stored), to be joined.

Every take, with the pause after it, fills a whole number of MP3 frames (see
`frames`): a *part*. Its encoded frames are stored under a key made of everything
that makes their sound, so an unchanged part is never encoded again: re-voicing one
segment re-encodes that segment's part alone. Parts missing from the store are
encoded in a few long runs, in parallel (one ffmpeg each), and the runs' output is
cut back into parts at frame boundaries.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import EncodingError, OutputError
from ..hooks import moment
from ..model import ChapterMark, Mastering, MusicMix, Pauses, Take, Timeline, Voice
from .encode import Mp3Settings, encode_mp3
from .ffmpeg import Slots
from .frames import DECODER_DELAY, ENCODER_DELAY, SAMPLES_PER_FRAME, EncodedPart, read_frames
from .loudness import limiter
from .music import Clip, Track, clips, mixed, outro_overlap, overlapping
from .parts import PartStore
from .stitch import HEADROOM_DB, lay_out_takes, prepare, stream

FORMAT = 4
"""Bump when a part's encoded audio changes meaning."""
MIN_RUN_FRAMES = 400
"""A run of missing parts is split for parallel encoding only into pieces at least this long (about 10 s)."""


@dataclass(frozen=True)
class Part:
    """One take and the pause after it (the first also holds the lead-in), on whole frames."""

    start: int
    """First sample in the planned timeline."""
    end: int
    """One past the last sample."""
    take: Take
    """The take it holds."""
    key: str
    """Key of its encoded frames in the part store."""


@dataclass(frozen=True)
class Layout:
    """Where every take goes on the frame grid, how it is cut and levelled, and the parts that hold it."""

    timeline: Timeline
    """The planned timeline, at the speech's sample rate."""
    parts: tuple[Part, ...]
    """The parts, in order; a take whose speech is not known yet makes none."""
    bounds: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Where each segment's speech lies in its audio, by cache key, rounded up to whole frames."""
    gains: dict[str, float] = field(default_factory=dict)
    """Each segment's levelling gain in dB, by cache key (its voice's)."""
    clips: tuple[Clip, ...] = ()
    """The show's music on the timeline (see `music`)."""

    def prepared(self, take: Take, pcm: bytes) -> bytes:
        """A take's speech cut to its bounds, levelled and faded, as the stream carries it."""
        key = take.cache_key
        return prepare(pcm, self.timeline.sample_rate, self.bounds[key], self.gains[key])


def mastering_filters(mastering: Mastering) -> str:
    """The ffmpeg filters every part is encoded through: the headroom restored, then the true-peak limiter."""
    return f"volume={HEADROOM_DB}dB,{limiter(mastering.true_peak)}"


def frame_quantum(input_rate: int, settings: Mp3Settings) -> int:
    """How many input samples make one MP3 frame; raises `EncodingError` if that is not whole."""
    quantum, rest = divmod(SAMPLES_PER_FRAME * input_rate, settings.sample_rate)
    if rest or not quantum:
        raise EncodingError(
            f"speech at {input_rate} Hz cannot be laid on MP3 frames at {settings.sample_rate} Hz"
        )
    return quantum


def lay_out(
    takes: list[Take],
    records: dict[str, dict],
    voice_gains: dict[Voice, float],
    *,
    titles: list[str],
    pauses: Pauses,
    sample_rate: int,
    settings: Mp3Settings,
    filters: str,
    music: dict[str, Track] | None = None,
    mix: MusicMix = MusicMix(),
) -> Layout:
    """The planned timeline and its parts, from the segments' records (`records` by cache key; others count as empty).

    `music` (intro, outro, bed: see `music`) is placed around the takes and mixed as `mix` says.

    Each segment lasts a whole number of MP3 frames (a little silence added at its end),
    and so does each pause: every segment starts on a frame, so that a segment that
    changes length moves everything after it by exactly as much.
    """
    quantum = frame_quantum(sample_rate, settings)
    bounds, gains = {}, {}
    for key, info in records.items():
        start, end = info["speech"]
        bounds[key] = (start, start + -(-(end - start) // quantum) * quantum)
    for take in takes:
        if take.cache_key in records:
            gains[take.cache_key] = voice_gains[take.voice]
    lengths = [bounds[t.cache_key][1] - bounds[t.cache_key][0] if t.cache_key in records else 0 for t in takes]
    music = music or {}
    overlap = round(mix.overlap * sample_rate)
    lead = len(music["intro"].pcm) // 2 - overlap if "intro" in music else 0
    outro = None
    if "outro" in music:
        outro = (outro_overlap(music["outro"], mix, sample_rate), len(music["outro"].pcm) // 2)
    timeline = lay_out_takes(takes, lengths, titles, pauses, sample_rate, quantum, lead, outro)
    placed = tuple(clips(music, timeline, mix, HEADROOM_DB)) if music else ()
    return Layout(timeline, tuple(_parts(timeline, gains, settings, filters, bounds, placed)), bounds, gains, placed)


def _parts(
    planned: Timeline, gains: dict[str, float], settings: Mp3Settings, filters: str, bounds: dict[str, tuple[int, int]],
    music: tuple[Clip, ...] = (),
) -> list[Part]:
    """Cut the planned timeline before each take (after the pause that precedes it), each part keyed.

    Only takes with a gain in `gains` (known ones) make parts. Their speech's `bounds`
    go into the keys too.
    """
    takes = planned.takes
    starts = [0] + [t.start for t in takes[1:]]
    ends = starts[1:] + [planned.length]
    out = []
    for take, start, end in zip(takes, starts, ends):
        if take.cache_key not in gains:
            continue
        material = {
            "format": FORMAT,
            "rate": planned.sample_rate,
            "mp3": [settings.sample_rate, settings.bitrate, settings.channels],
            "filters": filters,
            "take": [take.cache_key, round(gains[take.cache_key], 3), take.start - start, take.end - start],
            "speech": list(bounds.get(take.cache_key, ())),
            "length": end - start,
        }
        if sounding := overlapping(list(music), start, end):  # music in it: its digest and place
            material["music"] = sounding
        key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]
        out.append(Part(start, end, take, key))
    return out


def encode_parts(
    layout: Layout,
    speech: Callable[[str], bytes],
    store: PartStore,
    *,
    settings: Mp3Settings,
    filters: str,
    stage: Callable[[str, int], Callable[[int], None]] | None = None,
    workers: int | None = None,
) -> tuple[list[EncodedPart], int]:
    """Every part of the layout encoded (taken from the store where it is there); and how many were encoded.

    `speech(key)` gives a segment's synthesized PCM. `stage(label, total)` starts a
    progress stage and returns its advance function.
    """
    planned, parts = layout.timeline, layout.parts
    quantum = frame_quantum(planned.sample_rate, settings)
    done, missing, runs = _stored(layout, store, settings, workers)
    workers = max(1, workers or os.cpu_count() or 1)
    progress = stage("Encoding", len(missing)) if stage else None

    stop = threading.Event()  # Ctrl-C: every encoder's input ends at once, and the encoder with it

    def counted(take: Take) -> bytes:
        if stop.is_set():
            raise KeyboardInterrupt
        audio = layout.prepared(take, speech(take.cache_key))
        if progress:
            progress(1)
        return audio

    stored: set[str] = set()
    lock = threading.Lock()

    def encode(run: list[int]) -> None:
        if stop.is_set():
            return
        with slots.one() as cpu:  # the run's PCM is made as ffmpeg reads it
            tmp = _encode_run([parts[i] for i in run], planned.sample_rate, counted, store, settings, filters, cpu,
                              layout.clips)  # fmt: skip
        _store_run(tmp, [parts[i] for i in run], quantum, store, stored, lock)

    slots = Slots(min(workers, len(runs)))
    if runs:
        with ThreadPoolExecutor(max_workers=min(workers + 1, len(runs))) as pool:
            try:
                list(pool.map(encode, sorted(runs, key=lambda r: parts[r[0]].start - parts[r[-1]].end)))
            except BaseException:
                stop.set()
                raise
        for i in missing:  # every part as stored, also where one key stands for two parts
            done[i] = store.get(parts[i].key, (parts[i].end - parts[i].start) // quantum)
            if done[i] is None:
                raise OutputError("lost an encoded part as it was written; run again", store.path(parts[i].key))
    return [p for p in done if p is not None], len(missing)


def _stored(layout: Layout, store: PartStore, settings: Mp3Settings, workers: int | None):
    """The layout's parts as stored (None where missing), the missing ones' indices, and these in the runs that
    `workers` encoders share."""
    parts, quantum = layout.parts, frame_quantum(layout.timeline.sample_rate, settings)
    done: list[EncodedPart | None] = [store.get(p.key, (p.end - p.start) // quantum) for p in parts]
    missing = [i for i, part in enumerate(done) if part is None]
    return done, missing, _runs(missing, list(parts), quantum, max(1, workers or os.cpu_count() or 1))


def runs_to_encode(layout: Layout, store: PartStore, settings: Mp3Settings, workers: int | None) -> list[list[Part]]:
    """The parts the store lacks, in the runs `encode_parts` would encode them in with `workers` encoders.

    A run's frames depend on where it starts (a constant bit rate pads frames by their place
    in the stream): parts encoded elsewhere in these same runs are the same bytes.
    """
    _, _, runs = _stored(layout, store, settings, workers)
    return [[layout.parts[i] for i in run] for run in runs]


def encode_run(layout: Layout, run: list[Part], speech: Callable[[str], bytes], store: PartStore, *,
               settings: Mp3Settings, filters: str) -> None:  # fmt: skip
    """Encode one run of neighbouring parts (of `runs_to_encode`) into the store, as `encode_parts` does."""
    quantum = frame_quantum(layout.timeline.sample_rate, settings)
    load = lambda take: layout.prepared(take, speech(take.cache_key))  # noqa: E731
    tmp = _encode_run(run, layout.timeline.sample_rate, load, store, settings, filters, None, layout.clips)
    _store_run(tmp, run, quantum, store, set(), threading.Lock())


def _store_run(tmp: Path, run: list[Part], quantum: int, store: PartStore, stored: set[str], lock) -> None:
    """Cut a run's frames into its parts as they are read (one part in memory) and store each part once
    (a part may occur twice: the same words, voice and pause); the run's file is removed."""
    try:
        with open(tmp, "rb") as output:
            for part in run:
                count = (part.end - part.start) // quantum
                frames = read_frames(output, count, tmp)
                with lock:
                    if part.key in stored:
                        continue
                    stored.add(part.key)
                store.put(part.key, frames, count)
    finally:
        tmp.unlink(missing_ok=True)


def _encode_run(
    run: list[Part], rate: int, load, store: PartStore, settings: Mp3Settings, filters: str, cpu, music=()
) -> Path:
    """Encode a run of neighbouring parts in one ffmpeg, bare, into a temporary file in the store's folder (with the
    `music` clips that sound in it mixed in)."""
    sub = Timeline(rate, tuple(part.take for part in run), (), run[-1].end)
    store.folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=store.folder, prefix=".tmp-run-", suffix=".mp3")
    os.close(fd)
    try:
        moment("encoding")
        pcm = stream(sub, load, start=run[0].start)
        if music:
            pcm = mixed(pcm, list(music), run[0].start)
        encode_mp3(pcm, rate, Path(name), settings, filters, "s32le", bare=True, cpu=cpu)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _runs(missing: list[int], parts: list[Part], quantum: int, workers: int) -> list[list[int]]:
    """Missing parts in runs of neighbours, long runs split so that `workers` encoders share the work evenly."""
    runs: list[list[int]] = []
    for i in missing:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    frames = lambda i: (parts[i].end - parts[i].start) // quantum  # noqa: E731
    # two runs per encoder, the longest first: the encoders finish at about the same time
    share = max(MIN_RUN_FRAMES, sum(frames(i) for i in missing) // (2 * workers) + 1)
    out = []
    for run in runs:
        current, size = [], 0
        for i in run:
            current.append(i)
            size += frames(i)
            if size >= share and i != run[-1]:
                out.append(current)
                current, size = [], 0
        out.append(current)
    return out


def played_timeline(planned: Timeline, output_rate: int) -> Timeline:
    """The timeline as the joined MP3 plays it, in samples at the output rate.

    Everything scales by the rate; the file ends the encoder's and decoder's delay
    (1105 samples) before the grid's end, as the last frame holds the timeline only up
    to there (it is tail silence).
    """
    ratio = output_rate // planned.sample_rate if output_rate % planned.sample_rate == 0 else None
    scale = (lambda n: n * ratio) if ratio else (lambda n: n * output_rate // planned.sample_rate)  # noqa: E731
    length = scale(planned.length) - ENCODER_DELAY - DECODER_DELAY
    takes = tuple(replace(t, start=scale(t.start), end=min(length, scale(t.end))) for t in planned.takes)
    marks = tuple(ChapterMark(c.title, scale(c.start), min(length, scale(c.end))) for c in planned.chapters)
    return Timeline(output_rate, takes, marks, length)
