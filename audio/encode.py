"""Encoding with ffmpeg: PCM streamed in, one MP3 out. Also finds ffmpeg."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import EncodingError


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
            raise EncodingError(f"ffmpeg failed ({message[-1] if message else f'exit {code}'})", target)
