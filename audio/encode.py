"""Encoding with ffmpeg: PCM streamed in, one MP3 out. Also finds ffmpeg."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
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


class Slots:
    """Room for `count` ffmpeg runs at a time; each on a core of its own when they fill every core.

    ffmpeg runs each stage (reading, filtering, encoding, writing) on a thread of its
    own, and hands every MP3 frame from one to the next. Kept on one core, those
    hand-offs are cheap; spread over cores, each wakes a thread on another core
    (a render was 4% slower so on this project's machine). With more or fewer runs
    than cores, nothing is pinned: the system places them best.
    """

    def __init__(self, count: int):
        try:
            allowed = sorted(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # not Linux
            allowed = []
        self._free: list[int | None] = allowed if len(allowed) == count > 1 else [None] * max(1, count)
        self._ready = threading.Condition()

    @contextlib.contextmanager
    def one(self) -> Iterator[int | None]:
        """Wait for a free slot and hold it for the block; gives its core (None: run anywhere)."""
        with self._ready:
            self._ready.wait_for(lambda: self._free)
            cpu = self._free.pop(0)
        try:
            yield cpu
        finally:
            with self._ready:
                self._free.append(cpu)
                self._ready.notify()


def start_on(cpu: int | None, command: list[str], **popen) -> subprocess.Popen:
    """Start `command` on one core (or anywhere, if `cpu` is None).

    The child takes the core from the thread that starts it, before it runs a single
    instruction; this thread's own cores are restored at once.
    """
    if cpu is None:
        return subprocess.Popen(command, **popen)
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:
        return subprocess.Popen(command, **popen)
    try:
        return subprocess.Popen(command, **popen)
    finally:
        with contextlib.suppress(OSError):  # a started ffmpeg is returned all the same
            os.sched_setaffinity(0, before)


FFMPEG_BASE_SECONDS = 30.0
"""Every ffmpeg run may take this long, whatever its length: starting, a busy machine."""
FFMPEG_SECONDS_PER_SECOND = 0.5
"""And this long per second of audio (it encodes speech at about a hundred times real time)."""


def ffmpeg_deadline(audio_seconds: float) -> float:
    """Seconds an ffmpeg run over `audio_seconds` of audio may take before it counts as stuck."""
    return FFMPEG_BASE_SECONDS + FFMPEG_SECONDS_PER_SECOND * max(0.0, audio_seconds)


class Deadline:
    """Kills a process that is still running when its deadline passes; the deadline grows as audio is fed.

    `expired` says afterwards whether it was the deadline that ended the process.
    """

    def __init__(self, process: subprocess.Popen, seconds: float):
        self.process = process
        self._end = time.monotonic() + seconds
        self.expired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="ffmpeg-deadline", daemon=True)
        self._thread.start()

    @property
    def seconds(self) -> float:
        """The deadline, in seconds from now."""
        return self._end - time.monotonic()

    def extend(self, seconds: float) -> None:
        """Allow `seconds` more (for the audio just fed)."""
        self._end += seconds

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, max(0.01, self._end - time.monotonic()))):
            if time.monotonic() >= self._end and self.process.poll() is None:
                self.expired = True
                with contextlib.suppress(OSError):
                    self.process.kill()
                return

    def stop(self) -> None:
        """The process ended: stop watching."""
        self._done.set()
        self._thread.join()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


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
    # side fight over (a fifth slower), for no audible gain on speech
    chain = ",".join(f for f in (filters, f"aresample={settings.sample_rate}") if f)
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
