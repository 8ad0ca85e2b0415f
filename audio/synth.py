"""Synthesis of the segments that the cache lacks, in parallel on all cores.

Workers are started with `spawn` (a process forked after pyttsx3 started hangs in
synthesis), each with its own engine, and write their results straight into the
cache, atomically. Ctrl-C stops them; whatever they finished stays cached.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .cache import SegmentCache
from .engines import SpeechEngine, create_engine
from .errors import EngineError, PodcastError
from .loudness import analyse_segment
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


def missing_jobs(jobs: list[Job], cache: SegmentCache, sample_rate: int) -> list[Job]:
    """The jobs whose audio is not (validly) in the cache, each key once."""
    unique = {job.key: job for job in jobs}
    return [job for job in unique.values() if not cache.has(job.key, sample_rate)]


def synthesize_jobs(
    jobs: list[Job],
    engine_name: str,
    cache: SegmentCache,
    workers: int | None = None,
    progress: Progress | None = None,
    engine: SpeechEngine | None = None,
    mastering: Mastering = Mastering(),
) -> None:
    """Synthesize and measure every job into the cache. Uses worker processes when it pays."""
    if not jobs:
        return
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1 or sum(len(j.text) for j in jobs) < 2000:
        engine = engine or create_engine(engine_name)
        for job in jobs:
            store(cache, job.key, engine.synthesize(job.text, job.voice), engine.sample_rate, mastering)
            if progress:
                progress(1)
        return
    import multiprocessing
    from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    # Longest first, so that no worker is left with one long job at the end.
    ordered = sorted(jobs, key=lambda j: len(j.text), reverse=True)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(engine_name, str(cache.root), mastering),
    )
    try:
        pending = {pool.submit(_work, job) for job in ordered}
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # re-raises a worker's error here
                if progress:
                    progress(1)
    except BrokenProcessPool:
        _stop(pool)
        raise EngineError("a synthesis worker died; run again, or with --workers 1 to see why") from None
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)


def _stop(pool) -> None:
    """Stop a pool now: cancel what is queued, end the workers."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


_worker: tuple[SpeechEngine, SegmentCache, Mastering] | None = None


def _start_worker(engine_name: str, cache_root: str, mastering: Mastering) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _end_with_parent()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing a library prints may reach our stdout
    logging.basicConfig(level=logging.WARNING)
    _worker = (create_engine(engine_name), SegmentCache(Path(cache_root)), mastering)


def _end_with_parent() -> None:
    """Ask Linux to end this worker when its parent dies (kill -9 leaves no orphans)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: workers end when the pool's pipe closes


def _work(job: Job) -> str:
    assert _worker is not None
    engine, cache, mastering = _worker
    try:
        pcm = engine.synthesize(job.text, job.voice)
    except PodcastError:
        raise
    except Exception as exc:  # keep the message, lose the unpicklable parts
        raise EngineError(f"synthesis failed for {job.text[:40]!r}: {exc}") from None
    store(cache, job.key, pcm, engine.sample_rate, mastering)
    return job.key


def store(cache: SegmentCache, key: str, pcm: bytes, sample_rate: int, mastering: Mastering) -> None:
    """Measure a segment and cache audio and measurement; the audio last, as it marks the entry complete."""
    cache.write_info(key, describe(pcm, sample_rate, mastering))
    cache.write(key, pcm, sample_rate)


def describe(pcm: bytes, sample_rate: int, mastering: Mastering) -> dict:
    """What the stitcher needs to know of a segment: its loudness and where its speech is."""
    from .stitch import speech_bounds

    info = analyse_segment(pcm, sample_rate, mastering.target, mastering.true_peak)
    start, end = speech_bounds(pcm, sample_rate)
    return {**info, "samples": len(pcm) // 2, "speech": [start, end]}


def is_current(info: dict | None, samples: int, mastering: Mastering) -> bool:
    """True if a cached measurement fits audio of `samples` samples and these loudness settings."""
    return bool(
        info
        and info.get("samples") == samples
        and info.get("measured_for") == [mastering.target, mastering.true_peak]
    )
