"""A short jingle made in code (no music to download): for the example, the tests, and a show to start with.

`python -m audio.sound.jingle music/intro.wav [SECONDS]` writes one: four chords,
each a few sine partials with a soft attack and decay, in 16-bit stereo WAV at 44.1 kHz.
It is yours to use; for a show, music you have a licence for is better (see README).
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from pathlib import Path

CHORDS = ((261.63, 329.63, 392.00), (220.00, 261.63, 329.63), (174.61, 220.00, 261.63), (196.00, 246.94, 293.66))
"""C major, A minor, F major, G major."""


def jingle(seconds: float = 6.0, rate: int = 44100) -> array:
    """The jingle's samples, mono, 16-bit."""
    total = int(seconds * rate)
    per_chord = total // len(CHORDS)
    out = array("h", bytes(2 * total))
    for n, chord in enumerate(CHORDS):
        begin = n * per_chord
        for i in range(per_chord if n < len(CHORDS) - 1 else total - begin):
            t = i / rate
            envelope = min(1.0, t / 0.02) * math.exp(-2.2 * t / (per_chord / rate))
            value = sum(math.sin(2 * math.pi * f * t) + 0.3 * math.sin(4 * math.pi * f * t) for f in chord)
            out[begin + i] = int(6000 * envelope * value / len(chord))
    fade = int(0.5 * rate)
    for i in range(fade):  # the last chord fades to silence
        out[total - 1 - i] = out[total - 1 - i] * i // fade
    return out


def write_jingle(path: Path, seconds: float = 6.0, rate: int = 44100) -> Path:
    """Write the jingle as a stereo WAV file."""
    mono = jingle(seconds, rate)
    stereo = array("h", bytes(4 * len(mono)))
    stereo[0::2], stereo[1::2] = mono, mono
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(stereo.tobytes())
    return path


if __name__ == "__main__":
    print(write_jingle(Path(sys.argv[1] if len(sys.argv) > 1 else "music/intro.wav"),
                       float(sys.argv[2]) if len(sys.argv) > 2 else 6.0))  # fmt: skip
