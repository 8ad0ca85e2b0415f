"""Hostile input and odd environments (issue 20): each case runs the real command and gets one `error:` line
as the last line on stderr with its documented exit code, or the right output; nothing hangs, no input is
overwritten. Wrong types and ranges in casts (a fractional rate, a negative pause, a loudness target of 50, a
language that is no language) are in test_errors.py's BAD_CASTS."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest
from helpers import TWO_GUESTS, last_error, podcast, resume, start_stopped
from mutagen.id3 import ID3
from test_scale import repeated

from audio.speech.lexicon import Lexicon


def render_tone(project: Path, script, *more, **kw) -> subprocess.CompletedProcess:
    """`podcast render SCRIPT --engine tone --cast voices/tone.toml -q …` in the project."""
    return podcast("render", script, "--engine", "tone", "--cast", project / "voices" / "tone.toml", "-q", *more,
                   cwd=project, **kw)  # fmt: skip


def speakers(done: subprocess.CompletedProcess) -> list[tuple[str, str]]:
    split = json.loads(done.stdout)
    return [(s["speaker"], s["text"]) for c in split["chapters"] for s in c["segments"]]


# 1. invisible and compatibility characters in tags


def test_invisible_characters_do_not_hide_a_tag(project):
    script = project / "scripts" / "hidden.txt"
    script.write_text(
        "A title\n\nWhat is it?\n\nH\u200bU: One answer.\n\nAnd you?\n\nFX\u200d: Another answer.\n\n"
        "\ufeffHU: A third.\n\nWhy?\n\n\uff26\uff38\uff1a Full width.\n",
        encoding="utf-8",
    )
    done = podcast("split", script, "--json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert speakers(done)[2:] == [("HU", "One answer."), ("interviewer", "And you?"), ("FX", "Another answer."),
                                  ("HU", "A third."), ("interviewer", "Why?"), ("FX", "Full width.")]  # fmt: skip


# 2. usage errors


@pytest.mark.parametrize(
    "args, says",
    [
        (["render", "-x.txt"], "no such option '-x' (for a file whose name starts with a dash, write ./-x.txt"),
        (["revoice", "abc123", "--rate", "fast"], "invalid value for '--rate': 'fast' is not a valid integer"),
        (["revoice", "abc123", "--rate", "165.7"], "invalid value for '--rate': '165.7' is not a valid integer"),
        (["bogus"], "no such command 'bogus'"),
    ],
)
def test_usage_errors_are_one_line(args, says, project):
    line = last_error(podcast(*args, cwd=project), 2)
    assert says in line and "--help" in line


# 3. a FIFO, a pipe, standard input: the script is read once


def test_a_fifo_with_a_writer_renders(project, tone_cast):
    fifo = project / "scripts" / "fifo.txt"
    os.mkfifo(fifo)
    writer = threading.Thread(target=fifo.write_text, args=(TWO_GUESTS,), daemon=True)
    writer.start()
    done = render_tone(project, fifo, "--out", project / "dist" / "fifo.mp3", timeout=60)
    assert done.returncode == 0, done.stderr
    assert (project / "dist" / "fifo.mp3").stat().st_size > 0


def test_standard_input_is_a_script(project, tone_cast):
    done = render_tone(project, "-", input=TWO_GUESTS)
    assert done.returncode == 0, done.stderr
    assert json.loads((project / "dist" / "stdin.json").read_text())["title"].startswith("Tiny robots")
    pipeline = f"cat '{project / 'scripts' / 'tiny.txt'}' | {_podcast()} split /dev/stdin --json"
    piped = subprocess.run(["sh", "-c", pipeline], cwd=project, capture_output=True, text=True, check=False)
    assert piped.returncode == 0, piped.stderr
    assert ("JS", "We build robots the size of a grain of sand.") in speakers(piped)
    (project / "dist" / "stdin.mp3").unlink()
    named = render_tone(project, "/dev/stdin", input=TWO_GUESTS.replace("Tiny", "Named"))  # as `<(cat script)`
    assert named.returncode == 0, named.stderr
    assert json.loads((project / "dist" / "stdin.json").read_text())["title"].startswith("Named robots")


def _podcast() -> str:
    import sys

    return f"'{sys.executable}' -m audio"


# 4. a loop of symbolic links


def test_a_symlink_loop_is_one_line(project):
    (project / "scripts" / "a.txt").symlink_to("b.txt")
    (project / "scripts" / "b.txt").symlink_to("a.txt")
    for command in ("render", "split"):
        assert "is a loop of symbolic links" in last_error(podcast(command, "scripts/a.txt", cwd=project), 3)


# 6. the cover


def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "make, says",
    [
        (lambda p: Path("/dev/zero"), "is not a regular file"),
        (lambda p: _write(p / "huge.png", b"\x89PNG\r\n\x1a\n" + bytes(17 * 2**20)), "at most 16 MiB"),
        (lambda p: _write(p / "bad.png", b"\x89PNG\r\n\x1a\n" + os.urandom(100)), "not a readable PNG"),
        (lambda p: _fifo(p / "fifo.png"), "is not a regular file"),
    ],
    ids=["/dev/zero", "17 MiB", "garbage after a PNG signature", "a FIFO"],
)
def test_a_bad_cover_is_refused_before_any_work(make, says, project, tone_cast, cache_dir):
    cover = make(project)
    line = last_error(render_tone(project, "scripts/tiny.txt", "--cover", cover, timeout=60), 4)
    assert says in line
    assert not (project / "dist").exists() and not cache_dir.exists()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_a_cover_directories_would_refuse_is_embedded_with_a_warning(project, tone_cast):
    cover = _write(project / "wide.png", _png(40, 20))
    done = render_tone(project, "scripts/tiny.txt", "--cover", cover)
    assert done.returncode == 0, done.stderr
    assert "the cover is 40×20 px; podcast directories want a square of 1400 to 3000 px" in done.stderr
    assert ID3(str(project / "dist" / "tiny.mp3")).getall("APIC")[0].data == cover.read_bytes()


# 8. the language


@pytest.mark.parametrize("given, tagged", [("de", "ger"), ("en-US", "eng"), ("fra", "fre"), ("haw", "haw")])
def test_language_codes_of_both_kinds_become_the_tag(given, tagged, project, tone_cast):
    (project / "voices" / "tone.toml").write_text(tone_cast.read_text() + f'\n[show]\nlanguage = "{given}"\n')
    done = render_tone(project, "scripts/tiny.txt")
    assert done.returncode == 0, done.stderr
    assert str(ID3(str(project / "dist" / "tiny.mp3"))["TLAN"]) == tagged


# 9. a dotted capital I


def test_a_lexicon_entry_matches_a_dotted_capital_i(project, tone_cast):
    assert Lexicon({"istanbul": "is tan bool"}).apply("İstanbul, ISTANBUL") == "is tan bool, is tan bool"
    (project / "voices" / "lexicon.toml").write_text('[words]\nistanbul = "is tan bool"\n', encoding="utf-8")
    script = project / "scripts" / "city.txt"
    script.write_text("A city\n\nWhere?\n\nJS: In İstanbul, mostly.\n", encoding="utf-8")
    done = render_tone(project, script)
    assert done.returncode == 0, done.stderr
    # the respelling reached the engine: the tone engine gives every word 250 ms, "is tan bool" has two more
    spoken = json.loads((project / "dist" / "city.json").read_text())["segments"][-1]
    (project / "voices" / "lexicon.toml").write_text("[words]\n", encoding="utf-8")
    assert render_tone(project, script, "--out", "dist/plain.mp3").returncode == 0
    plain = json.loads((project / "dist" / "plain.json").read_text())["segments"][-1]
    assert 0.45 < (spoken["end"] - spoken["start"]) - (plain["end"] - plain["start"]) < 0.7  # frames round up


# 10. an output that is one of the inputs


@pytest.mark.parametrize("script_name", ["ep.mp3", "ep.json", "ep.vtt"])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(script_name, project, tone_cast):
    script = project / "scripts" / script_name
    script.write_text(TWO_GUESTS, encoding="utf-8")
    line = last_error(render_tone(project, script, "--out", project / "scripts" / "ep.mp3"), 8)
    assert "which the render reads; choose another --out" in line
    assert script.read_text(encoding="utf-8") == TWO_GUESTS


def test_an_output_that_links_to_the_script_is_refused(project, tone_cast):
    script = project / "scripts" / "ep.txt"
    script.write_text(TWO_GUESTS, encoding="utf-8")
    (project / "scripts" / "link.mp3").symlink_to("ep.txt")
    line = last_error(render_tone(project, script, "--out", project / "scripts" / "link.mp3"), 8)
    assert "would overwrite" in line and script.read_text(encoding="utf-8") == TWO_GUESTS


def test_an_output_that_is_the_cast_is_refused(project, tone_cast):
    link = project / "dist" / "tiny.json"
    link.parent.mkdir()
    link.hardlink_to(tone_cast)  # the same file under the manifest's name
    before = tone_cast.read_bytes()
    assert "which the render reads" in last_error(render_tone(project, "scripts/tiny.txt"), 8)
    assert tone_cast.read_bytes() == before


# 11. long output names


@pytest.mark.parametrize("out", ["x" * 244 + ".mp3", "/".join(["y" * 200] * 25) + "/ep.mp3"], ids=["name", "path"])
def test_a_long_output_name_is_one_line(out, project, tone_cast):
    line = last_error(render_tone(project, "scripts/tiny.txt", "--out", out), 8)
    assert len(line) < 400


# 12. a player that cannot play


def test_a_player_without_an_audio_device_fails_with_one_line(project, tone_cast, tmp_path):
    assert render_tone(project, "scripts/tiny.txt").returncode == 0
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ffplay"  # ffplay as it behaves without a sound card (no ffplay here to run)
    fake.write_text("#!/bin/sh\necho 'ffplay version n9 Copyright (c) the FFmpeg developers' >&2\n"
                    "echo 'SDL_OpenAudio (2 channels, 44100 Hz): ALSA: Couldn'\"'\"'t open audio device' >&2\n"
                    "echo 'No more combinations to try, audio open failed' >&2\nexit 0\n")  # fmt: skip
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = podcast("play", "dist/tiny.mp3", cwd=project, env=env)
    assert "no audio device" in last_error(done, 6)
    assert "Copyright" not in done.stderr  # the player's banner is not shown (only with --debug)


# 13. the cache folder


def test_a_cache_folder_that_is_a_file_is_one_line(project, tmp_path):
    a_file = _write(tmp_path / "cache-file", b"")
    for args in (["cache"], ["cache", "--clear"]):
        assert "is a file, not a folder" in last_error(podcast(*args, "--cache-dir", a_file, cwd=project), 8)
    home = {"HOME": "/dev/null", "XDG_CACHE_HOME": "", "PODCAST_CACHE_DIR": ""}
    assert "/dev/null: is a file, not a folder" in last_error(podcast("cache", "--clear", cwd=project, env=home), 8)
    doctor = podcast("doctor", cwd=project, env=home)
    assert "cache: /dev/null/.cache/podcast (NOT USABLE" in doctor.stdout


def test_a_cache_that_cannot_be_cleared_is_one_line(project, tone_cast, cache_dir):
    assert render_tone(project, "scripts/tiny.txt").returncode == 0
    entry = next(cache_dir.glob("??/*.wav"))
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", entry], check=False).returncode:
        pytest.skip("cannot make a file immutable here (chattr, root)")
    try:
        line = last_error(podcast("cache", "--clear", "--cache-dir", cache_dir, cwd=project), 8)
    finally:
        subprocess.run(["chattr", "-i", entry], check=True)
    assert "cannot be deleted" in line and "left in the cache" in line


# 14. a terminal that shows ASCII alone


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "POSIX", "PYTHONUTF8": "0"}])
def test_an_ascii_terminal_gets_question_marks_not_a_crash(env, project, tone_cast):
    script = project / "scripts" / "accents.txt"
    script.write_text("Café … “quoted”\n\nWhat is it?\n\nJS: Déjà vu — twice.\n", encoding="utf-8")
    for done in (podcast("split", script, cwd=project, env=env), render_tone(project, script, env=env)):
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (project / "dist" / "accents.mp3").exists()
    # what goes to a file keeps every character: the explicit script round-trips
    saved = subprocess.run([__import__("sys").executable, "-m", "audio", "split", script, "--format", "script"],
                           cwd=project, env={**os.environ, **env}, capture_output=True, check=False)  # fmt: skip
    assert "JS: Déjà vu — twice." in saved.stdout.decode("utf-8")


# 16. Ctrl-C while a long script is encoded


def test_ctrl_c_while_encoding_a_long_script_ends_at_once(project, tone_cast):
    script = project / "scripts" / "long.txt"
    script.write_text(repeated(20), encoding="utf-8")
    assert render_tone(project, script, "--out", "scratch/long.mp3").returncode == 0  # speech cached
    parts = Path(os.environ["PODCAST_CACHE_DIR"]) / "parts"
    needed = len(list(parts.glob("*.mp3")))
    shutil.rmtree(parts)  # so that it encodes again, in long runs
    command = [__import__("sys").executable, "-m", "audio", "render", script, "--engine", "tone", "--cast", tone_cast,
               "-q", "--workers", "1"]  # fmt: skip
    process = start_stopped(command, "encoding", project, dict(os.environ), project / "render")
    code = resume(process, signal.SIGINT)
    assert code == 130
    assert not (project / "dist" / "long.mp3").exists()
    # the encoders stopped: no run started after Ctrl-C (one running then may have finished, as the signal raced it),
    # where encoders that ran on would have stored every part
    stored = [p for p in parts.glob("*.mp3") if not p.name.startswith(".")]
    assert len(stored) < needed, f"the encoders ran on after Ctrl-C: {len(stored)} of {needed} parts stored"


# 17. the same bytes every time: a forced render of one episode never changes another


@pytest.mark.espeak
def test_a_forced_render_of_another_script_leaves_this_episode_as_it_was(project, cache_dir):
    first = podcast("render", "scripts/tiny.txt", "-q", cwd=project)
    assert first.returncode == 0, first.stderr
    mp3 = project / "dist" / "tiny.mp3"
    before = mp3.read_bytes()
    other = project / "scripts" / "other.txt"  # the same voices (its readings are shared), other words
    other.write_text(TWO_GUESTS.replace("grain of sand", "grain of rice"), encoding="utf-8")
    forced = podcast("render", other, "--force", "-q", cwd=project)
    assert forced.returncode == 0, forced.stderr
    mp3.unlink()  # rendered again from the cache the forced render re-made
    again = podcast("render", "scripts/tiny.txt", cwd=project)
    assert again.returncode == 0, again.stderr
    assert "encoded 0 of" in again.stderr  # every part as it was: the readings measured the same again
    assert mp3.read_bytes() == before


# Also worth fixing: a refused revoice writes nothing; --text has the segment's limit


@pytest.mark.espeak
def test_a_revoice_refused_as_busy_writes_no_override(project, cache_dir):
    import fcntl

    assert podcast("render", "scripts/tiny.txt", "-q", cwd=project).returncode == 0
    segment = json.loads((project / "dist" / "tiny.json").read_text())["segments"][3]["id"]
    with open(project / "dist" / ".tiny.mp3.lock", "a+") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = podcast("revoice", segment, "scripts/tiny.txt", "--rate", "140", cwd=project)
    assert "another render of this episode is running" in last_error(done, 9)
    assert not (project / "voices" / "tiny.toml").exists()
    long = podcast("revoice", segment, "scripts/tiny.txt", "--text", "word " * 2001, cwd=project)
    assert "--text is 10,005 characters; a segment has at most 10,000" in last_error(long, 2)


# 15. the error is the last line, after any progress


def test_the_error_is_the_last_line_after_progress(project, tone_cast, tmp_path):
    a_file = _write(tmp_path / "not-a-folder", b"")
    done = podcast("render", "scripts/tiny.txt", "--engine", "tone", "--cast", tone_cast,
                   "--cache-dir", a_file / "cache", cwd=project)  # fmt: skip
    assert "not-a-folder" in last_error(done, 8)
