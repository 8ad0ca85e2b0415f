"""What a Dask worker does for a render: speak a chunk of segments, or level and encode a run of parts.

A task carries everything it needs: the texts after the lexicon and the voices with the
engine's name, version and sample rate (`Chunk`); or the parts, laid on the frame grid as
the client's layout has them, with their speech's bounds, the voices' gains, the
mastering filters and the MP3 settings (`Run`). It reads none of the client's files.

The worker keeps one engine per name as long as it runs (`EnginePlugin`); each job is
still spoken in a fresh child of the engine's speech server, so the samples are the ones
a local render makes. A run is encoded by the code a local render encodes its runs with
(`sound.assemble.encode_run`): the same runs give the same frames, byte for byte. Both
kinds return bytes (speech, encoded parts): no folder is shared, and the client keeps
them in its own caches.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from ..errors import EngineError, PodcastError
from ..model import Timeline
from ..sound.assemble import Layout, Part, encode_run, frame_quantum
from ..sound.encode import Mp3Settings
from ..sound.parts import PartStore
from ..speech.engines import SpeechEngine
from ..speech.engines.ensemble import create_engines
from ..speech.synth import Job

PLUGIN = "podcast-engines"
"""The name the engines' plugin has on every worker."""


@dataclass(frozen=True)
class Chunk:
    """A speaking task: jobs to synthesize."""

    engine: str
    """The engine's name."""
    version: str
    """The engine's version on the client: a worker with another refuses the task."""
    sample_rate: int
    """The engine's sample rate on the client."""
    jobs: tuple[Job, ...]
    """What to speak, each key once."""


@dataclass(frozen=True)
class Spoken:
    """What a speaking task returns."""

    speech: dict[str, bytes]
    """PCM (16-bit mono at the sample rate) by cache key."""
    marks: dict[str, list | None]
    """Where each segment's words start (`[character, sample]`), by cache key; None where the engine does not say."""
    seconds: float
    """How long the task took on its worker."""


@dataclass(frozen=True)
class Run:
    """An encoding task: a run of neighbouring parts of one episode, as a local render would encode it."""

    sample_rate: int
    """The speech's sample rate."""
    parts: tuple[Part, ...]
    """The parts, where the episode's layout puts them."""
    bounds: dict[str, tuple[int, int]]
    """Where each segment's speech lies in its audio, by cache key."""
    gains: dict[str, float]
    """Each segment's levelling gain in dB, by cache key."""
    settings: Mp3Settings
    """How the parts are encoded."""
    filters: str
    """The mastering filters every part is encoded through."""
    clips: tuple = ()
    """The show's music that sounds in these parts (`sound.music.Clip`)."""
    speech: dict[str, bytes] = field(default_factory=dict)
    """PCM the client had in its cache already (the rest comes from speaking tasks' results)."""


@dataclass(frozen=True)
class Encoded:
    """What an encoding task returns."""

    parts: dict[str, tuple[bytes, int]]
    """Each part's encoded frames and frame count, by part key."""
    seconds: float
    """How long the task took on its worker."""


class EnginePlugin(WorkerPlugin):
    """The worker's engines, one per name, started on first use and closed with the worker."""

    idempotent = True
    """Registered again by the next render, it stays as it is: the engines keep running between renders."""

    def __init__(self) -> None:
        self.engines: dict[str, SpeechEngine] = {}
        self.lock: threading.Lock | None = None

    def setup(self, worker) -> None:
        """Called by Dask as the plugin arrives on a worker."""
        self.engines, self.lock = {}, threading.Lock()

    def engine(self, name: str) -> SpeechEngine:
        """The engine called `name`, started if it is not running yet."""
        assert self.lock is not None, "the plugin was not set up on this worker"
        with self.lock:
            if name not in self.engines:
                self.engines[name] = create_engines(name)  # and the engines its casts name per voice
            return self.engines[name]

    def teardown(self, worker) -> None:
        """Called by Dask as the worker closes: the engines' speech servers end."""
        for engine in self.engines.values():
            engine.close()
        self.engines.clear()


def speak(chunk: Chunk) -> Spoken:
    """A speaking task, on a Dask worker: its jobs spoken by the worker's engine."""
    began = time.perf_counter()
    engine = get_worker().plugins[PLUGIN].engine(chunk.engine)
    return speak_with(chunk, engine, began)


def speak_with(chunk: Chunk, engine: SpeechEngine, began: float | None = None) -> Spoken:
    """Speak a chunk's jobs with `engine`, once it is known to make the keys the client planned."""
    began = time.perf_counter() if began is None else began
    _check_engine(chunk, engine)
    spoken = {job.key: _spoken(engine, job) for job in chunk.jobs}
    pcm, marks = {k: s[0] for k, s in spoken.items()}, {k: s[1] for k, s in spoken.items()}
    return Spoken(pcm, marks, time.perf_counter() - began)


def encode(run: Run, spoken: list[Spoken]) -> Encoded:
    """An encoding task: the run's parts levelled and encoded, from `spoken` (speaking tasks' results) and the
    speech the task carries."""
    began = time.perf_counter()
    speech = dict(run.speech)
    for result in spoken:
        speech.update(result.speech)
    layout = Layout(Timeline(run.sample_rate, (), (), 0), run.parts, run.bounds, run.gains, run.clips)
    quantum = frame_quantum(run.sample_rate, run.settings)
    with tempfile.TemporaryDirectory(prefix="podcast-run-") as folder:
        store = PartStore(Path(folder))
        encode_run(layout, list(run.parts), speech.__getitem__, store, settings=run.settings, filters=run.filters)
        parts = {}
        for part in run.parts:
            frames = (part.end - part.start) // quantum
            found = store.get(part.key, frames)
            if found is None:
                raise EngineError("a worker lost a part it encoded; run again")
            parts[part.key] = (found.path.read_bytes(), frames)
    return Encoded(parts, time.perf_counter() - began)


def _check_engine(chunk: Chunk, engine: SpeechEngine) -> None:
    """Refuse a task whose cache keys this worker's engine would not make: its audio would differ."""
    from ..plan import _key  # the keys a render plans with (engine, version, rate and what else they cover)

    mine = (engine.name, engine.version(), engine.sample_rate)
    if mine != (chunk.engine, chunk.version, chunk.sample_rate):
        raise EngineError(
            f"a worker's engine is {mine[0]} {mine[1]} at {mine[2]} Hz, the client's {chunk.engine} {chunk.version} "
            f"at {chunk.sample_rate} Hz; install the same package and voices on every worker"
        )
    for job in chunk.jobs:
        if _key(job.text, job.voice, engine) != job.key:
            raise EngineError(
                f"a worker's engine would not make {job.what or 'a segment'} as the client's does (another "
                "library, voice or model); install the same package and voices on every worker"
            )


def _spoken(engine: SpeechEngine, job: Job) -> tuple[bytes, list | None]:
    """A job's PCM, and where its words start if its engine says (the client keeps them with the speech)."""
    try:
        return engine.synthesize_marked(job.text, job.voice, job.what)
    except PodcastError:
        raise
    except Exception as exc:  # keep the message, lose the unpicklable parts
        raise EngineError(f"{job.what or 'synthesis'} failed for {job.text[:40]!r}: {exc}") from None
