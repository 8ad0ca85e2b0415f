"""Bad input and interruptions: a clear error every time, and nothing lost (issue 8).

Every case runs the real command, `python -m audio …` in a subprocess where signals,
timing or the process's own stderr matter, typer's CliRunner elsewhere, and checks three
things: the exit code; the message (exactly one `error: FILE: problem` line on stderr, no
traceback); and the files left behind (the previous episode byte for byte, no temporary
files beside it, a cache of complete entries).

Reading bad MP3s
with `podcast chapters` is covered by test_listen.py (BAD_FILES: WAV, text, empty, no
tags, tags without chapters, truncated audio, truncated tag, missing, directory); only
what it lacks is here. The splitter's Hypothesis test is in test_script.py.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from helpers import (
    TONE_CAST,
    TWO_GUESTS,
    cache_entries,
    fails,
    files,
    make_project,
    one_error,
    podcast,
    resume,
    start_stopped,
    succeeds,
    write,
)  # fmt: skip
from typer.testing import CliRunner, Result

from audio.cli import app

runner = CliRunner()


# -- helpers -------------------------------------------------------------------------


def run(*args) -> Result:
    """The command in this process (CliRunner), stderr apart from stdout."""
    return runner.invoke(app, [str(a) for a in args])


def render_tone(script: Path, cast: Path, *more) -> Result:
    """`podcast render SCRIPT --engine tone --cast CAST --quiet …` in this process."""
    return run("render", script, "--engine", "tone", "--cast", cast, "--quiet", *more)


@contextlib.contextmanager
def mounted_tmpfs(folder: Path, size: str):
    """A small tmpfs mounted on `folder` (created), unmounted afterwards; skips where mounting is not allowed."""
    folder.mkdir(parents=True, exist_ok=True)
    if not shutil.which("mount"):
        pytest.skip("no mount command here")
    command = ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture()
def tiny(project) -> Path:
    return project / "scripts" / "tiny.txt"


@pytest.fixture()
def previous(project, tiny, tone_cast) -> dict[str, bytes]:
    """dist/tiny.mp3 and the files beside it, rendered with the tone engine; then the script changes.

    Returns the output folder's files as they were, so that a test can check that a
    failed render left every one of them byte for byte.
    """
    succeeds(render_tone(tiny, tone_cast))
    tiny.write_text(TWO_GUESTS.replace("long before anywhere else", "before anywhere else"), encoding="utf-8")
    return files(project / "dist")


# -- scripts ---------------------------------------------------------------------------


def _png(path: Path) -> Path:
    noise = random.Random(8).randbytes(4000)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + noise)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _paragraph_200k(path: Path) -> Path:
    words = ["the", "robots", "we", "build", "are", "small", "and", "they", "talk", "to", "each", "other"]
    pick = random.Random(8).choice
    body = " ".join(pick(words) for _ in range(50_000))[:199_999].rstrip() + "."
    path.write_text(f"Swarms: a monologue\n\nWhat is it like?\n\nJS: {body}\n", encoding="utf-8")
    return path


def _script_5mb(path: Path) -> Path:
    answer = "JS: " + "We build robots the size of a grain of sand, and they talk to each other. " * 6
    block = f"\n\nWhat are you working on now?\n\n{answer}\n\nRK: And I make them talk.\n"
    path.write_text("Tiny robots: a very long talk\n" + block * (5_000_000 // len(block) + 1), encoding="utf-8")
    return path


BAD_SCRIPTS = {
    "missing": (lambda d: d / "nope.txt", "no such file; check the path"),
    "directory": (lambda d: _folder(d / "empty-folder"), "is a directory, not a script"),
    "empty": (lambda d: write(d / "empty.txt", b""), "is empty"),
    "whitespace": (lambda d: write(d / "blank.txt", " \n\n\t \r\n \f\n"), "only blank lines"),
    "binary": (lambda d: _png(d / "photo.txt"), "looks like a binary file"),
    "5 MB": (lambda d: _script_5mb(d / "huge.txt"), "scripts are limited to 1 MiB"),
    "200 KB paragraph": (lambda d: _paragraph_200k(d / "monologue.txt"), "too long to voice as one"),
}


@pytest.mark.parametrize("kind", BAD_SCRIPTS)
def test_bad_script_is_one_line_and_nothing_is_written(kind, project, tone_cast, cache_dir):
    make, says = BAD_SCRIPTS[kind]
    script = make(project / "scripts")
    started = time.monotonic()
    where = f"{script}:5" if kind == "200 KB paragraph" else script  # the paragraph's line
    # a folder is a folder of scripts to render (test_publish.py), and this one holds none
    fails(render_tone(script, tone_cast), 3, where, "holds no scripts" if kind == "directory" else says)
    fails(run("split", script), 3, where, says)
    assert time.monotonic() - started < 20  # refused at once, not after reading it for a minute
    assert not (project / "dist").exists()
    assert not cache_dir.exists() or cache_entries(cache_dir) == 0


def test_long_paragraph_is_refused_at_once_in_bounded_memory(project, tone_cast, cache_dir):
    # Voiced, one 200 KB paragraph is 3 hours of audio in one piece: it took more than
    # 4.5 GB and more than two minutes before the limit in script.py.
    script = _paragraph_200k(project / "scripts" / "monologue.txt")
    command = [sys.executable, "-m", "audio", "render", str(script), "--engine", "tone", "--cast", str(tone_cast), "-q"]
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read()
    one_error(process.returncode, stderr, 3, f"{script}:5", "200,000 characters")
    assert usage.ru_maxrss < 400_000, f"{usage.ru_maxrss / 1000:.0f} MB"  # kB on Linux
    assert seconds < 20


def test_script_just_under_the_size_limit_splits_quickly(project):
    # The splitter is linear: 1 MiB of interview (about 18 hours) splits in seconds.
    # (The table view, `split` without --json, is slower: see the report on issue 8.)
    script = _script_5mb(project / "scripts" / "big.txt")
    script.write_bytes(script.read_bytes()[: 1024 * 1024 - 1000])
    started = time.monotonic()
    result = run("split", script, "--json")
    succeeds(result)
    assert len(json.loads(result.stdout)["chapters"][0]["segments"]) > 3000
    assert time.monotonic() - started < 30


def test_cp1252_script_renders_with_one_warning(project, tiny, tone_cast):
    text = TWO_GUESTS.replace("'Small is the new big'", "\u2018Small is the new big\u2019").replace(
        "grain of sand", "grain of sand, en passant \u00e0 la caf\u00e9"
    )
    tiny.write_bytes(text.encode("cp1252"))
    result = render_tone(tiny, tone_cast)
    succeeds(result)
    assert result.stderr.strip().splitlines() == [f"warning: {tiny} is not UTF-8; read it as Windows-1252 (cp1252)"]
    manifest = json.loads((project / "dist" / "tiny.json").read_text(encoding="utf-8"))
    assert manifest["title"] == "Tiny robots: \u2018Small is the new big\u2019"
    assert any("caf\u00e9" in s["text"] for s in manifest["segments"])


def test_script_of_headings_only_is_refused(project, tone_cast):
    # The first line is the title; headings with nothing under them are reported as not
    # voiced (split shows it); a render of a title alone is refused (issue 14).
    script = project / "scripts" / "heads.txt"
    script.write_text("Title\n\nHeading one\n\nHeading two\n", encoding="utf-8")
    split = run("split", script, "--json")
    succeeds(split)
    assert json.loads(split.stdout)["not_spoken"] == [
        {"text": "Heading one", "reason": "heading of an empty section"},
        {"text": "Heading two", "reason": "heading of an empty section"},
    ]
    fails(render_tone(script, tone_cast), 3, script, "has only a title and headings, nothing under them")
    assert not (project / "dist").exists()


@pytest.fixture()
def unknown_speaker(project, tiny, tone_cast) -> tuple[Path, Path]:
    """The two-guest script with a `ZZ:` paragraph, and a cast that names every other guest."""
    tiny.write_text(TWO_GUESTS.replace("\nShare", "\nZZ: Hello from nowhere.\n\nShare"), encoding="utf-8")
    cast = project / "voices" / "named.toml"
    cast.write_text(TONE_CAST + '[voices.JS]\nvoice = "tone"\npitch = 40\n[voices.RK]\nvoice = "tone"\npitch = 60\n')
    return tiny, cast


def test_unknown_speaker_is_voiced_from_the_pool(project, unknown_speaker):
    script, cast = unknown_speaker
    succeeds(render_tone(script, cast))
    manifest = json.loads((project / "dist" / "tiny.json").read_text(encoding="utf-8"))
    voices = {s["speaker"]: s["voice"] for s in manifest["segments"]}
    assert voices["ZZ"]["name"] == "tone"
    assert voices["ZZ"] not in [voices[s] for s in ("narrator", "interviewer", "JS", "RK")]


def test_unknown_speaker_is_named_in_a_warning(project, unknown_speaker):
    script, cast = unknown_speaker
    result = render_tone(script, cast)
    succeeds(result)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert any("ZZ" in line for line in warnings), result.stderr


# -- cast and lexicon ------------------------------------------------------------------

BAD_CASTS = {
    "malformed TOML": ("tiny.toml", '[voices.JS\nvoice = "en-US"\n', "is not valid TOML"),
    "unknown table": ("tiny.toml", '[voice.JS]\nvoice = "en-US"\n', "unknown table or key 'voice'"),
    "unknown key": ("tiny.toml", '[voices.JS]\nvoice = "en-US"\nspeed = 3\n', "unknown key 'speed' in [voices.JS]"),
    "unknown pause": ("tiny.toml", "[pauses]\nbreath = 300\n", "unknown key 'breath' in [pauses]"),
    "unknown voice": ("tiny.toml", '[voices.JS]\nvoice = "en-us-nycc"\n', "unknown voice 'en-us-nycc'"),
    "unknown variant": ("tiny.toml", '[voices.JS]\nvoice = "en-US"\nvariant = "zz9"\n', "unknown variant 'zz9'"),
    "rate out of range": ("tiny.toml", "[voices.interviewer]\nrate = 900\n", "rate 900 is out of range"),
    "pitch out of range": ("tiny.toml", "[voices.interviewer]\npitch = -5\n", "pitch -5 is out of range"),
    "rate not a number": ("tiny.toml", '[voices.interviewer]\nrate = "fast"\n', "rate must be a whole number of words"),
    "rate a fraction": ("tiny.toml", "[voices.interviewer]\nrate = 165.7\n", "rate must be a whole number of words"),
    "rate a huge float": ("tiny.toml", "[voices.interviewer]\nrate = 1e9\n", "rate must be a whole number of words"),
    "pause negative": ("tiny.toml", "[pauses]\nparagraph = -500\n", "[pauses] paragraph must be from 0 to 10000"),
    "pause a word": ("tiny.toml", '[pauses]\nspeaker = "long"\n', "[pauses] speaker must be a whole number of ms"),
    "pause endless": ("tiny.toml", "[pauses]\nchapter = 1e300\n", "[pauses] chapter must be a whole number of ms"),
    "target a word": ("tiny.toml", '[loudness]\ntarget = "loud"\n', "[loudness] target must be a number of LUFS"),
    "target too loud": ("tiny.toml", "[loudness]\ntarget = 50\n", "[loudness] target must be from -30 to -10 LUFS"),
    "peak above 0": ("tiny.toml", "[loudness]\ntrue_peak = 10\n", "[loudness] true_peak must be from -9 to 0 dBTP"),
    "language a word": ("tiny.toml", '[show]\nlanguage = "english"\n', "[show] language must be an ISO 639"),
    "language a number": ("tiny.toml", "[show]\nlanguage = 5\n", "[show] language must be a string"),
    "show name a number": ("tiny.toml", "[show]\nname = 42\n", "[show] name must be a string"),
    "lexicon malformed": ("lexicon.toml", '[words]\nXu = "Shoo\n', "is not valid TOML"),
    "lexicon empty entry": ("lexicon.toml", '[words]\nXu = ""\n', "entry 'Xu' is empty"),
    "lexicon recursive entry": ("lexicon.toml", '[words]\nsand = "grains of sand"\n', "entry 'sand' is recursive"),
    "lexicon not text": ("lexicon.toml", "[words]\nXu = 3\n", "entry 'Xu' must be a string"),
}


@pytest.mark.cold  # counts what it synthesizes
@pytest.mark.espeak
@pytest.mark.parametrize("kind", BAD_CASTS)
def test_bad_cast_or_lexicon_is_one_line_before_any_synthesis(kind, project, tiny, cache_dir):
    name, text, says = BAD_CASTS[kind]
    bad = project / "voices" / name
    bad.write_text(text, encoding="utf-8")
    fails(run("render", tiny, "--quiet"), 4, bad, says)
    assert not (project / "dist").exists()
    assert not cache_dir.exists() or cache_entries(cache_dir) == 0


def test_missing_cast_file(project, tiny):
    missing = project / "voices" / "studio.toml"
    fails(run("render", tiny, "--cast", missing, "--quiet"), 4, missing, "no such cast file")


# -- output ----------------------------------------------------------------------------


def test_output_folder_that_is_a_file(project, tiny, tone_cast):
    (project / "dist").write_text("not a folder\n")
    fails(render_tone(tiny, tone_cast), 8, project / "dist", "is a file, not a folder")
    assert (project / "dist").read_text() == "not a folder\n"


def test_output_that_is_not_an_mp3(project, tiny, tone_cast):
    fails(render_tone(tiny, tone_cast, "--out", project / "tiny.wav"), 8, project / "tiny.wav", "must be an .mp3 file")


def test_output_in_a_folder_that_does_not_exist_is_created(project, tiny, tone_cast):
    # Decision: like `mkdir -p`, as README's `--out dist/ep12.mp3` suggests.
    out = project / "new" / "deeper" / "ep.mp3"
    result = render_tone(tiny, tone_cast, "--out", out)
    succeeds(result)
    assert sorted(p.name for p in out.parent.iterdir() if not p.name.startswith(".")) == sorted(
        ["ep.mp3", "ep.vtt", "ep.srt", "ep.chapters.json", "ep.transcript.json", "ep.json", "ep.html"]
    )
    assert not list(out.parent.glob("*.part"))


def test_read_only_output_folder(project, tiny, tone_cast, previous):
    dist = project / "dist"
    with mounted_tmpfs(project / "ro", "1m") as folder:
        for name, data in previous.items():
            (folder / name).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        out = folder / "tiny.mp3"
        line = fails(render_tone(tiny, tone_cast, "--out", out), 8, out, "cannot write to")
        assert "Read-only file system" in line
        assert files(folder) == previous
    assert files(dist) == previous


def test_full_disk_fails_with_exit_8_and_leaves_the_previous_episode(project, tiny, tone_cast, previous):
    # Room for the previous episode and a third of the new MP3: it runs out while the MP3 is written.
    size = sum(len(data) + 4096 for data in previous.values()) + len(previous["tiny.mp3"]) // 3
    with mounted_tmpfs(project / "full", f"{size // 1024}k") as folder:
        for name, data in previous.items():
            (folder / name).write_bytes(data)
        out = folder / "tiny.mp3"
        fails(render_tone(tiny, tone_cast, "--out", out), 8, folder, "no space left on the device")
        assert files(folder) == previous  # byte for byte, and no temporary file behind


def test_full_disk_while_writing_the_transcript(project, tiny, tone_cast, previous, monkeypatch):
    # Which step finds the disk full depends on sizes; here the first file beside the MP3 does.
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.endswith(".part"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    result = render_tone(tiny, tone_cast)
    monkeypatch.undo()
    fails(result, 8, project / "dist" / "tiny.vtt", "no space left on the device")
    assert files(project / "dist") == previous


def test_read_only_target_is_not_replaced(project, tiny, tone_cast, previous):
    mp3 = project / "dist" / "tiny.mp3"
    mp3.chmod(0o444)
    fails(render_tone(tiny, tone_cast), 8, mp3, "read-only")
    assert files(project / "dist") == previous


def test_immutable_target_leaves_the_episode_whole(project, tiny, tone_cast, previous):
    mp3 = project / "dist" / "tiny.mp3"
    chattr = shutil.which("chattr")
    if not chattr or subprocess.run([chattr, "+i", str(mp3)], capture_output=True, check=False).returncode:
        pytest.skip("chattr +i is not available here (needs root and ext4 or similar)")
    try:
        fails(render_tone(tiny, tone_cast), 8, mp3, "cannot replace")
        after = files(project / "dist")
    finally:
        subprocess.run([chattr, "-i", str(mp3)], check=True)
    assert after == previous


# -- interruptions: Ctrl-C and kill -9 in the middle of a real espeak-ng render -------------

LONG = """\
Interview
Published: 3 April 2024

Machines that listen: a long conversation

Two engineers talk about speech, memory and the quiet work of making computers hear.

How did you start working on speech?

Jane Smith (JS): It began with a broken radio in my grandmother's kitchen. I took it apart, put it back \
together, and it worked better than before. From then on I wanted to know how sound becomes meaning.

RK: For me it was the opposite. I was a programmer who hated meetings, and I wanted a computer to take \
notes for me. That turned out to be much harder than I thought, and twenty years later I am still at it.

First steps

What was the hardest problem at the beginning?

JS: Noise, always noise. A quiet lab is nothing like a train station or a kitchen with the radio on. We \
spent years teaching models that a clatter of plates is not a word.

RK: And accents. Every model we trained worked well for the people who built it and badly for everybody \
else. We had to record hundreds of voices before the results were fair.

What surprised you most?

RK: How much people forgive a machine that admits it is unsure. When the system says it did not catch a \
name and asks for it again, people are patient; when it guesses wrong with confidence, they stop trusting \
it at once, and they do not come back.

And you?

JS: How quickly children adapt. They talk to the machine the way they talk to a dog, slowly and kindly, \
and it understands them better than it understands their parents, who shout at it as if it were deaf.

Looking ahead

What comes next?

RK: Smaller models that run on the device, without sending your voice anywhere. Privacy is not a feature \
you add at the end; it has to be there from the first line of code.

JS: And patience. The best systems will wait, listen, and ask again when they are not sure, the way a \
good colleague does. They will also forget on purpose: what you said in the kitchen last spring is \
nobody's business, and a machine that keeps it forever is not a helper but a witness.

What would you tell a student starting today?

JS: Record your own voice, every day, in every room you can find. Listen to what the machine gets wrong \
and ask why. The answers are rarely in the model; they are in the room and the microphone.

Share
"""


@pytest.fixture(scope="module")
def kill_base(tmp_path_factory, warm_cache) -> dict:
    """A project whose dist/ep.mp3 is the two-guest episode (the previous one), and a warm cache
    for the longer script (several segments, synthesized side by side by the speech server's children)."""
    base = make_project(tmp_path_factory.mktemp("kill"), {"tiny.txt": TWO_GUESTS, "long.txt": LONG})
    shutil.copytree(warm_cache, base / "cache-tiny")  # the two-guest episode's speech: its render only encodes
    env = {**os.environ, "PODCAST_CACHE_DIR": str(base / "cache-tiny")}
    done = podcast("render", "scripts/tiny.txt", "--out", "dist/ep.mp3", "-q", cwd=base, env=env)
    assert done.returncode == 0, done.stderr
    env["PODCAST_CACHE_DIR"] = str(base / "cache-warm")
    done = podcast("render", "scripts/long.txt", "--out", "scratch/ep.mp3", "-q", cwd=base, env=env)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(base / "scratch")
    readings = [p.stem for p in (base / "cache-warm").glob("??/*.json") if "measured_for" in p.read_text()]
    total = cache_entries(base / "cache-warm")
    return {"root": base, "segments": total, "readings": readings, "spoken": total - len(readings)}


def _copy_project(kill_base: dict, tmp_path: Path, warm: bool) -> tuple[Path, dict]:
    root = tmp_path / "show"
    shutil.copytree(kill_base["root"], root, ignore=shutil.ignore_patterns("cache-*"))
    cache, warmed = root / "cache", kill_base["root"] / "cache-warm"
    if warm:  # every segment spoken and measured; its encoded parts gone, so that it encodes
        shutil.copytree(warmed, cache, ignore=shutil.ignore_patterns("parts"))
    else:  # the voices' readings alone: the segments are all synthesized
        for key in kill_base["readings"]:
            (cache / key[:2]).mkdir(parents=True, exist_ok=True)
            for suffix in (".wav", ".json"):
                shutil.copy2(warmed / key[:2] / f"{key}{suffix}", cache / key[:2] / f"{key}{suffix}")
    return root, {**os.environ, "PODCAST_CACHE_DIR": str(cache)}


def _start_stopped(root: Path, env: dict, log: Path, moment: str) -> subprocess.Popen:
    """The render of the longer script over the previous episode, stopped at `moment` (see `audio.hooks`).

    Output goes to files, not pipes: after kill -9, the speech server may outlive the
    render for a moment and would hold a pipe open.
    """
    command = [sys.executable, "-m", "audio", "render", "scripts/long.txt", "--out", "dist/ep.mp3", "-q"]
    return start_stopped(command, moment, root, env, log)


def _end_session(process: subprocess.Popen) -> None:
    """Kill whatever the render left running in its session (the speech server, ffmpeg)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# Moments of a render, where it stops itself for the signal (`audio.hooks`): with a cache
# that holds only the voices' readings, after the first, half or all of its segments are
# synthesized; with a warm cache, as its parts are encoded, before the episode is written
# beside the previous one.
MOMENTS = {
    "first segment synthesized": (False, lambda n: "synthesized 1"),
    "half the segments synthesized": (False, lambda n: f"synthesized {n // 2}"),
    "all segments synthesized": (False, lambda n: f"synthesized {n}"),
    "encoding the episode": (True, lambda n: "encoding"),
    "writing a segment to the cache": (False, lambda n: "writing .wav"),
}
KILLS = [
    ("SIGINT", "first segment synthesized"),
    ("SIGINT", "all segments synthesized"),
    ("SIGINT", "encoding the episode"),
    ("SIGKILL", "half the segments synthesized"),
    ("SIGKILL", "all segments synthesized"),
    ("SIGKILL", "encoding the episode"),
    ("SIGKILL", "writing a segment to the cache"),
]


@pytest.mark.espeak
@pytest.mark.slow
@pytest.mark.parametrize(("sig", "moment"), KILLS, ids=[f"{s}-{m.replace(' ', '-')}" for s, m in KILLS])
def test_interrupted_render_loses_nothing(sig, moment, kill_base, tmp_path):
    warm, hook = MOMENTS[moment]
    root, env = _copy_project(kill_base, tmp_path, warm=warm)
    dist = root / "dist"
    before = files(dist)
    process = _start_stopped(root, env, tmp_path / "render", hook(kill_base["spoken"]))
    code = resume(process, getattr(signal, sig))
    _end_session(process)
    stderr = (tmp_path / "render.err").read_text()

    after = files(dist)
    assert {name: after.get(name) for name in before} == before, "the previous episode changed"
    left = sorted(set(after) - set(before))
    if sig == "SIGINT":
        one_error(code, stderr, 130, None, "error: interrupted")
        assert left == []
    else:
        assert code == -signal.SIGKILL
        # Temporary files may stay, but hidden and named .part: never taken for an episode.
        assert all(name.startswith(".") and name.endswith(".part") for name in left), left
    entries = cache_entries(root / "cache")
    # Writes a kill cut short are not counted as entries either.
    assert f": {entries} entries" in run("cache", "--cache-dir", root / "cache").stdout

    again = podcast("render", "scripts/long.txt", "--out", "dist/ep.mp3", "-q", cwd=root, env=env)
    assert again.returncode == 0, again.stderr
    assert files(dist)["ep.mp3"] != before["ep.mp3"]
    assert cache_entries(root / "cache") == kill_base["segments"]
    # The next render of the episode swept what the killed one left beside it.
    assert not [name for name in files(dist) if name.endswith((".part", ".previous"))]


@pytest.mark.espeak
@pytest.mark.slow
@pytest.mark.parametrize(
    "moment",
    [
        "importing",  # while the tool is imported
        "parsed",  # before a command handles it: typer turns such a Ctrl-C into exit code 130 without a word
    ],
)
def test_ctrl_c_while_starting_is_one_line(moment, kill_base, tmp_path):
    root, env = _copy_project(kill_base, tmp_path, warm=True)
    before = files(root / "dist")
    process = _start_stopped(root, env, tmp_path / "render", moment)
    code = resume(process, signal.SIGINT)
    _end_session(process)
    assert files(root / "dist") == before
    one_error(code, (tmp_path / "render.err").read_text(), 130, None, "error: interrupted")


@pytest.mark.espeak
@pytest.mark.slow
def test_workers_end_with_a_killed_render(kill_base, tmp_path):
    root, env = _copy_project(kill_base, tmp_path, warm=False)
    process = _start_stopped(root, env, tmp_path / "render", "synthesized 1")  # the speech server is at work
    try:
        resume(process, signal.SIGKILL)
        deadline, left = time.monotonic() + 10, ["?"]
        while left and time.monotonic() < deadline:  # the server sees its client gone and ends, with its children
            time.sleep(0.05)
            pgrep = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True, check=False)
            left = pgrep.stdout.split()
    finally:
        _end_session(process)
    assert left == [], f"{len(left)} processes of the killed render still run"


def test_ctrl_c_while_committing_keeps_the_episode_whole(project, tiny, tone_cast, previous, monkeypatch):
    import audio.atomic

    real = os.replace
    calls = []

    def replace_with_ctrl_c(source, target):
        if Path(target).parent == project / "dist":
            calls.append(target)
        if len(calls) == 2 and Path(target).parent == project / "dist":  # a real Ctrl-C, between two renames
            os.kill(os.getpid(), signal.SIGINT)
        real(source, target)

    monkeypatch.setattr(audio.atomic.os, "replace", replace_with_ctrl_c)
    result = render_tone(tiny, tone_cast)
    monkeypatch.undo()
    fails(result, 130, None, "error: interrupted")
    # Ctrl-C waits for the last rename: the episode is the new one, whole, not half of each.
    after = files(project / "dist")
    assert set(after) == set(previous)
    unchanged = [name for name in previous if not name.startswith(".") and after[name] == previous[name]]
    assert unchanged == [], unchanged


# -- two renders of one episode ----------------------------------------------------------


def test_render_while_another_holds_the_episode(project, tiny, tone_cast, previous):
    lock = project / "dist" / ".tiny.mp3.lock"  # render.locked()
    with open(lock, "a+") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = render_tone(tiny, tone_cast)
    fails(result, 9, project / "dist" / "tiny.mp3", "another render of this episode is running")
    assert files(project / "dist") == previous
    succeeds(render_tone(tiny, tone_cast))  # once it is done, the next one goes ahead


def test_two_renders_of_one_script_at_once(project, tone_cast, cache_dir):
    script = project / "scripts" / "long.txt"
    script.write_text(LONG, encoding="utf-8")
    command = [sys.executable, "-m", "audio", "render", str(script), "--engine", "tone", "--cast", str(tone_cast), "-q"]
    both = [
        subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in both]
    codes = sorted(code for code, _, _ in results)
    # One succeeds; the other refuses with exit 9 when they overlap (as they do here: the lock is
    # taken for assembly only, after synthesis), or goes ahead once the first is done (both 0).
    assert codes in ([0, 0], [0, 9]), results
    for code, _, stderr in results:
        if code == 9:
            one_error(code, stderr, 9, project / "dist" / "long.mp3", "another render of this episode is running")
    dist = project / "dist"
    assert not [p for p in dist.iterdir() if p.name.endswith(".part")]
    manifest = json.loads((dist / "long.json").read_text(encoding="utf-8"))
    assert [c["title"] for c in manifest["chapters"]] == ["Introduction", "First steps", "Looking ahead"]
    chapters = run("chapters", dist / "long.mp3", "--json")
    succeeds(chapters)
    assert [c["title"] for c in json.loads(chapters.stdout)] == [c["title"] for c in manifest["chapters"]]


# -- the segment cache --------------------------------------------------------------------


def _rewrite_wav(path: Path, rate: int) -> None:
    with wave.open(str(path), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)


def _without(key: str):
    def drop(path: Path) -> None:
        info = json.loads(path.read_text())
        del info[key]
        path.write_text(json.dumps(info))

    return drop


DAMAGE = {
    "truncated WAV": ("wav", lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    "zero-byte WAV": ("wav", lambda p: p.write_bytes(b"")),
    "WAV header only": ("wav", lambda p: p.write_bytes(p.read_bytes()[:44])),
    "WAV at another rate": ("wav", lambda p: _rewrite_wav(p, 44100)),
    "measurement without speech bounds": ("json", _without("speech")),
    "measurement without length": ("json", _without("samples")),
    "empty measurement": ("json", lambda p: p.write_text("{}")),
    "measurement cut short": ("json", lambda p: p.write_text(p.read_text()[:20])),
    "measurement missing": ("json", lambda p: p.unlink()),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> dict:
    """The two-guest episode rendered with tone voices: its cache and its MP3, to compare with."""
    folder = make_project(tmp_path_factory.mktemp("pristine"), {"tiny.txt": TWO_GUESTS})
    (folder / "voices" / "tone.toml").write_text(TONE_CAST, encoding="utf-8")
    succeeds(render_tone(folder / "scripts" / "tiny.txt", folder / "voices" / "tone.toml", "--cache-dir", folder / "c"))
    manifest = json.loads((folder / "dist" / "tiny.json").read_text())
    return {"cache": folder / "c", "mp3": (folder / "dist" / "tiny.mp3").read_bytes(), "manifest": manifest}


@pytest.mark.parametrize("kind", DAMAGE)
def test_damaged_or_old_cache_entry_is_synthesized_again(kind, pristine, project, tiny, tone_cast, cache_dir):
    shutil.copytree(pristine["cache"], cache_dir)
    key = next(s["cache_key"] for s in pristine["manifest"]["segments"] if s["speaker"] == "JS")
    suffix, damage = DAMAGE[kind]
    damage(cache_dir / key[:2] / f"{key}.{suffix}")
    result = render_tone(tiny, tone_cast)
    succeeds(result)
    assert result.stderr == "" or all(line.startswith("warning: cache entry") for line in result.stderr.splitlines())
    segments = pristine["manifest"]["segments"]
    voices = {json.dumps(s["voice"], sort_keys=True) for s in segments}  # each reads the calibration text once
    assert cache_entries(cache_dir) == len({s["cache_key"] for s in segments}) + len(voices)
    with wave.open(str(cache_dir / key[:2] / f"{key}.wav")) as wav:
        assert wav.getframerate() == 22050
    assert (project / "dist" / "tiny.mp3").read_bytes() == pristine["mp3"]  # the same episode, to the byte


# -- reading episodes: what test_listen.py's BAD_FILES does not cover ------------------------


def _untagged(mp3: Path, folder: Path) -> Path:
    data = mp3.read_bytes()
    assert data[:3] == b"ID3"
    size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
    target = folder / "untagged.mp3"
    target.write_bytes(data[10 + size :])
    return target


BAD_EPISODES = {
    "text named .mp3": (lambda mp3, d: write(d / "notes.mp3", "Episode 12 notes\n"), "is not an MP3 file"),
    "no tags": (_untagged, "has no chapters (no ID3 tag)"),
    "cut at 60%": (lambda mp3, d: write(d / "cut.mp3", mp3.read_bytes()[: len(mp3.read_bytes()) * 6 // 10]),
                   "is truncated"),
}


@pytest.mark.parametrize("kind", BAD_EPISODES)
def test_extract_from_a_bad_episode_is_one_line(kind, pristine, tmp_path):
    mp3 = tmp_path / "tiny.mp3"
    mp3.write_bytes(pristine["mp3"])
    make, says = BAD_EPISODES[kind]
    bad = make(mp3, tmp_path)
    fails(run("extract", bad, "--chapter", "1"), 7, bad, says)
    if kind == "cut at 60%":  # test_listen cuts at 2000 bytes; this cut keeps every tag and chapter frame
        fails(run("chapters", bad), 7, bad, says)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["tiny.mp3", bad.name])


def test_leftovers_of_a_killed_render_are_swept_by_the_next(project, tiny, tone_cast, previous):
    dist = project / "dist"
    (dist / ".tiny.mp3.x1y2z3.part").write_bytes(b"half an mp3")
    (dist / ".tiny.vtt.previous").write_text("WEBVTT\n")
    (dist / ".other.mp3.x1y2z3.part").write_bytes(b"another episode's")
    succeeds(render_tone(tiny, tone_cast))
    left = sorted(p.name for p in dist.iterdir() if p.name.endswith((".part", ".previous")))
    assert left == [".other.mp3.x1y2z3.part"]  # only this episode's leftovers are ours to remove
