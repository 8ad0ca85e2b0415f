"""Casts, voices, the lexicon and the segment cache, with the real espeak-ng."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from audio.cli import app
from audio.errors import CastError
from audio.model import Voice
from audio.render import render
from audio.speech.cache import SegmentCache
from audio.speech.cast import load_cast
from audio.speech.engines import create_engine
from audio.speech.lexicon import Lexicon, load_lexicon

pytestmark = pytest.mark.espeak  # speaks with libespeak-ng: run against both libraries

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def espeak():
    return create_engine("espeak")


def median_pitch(samples: np.ndarray, rate: int) -> float:
    """Median fundamental frequency (Hz) of voiced 40 ms frames (10 ms apart), by autocorrelation.

    Each frame's autocorrelation is computed through the FFT, many frames at a time: the
    same values as `np.correlate(w, w, "full")` frame by frame, about fifty times faster.
    """
    x = samples.astype(float)
    frame, hop = int(0.04 * rate), int(0.01 * rate)
    lo, hi = rate // 400, rate // 60
    starts = np.arange(0, len(x) - frame, hop)
    found = []
    for batch in np.array_split(starts, max(1, len(starts) // 2000)):
        w = x[batch[:, None] + np.arange(frame)]
        w = w[np.sqrt(np.mean(w**2, axis=1)) >= 500]
        w = w - w.mean(axis=1, keepdims=True)
        spectrum = np.fft.rfft(w, n=2 * frame, axis=1)
        ac = np.fft.irfft(spectrum * np.conj(spectrum), n=2 * frame, axis=1)[:, :frame]
        k = lo + np.argmax(ac[:, lo:hi], axis=1)
        voiced = ac[np.arange(len(k)), k] > 0.5 * ac[:, 0]
        found.extend(rate / k[voiced])
    return float(np.median(found))


def test_three_speakers_of_the_example_differ_in_pitch_and_accent(espeak):
    cast = load_cast(ROOT / "scripts" / "deepseek-interview.txt")
    voices = {s: cast.voices[s] for s in ("interviewer", "HU", "FX")}
    assert len({v.name.lower() for v in voices.values()}) == 3  # three accents
    text = "Everyone who sees the figures first doubts whether the results make sense and can be verified."
    pitch = {
        s: median_pitch(np.frombuffer(espeak.synthesize(text, v), np.int16), espeak.sample_rate)
        for s, v in voices.items()
    }
    names = list(pitch)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert abs(12 * np.log2(pitch[a] / pitch[b])) >= 2.0, pitch


@pytest.mark.parametrize(
    ("voice", "message"),
    [
        (Voice("en-gb", "f3"), "unknown voice 'en-gb'"),
        (Voice("en-US", "zz9"), "unknown variant 'zz9'"),
        (Voice("en-US", "m3", rate=900), "rate 900 is out of range"),
        (Voice("en-US", "m3", pitch=150), "pitch 150 is out of range"),
    ],
)
def test_voices_that_would_not_take_effect_are_refused(espeak, voice, message):
    with pytest.raises(ValueError, match=message):
        espeak.check_voice(voice)


@pytest.mark.parametrize(
    ("voice", "message", "rate"),
    [
        (Voice("en-gb", "f3"), "unknown voice 'en-gb'", 211),
        (Voice("en-US", "zz9"), "unknown variant 'zz9'", 213),
        (Voice("en-US", "m3", rate=900), "rate 900 is out of range", 215),
    ],
)
def test_a_voice_heard_before_is_still_checked_but_without_speech(espeak, voice, message, rate, monkeypatch):
    spoken = []
    speak = espeak.synthesize
    monkeypatch.setattr(espeak, "synthesize", lambda text, v: spoken.append(v) or speak(text, v))  # was it heard?
    espeak.check_voice(Voice("en-US", "m3", rate=rate), hear=False)
    with pytest.raises(ValueError, match=message):
        espeak.check_voice(voice, hear=False)
    assert spoken == []
    espeak.check_voice(Voice("en-US", "m3", rate=rate + 1))  # the engine has not heard it at this rate
    assert spoken


def test_voice_names_match_as_espeak_does(espeak):
    expected = {"gmw/en-us": "gmw/en-us", "en-US": "gmw/en-us", "en-GB-x-rp": "gmw/en-gb-x-rp",
                "English (Scotland)": "gmw/en-gb-scotland"}  # fmt: skip
    for name, voice_id in expected.items():
        assert espeak.resolve(name).id == voice_id, name  # found by full id, last part or display name
        espeak.check_voice(Voice(name, "m3"))  # and heard to take effect


@pytest.mark.cold  # counts what it synthesizes
def test_unknown_voice_fails_before_synthesis_naming_file_speaker_and_closest(project, cache_dir):
    (project / "voices" / "tiny.toml").write_text('[voices.interviewer]\nvoice = "en-us-nycc"\n')
    result = runner.invoke(app, ["render", str(project / "scripts" / "tiny.txt"), "--quiet"])
    assert result.exit_code == 4
    line = result.output.strip()
    assert line.startswith("error: ") and "tiny.toml" in line and "'interviewer'" in line
    assert "en-us-nyc" in line  # the closest valid name
    assert not cache_dir.exists() or not any(cache_dir.rglob("*.wav"))


def test_cast_files_with_unknown_keys_or_bad_toml_are_refused(project):
    script = project / "scripts" / "tiny.txt"
    bad = project / "voices" / "tiny.toml"
    bad.write_text("[voices.HU\n")
    with pytest.raises(CastError, match="not valid TOML"):
        load_cast(script)
    bad.write_text('[voices.HU]\nvoice = "en-US"\nspeed = 3\n')
    with pytest.raises(CastError, match="unknown key 'speed'"):
        load_cast(script)


def test_naming_a_voice_replaces_it_and_setting_rate_keeps_it(project):
    script = project / "scripts" / "tiny.txt"
    (project / "voices" / "tiny.toml").write_text(
        '[voices.narrator]\nrate = 140\n[voices.interviewer]\nvoice = "en-GB-scotland"\n'
    )
    cast = load_cast(script)
    default = load_cast(None)
    assert cast.voices["narrator"] == Voice(**{**default.voices["narrator"].__dict__, "rate": 140})
    assert cast.voices["interviewer"] == Voice("en-GB-scotland")


def test_lexicon_applies_whole_words_with_case_rules():
    lex = Lexicon({"Xu": "Shoo", "nvidia": "en-vidia", "AI": "A I"})
    assert lex.apply("Feiyu Xu met Xuan at NVIDIA and Nvidia; AI, AIs, FAIR.") == (
        "Feiyu Shoo met Xuan at en-vidia and en-vidia; A I, AIs, FAIR."
    )


def test_lexicon_entries_that_are_empty_or_recursive_are_refused(tmp_path):
    path = tmp_path / "lexicon.toml"
    path.write_text('[words]\nXu = ""\n')
    with pytest.raises(CastError, match="empty"):
        load_lexicon(path=path)
    path.write_text('[words]\nXu = "Xu Xu"\n')
    with pytest.raises(CastError, match="recursive"):
        load_lexicon(path=path)


def test_lexicon_changes_only_the_audio_and_only_segments_with_the_word(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    render(script)
    lexicon = project / "voices" / "lexicon.toml"
    lexicon.write_text(lexicon.read_text() + 'farming = "farmin"\n')
    result = render(script)
    assert result.synthesized == 1
    manifest = json.loads((project / "dist" / "tiny.json").read_text())
    assert any(s["text"] == "In farming, long before anywhere else." for s in manifest["segments"])


@pytest.mark.cold  # counts what it synthesizes
def test_changing_one_speakers_rate_resynthesizes_only_that_speaker(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    first = render(script)
    js = sum(1 for s in first.episode.segments if s.speaker == "JS")
    (project / "voices" / "tiny.toml").write_text(
        '[voices.JS]\nvoice = "en-GB-x-rp"\nvariant = "m3"\nrate = 190\npitch = 65\n'
    )
    again = render(script)
    assert again.synthesized == js == 2
    assert again.cached == first.synthesized - js


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_damaged_cache_entries_are_synthesized_again(project, cache_dir, damage, decode):
    script = project / "scripts" / "tiny.txt"
    first = render(script)
    cache = SegmentCache(cache_dir)
    victim = cache.path(first.timeline.takes[3].cache_key)
    data = victim.read_bytes()
    victim.write_bytes({"truncate": data[: len(data) // 2], "empty": b"", "garbage": b"RIFF" + bytes(100)}[damage])
    again = render(script, force=False, output=project / "dist" / "again.mp3")
    assert again.synthesized == 1
    # The same speech, complete again (espeak-ng varies by a few samples from run to run).
    assert abs(len(victim.read_bytes()) - len(data)) < len(data) * 0.01
    rate, a = decode(first.output)
    _, b = decode(again.output)
    assert abs(len(a) - len(b)) < rate * 0.05


@pytest.mark.cold  # the engine must speak: nothing from the cache
def test_nothing_the_engine_prints_reaches_stdout(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    render_out = subprocess.run(
        [sys.executable, "-m", "audio", "render", str(script), "--workers", "1"], capture_output=True, text=True
    )
    assert render_out.returncode == 0, render_out.stderr
    assert render_out.stdout.strip() == str(project / "dist" / "tiny.mp3")
    assert "Audio saved" not in render_out.stdout + render_out.stderr
    split = subprocess.run(
        [sys.executable, "-m", "audio", "split", str(script), "--json"], capture_output=True, text=True
    )
    assert json.loads(split.stdout)["title"] == "Tiny robots: 'Small is the new big'"


def test_voices_lists_voices_variants_and_cast(project):
    result = runner.invoke(app, ["voices", str(project / "scripts" / "tiny.txt")])
    assert result.exit_code == 0, result.output
    for word in ("en-gb-x-rp", "Variants", "m3", "f2", "JS (Jane Smith)", "interviewer", "en-US"):
        assert word in result.output


def test_voices_preview_renders_a_sample(project, probe):
    result = runner.invoke(app, ["voices", str(project / "scripts" / "tiny.txt"), "--preview", "JS"])
    assert result.exit_code == 0, result.output
    sample = project / "dist" / "preview-JS.mp3"
    assert 2 < float(probe(sample)["format"]["duration"]) < 15
    missing = runner.invoke(app, ["voices", str(project / "scripts" / "tiny.txt"), "--preview", "ZZ"])
    assert missing.exit_code == 4 and "no speaker 'ZZ'" in missing.output
