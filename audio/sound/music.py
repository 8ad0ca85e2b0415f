"""Music around the speech: the intro, the outro and a bed under the title, levelled, ducked and mixed in.

Each file is decoded by ffmpeg to the speech's rate, mono, and levelled as a voice is
(`loudness`): to `[music] below` LU under the speech's target. The intro plays alone,
then dips by `duck` dB as the first words start and fades out over `fade` seconds
under them; the bed loops under the title, ducked; the outro starts `overlap` seconds
before the last words end, ducked until they do, then rises to its level.

The episode is encoded in parts, one per segment with the pause after it (see
`frames`), and a part may be encoded on its own: so music stays inside the first part
(the intro and bed, with the title) and the last (the outro, with the last words), and
their keys carry the music's digest and place. Re-voicing another segment re-encodes
its part alone, as before; re-voicing the title or the last words re-encodes theirs.
"""

from __future__ import annotations

import hashlib
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import CastError, EncodingError
from ..model import Mastering, MusicMix, Timeline
from .ffmpeg import ffmpeg_deadline, find_ffmpeg

with warnings.catch_warnings():  # deprecated in Python 3.11 and 3.12; `audioop-lts` from 3.13 on
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

STEP = 220
"""The music's level changes in steps of this many samples (10 ms at 22 kHz: a ramp, too fine to hear)."""
DIP_MS = 300
"""How long the dip under the first words, and the rise after the last, take."""
BED_FADE_MS = 500
"""The bed fades in before the title and out after it."""


@dataclass(frozen=True)
class Track:
    """A music file as the episode uses it: decoded and levelled."""

    kind: str
    """`intro`, `outro` or `bed`."""
    pcm: bytes
    """Mono 16-bit PCM at the speech's rate."""
    gain: float
    """dB that bring it to its level under the speech."""
    digest: str
    """Of the file's bytes and the gain: part of the keys of the parts it sounds in."""


@dataclass(frozen=True)
class Clip:
    """Music placed on the timeline, levelled and shaped, as the stream adds it."""

    start: int
    """First sample on the timeline."""
    pcm: bytes
    """32-bit samples at the stream's level (see `stitch.HEADROOM_DB`)."""
    digest: str
    """What it is: the track and its shape."""

    @property
    def end(self) -> int:
        """One past its last sample."""
        return self.start + len(self.pcm) // 4


def decode(path: Path, rate: int, seconds: float | None = None) -> bytes:
    """A music file (its first `seconds`, if given) as mono 16-bit PCM at `rate`; `CastError` naming it if ffmpeg
    cannot read it."""
    ffmpeg, _ = find_ffmpeg()
    first = ["-t", str(seconds)] if seconds else []
    command = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", *first, "-i", str(path), "-vn", "-ac", "1",
               "-ar", str(rate), "-f", "s16le", "-"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=ffmpeg_deadline(seconds or 600), check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EncodingError(f"ffmpeg could not decode the music ({exc})", path) from None
    if done.returncode != 0 or len(done.stdout) < 2 * rate // 10:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no audio in it"]
        raise CastError(f"is not music ffmpeg can read ({last[0][:120]})", path)
    return done.stdout[: len(done.stdout) // 2 * 2]


def tracks(files: dict[str, Path], rate: int, mastering: Mastering, mix: MusicMix) -> dict[str, Track]:
    """The show's music files (by kind), decoded and levelled `mix.below` LU under `mastering`'s target."""
    from .loudness import analyse_segments, voice_gain

    out = {}
    for kind, path in files.items():
        pcm = decode(path, rate)
        info = analyse_segments([pcm], rate, mastering.target - mix.below, mastering.true_peak)[0]
        gain = voice_gain(info, mastering.target - mix.below)
        digest = hashlib.sha256(Path(path).read_bytes() + f" {gain:.2f}".encode()).hexdigest()[:16]
        out[kind] = Track(kind, pcm, gain, digest)
    return out


def clips(music: dict[str, Track], timeline: Timeline, mix: MusicMix, headroom: float) -> list[Clip]:
    """The music placed on a laid-out timeline (its takes at their places)."""
    rate, takes = timeline.sample_rate, timeline.takes
    if not takes:
        return []
    ms = lambda n: n * rate // 1000  # noqa: E731
    duck = 10 ** (-mix.duck / 20)
    first, last, out = takes[0], takes[-1], []
    # the first part ends where the second take starts: the music there is done a few frames before
    boundary = takes[1].start - 4 * 1152 if len(takes) > 1 else timeline.length
    if "intro" in music:
        s0 = first.start
        fade = max(1, min(round(mix.fade * rate), boundary - s0))
        shape = [(0, 1.0), (max(0, s0 - ms(DIP_MS)), 1.0), (s0, duck), (s0 + fade, 0.0)]
        out.append(_clip(music["intro"], 0, s0 + fade, shape, headroom))
    if "bed" in music and boundary > first.start:
        start, end = max(0, first.start - ms(BED_FADE_MS)), min(boundary, first.end + ms(BED_FADE_MS))
        shape = [(start, 0.0), (first.start, duck), (first.end, duck), (end, 0.0)]
        out.append(_clip(music["bed"], start, end, shape, headroom, loop=True))
    if "outro" in music:
        start = max(last.start, last.end - outro_overlap(music["outro"], mix, rate))
        end = start + len(music["outro"].pcm) // 2
        shape = [(start, duck), (last.end, duck), (last.end + ms(DIP_MS), 1.0), (end, 1.0)]
        out.append(_clip(music["outro"], start, end, shape, headroom))
    return out


def outro_overlap(outro: Track, mix: MusicMix, rate: int) -> int:
    """Samples of the outro under the last words: `overlap`, but no more than half the outro (it rises after)."""
    return min(round(mix.overlap * rate), len(outro.pcm) // 4)


def check(path: Path) -> None:
    """`CastError` naming a music file ffmpeg cannot read (its first second is decoded): said before any speech."""
    decode(path, 8000, 1.0)


def _clip(track: Track, start: int, end: int, shape: list[tuple[int, float]], headroom: float, loop=False) -> Clip:
    """`track` from `start` to `end` on the timeline (looped if `loop`, else cut), levelled, its level following
    `shape` (timeline sample, amplitude) in straight lines."""
    length = end - start
    pcm = track.pcm * (1 + length * 2 // max(2, len(track.pcm))) if loop else track.pcm
    pcm = pcm[: 2 * length]
    wide = audioop.lin2lin(pcm, 2, 4)
    scale = 10 ** ((track.gain - headroom) / 20)
    pieces = []
    for at in range(0, len(wide) // 4, STEP):
        level = _level(shape, start + at)
        pieces.append(audioop.mul(wide[4 * at : 4 * (at + STEP)], 4, scale * level))
    body = b"".join(pieces)
    relative = [(x - start, round(y, 4)) for x, y in shape]  # where it lies is in the part's key, not here
    digest = hashlib.sha256(f"{track.digest} {length} {relative} {headroom}".encode()).hexdigest()[:16]
    return Clip(start, body, digest)


def _level(shape: list[tuple[int, float]], at: int) -> float:
    """The amplitude at timeline sample `at`, along `shape`'s straight lines."""
    for (x0, y0), (x1, y1) in zip(shape, shape[1:]):
        if x0 <= at < x1:
            return y0 + (y1 - y0) * (at - x0) / (x1 - x0)
    return shape[-1][1] if at >= shape[-1][0] else shape[0][1]


def mixed(blocks: Iterator[bytes], clips: list[Clip], start: int) -> Iterator[bytes]:
    """The stream's 32-bit blocks (the timeline from sample `start` on) with the clips added where they sound."""
    position = start
    for block in blocks:
        end = position + len(block) // 4
        for clip in clips:
            lo, hi = max(position, clip.start), min(end, clip.end)
            if lo < hi:
                ours = block[4 * (lo - position) : 4 * (hi - position)]
                added = audioop.add(ours, clip.pcm[4 * (lo - clip.start) : 4 * (hi - clip.start)], 4)
                block = block[: 4 * (lo - position)] + added + block[4 * (hi - position) :]
        yield block
        position = end


def overlapping(clips: list[Clip], start: int, end: int) -> list[list]:
    """What of the clips sounds between `start` and `end`: their digests and places, for a part's key."""
    return [[c.digest, c.start - start] for c in clips if c.start < end and c.end > start]
