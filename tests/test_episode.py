"""The example episode, rendered once with the real engine and read back independently."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, speaker_levels

pytestmark = pytest.mark.espeak  # speaks with libespeak-ng: run against both libraries

HEADINGS = [
    "Effective compression method in pre-training",
    "Companies should carefully examine every application",
    "First model that strongly combines Chinese and Western culture",
    "Development of AI models is only just beginning",
    "Development opens up new opportunities",
    "A lot of talent in Europe that could be pooled",
]


@pytest.fixture(scope="module")
def episode(tmp_path_factory) -> Path:
    """`podcast render` of the example, as a user runs it, into a temporary folder."""
    out = tmp_path_factory.mktemp("episode") / "deepseek-interview.mp3"
    cache = tmp_path_factory.mktemp("cache")
    result = subprocess.run(
        [sys.executable, "-m", "audio", "render", "--out", str(out), "--cache-dir", str(cache)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def test_example_has_the_sections_as_chapters_back_to_back(episode, probe):
    info = probe(episode)
    chapters = info["chapters"]
    titles = [c["tags"]["title"] for c in chapters]
    assert len(chapters) >= 7
    assert all(h in titles for h in HEADINGS)
    assert titles.index(HEADINGS[0]) < titles.index(HEADINGS[-1])
    assert int(chapters[0]["start"]) == 0
    for a, b in zip(chapters, chapters[1:]):
        assert a["end"] == b["start"]
    duration = float(info["format"]["duration"])
    assert abs(float(chapters[-1]["end_time"]) - duration) < 0.06
    assert 8 * 60 < duration < 16 * 60
    tags = {k.lower(): v for k, v in info["format"]["tags"].items()}
    assert "Hans Uszkoreit" in tags["artist"] and "Feiyu Xu" in tags["artist"]
    assert tags["date"] == "2025-02-02"


def test_example_meets_the_podcast_loudness_standard(episode, reference_ffmpeg):
    out = subprocess.run(
        [reference_ffmpeg, "-hide_banner", "-nostats", "-i", str(episode),
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    summary = out.stderr[out.stderr.rfind("Summary:") :]
    integrated = float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s*(-?[\d.]+) dBFS", summary).group(1))
    # mono: -19 LUFS as measured, which is -16 as heard on two speakers (AES: -16 stereo, -19 mono)
    assert -19.5 <= integrated <= -18.5
    assert peak <= -1.0


def test_speakers_are_levelled_against_each_other(episode, decode):
    rate, samples = decode(episode)
    manifest = json.loads(episode.with_suffix(".json").read_text())
    energy: dict[str, list[float]] = {}
    for seg in manifest["segments"]:
        part = samples[round(seg["start"] * rate) : round(seg["end"] * rate)].astype(float)
        energy.setdefault(seg["speaker"], []).append(float(np.mean(part**2)))
    levels = {s: 10 * np.log10(np.mean(e)) for s, e in energy.items()}
    assert max(levels.values()) - min(levels.values()) < 3.0, levels


def test_each_speaker_meets_the_target_on_its_own(episode, decode, reference_ffmpeg):
    """Each voice is levelled from one reading of a calibration text: what each speaker
    says in the episode, measured apart, lands within 1 LU of the -16 LUFS target as heard (-19 as measured)."""
    levels = speaker_levels(episode, decode, reference_ffmpeg)
    assert len(levels) == 4
    assert all(-20.0 <= level <= -18.0 for level in levels.values()), levels
    assert max(levels.values()) - min(levels.values()) <= 1.0, levels


def test_every_chapter_mark_sits_in_a_pause_before_its_first_words(episode, decode, probe):
    rate, samples = decode(episode)
    chapters = probe(episode)["chapters"]
    manifest = json.loads(episode.with_suffix(".json").read_text())
    quiet = 10 ** (-45 / 20) * 32768
    for number, chapter in enumerate(chapters[1:], start=1):
        mark = round(int(chapter["start"]) * rate / 1000)
        before = np.abs(samples[mark - rate // 4 : mark].astype(int))
        assert before.max() < quiet, f"chapter {number}: sound in the 250 ms before the mark"
        after = np.abs(samples[mark : mark + rate].astype(int))
        first_sound = int(np.argmax(after > quiet)) / rate
        assert 0 < first_sound <= 0.5, f"chapter {number}: first words {first_sound:.2f} s after the mark"
        first = next(s for s in manifest["segments"] if s["chapter"] == number)
        assert abs(first["start"] - int(chapter["start"]) / 1000 - first_sound) < 0.1


def test_sidecars_agree_with_the_mp3(episode, probe):
    dist = episode.parent
    manifest = json.loads((dist / "deepseek-interview.json").read_text())
    chapters = json.loads((dist / "deepseek-interview.chapters.json").read_text())["chapters"]
    probed = probe(episode)["chapters"]
    assert [(c["title"], c["startTime"], c["endTime"]) for c in chapters] == [
        (c["tags"]["title"], int(c["start"]) / 1000, int(c["end"]) / 1000) for c in probed
    ]
    assert [c["title"] for c in manifest["chapters"]] == [c["title"] for c in chapters]
    vtt = (dist / "deepseek-interview.vtt").read_text()
    pattern = r"^(\S+)\n(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)\n<v ([^>]+)>(.*?)</v>\n"
    cues = re.findall(pattern, vtt, re.M | re.S)
    assert len(cues) == vtt.count(" --> ") > len(manifest["segments"])  # caption-sized: several per paragraph
    names = {s["tag"]: s["name"] for s in manifest["speakers"]}

    def seconds(clock: str) -> float:
        h, m, s = clock.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    by_segment: dict[str, list] = {}
    for cue_id, start, end, name, text in cues:
        by_segment.setdefault(cue_id.split("-")[0], []).append((cue_id, seconds(start), seconds(end), name, text))
    assert list(by_segment) == [s["id"] for s in manifest["segments"]]
    for seg in manifest["segments"]:
        parts = by_segment[seg["id"]]
        assert [p[0] for p in parts] == [seg["id"]] + [f"{seg['id']}-{n}" for n in range(2, len(parts) + 1)]
        assert all(p[3] == names[seg["speaker"]] for p in parts)
        assert " ".join(p[4].replace("\n", " ") for p in parts) == " ".join(seg["text"].split())
        times = [t for p in parts for t in p[1:3]]
        assert times == sorted(times) and seg["start"] - 0.001 <= times[0] and times[-1] <= seg["end"] + 0.001
        for _, start, end, _, text in parts:  # at most two lines of about 42 characters, about 7 s
            assert len(text.split("\n")) <= 2 and len(text) <= 85 and end - start <= 7.5, (text, start, end)
    assert "<v Hans Uszkoreit>" in vtt and "<v Feiyu Xu>" in vtt
    assert (dist / "deepseek-interview.html").exists()


def test_the_examples_word_times_agree_with_its_audio(episode, decode):
    from test_wordtimes import onsets_agree

    manifest = json.loads(episode.with_suffix(".json").read_text())
    rate, samples = decode(episode, 44100)
    assert onsets_agree(manifest, rate, samples) >= 150  # every word after a pause, in the whole episode
    transcript = json.loads(episode.with_name(episode.stem + ".transcript.json").read_text())
    assert all(len(s["words"]) == len(s["body"].split()) for s in transcript["segments"])


def test_three_speakers_differ_by_ear_in_the_rendered_example(episode, decode):
    from test_voices import median_pitch

    rate, samples = decode(episode)
    manifest = json.loads(episode.with_suffix(".json").read_text())
    pitch = {}
    for speaker in ("interviewer", "HU", "FX"):
        parts = [
            samples[round(s["start"] * rate) : round(s["end"] * rate)]
            for s in manifest["segments"]
            if s["speaker"] == speaker
        ]
        pitch[speaker] = median_pitch(np.concatenate(parts), rate)
    names = list(pitch)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert abs(12 * np.log2(pitch[a] / pitch[b])) >= 2.0, pitch
    accents = {s["speaker"]: s["voice"]["name"].lower() for s in manifest["segments"] if s["speaker"] in pitch}
    assert len(set(accents.values())) == 3, accents
