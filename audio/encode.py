"""Encoding with ffmpeg: PCM streamed in, one MP3 out. Also finds ffmpeg."""

from __future__ import annotations

import errno
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import NO_SPACE, EncodingError, OutputError


@dataclass(frozen=True)
class Mp3Settings:
    """How the episode is encoded."""

    sample_rate: int = 44100
    """Output samples per second."""
    bitrate: str = "64k"
    """Constant bit rate."""
    channels: int = 1
    """Mono."""


def find_ffmpeg() -> tuple[str, str]:
    """(path, origin) of ffmpeg: `$PODCAST_FFMPEG`, the system's, else imageio-ffmpeg's."""
    env = os.environ.get("PODCAST_FFMPEG")
    if env:
        return env, "from $PODCAST_FFMPEG"
    system = shutil.which("ffmpeg")
    if system:
        return system, "system"
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe(), "bundled by imageio-ffmpeg"
    except (ImportError, RuntimeError):
        raise EncodingError(
            "ffmpeg is not installed; install it (apt install ffmpeg) or reinstall this tool "
            "so that imageio-ffmpeg comes with it"
        ) from None


def ffmpeg_version(path: str) -> str:
    """The first line of `ffmpeg -version`."""
    try:
        out = subprocess.run([path, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise EncodingError(f"cannot run ffmpeg at {path}: {exc.strerror}") from None
    return (out.stdout.splitlines() or ["?"])[0]


def encode_mp3(
    pcm: Iterable[bytes],
    sample_rate: int,
    target: Path,
    settings: Mp3Settings = Mp3Settings(),
    filters: str = "",
    sample_format: str = "s16le",
) -> None:
    """Encode mono PCM (`sample_format`), streamed from `pcm`, into an MP3 file at `target`.

    `filters` run after resampling to the output rate.
    """
    ffmpeg, _ = find_ffmpeg()
    chain = ",".join(f for f in (f"aresample={settings.sample_rate}:resampler=soxr", filters) if f)
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", sample_format, "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
        "-af", chain,
        "-c:a", "libmp3lame", "-b:a", settings.bitrate, "-ac", str(settings.channels),
        "-ar", str(settings.sample_rate), "-write_xing", "1", "-id3v2_version", "0",
        "-f", "mp3", str(target),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        except OSError as exc:
            raise EncodingError(f"cannot run ffmpeg at {ffmpeg}: {exc.strerror}") from None
        try:
            assert process.stdin is not None
            for chunk in pcm:
                process.stdin.write(chunk)
            process.stdin.close()
        except BrokenPipeError:
            pass
        except BaseException:
            process.kill()
            process.wait()
            raise
        code = process.wait()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip().splitlines()
            _check_space(message, target)
            raise EncodingError(f"ffmpeg failed ({message[-1] if message else f'exit {code}'})", target)


_NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device", as ffmpeg prints it


def _check_space(ffmpeg_errors: list[str], target: Path) -> None:
    """Raise `OutputError` naming the folder if ffmpeg failed because the disk is full."""
    if any(_NO_SPACE in line for line in ffmpeg_errors):
        raise OutputError(NO_SPACE, Path(target).parent)


SAMPLES_PER_FRAME = 1152
"""MPEG-1 Layer III."""
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)


def audio_frames(path: Path) -> int:
    """The number of audio frames in an MP3 of ours (MPEG-1 Layer III), its Info frame not counted."""
    data = Path(path).read_bytes()
    position = frames = 0
    if data[:3] == b"ID3":  # skip an ID3v2 tag: its size is four 7-bit bytes
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        position = 10 + size + (10 if data[5] & 0x10 else 0)
    info = False
    while position + 4 <= len(data) and data[position : position + 3] != b"TAG":
        (header,) = struct.unpack(">I", data[position : position + 4])
        if header >> 21 != 0x7FF or (header >> 19) & 3 != 3 or (header >> 17) & 3 != 1:
            raise EncodingError("is not an MPEG-1 Layer III stream where a frame was expected", path)
        bitrate = _BITRATES[(header >> 12) & 15] * 1000
        rate = _RATES[(header >> 10) & 3]
        length = 144 * bitrate // rate + ((header >> 9) & 1)
        if frames == 0 and (b"Info" in data[position : position + 64] or b"Xing" in data[position : position + 64]):
            info = True
        frames += 1
        position += length
    return frames - int(info)


def join_mp3(parts: list[Path], target: Path) -> None:
    """Join MP3s encoded apart into one, frames copied as they are.

    Each part starts with the encoder's delay and ends padded to a whole frame; the
    joined file keeps the first part's delay and the last part's padding in its LAME
    tag, so part k's audio starts exactly at the sum of the earlier parts' frames.
    """
    ffmpeg, _ = find_ffmpeg()
    # The list names the parts by absolute path, so it lives in the system's temporary
    # folder: nothing but the episode is ever written beside it.
    with tempfile.NamedTemporaryFile("w", prefix="podcast-join-", suffix=".txt", delete=False) as listing:
        for part in parts:
            escaped = str(Path(part).resolve()).replace("'", "'\\''")
            listing.write(f"file '{escaped}'\n")
    try:
        command = [
            ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
            "-i", listing.name, "-c", "copy", "-write_xing", "1", "-id3v2_version", "0", "-f", "mp3", str(target),
        ]  # fmt: skip
        # The concat demuxer's timestamps ignore each part's padding; the MP3 muxer notes it and goes on.
        out = subprocess.run(command, capture_output=True, text=True)
    except OSError as exc:
        raise EncodingError(f"cannot run ffmpeg at {ffmpeg}: {exc.strerror}") from None
    finally:
        os.unlink(listing.name)
    if out.returncode != 0:
        lines = [line for line in out.stderr.splitlines() if "non monotonically increasing dts" not in line]
        _check_space(lines, target)
        raise EncodingError(f"ffmpeg could not join the chapters ({lines[-1] if lines else out.returncode})", target)
