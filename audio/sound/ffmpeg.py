"""Running ffmpeg: finding it, its version, a deadline for each run, and a core for each run."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator

from ..errors import EncodingError


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
    (measurably slower: see the README's benchmark). With more or fewer runs
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
