"""Speech engines behind one small interface.

An engine turns text and a `Voice` into 16-bit mono PCM. Stages only talk to
`SpeechEngine`; each engine's quirks stay in its own module.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ...errors import EngineError

if TYPE_CHECKING:
    from ...model import Voice

ENGINES = {
    "espeak": "audio.speech.engines.espeak:EspeakEngine",
    "tone": "audio.speech.engines.tone:ToneEngine",
    "stall": "audio.speech.engines.tone:StallEngine",
    "piper": "audio.speech.engines.piper:PiperEngine",
}
"""Engine name → `module:class`, in the render's process. A new offline engine is one more entry here,
one in `SETTINGS`, and one in `SPEAKERS` if it speaks through the fork server."""
_ESPEAK_SETTINGS = frozenset({"engine", "voice", "variant", "rate", "pitch", "volume"})
SETTINGS = {
    "espeak": _ESPEAK_SETTINGS,
    "tone": _ESPEAK_SETTINGS,
    "stall": _ESPEAK_SETTINGS,
    "piper": frozenset({"engine", "model", "speaker", "rate", "length_scale", "noise_scale", "noise_w_scale",
                        "volume"}),
}
"""What a cast may set for a voice of each engine."""
SPEAKERS = {
    "espeak": "audio.speech.engines.espeak:EspeakSpeaker",
    "tone": "audio.speech.engines.tone:ToneSpeaker",
    "stall": "audio.speech.engines.tone:StallSpeaker",
    "piper": "audio.speech.engines.piper:PiperSpeaker",
}
"""Engine name → `module:class` of what speaks in the fork server (see `forkserver`)."""

DEFAULT_ENGINE = "espeak"


@dataclass(frozen=True)
class EngineVoice:
    """A voice the engine offers."""

    id: str
    """Full identifier (`gmw/en-gb-x-rp`)."""
    name: str
    """Display name (`English (Received Pronunciation)`)."""
    language: str
    """Language code (`en-gb-x-rp`)."""


class SpeechEngine(Protocol):
    """What every engine offers."""

    name: str
    """Short engine name, part of every cache key."""
    sample_rate: int
    """Samples per second of the PCM it returns."""

    def version(self) -> str:
        """Engine version, part of every cache key."""

    def describe(self) -> str:
        """One line: which engine and library is in use, for `podcast doctor`."""

    def voices(self) -> list[EngineVoice]:
        """The voices available."""

    def variants(self) -> list[str]:
        """Voice variants (`m3`, `f2`, …) that can be added to any voice."""

    def check_voice(self, voice: Voice, hear: bool = True) -> None:
        """Raise `ValueError` with a readable reason if `voice` would not take effect.

        `hear=False` skips what needs speech (does the voice, or its variant, change the
        sound?): that depends only on the voice's name and variant, so once heard it holds
        at any rate, pitch or volume."""

    def details(self) -> list[str]:
        """Lines for `podcast doctor`: library, version, why it was chosen, a timed utterance."""

    def synthesize(self, text: str, voice: Voice, what: str = "") -> bytes:
        """Speak `text` with `voice`: signed 16-bit little-endian mono PCM at `sample_rate`.

        Every call speaks from the same engine state, so the same text and voice give the
        same samples; `what` names the utterance in errors (a segment id)."""

    def verify(self) -> None:
        """Raise `EngineError` if what speaking needs was started and failed (a library that hangs)."""

    def warm_up(self) -> None:
        """Start, in the background, what speaking needs (its speech server)."""

    def close(self) -> None:
        """Release what the engine started (its speech server)."""


def create_engine(name: str = DEFAULT_ENGINE) -> SpeechEngine:
    """The engine called `name`; raises `EngineError` if it is unknown or cannot start."""
    try:
        target = ENGINES[name]
    except KeyError:
        close = difflib.get_close_matches(name, ENGINES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise EngineError(f"unknown speech engine {name!r}{hint}; known: {', '.join(ENGINES)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)()


def create_speaker(name: str):
    """What speaks for the engine called `name` inside the fork server."""
    module, cls = SPEAKERS[name].split(":")
    return getattr(importlib.import_module(module), cls)()


def closest(name: str, choices: list[str], n: int = 3) -> str:
    """A hint listing the choices closest to `name`."""
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    if not close:
        return ""
    return " (closest: " + ", ".join(lowered[c] for c in close) + ")"
