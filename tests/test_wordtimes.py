"""Word timing: each word's start and end on the episode's timeline, from the engine's word marks.

The tone engine makes the arithmetic exact (every word a 250 ms tone, 50 ms apart);
espeak-ng's times are checked against the decoded MP3.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from audio.render import render
from audio.sound.wordtimes import segment_words, traced


def _exact(manifest: dict) -> None:
    """Each take's n-th word starts n × 300 ms after its speech, and ends 250 ms later (to a 5 ms step); the
    manifest keeps times to the millisecond."""
    for segment in manifest["segments"]:
        words = segment["words"]
        assert [w[0] for w in words] == segment["text"].split()
        for n, (_, start, end) in enumerate(words):
            assert abs(start - (segment["start"] + n * 0.3)) <= 0.0011, (segment["text"], n, start)
            assert abs(end - start - 0.25) <= 0.0061, (segment["text"], n, end - start)


def test_tone_words_land_where_the_arithmetic_says(project, tone_cast, cache_dir):
    render(project / "scripts" / "tiny.txt", cast_file=tone_cast, engine_name="tone", cache_dir=cache_dir)
    _exact(json.loads((project / "dist" / "tiny.json").read_text()))
    transcript = json.loads((project / "dist" / "tiny.transcript.json").read_text())
    manifest = json.loads((project / "dist" / "tiny.json").read_text())
    assert [[w["body"] for w in s["words"]] for s in transcript["segments"]] == [
        [w[0] for w in s["words"]] for s in manifest["segments"]
    ]


def test_times_stay_exact_after_a_revoice_moves_everything_after_it(project, tone_cast, cache_dir):
    from audio.revoice import revoice

    script = project / "scripts" / "tiny.txt"
    render(script, cast_file=tone_cast, engine_name="tone", cache_dir=cache_dir)
    before = json.loads((project / "dist" / "tiny.json").read_text())
    target = before["segments"][3]
    longer = "We build very small robots indeed, many thousands of them, every single day."
    result = revoice(target["id"], script, None, cache_dir, engine_name="tone", cast_file=tone_cast, text=longer)
    assert result.synthesized == 1
    after = json.loads((project / "dist" / "tiny.json").read_text())
    assert after["segments"][3]["text"] == longer
    assert after["segments"][4]["start"] > before["segments"][4]["start"] + 0.5  # more words: later
    _exact(after)


def test_a_lexicon_change_keeps_the_scripts_words():
    written = "Founder Liang Wenfeng spoke, “quietly” in 2025."
    spoken = "Founder Lyang Wun-fung spoke, “quietly” in 2025."
    trace = traced(written, spoken)
    assert written[trace[spoken.index("Wun-fung")]] == "W" and trace[spoken.index("spoke")] == written.index("spoke")
    marks = [[0, 0, 90], [8, 100, 190], [14, 200, 290], [23, 300, 390], [40, 500, 590]]  # no mark for “quietly”
    words = segment_words(written, spoken, marks)
    assert [w[0] for w in words] == written.split()
    assert [w[1:] for w in words][:4] == [(0, 90), (100, 190), (200, 290), (300, 390)]
    quietly = words[4]
    assert 390 <= quietly[1] <= quietly[2] <= 500  # shared out between its neighbours


@pytest.mark.slow
@pytest.mark.espeak
def test_quotes_and_brackets_keep_every_word_with_its_own_times():
    """espeak-ng is given the text as written, piece by piece: every word it marks is where the script has it."""
    from audio.model import Voice
    from audio.speech.cache import word_spans
    from audio.speech.engines.ensemble import create_engines

    text = 'He said "Go." Then (see "it.") we left now.  And “quoted” words: fine; done! Last (one.)'
    engines = create_engines("espeak")
    try:
        pcm, marks = engines.synthesize_marked(text, Voice("en-US"))
    finally:
        engines.close()
    spans = word_spans(pcm, engines.sample_rate, marks)
    words = [m.group() for m in __import__("re").finditer(r"\S+", text)]
    marked = [w for w in segment_words(text, text, spans)]
    assert [w[0] for w in marked] == words
    starts = {text[c:].split()[0].strip('"“()') for c, _, _ in spans}
    assert {"said", "Then", "see", "we", "left", "now.", "And", "words:", "fine;", "done!", "Last"} <= starts, starts
    assert all(a[1] < b[1] for a, b in zip(marked, marked[1:]))  # every word after the one before


def onsets_agree(manifest: dict, rate: int, samples, margin: float = 0.02) -> int:
    """Check every word that follows a pause: the pause is silent (but its last `margin` seconds), and the word's
    sound begins within 50 ms of its start. The number of words checked."""
    window = rate // 200  # about 5 ms; each window's peak, without copying the audio (the test runs beside others)
    cut = samples[: len(samples) // window * window].reshape(-1, window)
    peaks = np.maximum(cut.max(axis=1).astype(np.int32), -cut.min(axis=1).astype(np.int32))
    loud = 32768 * 10 ** (-35 / 20)  # silence: no peak above -35 dBFS (breath and MP3 noise stay below)
    onset = 32768 * 10 ** (-42 / 20)  # a word's sound begins (a soft /w/ or /h/ starts quietly)

    def at(seconds: float) -> int:
        return round(seconds * rate / window)

    checked = 0
    for segment in manifest["segments"]:
        words = segment["words"]
        assert [w[0] for w in words] == segment["text"].split()
        for previous, word in zip([None, *words], words):
            gap_start = previous[2] if previous else segment["start"] - 0.2
            if word[1] - gap_start < 0.15:
                continue  # no pause before it: its onset is not to be seen
            assert peaks[at(gap_start + 0.02) : at(word[1] - margin)].max() < loud, (word, "not silent before it")
            n = at(gap_start + 0.02)  # past the last word's tail, which the check above left out
            while n < len(peaks) and peaks[n] < onset:
                n += 1
            assert abs(n * window / rate - word[1]) <= 0.05, (word, n * window / rate)
            checked += 1
    return checked


@pytest.mark.slow
@pytest.mark.espeak
def test_espeak_word_starts_agree_with_the_decoded_mp3(project, cache_dir, decode):
    """After a pause, a word's start lies within 50 ms of where its sound begins; the pause is silent."""
    render(project / "scripts" / "tiny.txt", cache_dir=cache_dir)
    manifest = json.loads((project / "dist" / "tiny.json").read_text())
    rate, samples = decode(project / "dist" / "tiny.mp3", 44100)
    assert onsets_agree(manifest, rate, samples) >= 6
