"""Synthesis of the segments that the cache lacks, several at a time.

The engine speaks each job in a fresh child of its speech server (see
`engines.forkserver`), so jobs run side by side, one per core, and each is spoken
from the same engine state. Threads here hand the jobs over and write each result
straight into the cache, atomically. Ctrl-C, or a job that misses its deadline,
stops the rest; whatever finished stays cached. The voices' readings of the
calibration text are synthesized with the segments; their loudness is measured
afterwards (`measure_entries`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .cache import SegmentCache
from .engines import SpeechEngine
from .errors import EngineError, PodcastError
from .model import Mastering, Voice

log = logging.getLogger(__name__)

Progress = Callable[[int], None]
"""Called with the number of segments just finished."""


@dataclass(frozen=True)
class Job:
    """One piece of speech to synthesize into the cache."""

    key: str
    """Cache key of the result."""
    text: str
    """What the engine reads (after the lexicon)."""
    voice: Voice
    """With which voice."""
    what: str = ""
    """What it is, for error messages: `segment 3f2a9c`, or a voice's calibration reading."""


def missing_jobs(jobs: list[Job], cache: SegmentCache, sample_rate: int) -> list[Job]:
    """The jobs whose audio is not (validly) in the cache, each key once."""
    unique = {job.key: job for job in jobs}
    return [job for job in unique.values() if not cache.has(job.key, sample_rate)]


def synthesize_jobs(
    jobs: list[Job],
    engine: SpeechEngine,
    cache: SegmentCache,
    workers: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Synthesize every job into the cache, `workers` (default: one per core) at a time."""
    if not jobs:
        return
    # longest first, so that no long job is left to run alone at the end
    queue = sorted(jobs, key=lambda j: -len(j.text))
    queue.reverse()  # taken from the end
    lock, stop = threading.Lock(), threading.Event()
    failures: list[BaseException] = []

    def take() -> Job | None:
        with lock:
            return queue.pop() if queue and not stop.is_set() else None

    def work() -> None:
        while (job := take()) is not None:
            _synthesize(engine, cache, job)
            if progress:
                progress(1)

    def helper() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failures.append(exc)
            stop.set()

    count = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    threads = [threading.Thread(target=helper, name=f"synth-{n}", daemon=True) for n in range(count - 1)]
    try:
        for thread in threads:
            thread.start()
        work()  # this thread too; Ctrl-C or its own failure ends the render at once
        for thread in threads:
            while thread.is_alive():
                thread.join(0.1)  # a short wait: Ctrl-C is seen at once
    except BaseException:
        stop.set()  # the caller closes the engine, which ends what is still being spoken
        raise
    if failures:
        raise failures[0]


def _synthesize(engine: SpeechEngine, cache: SegmentCache, job: Job) -> None:
    try:
        pcm = engine.synthesize(job.text, job.voice, job.what)
    except PodcastError:
        raise
    except Exception as exc:  # keep the message, lose the unpicklable parts
        raise EngineError(f"{job.what or 'synthesis'} failed for {job.text[:40]!r}: {exc}") from None
    store(cache, job.key, pcm, engine.sample_rate)


def store(cache: SegmentCache, key: str, pcm: bytes, sample_rate: int) -> None:
    """Cache a segment: where its speech is, then its audio, which marks the entry complete.

    A voice's reading of the calibration text is a segment too; its loudness is measured
    later, with the other voices' (`measure_entries`).
    """
    cache.write_info(key, describe(pcm, sample_rate))
    cache.write(key, pcm, sample_rate)


def describe(pcm: bytes, sample_rate: int) -> dict:
    """What the stitcher needs to know of a segment before its loudness: its length and where its speech is."""
    from .stitch import speech_bounds

    start, end = speech_bounds(pcm, sample_rate)
    return {"samples": len(pcm) // 2, "speech": [start, end]}


MEASURE_BATCH_SAMPLES = 22050 * 240
"""At most about four minutes of speech go into one ffmpeg run, so that memory stays flat."""


def measure_entries(
    cache: SegmentCache,
    keys: list[str],
    sample_rate: int,
    mastering: Mastering,
    workers: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Measure the loudness of cached segments, in a few ffmpeg runs side by side, and cache it."""
    from concurrent.futures import ThreadPoolExecutor

    from .encode import Slots
    from .loudness import analyse_segments

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
            results = analyse_segments(pcms, sample_rate, mastering.target, mastering.true_peak, cpu)
        del pcms
        for key, loudness in zip(batch, results):
            cache.write_info(key, {**(cache.read_info(key) or {}), **loudness})
        if progress:
            progress(len(batch))

    slots = Slots(min(workers, count))
    with ThreadPoolExecutor(max_workers=min(workers, count)) as pool:
        list(pool.map(measure, batches))


def is_current(info: dict | None, samples: int, mastering: Mastering) -> bool:
    """True if a cached measurement fits audio of `samples` samples and these loudness settings."""
    return bool(
        info
        and info.get("samples") == samples
        and "limited" in info
        and info.get("measured_for") == [mastering.target, mastering.true_peak]
    )
