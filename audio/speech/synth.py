"""Synthesis of the segments that the cache lacks, several at a time.

The engine speaks each job in a fresh child of its speech server (see
`engines.forkserver`), so jobs run side by side, one per core, and each is spoken
from the same engine state. Threads here hand the jobs over and write each result
straight into the cache, atomically. Ctrl-C, or a job that misses its deadline,
stops the rest; whatever finished stays cached. The voices' readings of the
calibration text are synthesized with the segments; their loudness is measured
afterwards (`sound.loudness.measure_readings`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import EngineError, PodcastError
from ..hooks import moment
from ..model import Voice
from .cache import SegmentCache
from .engines import SpeechEngine

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


def missing_jobs(
    jobs: list[Job], cache: SegmentCache, sample_rate: int, marked: Callable[[Voice], bool] | None = None
) -> list[Job]:
    """The jobs whose audio is not (validly) in the cache, each key once; and with `marked(voice)` true, those
    cached without their words' times (by an older version: spoken again, to the same samples)."""
    unique = {job.key: job for job in jobs}
    return [job for job in unique.values() if not cache.has(job.key, sample_rate, bool(marked and marked(job.voice)))]


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
    done = [0]

    def take() -> Job | None:
        with lock:
            return queue.pop() if queue and not stop.is_set() else None

    def work() -> None:
        while (job := take()) is not None:
            _synthesize(engine, cache, job)
            if progress:
                progress(1)
            with lock:
                done[0] += 1
                count = done[0]
            moment(f"synthesized {count}")

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
    marked = getattr(engine, "synthesize_marked", None)
    try:
        if marked:
            pcm, marks = marked(job.text, job.voice, job.what)
        else:
            pcm, marks = engine.synthesize(job.text, job.voice, job.what), None
    except PodcastError:
        raise
    except Exception as exc:  # keep the message, lose the unpicklable parts
        raise EngineError(f"{job.what or 'synthesis'} failed for {job.text[:40]!r}: {exc}") from None
    cache.store(job.key, pcm, engine.sample_rate, marks)


class SpeechSource:
    """Synthesized speech by cache key, for the stitcher: from the cache, or spoken again if it vanished.

    `jobs` (by key) say how to speak each again. Threads may ask at once; the engine is
    asked for one at a time.
    """

    def __init__(self, cache: SegmentCache, engine: SpeechEngine, jobs: dict[str, Job]):
        self.cache, self.engine, self.jobs = cache, engine, jobs
        self.rate = engine.sample_rate
        self._lock = threading.Lock()

    def pcm(self, key: str) -> bytes:
        """A segment's PCM from the cache, spoken again if it vanished or was damaged since."""
        pcm = self.cache.read(key, self.rate)
        if pcm is None:
            with self._lock:
                _synthesize(self.engine, self.cache, self.jobs[key])  # its words' marks too
                pcm = self.cache.read(key, self.rate)
                if pcm is None:
                    raise EngineError(f"segment {key} could not be kept in the cache; run again")
        return pcm

    def record(self, key: str) -> dict:
        """A segment's cached record; made again from its audio if the two do not agree.

        The cached audio's header was checked before; its record is read, not its audio.
        """
        info, samples = self.cache.read_info(key), self.cache.frames(key, self.rate)
        if not (info and samples and info.get("samples") == samples):
            self.cache.store(key, self.pcm(key), self.rate)
            info = self.cache.read_info(key)
        return info
