"""The segment cache: synthesized speech, one WAV per key with its record (JSON), written atomically.

The key covers everything that changes the sound: the text after the lexicon, the
voice settings, the engine's name and version, its sample rate, and this cache's
format. An entry that is truncated, empty or unreadable is treated as missing and
synthesized again; it is never stitched into an episode.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import warnings
import wave
from dataclasses import asdict
from pathlib import Path

from ..atomic import write_file
from ..errors import OutputError
from ..model import Voice

with warnings.catch_warnings():  # deprecated in Python 3.11 and 3.12; `audioop-lts` from 3.13 on
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

log = logging.getLogger(__name__)

SILENCE_DBFS = -45.0
"""Below this, the edges of a segment count as silence (`speech_bounds`)."""
WORD_END_DBFS = -60.0
"""A word starts and ends where its sound rises above and falls below this (RMS of 5 ms): lower than a segment's
edges, so that the quiet decay of a word's last vowel stays in the word."""
EDGE_MS = 30
"""Silence kept around the speech of each segment."""
MIN_SPEECH_MS = 16
"""Speech shorter than this is kept whole, silence and all (it could not be faded in and out)."""

FORMAT = 4
"""Bump when the stored audio changes meaning; older entries are then never read.
(4: every segment spoken from a freshly started library, so the same inputs give the same samples.)"""


def default_cache_dir() -> Path:
    """`$PODCAST_CACHE_DIR`, else the user's cache folder."""
    env = os.environ.get("PODCAST_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("podcast", appauthor=False))


def cache_key(text: str, voice: Voice, engine: str, version: str, sample_rate: int) -> str:
    """The key of one segment's audio."""
    material = {
        "format": FORMAT,
        "text": text,
        "voice": voice_settings(voice, engine),
        "engine": engine,
        "version": version,
        "rate": sample_rate,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:32]


def voice_settings(voice: Voice, engine: str) -> dict:
    """What of a voice goes into a key: its settings, without the model's path (its digest is in the engine's
    version) and without what is at its default (so that keys made before engines were chosen per voice hold)."""
    settings = asdict(voice)
    for key in ("engine", "model", "speaker", "length_scale", "noise_scale", "noise_w_scale"):
        if settings[key] in ("", None) or key == "model" or (key == "engine" and settings[key] == engine):
            del settings[key]
    return settings


class SegmentCache:
    """WAV files under `root/ab/abcdef….wav`."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def entries(self) -> list[Path]:
        """The audio files of every complete entry."""
        if not self.root.is_dir():
            return []
        return [p for p in self.root.glob("??/*.wav") if not p.name.startswith(".")]  # `.tmp-`: a write cut short

    def path(self, key: str) -> Path:
        """Where the entry for `key` lives."""
        return self.root / key[:2] / f"{key}.wav"

    def read(self, key: str, sample_rate: int) -> bytes | None:
        """The PCM of a complete, valid entry, else None."""
        path = self.path(key)
        try:
            with wave.open(str(path), "rb") as wav:
                if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, sample_rate):
                    return None
                frames = wav.getnframes()
                pcm = wav.readframes(frames)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (wave.Error, EOFError, OSError) as exc:
            log.warning("cache entry %s is damaged (%s); synthesizing it again", path, exc)
            return None
        if frames == 0 or len(pcm) != frames * 2:
            log.warning("cache entry %s is truncated; synthesizing it again", path)
            return None
        return pcm

    def frames(self, key: str, sample_rate: int) -> int | None:
        """How many samples an entry's header declares (no audio read), or None."""
        try:
            with wave.open(str(self.path(key)), "rb") as wav:
                if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, sample_rate):
                    return None
                return wav.getnframes()
        except (OSError, wave.Error, EOFError):
            return None

    def has(self, key: str, sample_rate: int, marks: bool = False) -> bool:
        """True if a complete entry exists: its record (saying where its words are, with `marks`), and audio whose
        header fits the file's size.

        The audio itself is not read: a cut-short file is caught by its size, and the
        audio is read whole (and checked again) when it is stitched.
        """
        info = self.read_info(key)
        if info is None or marks and not isinstance(info.get("marks"), list):
            return False
        frames = self.frames(key, sample_rate)
        try:
            size = self.path(key).stat().st_size
        except OSError:
            return False
        return bool(frames) and size >= 2 * frames + 44

    def read_info(self, key: str) -> dict | None:
        """The record of an entry (its length and speech bounds; a voice's reading also its loudness),
        or None if it is missing, damaged or incomplete.

        A record without the length and speech bounds that every record has (one written
        by an older version, or cut short) counts as missing, so the entry is made again
        rather than read half.
        """
        try:
            data = json.loads(self.path(key).with_suffix(".json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if _complete_info(data) else None

    def write_info(self, key: str, info: dict) -> None:
        """Store what was measured of an entry, atomically."""
        target = self.path(key).with_suffix(".json")
        try:
            write_file(target, json.dumps(info).encode())
        except OSError as exc:
            raise OutputError(f"cannot write to the segment cache ({exc.strerror or exc})", target) from exc

    def store(self, key: str, pcm: bytes, sample_rate: int, marks: list | None = None) -> None:
        """Cache a segment: its record (length, where its speech is, where its words are if the engine said where
        they start: `marks`), then its audio, which marks the entry complete.

        A voice's reading of the calibration text is a segment too; its loudness is added
        to its record later, with the other voices' (`sound.loudness.measure_readings`).
        """
        record = speech_record(pcm, sample_rate)
        if marks is not None:  # flat (character, start, end, character, …): one list, not one per word
            record["marks"] = [n for span in word_spans(pcm, sample_rate, marks) for n in span]
        self.write_info(key, record)
        self.write(key, pcm, sample_rate)

    def write(self, key: str, pcm: bytes, sample_rate: int) -> None:
        """Store an entry atomically: a temporary file beside it, then a rename."""
        target = self.path(key)
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(pcm)
        try:
            write_file(target, buffer.getvalue())
        except OSError as exc:
            raise OutputError(f"cannot write to the segment cache ({exc.strerror or exc})", target) from exc


def speech_record(pcm: bytes, sample_rate: int) -> dict:
    """What the stitcher needs to know of a segment before its loudness: its length and where its speech is."""
    start, end = speech_bounds(pcm, sample_rate)
    return {"samples": len(pcm) // 2, "speech": [start, end]}


def word_spans(pcm: bytes, sample_rate: int, marks: list) -> list[list[int]]:
    """`[character, first sample, end sample]` of each word the engine marked: a word starts and ends where its
    sound does, between its mark and the next word's (silence found in 5 ms steps, as `speech_bounds` does)."""
    total = len(pcm) // 2
    step = max(1, sample_rate * 5 // 1000)
    floor = 32768 * 10 ** (WORD_END_DBFS / 20)
    view = memoryview(pcm)[: 2 * total]
    ordered: list[tuple[int, int]] = []
    for char, start in sorted(((int(c), min(max(0, int(s)), total)) for c, s in marks), key=lambda m: m[1]):
        if not ordered or char > ordered[-1][0]:  # espeak-ng also marks a clause's end at its start: not a word
            ordered.append((char, start))
    spans = []
    for n, (char, start) in enumerate(ordered):
        end = ordered[n + 1][1] if n + 1 < len(ordered) else total
        while end - step > start and audioop.rms(view[2 * (end - step) : 2 * end], 2) < floor:
            end -= step
        while start + step < end and audioop.rms(view[2 * start : 2 * (start + step)], 2) < floor:
            start += step  # a word that starts with a stop's silence starts where its sound does
        start = _sound_before(view, start, max(spans[-1][2] if spans else 0, start - 12 * step), step, floor)
        spans.append([char, start, end])
    n = 0
    while n < len(spans):  # words marked at one sample ("of the", said as one): the sound shared out between them
        last = n
        while last + 1 < len(spans) and spans[last + 1][1] == spans[n][1]:
            last += 1
        if last > n:
            start, end, count = spans[n][1], spans[last][2], last - n + 1
            for k in range(n, last + 1):
                spans[k][1:] = [start + (end - start) * (k - n) // count, start + (end - start) * (k - n + 1) // count]
        n = last + 1
    return spans


def _sound_before(view, start: int, limit: int, step: int, floor: float) -> int:
    """A word's start moved back to where its sound begins, if that is a little earlier and silence lies before it
    (a mark on a coarse grid, as Piper's, may come after the word's first sound); else `start`."""
    at = start
    while at - step >= limit and audioop.rms(view[2 * (at - step) : 2 * at], 2) >= floor:
        at -= step
    return at if at - step >= limit else start


def speech_bounds(pcm: bytes, sample_rate: int) -> tuple[int, int]:
    """(first, end) sample of a segment's speech, keeping a little silence around it.

    Silence is measured in 5 ms steps from either end, as pydub's `detect_leading_silence`
    does, but on the bytes with the standard `audioop` (pydub's slices cost many times as much).
    """
    total = len(pcm) // 2
    step = max(1, sample_rate * 5 // 1000)
    floor = 32768 * 10 ** (SILENCE_DBFS / 20)  # the RMS of SILENCE_DBFS
    view = memoryview(pcm)[: 2 * total]
    lead = 0
    while lead < total and audioop.rms(view[2 * lead : 2 * min(total, lead + step)], 2) < floor:
        lead += step
    trail = total
    while trail > 0 and audioop.rms(view[2 * max(0, trail - step) : 2 * trail], 2) < floor:
        trail -= step
    edge = EDGE_MS * sample_rate // 1000
    start, end = min(total, max(0, lead - edge)), min(total, trail + edge)
    if end - start < MIN_SPEECH_MS * sample_rate // 1000:
        return 0, total
    return start, end


def _complete_info(data: object) -> bool:
    """True for a measurement record with a sample count and speech bounds inside it."""
    if not isinstance(data, dict):
        return False
    samples, speech = data.get("samples"), data.get("speech")
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 0:
        return False
    if not (isinstance(speech, list) and len(speech) == 2 and all(type(n) is int for n in speech)):
        return False
    return 0 <= speech[0] <= speech[1] <= samples
