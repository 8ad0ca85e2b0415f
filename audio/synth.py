"""Synthesis of the segments that the cache lacks, in parallel on all cores.

This process synthesizes, and so do helper processes started with `spawn` (a process
forked after pyttsx3 started hangs in synthesis), each with its own engine; all take jobs
from one queue and write their results straight into the cache, atomically. Ctrl-C
stops them; whatever they finished stays cached. The voices' readings of the
calibration text are synthesized with the segments; their loudness is measured
afterwards (`measure_entries`).
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


def helpers_for(jobs: list[Job], workers: int | None = None) -> int:
    """How many processes besides this one are worth starting for `jobs` (0: this one alone)."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if workers == 1 or sum(len(j.text) for j in jobs) < 2000:
        return 0
    return workers - 1


class Helpers:
    """Synthesis processes besides this one, each with its own engine.

    Started with `spawn` (a process forked after pyttsx3 started hangs in synthesis),
    so each takes a few tenths of a second to start: start them early, before the
    checks that come ahead of synthesis. As a context manager, they are stopped at once
    if the block fails, and waited for if it ends well.
    """

    def __init__(self, engine_name: str, cache: SegmentCache, count: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.count = count
        self.pool = ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(engine_name, str(cache.root), os.getpid()),
        )
        try:
            _start_processes(self.pool, count)
        except BaseException:
            _stop(self.pool)
            raise

    def close(self) -> None:
        """Let the processes finish and end."""
        self.pool.shutdown(wait=True)

    def stop(self) -> None:
        """End the processes now."""
        _stop(self.pool)

    def __enter__(self) -> Helpers:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.stop()


def synthesize_jobs(
    jobs: list[Job],
    engine_name: str,
    cache: SegmentCache,
    workers: int | None = None,
    progress: Progress | None = None,
    engine: SpeechEngine | None = None,
    helpers: Helpers | None = None,
) -> None:
    """Synthesize every job into the cache: in this process, and in `helpers` (started here if
    none are given and the jobs are worth it). The helpers are closed at the end."""
    if not jobs:
        if helpers:
            helpers.stop()  # nothing for them: no need to wait for them to finish starting
        return
    # By voice, so that a worker rarely has to switch (see the engine); longest first within a voice.
    queue = sorted(jobs, key=lambda j: (j.voice.label, -len(j.text)))
    if helpers is None and (count := helpers_for(jobs, workers)):
        helpers = Helpers(engine_name, cache, count)
    if helpers is None:
        engine = engine or create_engine(engine_name)
        for job in queue:
            _synthesize(engine, cache, job)
            if progress:
                progress(1)
        return
    import threading
    from concurrent.futures.process import BrokenProcessPool

    queue.reverse()  # taken from the end
    lock, stop = threading.Lock(), threading.Event()
    failures: list[BaseException] = []

    def take() -> Job | None:
        with lock:
            return queue.pop() if queue and not stop.is_set() else None

    def done() -> None:
        if progress:
            progress(1)

    # This process synthesizes too, from the same queue, while the helpers start and join in:
    # one fewer interpreter to start, and no core idle while they do.
    pool = helpers.pool

    def feed() -> None:  # hands one job at a time to a worker, so that the queue stays shared
        try:
            while (job := take()) is not None:
                pool.submit(_work, job).result()
                done()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failures.append(exc)
            stop.set()

    feeders = [threading.Thread(target=feed, daemon=True) for _ in range(helpers.count)]
    try:
        for feeder in feeders:
            feeder.start()
        engine = engine or create_engine(engine_name)
        while (job := take()) is not None:
            _synthesize(engine, cache, job)
            done()
        for feeder in feeders:
            feeder.join()
        if not failures:
            helpers.close()
    except BaseException:
        stop.set()
        helpers.stop()
        raise
    if failures:
        helpers.stop()
        if isinstance(failures[0], BrokenProcessPool):
            raise EngineError("a synthesis worker died; run again, or with --workers 1 to see why") from None
        raise failures[0]


def _synthesize(engine: SpeechEngine, cache: SegmentCache, job: Job) -> None:
    try:
        pcm = engine.synthesize(job.text, job.voice)
    except PodcastError:
        raise
    except Exception as exc:  # keep the message, lose the unpicklable parts
        raise EngineError(f"synthesis failed for {job.text[:40]!r}: {exc}") from None
    store(cache, job.key, pcm, engine.sample_rate)


def _start_processes(pool, count: int) -> None:
    """Start the pool's processes now, from this thread, with Ctrl-C ignored until they take over.

    A worker interrupted while its interpreter starts would print a traceback; started
    with SIGINT ignored, it never sees the Ctrl-C that this process handles. A Ctrl-C in
    the few milliseconds that starting them takes is lost: pressed again, it is not.
    """
    import threading

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        for _ in range(count):
            pool.submit(os.getpid)  # each submission starts one more process
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _stop(pool) -> None:
    """Stop a pool now: end the workers, cancel what is queued, and wait for the pool's thread.

    Left running, that thread can race CPython 3.11's exit hook for the pool's wake-up
    pipe, which prints a traceback at exit.
    """
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


_worker: tuple[SpeechEngine, SegmentCache] | None = None


def _start_worker(engine_name: str, cache_root: str, parent: int) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _end_with_parent()
    if os.getppid() != parent:  # the parent died before we could ask to follow it
        os._exit(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing a library prints may reach our stdout
    logging.basicConfig(level=logging.WARNING)
    _worker = (create_engine(engine_name), SegmentCache(Path(cache_root)))


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
    engine, cache = _worker
    _synthesize(engine, cache, job)
    return job.key


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
