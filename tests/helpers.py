"""Shared by the tests: the project's root, small projects on disk, real processes, and checks of the error form.

Fixtures live in conftest.py; plain functions and constants here, imported by name.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
import wave
from pathlib import Path

from typer.testing import Result

ROOT = Path(__file__).resolve().parents[1]

TWO_GUESTS = """\
Interview
Published: 14 March 2024

Tiny robots: 'Small is the new big'

Two researchers explain why the smallest machines matter.

What are you working on?

Jane Smith (JS): We build robots the size of a grain of sand.

RK: And I make them talk to each other.

Swarms in the wild

Where will we see them first?

JS: In farming, long before anywhere else.

Share
"""


TONE_CAST = """\
[pauses]
paragraph = 400
speaker = 600
chapter = 1500
title = 1000

[voices.narrator]
voice = "tone"
pitch = 10
[voices.interviewer]
voice = "tone"
pitch = 30
[[pool]]
voice = "tone"
pitch = 50
[[pool]]
voice = "tone"
pitch = 70
"""




def make_project(root: Path, scripts: dict[str, str]) -> Path:
    """A project folder: the real voices/ (without the example's own cast) and scripts/ with `scripts` (name → text)."""
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "voices", root / "voices", ignore=shutil.ignore_patterns("deepseek-interview.toml"))
    for name, text in scripts.items():
        (root / "scripts" / name).write_text(text, encoding="utf-8")
    return root


def podcast(
    *args, cwd: Path, env: dict | None = None, timeout: float = 120, input: str | None = None
) -> subprocess.CompletedProcess:
    """`python -m audio …` in its own process (this work tree's code: conftest sets PYTHONPATH), `env` over ours,
    `input` on its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "audio", *map(str, args)], cwd=cwd, env={**os.environ, **(env or {})},
        capture_output=True, text=True, timeout=timeout, check=False, input=input,
        stdin=subprocess.DEVNULL if input is None else None,
    )  # fmt: skip


def last_error(done: subprocess.CompletedProcess, code: int) -> str:
    """The exit code is `code`, there is no traceback, and the last line of stderr is the one error line."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), done.stderr
    assert sum(line.startswith("error: ") for line in lines) == 1, done.stderr
    return lines[-1]


def one_error(exit_code: int, stderr: str, code: int, path: Path | str | None, says: str) -> str:
    """Exit `code`, one error line on stderr, `error: PATH: …says…` (`error: …says…` without a path), no traceback.

    `warning: …` lines about other things (a guest the cast does not name) may come before it.
    """
    assert "Traceback" not in stderr, stderr
    assert exit_code == code, stderr
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1 and lines[0].startswith("error: " if path is None else f"error: {path}: "), stderr
    assert says in lines[0], lines[0]
    return lines[0]


def fails(result: Result, code: int, path: Path | str | None, says: str) -> str:
    """A CliRunner result that failed the documented way (a library error, not a crash)."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("".join(traceback.format_exception(result.exception)))
    assert result.stdout == ""
    return one_error(result.exit_code, result.stderr, code, path, says)


def succeeds(result: Result) -> None:
    """A CliRunner result of a command that worked."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError("".join(traceback.format_exception(result.exception)))
    assert result.exit_code == 0, result.output


def write(path: Path, data: bytes | str) -> Path:
    """Write a file (text as UTF-8) and return its path."""
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def files(folder: Path) -> dict[str, bytes]:
    """Every file in a folder (hidden ones too) and its bytes."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}


def cache_entries(cache: Path) -> int:
    """Check that every entry in a segment cache is whole; return how many there are.

    Each WAV must read to the frames its header declares, each measurement must parse.
    Hidden files are writes cut short by a kill; they are never read as entries.
    """
    count = 0
    for path in cache.glob("??/*"):
        if path.name.startswith("."):
            continue
        if path.suffix == ".wav":
            with wave.open(str(path), "rb") as wav:
                frames = wav.getnframes()
                data = wav.readframes(frames)
                width = wav.getsampwidth() * wav.getnchannels()
            assert frames > 0 and len(data) == frames * width, f"{path} is cut short"
            count += 1
        elif path.suffix == ".json":
            assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict), path
    return count


def start_stopped(command: list, moment: str, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    """Start `command` in a session of its own, with output to files, and wait until it stops itself at `moment`.

    The process stops itself (SIGSTOP) when it reaches the moment (see `audio.hooks`): a
    test then signals it there and lets it go on with `resume`. Fails if the process ends
    or misses the moment.
    """
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", _CTRL_C_ENDS_IT, *map(str, command)], cwd=cwd,
            env={**env, "PODCAST_TEST_STOP_AT": moment}, stdout=out, stderr=err, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"ended ({process.returncode}) before {moment!r}: {log.with_suffix('.err').read_text()}"
            )
        if _state(process.pid) == "T":
            return process
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"never reached {moment!r}")


_CTRL_C_ENDS_IT = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])"
)
"""Run the command with Ctrl-C's default action, even where the tests were started with it ignored (a
shell's background job ignores SIGINT, and its children inherit that); `exec` keeps the default."""


def with_ctrl_c(command: list) -> list[str]:
    """`command`, started so that Ctrl-C (SIGINT) ends it: see `_CTRL_C_ENDS_IT`."""
    return [sys.executable, "-c", _CTRL_C_ENDS_IT, *map(str, command)]


def resume(process: subprocess.Popen, sig: int) -> int:
    """Signal the stopped render and let its process group go on; its exit code.

    Ctrl-C (SIGINT) goes to the whole group, as a terminal sends it; kill -9 to the render
    alone, as the OOM killer does (the speech server must then end on its own).
    """
    if sig == signal.SIGKILL:
        process.kill()
    else:
        os.killpg(process.pid, sig)
    os.killpg(process.pid, signal.SIGCONT)
    return process.wait(timeout=60)


def _state(pid: int) -> str:
    """"T" once every thread of the process is stopped."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        states = {Path(f"{task}/stat").read_text().rsplit(")", 1)[1].split()[0] for task in tasks}
    except OSError:
        return ""
    return "T" if states == {"T"} else "running"


def speaker_levels(episode: Path, decode, reference_ffmpeg: str) -> dict[str, float]:
    """The integrated loudness (LUFS, ffmpeg's ebur128) of what each speaker says in an episode, measured apart:
    their segments, as the manifest places them, cut from the decoded MP3 and laid end to end."""
    rate, samples = decode(episode)
    manifest = json.loads(episode.with_suffix(".json").read_text())
    levels = {}
    for speaker in {s["speaker"] for s in manifest["segments"]}:
        spans = [s for s in manifest["segments"] if s["speaker"] == speaker]
        pcm = b"".join(samples[round(s["start"] * rate) : round(s["end"] * rate)].tobytes() for s in spans)
        out = subprocess.run(
            [reference_ffmpeg, "-hide_banner", "-nostats", "-f", "s16le", "-ar", str(rate), "-ac", "1",
             "-i", "pipe:0", "-af", "ebur128", "-f", "null", "-"],
            input=pcm, capture_output=True, check=True,
        )  # fmt: skip
        summary = out.stderr.decode()[out.stderr.decode().rfind("Summary:") :]
        levels[speaker] = float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))
    return levels
