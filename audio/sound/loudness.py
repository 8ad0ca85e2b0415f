"""Loudness: ITU-R BS.1770 measurement (ffmpeg's ebur128) and the gain that levels each voice.

Each voice is measured once, reading a fixed, phonetically balanced text (the first
Harvard sentences list): every segment in that voice gets the gain that brings that
reading, once limited and encoded, to the target. espeak-ng speaks evenly, so segments
of one voice land within about 0.3 LU of each other (a standard deviation of 0.2 to
0.35 LU on the example), and speakers are levelled against each other. The reading
is cached with the segments, so a voice is measured once, not once per render, and
a change to one segment never changes the sound of another.

Readings are measured in one ffmpeg run: laid end to end, each starting on a 100 ms
block boundary, with ffmpeg logging the loudness of every 400 ms block (its momentary
loudness, every 100 ms); each reading's integrated loudness is then gated from its own
blocks, as BS.1770 does. A true-peak limiter in the encoder keeps the peaks below the
ceiling; the reading is measured through the same limiter, so its loss is accounted for.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

with warnings.catch_warnings():  # deprecated in Python 3.11 and 3.12; `audioop-lts` from 3.13 on
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

from ..errors import EncodingError, EngineError
from ..model import Mastering, Voice
from .ffmpeg import Slots, ffmpeg_deadline, find_ffmpeg, start_on

if TYPE_CHECKING:
    from ..speech.cache import SegmentCache
    from ..speech.synth import SpeechSource

CALIBRATION_TEXT = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
    "It's easy to tell the depth of a well. These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls. The juice of lemons makes fine punch. "
    "The box was thrown beside the parked truck. The hogs were fed chopped corn and garbage. "
    "Four hours of steady work faced us. A large size in stockings is hard to sell."
)
"""What each voice reads to be measured: IEEE Harvard sentences, list 1 (about 25 s)."""
HEARD_OFFSET_LU = 3.0
"""A mono file played on two speakers sounds this much louder than it measures (AES TD1004, and the podcast
guidance built on it: -16 LUFS for stereo, -19 LUFS for mono)."""
MAX_GAIN_DB = 24.0
REFERENCE_LEVEL = -20.0
"""About how loud espeak-ng speaks; segments are test-limited as if raised from here."""
TYPICAL_LOSS_DB = 0.8
"""About what the limiter takes from espeak-ng's speech."""
MP3_LOSS_DB = 0.4
"""What 64 kbit/s libmp3lame takes from the loudness of speech, as measured on the example."""
BLOCK_HOP = 0.1
"""ebur128 logs the loudness of the last 400 ms every 100 ms."""
BLOCKS_PER_WINDOW = 4
ABSOLUTE_GATE = -70.0
RELATIVE_GATE = -10.0
_LINE = re.compile(rb"\[Parsed_ebur128_\d+ @ [^\]]*\] t: *([\d.]+) .*?M: *(-?[\d.]+|-inf|nan)")


def as_measured(mastering: Mastering) -> Mastering:
    """The loudness the episode's (mono) speech is levelled to, for a target as heard: 3 LU lower.

    A mono episode then measures -19 LUFS and is heard at -16; a stereo one is the same
    speech on two channels, which BS.1770 measures 3 LU louder: -16 as measured and heard.
    """
    return replace(mastering, target=round(mastering.target - HEARD_OFFSET_LU, 2))


def integrated(momentary: Sequence[float]) -> float | None:
    """BS.1770 integrated loudness from the loudness of 400 ms blocks (overlapping by 75%).

    None when no block is above the absolute gate (silence, or shorter than a block).
    """
    energies = [10 ** ((m + 0.691) / 10) for m in momentary if m > ABSOLUTE_GATE]
    if not energies:
        return None
    relative = -0.691 + 10 * math.log10(sum(energies) / len(energies)) + RELATIVE_GATE
    gated = [e for e in energies if -0.691 + 10 * math.log10(e) > relative]
    return round(-0.691 + 10 * math.log10(sum(gated) / len(gated)), 2)


def analyse_segments(
    pcms: Sequence[bytes], sample_rate: int, target: float, true_peak: float, cpu: int | None = None,
    offsets: Sequence[float] = (),
) -> list[dict]:
    """How loud each segment is once raised to about `target` and limited, in one ffmpeg run (on core `cpu`, if given).

    `offsets` (dB, one per segment; none: 0) bring an engine that speaks louder or softer
    than espeak-ng to about its level first, so that the limiter treats every voice alike.

    That is all the levelling needs: the gain that brings a segment to the target is
    the test gain, corrected by how far the limited segment missed the target (the
    limiter's loss included). A reading too short to measure gets None.
    """
    if not pcms:
        return []
    offsets = list(offsets) or [0.0] * len(pcms)
    stream, spans, position = _laid_out(pcms, offsets, round(sample_rate * BLOCK_HOP))
    gain = test_gain(target)
    ffmpeg, _ = find_ffmpeg()
    # One-second frames: the same block log as with ffmpeg's default 2048 samples, for less work
    # (fewer hand-offs between ffmpeg's threads)
    chain = f"asetnsamples=n={sample_rate}:p=0,volume={gain:.2f}dB,{limiter(true_peak)},ebur128=framelog=info"
    command = [
        ffmpeg, "-hide_banner", "-nostats", "-nostdin", "-f", "s16le", "-ar", str(sample_rate), "-ac", "1",
        "-i", "pipe:0", "-af", chain, "-f", "null", "-",
    ]  # fmt: skip
    try:
        process = start_on(cpu, command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as exc:
        raise EncodingError(f"cannot run ffmpeg at {ffmpeg}: {exc.strerror}") from None
    limit = ffmpeg_deadline(position * BLOCK_HOP)
    with process:
        try:
            _, errors = process.communicate(b"".join(stream), timeout=limit)
        except subprocess.TimeoutExpired:
            process.kill()
            raise EncodingError(f"ffmpeg did not measure loudness within {limit:.0f} s and was stopped") from None
        except BaseException:
            process.kill()
            raise
    if process.returncode != 0:
        last = errors.decode(errors="replace").strip().splitlines()[-1:]
        raise EncodingError(f"ffmpeg could not measure loudness ({last[0] if last else process.returncode})")
    blocks = _block_log(errors)
    # each segment's loudness from the blocks that lie wholly within it
    return [
        {
            "limited": integrated([blocks.get(e, -math.inf) for e in range(first + BLOCKS_PER_WINDOW, end + 1)]),
            "test_gain": round(gain + offset, 2),
            "measured_for": measured_for(target, true_peak, offset),
        }
        for (first, end), offset in zip(spans, offsets)
    ]


def measured_for(target: float, true_peak: float, offset: float = 0.0) -> list[float]:
    """What a measurement was made for: the target and ceiling, and the engine's offset if it has one."""
    return [target, true_peak, offset] if offset else [target, true_peak]


def _laid_out(pcms: Sequence[bytes], offsets: Sequence[float], hop: int) -> tuple[list[bytes], list, int]:
    """The segments end to end, each shifted by its offset and starting on a block: (stream, spans in blocks, end)."""
    stream, spans, position = [], [], 0
    for pcm, offset in zip(pcms, offsets):
        if offset:
            pcm = audioop.mul(pcm, 2, 10 ** (offset / 20))
        samples = len(pcm) // 2
        blocks = -(-samples // hop)
        spans.append((position, position + blocks))
        # each segment padded to whole blocks, then one block of silence: the limiter settles
        stream += [pcm, bytes(2 * ((blocks + 1) * hop - samples))]
        position += blocks + 1
    return stream, spans, position


def _block_log(errors: bytes) -> dict[int, float]:
    """The loudness of each 400 ms block, by the block's end (in hops), from ffmpeg's ebur128 log."""
    blocks: dict[int, float] = {}
    for match in _LINE.finditer(errors):
        value = match.group(2)
        blocks[round(float(match.group(1)) / BLOCK_HOP)] = float(value) if value not in (b"-inf", b"nan") else -math.inf
    if not blocks:
        raise EncodingError("ffmpeg's loudness log could not be read")
    return blocks


def test_gain(target: float) -> float:
    """The gain segments are measured with: about what brings espeak-ng's speech to `target`."""
    return target - REFERENCE_LEVEL + TYPICAL_LOSS_DB


def voice_gain(info: dict, target: float) -> float:
    """The gain (dB) that brings a measured reading (of the calibration text), once limited and
    encoded, to `target`: the gain of every segment in its voice."""
    limited = info.get("limited")
    if limited is None:  # too short to measure (not the calibration text): assume espeak-ng's usual level
        return test_gain(target) + MP3_LOSS_DB
    gain = info["test_gain"] + target - limited + MP3_LOSS_DB
    return max(-MAX_GAIN_DB, min(MAX_GAIN_DB, gain))


def limiter(true_peak: float, margin_db: float = 2.0) -> str:
    """An ffmpeg filter that keeps peaks `margin_db` below the true-peak ceiling (MP3 coding adds some).

    A fast release touches only the peaks, so that loudness is kept; its look-ahead
    delay is compensated, so that it moves no sample in time.
    """
    ceiling = 10 ** ((true_peak - margin_db) / 20)
    return f"alimiter=limit={ceiling:.4f}:level=disabled:attack=0.5:release=5:latency=1"


def voice_gains(
    source: SpeechSource, readings: dict[Voice, str], mastering: Mastering, workers: int | None = None, stage=None
) -> dict[Voice, float]:
    """The gain of each voice, from its reading of the calibration text (`readings`: a cache key by voice).

    Readings not yet measured for these settings are measured first. `stage(label, total)`
    starts a progress stage and returns its advance function.
    """
    records = {key: source.record(key) for key in dict.fromkeys(readings.values())}
    offsets = {key: REFERENCE_LEVEL - reference(source.engine, voice) for voice, key in readings.items()}
    unmeasured = [k for k, info in records.items() if not is_current(info, info["samples"], mastering, offsets[k])]
    if unmeasured:
        progress = stage("Measuring", len(unmeasured)) if stage else None
        measure_readings(source.cache, unmeasured, source.rate, mastering, workers, progress, offsets)
        records.update({key: source.cache.read_info(key) for key in unmeasured})
    return {voice: voice_gain(records[key], mastering.target) for voice, key in readings.items()}


MEASURE_BATCH_SAMPLES = 22050 * 240
"""At most about four minutes of speech go into one ffmpeg run, so that memory stays flat."""


def measure_readings(
    cache: SegmentCache,
    keys: list[str],
    sample_rate: int,
    mastering: Mastering,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    offsets: dict[str, float] | None = None,
) -> None:
    """Measure the loudness of cached segments, in a few ffmpeg runs side by side, and cache it (`offsets`: see
    `analyse_segments`, by key)."""
    offsets = offsets or {}
    sizes = {}
    for key in dict.fromkeys(keys):
        info = cache.read_info(key)
        if info is None:
            raise EngineError(f"segment {key} vanished from the cache while it was measured; run again")
        sizes[key] = info["samples"]
    if not sizes:
        return
    workers = max(1, workers or os.cpu_count() or 1)
    count = max(1, -(-sum(sizes.values()) // MEASURE_BATCH_SAMPLES))
    count = min(len(sizes), -(-count // workers) * workers)  # a multiple of the workers: none idles at the end
    batches: list[list[str]] = [[] for _ in range(count)]
    totals = [0] * count
    for key in sorted(sizes, key=sizes.__getitem__, reverse=True):  # the emptiest batch takes the next
        smallest = totals.index(min(totals))
        batches[smallest].append(key)
        totals[smallest] += sizes[key]

    def measure(batch: list[str]) -> None:
        pcms = []
        for key in batch:
            pcm = cache.read(key, sample_rate)
            if pcm is None:
                raise EngineError(f"segment {key} vanished from the cache while it was measured; run again")
            pcms.append(pcm)
        with slots.one() as cpu:
            shift = [offsets.get(key, 0.0) for key in batch]
            results = analyse_segments(pcms, sample_rate, mastering.target, mastering.true_peak, cpu, shift)
        del pcms
        for key, loudness in zip(batch, results):
            cache.write_info(key, {**(cache.read_info(key) or {}), **loudness})
        if progress:
            progress(len(batch))

    slots = Slots(min(workers, count))
    with ThreadPoolExecutor(max_workers=min(workers, count)) as pool:
        list(pool.map(measure, batches))


def is_current(info: dict | None, samples: int, mastering: Mastering, offset: float = 0.0) -> bool:
    """True if a cached measurement fits audio of `samples` samples, these loudness settings and this offset."""
    return bool(
        info
        and info.get("samples") == samples
        and "limited" in info
        and info.get("measured_for") == measured_for(mastering.target, mastering.true_peak, offset)
    )


def reference(engine, voice: Voice) -> float:
    """About how loud `voice`'s engine speaks (LUFS): the engine says (an ensemble per voice), else espeak-ng's."""
    said = getattr(engine, "loudness_reference", None)
    if callable(said):
        return said(voice)
    return REFERENCE_LEVEL if said is None else said
