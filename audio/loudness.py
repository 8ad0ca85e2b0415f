"""Loudness: ITU-R BS.1770 measurement (ffmpeg's ebur128) and the gain that levels each segment.

Each segment is measured once, right after synthesis, and the result is cached with
it. Each segment is then levelled to the target, and a true-peak limiter in the
encoder keeps the peaks below the ceiling.
"""

from __future__ import annotations

import re
import subprocess

from .encode import find_ffmpeg
from .errors import EncodingError

MAX_GAIN_DB = 24.0
_INTEGRATED = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf|nan) LUFS", re.S)


def _number(match: re.Match | None) -> float | None:
    if not match:
        return None
    value = float(match.group(1)) if match.group(1) not in ("-inf", "nan") else None
    return value if value is not None and value > -69.0 else None


def _report(args: list[str], data: bytes | None) -> str:
    """What ffmpeg says on stderr when it runs `args` (the ebur128 summaries)."""
    ffmpeg, _ = find_ffmpeg()
    command = [ffmpeg, "-hide_banner", "-nostats", "-nostdin", *args]
    try:
        out = subprocess.run(command, input=data, capture_output=True, timeout=600)
    except OSError as exc:
        raise EncodingError(f"cannot run ffmpeg at {ffmpeg}: {exc.strerror}") from None
    text = out.stderr.decode(errors="replace")
    if out.returncode != 0:
        raise EncodingError(f"ffmpeg could not measure loudness ({text.strip().splitlines()[-1:]})")
    return text


REFERENCE_LEVEL = -20.0
"""About how loud espeak-ng speaks; segments are test-limited as if raised from here."""
TYPICAL_LOSS_DB = 0.8
"""About what the limiter takes from espeak-ng's speech."""
MP3_LOSS_DB = 0.4
"""What 64 kbit/s libmp3lame takes from the loudness of speech, as measured on the example."""


def analyse_segment(pcm: bytes, sample_rate: int, target: float, true_peak: float) -> dict:
    """A segment's loudness, and how much the limiter takes from it.

    One ffmpeg run measures the segment as it is and as it will sound once raised to
    about `target` and limited; the difference tells how much louder the segment must
    be made so that, limited, it meets the target.
    """
    gain = target - REFERENCE_LEVEL + TYPICAL_LOSS_DB
    graph = (
        "[0:a]asplit=2[a][b];[a]ebur128=framelog=quiet[plain];"
        f"[b]volume={gain:.2f}dB,{limiter(true_peak)},ebur128=framelog=quiet[limited]"
    )
    text = _report(
        ["-f", "s16le", "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0", "-filter_complex", graph,
         "-map", "[plain]", "-f", "null", "-", "-map", "[limited]", "-f", "null", "-"],
        pcm,
    )  # fmt: skip
    found = {
        int(m.group(1)): _number(_INTEGRATED.search(text, m.end()))
        for m in re.finditer(r"\[Parsed_ebur128_(\d+) @ [^\]]*\] Summary:", text)
    }
    lufs, after = (found[k] for k in sorted(found)) if len(found) == 2 else (None, None)
    loss = lufs + gain - after if lufs is not None and after is not None else 0.0
    return {"lufs": lufs, "limiter_loss": round(max(0.0, loss), 2), "measured_for": [target, true_peak]}


def segment_gain(info: dict, target: float) -> float:
    """The gain (dB) that brings one segment, once limited and encoded, to `target`.

    Every segment is levelled on its own, so speakers match each other and a change to
    one segment never changes the sound of another.
    """
    lufs = info.get("lufs")
    if lufs is None:  # too short to measure (a heading): assume espeak-ng's usual level
        return target - REFERENCE_LEVEL + TYPICAL_LOSS_DB + MP3_LOSS_DB
    gain = target - lufs + info.get("limiter_loss", 0.0) + MP3_LOSS_DB
    return max(-MAX_GAIN_DB, min(MAX_GAIN_DB, gain))


def limiter(true_peak: float, margin_db: float = 2.0) -> str:
    """An ffmpeg filter that keeps peaks `margin_db` below the true-peak ceiling (MP3 coding adds some).

    A fast release touches only the peaks, so that loudness is kept.
    """
    ceiling = 10 ** ((true_peak - margin_db) / 20)
    return f"alimiter=limit={ceiling:.4f}:level=disabled:attack=0.5:release=5"
