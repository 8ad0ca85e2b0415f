"""The engines one render speaks with: its own (`--engine`), and those its cast names per speaker.

An `Ensemble` is a `SpeechEngine`: the stages ask it, and it hands each voice to the
engine the voice names (`Voice.engine`; empty is the render's own). Every voice's speech
comes back at the episode's one sample rate, the render's engine's: a model that speaks
at another rate is resampled (soxr, with the engine's extra). Engines the cast names
are started on first use, so a render that names none imports nothing more.
"""

from __future__ import annotations

import threading

from ...errors import EngineError
from ...model import Voice
from . import DEFAULT_ENGINE, EngineVoice, SpeechEngine, create_engine

DEFAULT_LOUDNESS_REFERENCE = -20.0
"""About how loud an engine speaks, in LUFS, when it does not say (espeak-ng's level)."""


class Ensemble:
    """A render's engines, behind the one `SpeechEngine` interface."""

    def __init__(self, own: SpeechEngine):
        self.own = own
        self.name = own.name
        self.sample_rate = own.sample_rate
        self._others: dict[str, SpeechEngine] = {}
        self._lock = threading.Lock()

    def engine_for(self, voice: Voice) -> SpeechEngine:
        """The engine that speaks `voice`, started if it was not."""
        if voice.engine in ("", self.own.name):
            return self.own
        with self._lock:
            engine = self._others.get(voice.engine)
            if engine is None:
                engine = self._others[voice.engine] = create_engine(voice.engine)
        return engine

    def key_parts(self, voice: Voice) -> tuple[str, str]:
        """The engine's name and version as a voice's cache keys take them (a model's digest is in the version)."""
        engine = self.engine_for(voice)
        version = engine.voice_version(voice) if hasattr(engine, "voice_version") else engine.version()
        return engine.name, version

    def loudness_reference(self, voice: Voice) -> float:
        """About how loud `voice`'s engine speaks (LUFS), for the loudness measurement's test gain."""
        return getattr(self.engine_for(voice), "loudness_reference", DEFAULT_LOUDNESS_REFERENCE)

    # -- the SpeechEngine interface ---------------------------------------------------
    def version(self) -> str:
        """The render's engine's version."""
        return self.own.version()

    def describe(self) -> str:
        """The render's engine."""
        return self.own.describe()

    def details(self) -> list[str]:
        """The render's engine's details, then those of the others started."""
        return [line for engine in (self.own, *self._others.values()) for line in engine.details()]

    def voices(self) -> list[EngineVoice]:
        """The render's engine's voices."""
        return self.own.voices()

    def variants(self) -> list[str]:
        """The render's engine's variants."""
        return self.own.variants()

    def check_voice(self, voice: Voice, hear: bool = True) -> None:
        """Asked of the voice's engine."""
        self.engine_for(voice).check_voice(voice, hear)

    def synthesize(self, text: str, voice: Voice, what: str = "") -> bytes:
        """Speak with the voice's engine, at the episode's sample rate."""
        engine = self.engine_for(voice)
        pcm = engine.synthesize(text, voice, what)
        rate = _rate_of(engine, voice)
        return pcm if rate == self.sample_rate else resample(pcm, rate, self.sample_rate)

    def synthesize_marked(self, text: str, voice: Voice, what: str = "") -> tuple[bytes, list | None]:
        """`synthesize`, with where each word starts (`[character, sample]` at the episode's rate) if the voice's
        engine says, else None."""
        engine = self.engine_for(voice)
        if not hasattr(engine, "synthesize_marked"):
            return self.synthesize(text, voice, what), None
        pcm, marks = engine.synthesize_marked(text, voice, what)
        rate = _rate_of(engine, voice)
        if rate == self.sample_rate:
            return pcm, marks
        scaled = [[char, sample * self.sample_rate // rate] for char, sample in marks] if marks else marks
        return resample(pcm, rate, self.sample_rate), scaled

    def gives_marks(self, voice: Voice) -> bool:
        """True if the voice's engine says where each word starts."""
        return bool(getattr(self.engine_for(voice), "word_marks", False))

    def verify(self) -> None:
        """The render's engine's check (the others run in this process)."""
        self.own.verify()

    def warm_up(self) -> None:
        """Start the render's engine's speech server."""
        self.own.warm_up()

    def close(self) -> None:
        """Close every engine started."""
        try:
            self.own.close()
        finally:
            for engine in self._others.values():
                engine.close()

    def __getattr__(self, attribute: str):
        # what only the render's engine has (its library, its speech server), for `podcast doctor` and tests
        return getattr(self.own, attribute)


def _rate_of(engine: SpeechEngine, voice: Voice) -> int:
    """Samples per second of what `engine` speaks with `voice` (a model's own rate, for an engine of models)."""
    return engine.sample_rate_of(voice) if hasattr(engine, "sample_rate_of") else engine.sample_rate


def create_engines(name: str = DEFAULT_ENGINE) -> Ensemble:
    """The engines a render speaks with: the one called `name`, and those its cast names, started when first
    asked for."""
    return Ensemble(create_engine(name))


def ensemble(engine: SpeechEngine | Ensemble) -> Ensemble:
    """`engine` as an ensemble (itself if it is one)."""
    return engine if isinstance(engine, Ensemble) else Ensemble(engine)


def resample(pcm: bytes, rate: int, to: int) -> bytes:
    """16-bit mono PCM at `rate`, resampled to `to` (soxr, high quality)."""
    try:
        import numpy
        import soxr
    except ImportError:
        raise EngineError(f"speech at {rate} Hz needs resampling to {to} Hz: pip install soxr") from None
    samples = numpy.frombuffer(pcm, dtype=numpy.int16)
    return soxr.resample(samples, rate, to, quality="HQ").astype(numpy.int16).tobytes()
