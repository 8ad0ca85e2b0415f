"""Listening: chapters read back from a rendered MP3, one chapter extracted, the player found."""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from typer.testing import CliRunner

from audio.cli import app
from audio.listen import find_player, read_episode
from audio.publish.clock import clock
from audio.render import render

runner = CliRunner()
TITLE = "Tiny robots: 'Small is the new big'"
COPIED = ("TPE1", "TALB", "TDRC", "TCON", "TLAN")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """Where the module keeps the episode once it is rendered, and the segment cache it was rendered with."""
    return tmp_path_factory.mktemp("listen")


@pytest.fixture()
def episode(project, tone_cast, rendered) -> Path:
    """dist/tiny.mp3 of the two-guest script, tone engine: rendered by the first test, copied for the others."""
    target = project / "dist" / "tiny.mp3"
    kept = rendered / "tiny.mp3"
    if kept.exists():
        target.parent.mkdir()
        shutil.copy(kept, target)
    else:
        script = project / "scripts" / "tiny.txt"
        assert render(script, cast_file=tone_cast, engine_name="tone", cache_dir=rendered / "cache").output == target
        shutil.copy(target, kept)
    return target


def _fails(args: list[str], code: int, path: Path, says: str) -> str:
    """Run the command; it must fail with `code` and one line `error: PATH: …says…` on stderr."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), result.stderr
    assert says in lines[0]
    assert result.stdout == ""
    return lines[0]


def _gapless_seconds(ffprobe: str, path: Path, sample_rate: int = 44100) -> float:
    """Playing time as ffprobe decodes it: the frames' samples once the encoder's delay and padding are dropped.

    (ffprobe's format duration counts whole MP3 frames, delay and padding included: ~40 ms more.)
    """
    out = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "a", "-show_entries", "frame=nb_samples", "-of", "csv=p=0",
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return sum(int(n) for n in out.stdout.split()) / sample_rate


# chapters


def test_chapters_json_is_what_ffprobe_reads(episode, probe):
    result = runner.invoke(app, ["chapters", str(episode), "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    expected = probe(episode)["chapters"]
    assert [c["number"] for c in listed] == list(range(1, len(expected) + 1))
    assert [c["title"] for c in listed] == [c["tags"]["title"] for c in expected]
    assert [c["title"] for c in listed] == ["Introduction", "Swarms in the wild"]
    for mine, theirs in zip(listed, expected):
        assert theirs["time_base"] == "1/1000"
        assert mine["start"] == theirs["start"] / 1000 and mine["end"] == theirs["end"] / 1000
        assert mine["duration"] == (theirs["end"] - theirs["start"]) / 1000
    assert listed[0]["end"] == listed[1]["start"]


def test_chapters_table_shows_times_and_titles(episode, probe):
    result = runner.invoke(app, ["chapters", str(episode)])
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split(None, 4)] for line in result.stdout.splitlines()]
    assert result.stdout.splitlines()[0].strip() == TITLE
    assert rows[1] == ["#", "start", "end", "duration", "title"]
    for number, chapter in enumerate(probe(episode)["chapters"], start=1):
        start, end = chapter["start"], chapter["end"]
        assert rows[1 + number] == [str(number), clock(start), clock(end), clock(end - start), chapter["tags"]["title"]]


def test_clock_for_people():
    assert clock(0) == "0:00.000"
    assert clock(15_348) == "0:15.348"
    assert clock(59_999) == "0:59.999"
    assert clock(3_723_004) == "1:02:03.004"


def _wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(bytes(22050))
    return path


def _text(path: Path, text: str = "Episode 12 notes\n") -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _untagged(episode: Path, folder: Path, reference_ffmpeg: str) -> Path:
    target = folder / "untagged.mp3"
    subprocess.run(
        [reference_ffmpeg, "-v", "error", "-i", str(episode), "-map_metadata", "-1", "-map_chapters", "-1",
         "-id3v2_version", "0", "-c", "copy", str(target)],
        check=True,
    )  # fmt: skip
    assert MP3(target).tags is None
    return target


def _without_chapters(episode: Path, folder: Path) -> Path:
    target = folder / "no-chapters.mp3"
    shutil.copy(episode, target)
    tags = ID3(target)
    tags.delall("CHAP")
    tags.delall("CTOC")
    tags.save(v2_version=3)
    assert ID3(target)["TIT2"].text == [TITLE]
    return target


def _cut(episode: Path, folder: Path, size: int) -> Path:
    target = folder / f"first-{size}-bytes.mp3"
    target.write_bytes(episode.read_bytes()[:size])
    return target


BAD_FILES = {
    "wav": (lambda ep, d, ff: _wav(d / "tone.wav"), "is not an MP3 file"),
    "text named .mp3": (lambda ep, d, ff: _text(d / "notes.mp3"), "is not an MP3 file"),
    "text": (lambda ep, d, ff: _text(d / "notes.txt"), "is not an MP3 file"),
    "empty": (lambda ep, d, ff: _text(d / "empty.mp3", ""), "is empty"),
    "no tags": (_untagged, "has no chapters"),
    "tags, no chapters": (lambda ep, d, ff: _without_chapters(ep, d), "has no chapters"),
    "truncated audio": (lambda ep, d, ff: _cut(ep, d, 2000), "is truncated"),
    "truncated tag": (lambda ep, d, ff: _cut(ep, d, 200), "is truncated"),
    "missing": (lambda ep, d, ff: d / "nope.mp3", "no such file"),
    "directory": (lambda ep, d, ff: d, "is a directory"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_chapters_of_a_bad_file_is_one_line(kind, episode, tmp_path, reference_ffmpeg):
    make, says = BAD_FILES[kind]
    bad = make(episode, tmp_path, reference_ffmpeg)
    _fails(["chapters", bad], 7, bad, says)
    _fails(["chapters", bad, "--json"], 7, bad, says)


def test_tags_without_chapters_are_reported_as_such(episode, tmp_path):
    bad = _without_chapters(episode, tmp_path)
    line = _fails(["chapters", bad], 7, bad, "has no chapters")
    assert line == f"error: {bad}: has no chapters (no CHAP frames in its ID3 tag)"


# extract


def test_extract_by_number_is_the_chapter_exactly(episode, probe, ffprobe, decode):
    result = runner.invoke(app, ["extract", str(episode), "--chapter", "2"])
    assert result.exit_code == 0, result.output
    out = episode.with_name("tiny - 02 Swarms in the wild.mp3")
    assert result.stdout.strip() == str(out)
    assert sorted(p.name for p in episode.parent.glob("*.mp3")) == [out.name, episode.name]
    assert not list(episode.parent.glob(".*.part"))  # written beside it, then renamed

    chapter = probe(episode)["chapters"][1]
    seconds = (chapter["end"] - chapter["start"]) / 1000
    assert abs(_gapless_seconds(ffprobe, out) - seconds) < 0.030
    seen = probe(out)
    assert seen["chapters"] == []
    (stream,) = seen["streams"]
    source = probe(episode)["streams"][0]
    assert (stream["codec_name"], stream["sample_rate"], stream["channels"]) == ("mp3", source["sample_rate"], 1)
    assert stream["bit_rate"] == source["bit_rate"] == "64000"

    # the same sound as that stretch of the episode, not a neighbouring one
    rate, whole = decode(episode)
    _, part = decode(out)
    start = round(chapter["start"] * rate / 1000)
    assert abs(len(part) - (len(whole) - start)) <= rate // 1000  # the last chapter runs to the end

    def match(shift: int) -> float:
        a = whole[start + shift : start + shift + len(part) - 2 * rate // 10].astype(float)
        b = part[: len(a)].astype(float)
        return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))

    assert match(0) > 0.95
    assert match(0) > max(match(s) for s in (-rate // 20, -rate // 100, rate // 100, rate // 20))


def test_extract_tags_are_the_episodes_with_the_chapter_title(episode):
    result = runner.invoke(app, ["extract", str(episode), "--chapter", "2"])
    assert result.exit_code == 0, result.output
    tags = ID3(result.stdout.strip())
    source = ID3(episode)
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == [f"{TITLE} \u2013 Swarms in the wild"]
    for frame in COPIED:
        assert tags[frame].text == source[frame].text, frame
    assert str(tags["TDRC"].text[0]) == "2024-03-14"
    assert tags.getall("CHAP") == [] and tags.getall("CTOC") == []


@pytest.mark.parametrize("selector", ["Introduction", "introduction", "intro", "INTRO", "1"])
def test_extract_by_title(selector, episode, tmp_path, ffprobe, probe):
    out = tmp_path / "parts" / "first.mp3"
    result = runner.invoke(app, ["extract", str(episode), "-c", selector, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert ID3(out)["TIT2"].text == [f"{TITLE} \u2013 Introduction"]
    chapter = probe(episode)["chapters"][0]
    assert abs(_gapless_seconds(ffprobe, out) - (chapter["end"] - chapter["start"]) / 1000) < 0.030


def test_extract_by_part_of_a_title(episode):
    result = runner.invoke(app, ["extract", str(episode), "-c", "wild"])
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.strip()).name == "tiny - 02 Swarms in the wild.mp3"


@pytest.mark.parametrize("selector", ["3", "0", "Outro", ""])
def test_extract_an_unknown_chapter_lists_the_chapters(selector, episode):
    line = _fails(["extract", episode, "--chapter", selector], 2, episode, f"no chapter {selector!r}")
    assert "1 'Introduction', 2 'Swarms in the wild'" in line
    assert sorted(p.name for p in episode.parent.iterdir() if p.suffix == ".mp3") == ["tiny.mp3"]


def test_extract_a_title_that_fits_two_chapters(episode):
    line = _fails(["extract", episode, "--chapter", "n"], 2, episode, "fits 2 chapters")
    assert "1 'Introduction', 2 'Swarms in the wild'" in line


def test_extract_refuses_to_overwrite_the_episode_or_write_other_formats(episode, tmp_path):
    before = episode.read_bytes()
    _fails(["extract", episode, "-c", "1", "-o", episode], 8, episode, "is the episode itself")
    _fails(["extract", episode, "-c", "1", "-o", tmp_path / "a.wav"], 8, tmp_path / "a.wav", "must be an .mp3")
    assert episode.read_bytes() == before


def test_extract_from_a_file_without_chapters(episode, tmp_path):
    bad = _without_chapters(episode, tmp_path)
    _fails(["extract", bad, "-c", "1"], 7, bad, "has no chapters")


# play


def test_play_without_a_player_says_what_to_install(episode, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # none of the players, even where they are installed
    result = runner.invoke(app, ["play", str(episode), "--chapter", "2"])
    assert result.exit_code == 6  # ffplay is ffmpeg's player
    assert result.stderr.strip() == (
        "error: no audio player found; install ffmpeg (for ffplay) or mpv, e.g. `apt install mpv`"
    )


def test_play_checks_the_file_and_the_chapter_first(episode, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    _fails(["play", episode, "--chapter", "Outro"], 2, episode, "no chapter 'Outro'")
    _fails(["play", tmp_path / "nope.mp3"], 7, tmp_path / "nope.mp3", "no such file")


def test_the_player_command_starts_at_the_chapter(episode, probe):
    installed = {"mpv": "/opt/bin/mpv", "mplayer": "/usr/bin/mplayer"}
    episode_file = read_episode(episode)
    second = episode_file.chapters[1]
    assert second.start_ms == probe(episode)["chapters"][1]["start"]
    command = find_player(episode, second.start_ms / 1000, which=installed.get)
    assert command == ["/opt/bin/mpv", "--no-video", f"--start={second.start_ms / 1000:.3f}", str(episode)]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("ffplay", ["-nodisp", "-autoexit", "-hide_banner", "-loglevel", "error", "-ss", "15.348"]),
        ("mplayer", ["-ss", "15.348"]),
        ("cvlc", ["--play-and-exit", "--start-time=15.348"]),
        ("afplay", []),
    ],
)
def test_each_player_gets_its_own_seek_option(name, expected, tmp_path):
    mp3 = tmp_path / "ep.mp3"
    assert find_player(mp3, 15.348, which={name: f"/bin/{name}"}.get) == [f"/bin/{name}", *expected, str(mp3)]


def test_ffplay_comes_first(tmp_path):
    everything = {name: f"/bin/{name}" for name in ("afplay", "cvlc", "mplayer", "mpv", "ffplay")}
    assert find_player(tmp_path / "ep.mp3", 0, which=everything.get)[0] == "/bin/ffplay"


def test_afplay_warns_it_starts_at_the_beginning(tmp_path, caplog):
    find_player(tmp_path / "ep.mp3", 15.348, which={"afplay": "/usr/bin/afplay"}.get)
    assert "afplay cannot start mid-file" in caplog.text and "0:15.348" in caplog.text


def test_new_commands_have_help():
    listing = runner.invoke(app, ["--help"]).output
    for command in ("chapters", "extract", "play"):
        assert command in listing
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and len(result.output.strip().splitlines()) > 3
