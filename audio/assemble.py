"""Assembly: the timeline encoded in parts (one per segment, cached), then joined frame by frame.

Every segment, with the pause after it, fills a whole number of MP3 frames (see
`frames`). Its encoded frames are cached under a key made of everything that makes
their sound, so an unchanged part is never encoded again: re-voicing one segment
re-encodes that segment's part alone. Parts missing from the cache are encoded in a
few long runs, in parallel (one ffmpeg each), and the runs' output is cut back into
parts at frame boundaries.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from .atomic import write_file
from .encode import Mp3Settings, Slots, encode_mp3
from .errors import EncodingError, OutputError
from .frames import DECODER_DELAY, ENCODER_DELAY, SAMPLES_PER_FRAME, Part, read_frames
from .model import ChapterMark, Take, Timeline
from .stitch import stream

FORMAT = 4
"""Bump when a part's encoded audio changes meaning."""
MIN_RUN_FRAMES = 400
"""A run of missing parts is split for parallel encoding only into pieces at least this long (about 10 s)."""


@dataclass(frozen=True)
class Unit:
    """One segment and the pause after it (the first also holds the lead-in), on whole frames."""

    start: int
    """First sample in the planned timeline."""
    end: int
    """One past the last sample."""
    take: Take
    key: str
    """Cache key of its encoded frames."""


def frame_quantum(input_rate: int, settings: Mp3Settings) -> int:
    """How many input samples make one MP3 frame; raises `EncodingError` if that is not whole."""
    quantum, rest = divmod(SAMPLES_PER_FRAME * input_rate, settings.sample_rate)
    if rest or not quantum:
        raise EncodingError(
            f"speech at {input_rate} Hz cannot be laid on MP3 frames at {settings.sample_rate} Hz"
        )
    return quantum


def units_of(
    planned: Timeline, gains: dict[str, float], settings: Mp3Settings, filters: str,
    bounds: dict[str, tuple[int, int]] | None = None,
) -> list[Unit]:
    """Cut the planned timeline before each segment (after the pause that precedes it), each piece keyed.

    Only segments with a gain in `gains` (known ones) make units. `bounds` (where each
    segment's speech lies in its audio) go into the keys too.
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
            "speech": list((bounds or {}).get(take.cache_key, ())),
            "length": end - start,
        }
        key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]
        out.append(Unit(start, end, take, key))
    return out


class PartStore:
    """Encoded parts: `<key>.mp3` (bare frames) and `<key>.json` (frames and bytes) in one folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.mp3"

    def get(self, key: str, frames: int) -> Part | None:
        """The part, if it is stored whole with `frames` frames."""
        path = self.path(key)
        try:
            facts = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            part = Part(path, int(facts["frames"]), int(facts["bytes"]))
            if part.frames == frames and path.stat().st_size == part.size > 0:
                return part
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def put(self, key: str, data: bytes, frames: int) -> Part:
        """Store a part atomically: its frames first, then the facts that make it usable."""
        path = self.path(key)
        try:
            write_file(path, data)
            write_file(path.with_suffix(".json"), json.dumps({"frames": frames, "bytes": len(data)}).encode())
        except OSError as exc:
            raise OutputError(f"cannot write to the part cache ({exc.strerror or exc})", self.folder) from None
        return Part(path, frames, len(data))

    def prune(self, used: set[str], keep: int = 1000) -> None:
        """Keep the cache from growing without end: drop all but the `keep` most recently used other parts.

        A part is a segment's worth: a thousand is about twenty episodes like the example.
        """
        shutil.rmtree(self.folder.parent / "chapters", ignore_errors=True)  # whole chapters, before parts
        try:
            for leftover in self.folder.glob(".tmp-*"):  # a killed render's, not another one's running now
                if time.time() - leftover.stat().st_mtime > 3600:
                    leftover.unlink(missing_ok=True)
            others = [p for p in self.folder.glob("*.mp3") if p.stem not in used and not p.name.startswith(".")]
            others.sort(key=lambda p: p.stat().st_atime)
            for path in others[: max(0, len(others) - keep)]:
                path.with_suffix(".json").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
        except OSError:
            pass


def encode_units(
    planned: Timeline,
    pieces: list[Unit],
    load: Callable[[Take], bytes],
    store: PartStore,
    settings: Mp3Settings,
    filters: str,
    sample_format: str,
    stage: Callable[[str, int], Callable[[int], None]] | None = None,
    workers: int | None = None,
) -> tuple[list[Part], int]:
    """Every unit's encoded part (from the cache where it is there); and how many were encoded.

    `stage(label, total)` starts a progress stage and returns its advance function.
    """
    quantum = frame_quantum(planned.sample_rate, settings)
    parts: list[Part | None] = [store.get(u.key, (u.end - u.start) // quantum) for u in pieces]
    missing = [i for i, part in enumerate(parts) if part is None]
    workers = max(1, workers or os.cpu_count() or 1)
    runs = _runs(missing, pieces, quantum, workers)
    progress = stage("Encoding", len(missing)) if stage else None

    def counted(take: Take) -> bytes:
        audio = load(take)
        if progress:
            progress(1)
        return audio

    stored: set[str] = set()
    lock = threading.Lock()

    def encode(run: list[int]) -> None:
        first, last = pieces[run[0]], pieces[run[-1]]
        sub = Timeline(planned.sample_rate, tuple(pieces[i].take for i in run), (), last.end)
        store.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store.folder, prefix=".tmp-run-", suffix=".mp3")
        os.close(fd)
        try:
            pcm = stream(sub, counted, start=first.start)
            with slots.one() as cpu:
                encode_mp3(pcm, planned.sample_rate, Path(tmp), settings, filters, sample_format, True, cpu)
            # cut into parts as it is read (one part in memory), while the next run takes the slot
            with open(tmp, "rb") as output:
                for i in run:
                    count = (pieces[i].end - pieces[i].start) // quantum
                    frames = read_frames(output, count, Path(tmp))
                    with lock:  # a unit may occur twice (the same words, voice and pause): stored once
                        if pieces[i].key in stored:
                            continue
                        stored.add(pieces[i].key)
                    store.put(pieces[i].key, frames, count)
        finally:
            Path(tmp).unlink(missing_ok=True)

    slots = Slots(min(workers, len(runs)))
    if runs:
        with ThreadPoolExecutor(max_workers=min(workers + 1, len(runs))) as pool:
            list(pool.map(encode, sorted(runs, key=lambda r: pieces[r[0]].start - pieces[r[-1]].end)))
        for i in missing:  # every unit as stored, also where one key stands for two units
            parts[i] = store.get(pieces[i].key, (pieces[i].end - pieces[i].start) // quantum)
            if parts[i] is None:
                raise OutputError("lost an encoded part as it was written; run again", store.path(pieces[i].key))
    return [p for p in parts if p is not None], len(missing)


def _runs(missing: list[int], pieces: list[Unit], quantum: int, workers: int) -> list[list[int]]:
    """Missing units in runs of neighbours, long runs split so that `workers` encoders share the work evenly."""
    runs: list[list[int]] = []
    for i in missing:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    frames = lambda i: (pieces[i].end - pieces[i].start) // quantum  # noqa: E731
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


def placed_timeline(planned: Timeline, output_rate: int) -> Timeline:
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


class Layout:
    """Where every segment of an episode goes, on the frame grid, and how its parts are encoded.

    A segment's speech bounds come from its cached record, its gain from its voice's
    reading of the calibration text (`calibrations`, a cache key by voice; see
    `loudness`). A segment not yet known counts as empty and makes no part, which leaves
    the place and the parts of every other segment right.
    """

    def __init__(self, placed, titles, cast, cache, engine, settings: Mp3Settings, jobs: dict, calibrations: dict):
        from .loudness import limiter
        from .stitch import HEADROOM_DB

        self.placed, self.titles, self.cast, self.cache, self.engine = placed, titles, cast, cache, engine
        self.settings, self.jobs, self.calibrations = settings, jobs, calibrations
        self.rate = engine.sample_rate
        self.quantum = frame_quantum(self.rate, settings)
        self.filters = f"volume={HEADROOM_DB}dB,{limiter(cast.loudness.true_peak)}"
        self.store = PartStore(cache.root / "parts")
        self.bounds: dict[str, tuple[int, int]] = {}
        self.gains: dict[str, float] = {}
        self.voice_gains: dict = {}
        self._lock = threading.Lock()  # encoders' threads load audio; the engine speaks for one at a time

    def audio(self, key: str) -> bytes:
        """A segment's PCM from the cache, spoken again if it vanished or was damaged since."""
        from .synth import store

        pcm = self.cache.read(key, self.rate)
        if pcm is None:
            with self._lock:
                job = self.jobs[key]
                pcm = self.engine.synthesize(job.text, job.voice, job.what)
                store(self.cache, key, pcm, self.rate)
        return pcm

    def records(self, keys, workers: int | None, stage=None) -> dict[str, dict]:
        """The cached records of synthesized segments; and each voice's loudness, measured where it is not yet.

        `stage(label, total)` starts a progress stage and returns its advance function.
        """
        from .loudness import voice_gain
        from .synth import is_current, measure_entries

        infos = {key: self._record(key) for key in dict.fromkeys(keys)}
        readings = {key: self._record(key) for key in dict.fromkeys(self.calibrations.values())}
        unmeasured = [key for key, info in readings.items() if not is_current(info, info["samples"], self.cast.loudness)]
        if unmeasured:
            progress = stage("Measuring", len(unmeasured)) if stage else None
            measure_entries(self.cache, unmeasured, self.rate, self.cast.loudness, workers, progress)
            readings.update({key: self.cache.read_info(key) for key in unmeasured})
        for voice, key in self.calibrations.items():
            self.voice_gains[voice] = voice_gain(readings[key], self.cast.loudness.target)
        return infos

    def _record(self, key: str) -> dict:
        """A segment's cached record; made again from its audio if the two do not agree.

        The cached audio's header was checked before; its record is read, not its audio.
        """
        from .synth import store

        info, samples = self.cache.read_info(key), self.cache.frames(key, self.rate)
        if not (info and samples and info.get("samples") == samples):
            store(self.cache, key, self.audio(key), self.rate)
            info = self.cache.read_info(key)
        return info

    def lay_out(self, infos: dict[str, dict]) -> tuple[Timeline, list[Unit]]:
        """The planned timeline and its units, from the records known (others count as empty)."""
        from .stitch import plan

        with self._lock:
            # Each segment lasts a whole number of MP3 frames (a little silence added at its
            # end), and so does each pause: every segment starts on a frame, so that a segment
            # that changes length moves everything after it by exactly as much.
            for key, info in infos.items():
                start, end = info["speech"]
                self.bounds[key] = (start, start + -(-(end - start) // self.quantum) * self.quantum)
                self.gains[key] = self.voice_gains[self.jobs[key].voice]
            lengths = [self.bounds[p.cache_key][1] - self.bounds[p.cache_key][0] if p.cache_key in infos else 0
                       for p in self.placed]  # fmt: skip
            timeline = plan(self.placed, lengths, self.titles, self.cast.pauses, self.rate, self.quantum)
            known = {k: g for k, g in self.gains.items() if k in infos}
            pieces = units_of(timeline, known, self.settings, self.filters, self.bounds)
        return timeline, pieces

    def load(self, take: Take) -> bytes:
        from .stitch import prepare

        key = take.cache_key
        return prepare(self.audio(key), self.rate, self.bounds[key], self.gains[key])

    def encode(self, timeline: Timeline, pieces: list[Unit], stage=None, workers: int | None = None):
        return encode_units(timeline, pieces, self.load, self.store, self.settings, self.filters, "s32le", stage, workers)
