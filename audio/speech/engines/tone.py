"""A tone engine for tests and diagnostics: exact, predictable durations.

Each word becomes a 250 ms tone whose frequency follows the voice's pitch, so that
timing arithmetic (chapters back to back, marks in pauses) can be checked exactly.
It speaks through the same fork server as espeak-ng. `stall` is the tone engine
with a speaker that never finishes a segment: it shows what a stuck engine does to a
render (its deadline ends it).
"""

from __future__ import annotations

import math
import re
import time
from array import array

from ...model import Voice
from . import EngineVoice
from .forkserver import ServedEngine

WORD_MS = 250
GAP_MS = 50
SAMPLE_RATE = 22050


class ToneEngine(ServedEngine):
    """Beeps instead of speech."""

    name = "tone"
    sample_rate = SAMPLE_RATE
    word_marks = True
    """Every word's tone starts where the arithmetic says."""

    def version(self) -> str:
        """Fixed version: the tones never change."""
        return "1"

    def describe(self) -> str:
        """What this engine is."""
        return "tone test engine (250 ms per word)"

    def details(self) -> list[str]:
        """For `podcast doctor`."""
        return [self.describe()]

    def voices(self) -> list[EngineVoice]:
        """One voice per pitch family."""
        return [EngineVoice("tone", "Tone", "xx")]

    def variants(self) -> list[str]:
        """No variants."""
        return []

    def check_voice(self, voice: Voice, hear: bool = True) -> None:
        """Any voice named `tone` without a variant works."""
        if voice.name != "tone" or voice.variant:
            raise ValueError(f"unknown voice {voice.label!r} (the tone engine has only 'tone')")


class StallEngine(ToneEngine):
    """The tone engine, stuck: every segment misses its deadline."""

    deadline_seconds = 1.0
    """A test engine: stuck soon, so that a test waits a second, not five."""

    name = "stall"

    def describe(self) -> str:
        """What this engine is."""
        return "stall test engine (never finishes a segment)"


class ToneSpeaker:
    """The fork server's half of the tone engine."""

    probe_text = "Testing, one two."
    probe_voice = Voice("tone")
    version = "1"

    def start(self) -> None:
        """Nothing to start."""

    def speak(self, text: str, voice: Voice) -> tuple[bytes, list[list[int]]]:
        """One tone per word, with short gaps between words; and where each word starts (character, sample)."""
        freq = 110.0 * 2 ** (voice.pitch / 24)
        amplitude = int(8000 * min(voice.volume, 2.0))
        word = int(SAMPLE_RATE * WORD_MS / 1000)
        gap = int(SAMPLE_RATE * GAP_MS / 1000)
        tone = array("h", (int(amplitude * math.sin(2 * math.pi * freq * i / SAMPLE_RATE)) for i in range(word)))
        silence = array("h", bytes(2 * gap))
        out = array("h")
        marks = [[m.start(), n * (word + gap)] for n, m in enumerate(re.finditer(r"\S+", text))]
        for n in range(max(1, len(marks))):
            if n:
                out.extend(silence)
            out.extend(tone)
        return out.tobytes(), marks


class StallSpeaker(ToneSpeaker):
    """Speaks its probe, then hangs on every segment, as a broken library would."""

    def speak(self, text: str, voice: Voice) -> bytes:
        """The probe as a tone; anything else never returns."""
        if text == self.probe_text:
            return super().speak(text, voice)[0]
        while True:
            time.sleep(3600)
