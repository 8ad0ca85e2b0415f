"""A tone engine for tests and diagnostics: exact, predictable durations.

Each word becomes a 250 ms tone whose frequency follows the voice's pitch, so that
timing arithmetic (chapters back to back, marks in pauses) can be checked exactly.
"""

from __future__ import annotations

import math
from array import array

from ..model import Voice
from . import EngineVoice

WORD_MS = 250
GAP_MS = 50


class ToneEngine:
    """Beeps instead of speech."""

    name = "tone"
    sample_rate = 22050

    def version(self) -> str:
        """Fixed version: the tones never change."""
        return "1"

    def describe(self) -> str:
        """What this engine is."""
        return "tone test engine (250 ms per word)"

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

    def synthesize(self, text: str, voice: Voice) -> bytes:
        """One tone per word, with short gaps between words."""
        freq = 110.0 * 2 ** (voice.pitch / 24)
        amplitude = int(8000 * min(voice.volume, 2.0))
        word = int(self.sample_rate * WORD_MS / 1000)
        gap = int(self.sample_rate * GAP_MS / 1000)
        tone = array("h", (int(amplitude * math.sin(2 * math.pi * freq * i / self.sample_rate)) for i in range(word)))
        silence = array("h", bytes(2 * gap))
        out = array("h")
        for n in range(max(1, len(text.split()))):
            if n:
                out.extend(silence)
            out.extend(tone)
        return out.tobytes()
