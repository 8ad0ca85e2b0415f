"""The show's music: an intro, an outro and a bed under the title, mixed around the speech (tone engine, ffmpeg)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from helpers import fails
from test_wordtimes import _exact
from typer.testing import CliRunner

from audio.cli import app
from audio.render import Reporter, render
from audio.revoice import revoice
from audio.sound.jingle import write_jingle

runner = CliRunner()
INTRO, OUTRO = 6.0, 8.0


class Notes(Reporter):
    """A reporter that keeps the lines a render says."""

    def __init__(self):
        self.lines = []

    def note(self, message: str) -> None:
        self.lines.append(message)


@pytest.fixture()
def show(project, tone_cast, cache_dir):
    """The two-guest project with a jingle as intro and another as outro in its tone cast: (script, cast)."""
    write_jingle(project / "music" / "intro.wav", INTRO)
    write_jingle(project / "music" / "outro.wav", OUTRO)
    tone_cast.write_text(tone_cast.read_text() + '\n[show]\nintro = "music/intro.wav"\noutro = "music/outro.wav"\n')
    return project / "scripts" / "tiny.txt", tone_cast


def _render(script, cast, cache_dir, **more) -> Notes:
    notes = Notes()
    render(script, cast_file=cast, engine_name="tone", cache_dir=cache_dir, reporter=notes, **more)
    return notes


def _decoded(path, reference_ffmpeg, rate=22050) -> np.ndarray:
    raw = subprocess.run([reference_ffmpeg, "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate),
                          "-"], capture_output=True, check=True).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.int16).astype(float)


def test_the_episode_opens_with_the_intro_and_ends_with_the_outro(show, cache_dir, probe, reference_ffmpeg):
    script, cast = show
    _render(script, cast, cache_dir)
    episode = script.parent.parent / "dist" / "tiny.mp3"
    manifest = json.loads(episode.with_suffix(".json").read_text())
    audio, jingle = _decoded(episode, reference_ffmpeg), _decoded(script.parent.parent / "music" / "intro.wav",
                                                                     reference_ffmpeg)  # fmt: skip
    rate = 22050
    first = manifest["segments"][0]["start"]
    assert abs(first - (INTRO - 2.0)) < 0.06  # the intro plays alone, then 2 s of it under the first words
    head = slice(0, int((first - 0.4) * rate))  # before the dip: the intro as it is, levelled
    correlation = np.corrcoef(audio[head], jingle[head])[0, 1]
    assert correlation > 0.95, correlation
    last = manifest["segments"][-1]["end"]
    outro = max(manifest["segments"][-1]["start"], last - 2.0)  # 2 s before the last words end, not before them
    duration = float(probe(episode)["format"]["duration"])
    assert abs(duration - (outro + OUTRO + 0.3)) < 0.1
    tail = audio[int((last + 0.5) * rate) : int((last + 4) * rate)]
    assert np.sqrt(np.mean(tail**2)) > 32768 * 10 ** (-40 / 20)  # music after the words
    _exact(manifest)  # every word where the arithmetic says, the intro's length included


def test_chapters_start_at_zero_and_sit_in_the_pause_before_their_words(show, cache_dir, probe):
    script, cast = show
    _render(script, cast, cache_dir)
    episode = script.parent.parent / "dist" / "tiny.mp3"
    manifest = json.loads(episode.with_suffix(".json").read_text())
    chapters = probe(episode)["chapters"]
    assert int(chapters[0]["start"]) == 0
    for number, chapter in enumerate(chapters[1:], start=1):
        first = next(s for s in manifest["segments"] if s["chapter"] == number)
        mark = int(chapter["start"]) / 1000
        previous = max(s["end"] for s in manifest["segments"] if s["chapter"] < number)
        assert previous < mark <= first["start"] and first["start"] - mark <= 0.5


def test_revoicing_a_segment_still_re_encodes_one_part(show, cache_dir, reference_ffmpeg):
    script, cast = show
    _render(script, cast, cache_dir)
    dist = script.parent.parent / "dist"
    manifest = json.loads((dist / "tiny.json").read_text())
    notes = Notes()
    for segment in (manifest["segments"][3], manifest["segments"][0]):  # one in the middle, then the title
        notes.lines.clear()
        revoice(segment["id"], script, None, cache_dir, notes, engine_name="tone", cast_file=cast,
                text=segment["text"] + " again")  # fmt: skip
        encoded = next(line for line in notes.lines if line.startswith("encoded"))
        assert encoded.startswith("encoded 1 of 8 parts"), notes.lines
    audio = _decoded(dist / "tiny.mp3", reference_ffmpeg)
    jingle = _decoded(script.parent.parent / "music" / "intro.wav", reference_ffmpeg)
    head = slice(0, int(3.5 * 22050))
    assert np.corrcoef(audio[head], jingle[head])[0, 1] > 0.95  # the title's part still opens with the intro


def test_a_bed_plays_under_the_title_only(show, cache_dir, reference_ffmpeg):
    script, cast = show
    write_jingle(script.parent.parent / "music" / "bed.wav", 2.0)
    cast.write_text(cast.read_text().replace('intro = "music/intro.wav"\n', 'bed = "music/bed.wav"\n'))
    _render(script, cast, cache_dir)
    dist = script.parent.parent / "dist"
    manifest = json.loads((dist / "tiny.json").read_text())
    audio = _decoded(dist / "tiny.mp3", reference_ffmpeg)
    title, second = manifest["segments"][0], manifest["segments"][1]

    def level(start: float, end: float) -> float:
        part = audio[int(start * 22050) : int(end * 22050)]
        return 20 * np.log10(np.sqrt(np.mean(part**2)) / 32768 + 1e-9)

    gaps = [(w[2] + 0.01, n[1] - 0.01) for w, n in zip(title["words"], title["words"][1:])]  # between the words
    assert all(level(a, b) > -60 for a, b in gaps if b > a)
    middle = (title["end"] + 0.6, second["start"] - 0.1)  # the pause after the title, once the bed has faded
    assert level(*middle) < -80


def test_a_short_outro_rises_after_the_last_words(show, cache_dir, probe):
    script, cast = show
    write_jingle(script.parent.parent / "music" / "outro.wav", 1.2)  # shorter than twice the overlap
    _render(script, cast, cache_dir)
    episode = script.parent.parent / "dist" / "tiny.mp3"
    last = json.loads(episode.with_suffix(".json").read_text())["segments"][-1]
    duration = float(probe(episode)["format"]["duration"])
    assert abs(duration - (last["end"] - 0.6 + 1.2 + 0.3)) < 0.1  # half of it under the words, half after


def test_music_that_is_missing_or_not_music_is_one_line_naming_the_cast(show):
    script, cast = show
    project = script.parent.parent
    cast.write_text(cast.read_text().replace("music/outro.wav", "music/nowhere.wav"))
    result = runner.invoke(app, ["render", str(script), "--engine", "tone", "--cast", str(cast), "-q"])
    fails(result, 4, cast, "[show] outro: no music file")
    (project / "music" / "nowhere.wav").write_text("not music at all\n")
    result = runner.invoke(app, ["render", str(script), "--engine", "tone", "--cast", str(cast), "-q"])
    fails(result, 4, project / "music" / "nowhere.wav", "is not music ffmpeg can read")
    assert not (project / "dist" / "tiny.mp3").exists()
