"""Encoding: PCM streamed into ffmpeg, one MP3 out."""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import NO_SPACE, EncodingError, OutputError
from .ffmpeg import FFMPEG_SECONDS_PER_SECOND, Deadline, ffmpeg_deadline, find_ffmpeg, start_on


@dataclass(frozen=True)
class Mp3Settings:
    """How the episode is encoded."""

    sample_rate: int = 44100
    """Output samples per second."""
    bitrate: str = "64k"
    """Constant bit rate."""
    channels: int = 1
    """1: mono; 2: stereo (the mono speech on both channels)."""


STEREO = Mp3Settings(channels=2, bitrate="128k")
"""A stereo episode: twice the mono bit rate, as podcast hosts recommend."""


def for_channels(settings: Mp3Settings, channels: int) -> Mp3Settings:
    """`settings`, in stereo if `channels` (the show's) is 2 and they are not already."""
    return STEREO if channels == 2 and settings.channels == 1 else settings


def encode_mp3(
    pcm: Iterable[bytes],
    sample_rate: int,
    target: Path,
    settings: Mp3Settings = Mp3Settings(),
    filters: str = "",
    sample_format: str = "s16le",
    bare: bool = False,
    cpu: int | None = None,
) -> None:
    """Encode mono PCM (`sample_format`), streamed from `pcm`, into an MP3 file at `target`.

    `filters` run before resampling to the output rate (where they cost half as much).
    `bare` writes frames only, with the bit reservoir off, so that any run of whole
    frames stands on its own (see `frames`); otherwise the file starts with an Info frame.
    """
    ffmpeg, _ = find_ffmpeg()
    # ffmpeg's own resampler: this ffmpeg's soxr spreads over threads that two encoders side by
    # side fight over (slower), for no audible gain on speech
    # stereo: the speech on both channels at full level (ffmpeg's own upmix would lower each by 3 dB)
    both = "pan=stereo|c0=c0|c1=c0" if settings.channels == 2 else ""
    chain = ",".join(f for f in (filters, f"aresample={settings.sample_rate}", both) if f)
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", sample_format, "-ar", str(sample_rate), "-ac", "1", "-i", "pipe:0",
        "-af", chain,
        "-c:a", "libmp3lame", "-b:a", settings.bitrate, "-ac", str(settings.channels),
        "-ar", str(settings.sample_rate), *(["-reservoir", "0"] if bare else []),
        "-write_xing", "0" if bare else "1", "-id3v2_version", "0",
        "-f", "mp3", str(target),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        try:
            process = start_on(cpu, command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors)
        except OSError as exc:
            raise EncodingError(f"cannot run ffmpeg at {ffmpeg}: {exc.strerror}") from None
        width = 4 if sample_format == "s32le" else 2
        with Deadline(process, ffmpeg_deadline(0)) as deadline:
            try:
                assert process.stdin is not None
                for chunk in pcm:
                    deadline.extend(FFMPEG_SECONDS_PER_SECOND * len(chunk) / width / sample_rate)
                    process.stdin.write(chunk)
                process.stdin.close()
            except BrokenPipeError:
                pass
            except BaseException:
                process.kill()
                process.wait()
                raise
            code = process.wait()
        if deadline.expired:
            raise EncodingError("ffmpeg did not finish in time and was stopped (is the machine overloaded?)", target)
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
