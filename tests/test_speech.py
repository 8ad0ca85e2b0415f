"""The speech engine on the libraries users have: no hang, the same samples every time, deadlines, fallback.

The tests that speak run against whichever libespeak-ng the machine chooses (Debian's
1.51 where it is installed); `make test` runs them again with the bundled one
(`PODCAST_ESPEAK_LIBRARY=bundled`, marker `espeak`). The broken libraries here are real
shared objects, compiled from a few lines of C: one that never finishes speaking, as
libespeak-ng 1.51 did in `espeak_Synchronize` after a restart.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, TONE_CAST, last_error, podcast

from audio.errors import EncodingError
from audio.model import Voice
from audio.speech.engines import create_engine

espeak = pytest.mark.espeak

# Every function pyttsx3 2.99's binding looks up when it is imported; espeak_Synth never returns.
STUCK_LIBRARY = r"""
#include <unistd.h>
#include <stddef.h>
typedef int (*callback)(short *, int, void *);
static const char *path = "/nonexistent";
int espeak_Initialize(int output, int buflength, const char *p, int options) { return 22050; }
void espeak_SetSynthCallback(callback cb) {}
void espeak_SetUriCallback(void *cb) {}
int espeak_Synth(const void *text, size_t size, unsigned int position, int type, unsigned int end,
                 unsigned int flags, unsigned int *id, void *data) { for (;;) sleep(60); return 0; }
int espeak_Synth_Mark(const void *t, size_t s, const char *m, unsigned int e, unsigned int f, unsigned int *i,
                      void *d) { return 0; }
int espeak_Key(const char *key) { return 0; }
int espeak_Char(int c) { return 0; }
int espeak_SetParameter(int parameter, int value, int relative) { return 0; }
int espeak_GetParameter(int parameter, int current) { return 0; }
int espeak_SetPunctuationList(const void *list) { return 0; }
void espeak_SetPhonemeTrace(int value, void *stream) {}
void espeak_CompileDictionary(const char *p, void *log, int flags) {}
static void *no_voices[1] = {NULL};
void **espeak_ListVoices(void *spec) { return no_voices; }
int espeak_SetVoiceByName(const char *name) { return 0; }
int espeak_SetVoiceByProperties(void *spec) { return 0; }
void *espeak_GetCurrentVoice(void) { return NULL; }
int espeak_Cancel(void) { return 0; }
int espeak_IsPlaying(void) { return 0; }
int espeak_Synchronize(void) { for (;;) sleep(60); return 0; }
int espeak_Terminate(void) { return 0; }
const char *espeak_Info(const char **data) { if (data) *data = path; return "0.0-stuck"; }
"""


@pytest.fixture(scope="session")
def stuck_library(tmp_path_factory) -> Path:
    """A folder holding `libespeak-ng.so.1` that starts, then never finishes an utterance."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build the stuck library (apt install gcc)")
    folder = tmp_path_factory.mktemp("stuck-lib")
    source = folder / "stuck.c"
    source.write_text(STUCK_LIBRARY)
    target = folder / "libespeak-ng.so.1"
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-Wl,-soname,libespeak-ng.so.1", "-o", str(target), str(source)], check=True
    )
    return folder


def processes_of(pid: int) -> list[str]:
    """Processes still running in the process group `pid` led."""
    found = subprocess.run(["pgrep", "-g", str(pid)], capture_output=True, text=True, check=False)
    return found.stdout.split()


# -- the same samples every time --------------------------------------------------------


@espeak
def test_the_same_text_and_voice_give_the_same_samples_whatever_came_before():
    text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."
    first = create_engine("espeak")
    try:
        alone = first.synthesize(text, Voice("en-us", "m3"))
        first.synthesize("Something else entirely, in another voice.", Voice("en-gb-scotland", "f2", pitch=70))
        again = first.synthesize(text, Voice("en-us", "m3"))
        other_voice = first.synthesize(text, Voice("en-gb-scotland", "m3"))
    finally:
        first.close()
    second = create_engine("espeak")  # another process, another server
    try:
        elsewhere = second.synthesize(text, Voice("en-us", "m3"))
    finally:
        second.close()
    assert len(alone) > 22050 * 2  # more than a second of speech
    assert again == alone and elsewhere == alone
    assert other_voice != alone


@espeak
def test_two_cold_renders_give_the_same_episode_byte_for_byte(project, tmp_path):
    script = project / "scripts" / "tiny.txt"
    outputs = []
    for n in (1, 2):
        out = tmp_path / f"run{n}" / "tiny.mp3"
        cache = {"PODCAST_CACHE_DIR": str(tmp_path / f"cache{n}")}
        done = podcast("render", script, "--out", out, "--quiet", cwd=project, env=cache)
        assert done.returncode == 0, done.stderr
        outputs.append(out)
    for suffix in (".mp3", ".vtt", ".srt", ".chapters.json", ".transcript.json"):
        first, second = (Path(str(o).removesuffix(".mp3") + suffix).read_bytes() for o in outputs)
        assert first == second, suffix
    wavs = [sorted(p.read_bytes() for p in (tmp_path / f"cache{n}").glob("??/*.wav")) for n in (1, 2)]
    assert wavs[0] == wavs[1] and len(wavs[0]) >= 6  # every segment and reading, sample for sample


# -- a stuck engine --------------------------------------------------------------------

LONG_PARAGRAPH = (
    "This paragraph is longer than the calibration text that every voice reads once to be measured, so that it is "
    "the first job a single worker takes. The stall engine never finishes it: the render must stop at the deadline "
    "of this paragraph with one line and exit code five, and the previous episode must stay as it was, whole. "
    "Nothing may be left half written beside it, and no process of the render may be left running afterwards."
)


@pytest.mark.slow
def test_a_stuck_engine_ends_the_render_at_its_deadline_and_loses_nothing(project, tmp_path):
    cast = project / "voices" / "tone.toml"
    cast.write_text(TONE_CAST, encoding="utf-8")
    script = project / "scripts" / "stuck.txt"
    script.write_text(f"A stuck engine\n\n{LONG_PARAGRAPH}\n", encoding="utf-8")
    cache = tmp_path / "stuck-cache"
    env = {"PODCAST_CACHE_DIR": str(cache)}
    assert podcast("render", script, "--engine", "tone", "--cast", cast, "-q", cwd=project, env=env).returncode == 0
    dist = project / "dist"
    before = {p.name: p.read_bytes() for p in dist.iterdir()}
    cached_before = sorted(p.name for p in cache.rglob("*") if p.is_file() and p.name != "voices.json")
    script.write_text(f"A stuck engine, again\n\n{LONG_PARAGRAPH}\n", encoding="utf-8")

    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "audio", "render", str(script), "--engine", "stall", "--cast", str(cast),
         "--workers", "1"],
        cwd=project, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    took = time.monotonic() - started
    line = last_error(subprocess.CompletedProcess(process.args, process.returncode, out, err), 5)
    from audio.speech.engines.forkserver import deadline
    from audio.speech.engines.tone import StallEngine

    limit = deadline(LONG_PARAGRAPH, StallEngine.deadline_per_character, StallEngine.deadline_seconds)
    assert limit - 0.5 < took < limit + 8, took  # at its deadline, not long after
    segment = json.loads(podcast("split", script, "--json", cwd=project).stdout)["chapters"][0]["segments"][1]["id"]
    assert f"segment {segment}" in line and "voice tone" in line and "stall" in line and "deadline" in line, line
    # the previous episode, byte for byte, nothing beside it; the cache as it was; no process left
    assert {p.name: p.read_bytes() for p in dist.iterdir() if not p.name.endswith(".lock")} == {
        k: v for k, v in before.items() if not k.endswith(".lock")
    }
    assert sorted(p.name for p in cache.rglob("*") if p.is_file() and p.name != "voices.json") == cached_before
    time.sleep(0.5)
    assert processes_of(process.pid) == []


def test_a_stuck_ffmpeg_is_stopped_at_its_deadline(tmp_path, monkeypatch):
    import audio.sound.encode
    import audio.sound.ffmpeg

    stuck = tmp_path / "ffmpeg"
    stuck.write_text("#!/bin/sh\nexec sleep 600\n")
    stuck.chmod(0o755)
    monkeypatch.setenv("PODCAST_FFMPEG", str(stuck))
    monkeypatch.setattr(audio.sound.ffmpeg, "FFMPEG_BASE_SECONDS", 1.0)  # the real one is 30 s
    started = time.monotonic()
    with pytest.raises(EncodingError, match="did not finish in time"):
        audio.sound.encode.encode_mp3([bytes(22050 * 2)], 22050, tmp_path / "out.mp3")
    assert time.monotonic() - started < 1.0 + 0.5 + 3  # the base, a second of audio at 0.5, a margin


def test_a_deadline_grows_with_the_audio_fed(tmp_path):
    from audio.sound.ffmpeg import Deadline

    process = subprocess.Popen(["sleep", "30"])
    with Deadline(process, 0.3) as watch:
        watch.extend(2.0)
        time.sleep(0.5)
        assert process.poll() is None  # past the first 0.3 s, within the 2.3 s in all: still running
        process.wait(timeout=5)
    assert watch.expired and process.returncode == -signal.SIGKILL


# -- which library ---------------------------------------------------------------------


@pytest.mark.slow  # waits for a deadline
def test_a_library_that_hangs_is_found_at_start_and_the_bundled_one_used(stuck_library, project, tmp_path):
    env = {
        "LD_LIBRARY_PATH": str(stuck_library),  # the dynamic loader finds it first, as it would the system's
        "XDG_STATE_HOME": str(tmp_path / "state"),  # where verdicts on libraries are kept
        "PODCAST_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("PODCAST_ESPEAK_LIBRARY", None)
    clean = {k: v for k, v in os.environ.items() if k != "PODCAST_ESPEAK_LIBRARY"}
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "audio", *map(str, args)], cwd=project, env={**clean, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    started = time.monotonic()
    doctor = run("doctor")
    assert doctor.returncode == 0, doctor.stderr
    assert time.monotonic() - started < 30
    assert "bundled" in doctor.stdout and "0.0-stuck" in doctor.stdout and "failed its check" in doctor.stdout
    assert "spoke 'Testing, one two.'" in doctor.stdout
    warnings = [line for line in doctor.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "does not work here" in warnings[0] and "PODCAST_ESPEAK_LIBRARY" in warnings[0]
    verdicts = json.loads((tmp_path / "state" / "podcast" / "libraries.json").read_text())
    assert [v["works"] for v in verdicts.values()] == [False]
    # the verdict is remembered: the next command does not wait for the library again
    started = time.monotonic()
    rendered = run("render", project / "scripts" / "tiny.txt", "-q")
    assert rendered.returncode == 0, rendered.stderr
    assert (
        sum(line.startswith("warning: ") and "does not work here" in line for line in rendered.stderr.splitlines()) == 1
    )
    manifest = json.loads((project / "dist" / "tiny.json").read_text())
    assert manifest["segments"]


@pytest.mark.slow  # waits for a deadline
def test_a_named_library_that_hangs_fails_clearly(stuck_library, project, tmp_path):
    done = podcast(
        "render", project / "scripts" / "tiny.txt", cwd=project,
        env={"PODCAST_ESPEAK_LIBRARY": str(stuck_library / "libespeak-ng.so.1"),
             "PODCAST_CACHE_DIR": str(tmp_path / "c")},
    )  # fmt: skip
    line = last_error(done, 5)
    assert "did not finish within" in line and "libespeak-ng" in line, line
    assert not (project / "dist" / "tiny.mp3").exists()


def test_a_changed_pyttsx3_binding_is_one_clear_error(project, tmp_path):
    fake = tmp_path / "fake" / "pyttsx3"
    (fake / "drivers").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "drivers" / "__init__.py").write_text("")
    (fake / "drivers" / "_espeak.py").write_text("Initialize = None\nInfo = None\n")  # Synth and the rest are gone
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "fake"), str(ROOT)]), "PODCAST_CACHE_DIR": str(tmp_path / "c")}
    done = podcast("voices", cwd=project, env=env)
    line = last_error(done, 5)
    assert "changed its espeak binding" in line and "Synth" in line and "pyttsx3==2.99" in line, line


@espeak
def test_the_system_library_is_chosen_where_it_works():
    """Debian's 1.51 must pass its check: the first pass of `make test` speaks with it, not a fallback."""
    import ctypes

    wanted = os.environ.get("PODCAST_ESPEAK_LIBRARY")
    try:
        ctypes.CDLL("libespeak-ng.so.1") if not wanted else None
    except OSError:
        pytest.skip("the system has no libespeak-ng (apt install espeak-ng)")
    engine = create_engine("espeak")
    try:
        if wanted == "bundled":
            assert engine.library.origin == "bundled"
        elif not wanted:
            assert engine.library.origin == "system", engine.library.reason
        assert engine.synthesize("Hello.", Voice("en-us"))
    finally:
        engine.close()


@espeak
def test_doctor_names_the_library_why_and_times_an_utterance():
    done = podcast("doctor", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    engine = create_engine("espeak")
    try:
        library = engine.library
        version = engine.version()
    finally:
        engine.close()
    assert f"libespeak-ng {version}, {library.origin}: {library.path}" in done.stdout
    assert f"chosen because: {library.reason}" in done.stdout
    assert "spoke 'Testing, one two.' in" in done.stdout and "pyttsx3 2.99" in done.stdout
    if os.environ.get("PODCAST_ESPEAK_LIBRARY") == "bundled":
        assert library.origin == "bundled"
