"""The script splitter on the example, on interviews in other conventions, and on any text."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audio.text.explicit import format_explicit, parse_explicit
from audio.text.reading import decode_text
from audio.text.report import episode_json
from audio.text.script import load_episode
from audio.text.splitter import split_script

ROOT = Path(__file__).resolve().parents[1]
INTERVIEWS = Path(__file__).parent / "data" / "interviews"

EXAMPLE = [
    ("Introduction", [
        ("narrator", "DeepSeek: 'Don't trust that China"),
        ("narrator", "Founder Liang Wenfeng has created"),
        ("interviewer", "As renowned AI experts"),
        ("HU", "We knew that the company existed"),
        ("interviewer", "Have you been able to examine"),
        ("HU", "Everyone who sees the figures"),
        ("HU", "I just spoke with my former team"),
    ]),
    ("Effective compression method in pre-training", [
        ("narrator", "Effective compression method in pre-training"),
        ("HU", "DeepSeek's so-called post-training"),
        ("interviewer", "Does this mean that Chinese engineering"),
        ("HU", "Not directly."),
        ("FX", "Over the last 20 or 30 years"),
    ]),
    ("Companies should carefully examine every application", [
        ("narrator", "Companies should carefully examine"),
        ("interviewer", "The dangers associated with the use"),
        ("HU", "In the coming weeks and months"),
        ("FX", "You don't have to send your queries"),
        ("HU", "IBM and Fireworks"),
    ]),
    ("First model that strongly combines Chinese and Western culture", [
        ("narrator", "First model that strongly combines"),
        ("interviewer", "Were you surprised that the DeepSeek model"),
        ("HU", "It isn't common in China, either."),
        ("FX", "But it's also a very clever strategy"),
        ("interviewer", "Some users report that they have achieved"),
        ("FX", "This is understandable."),
        ("FX", "For example, you can also find good Chinese content"),
    ]),
    ("Development of AI models is only just beginning", [
        ("narrator", "Development of AI models is only just beginning"),
        ("interviewer", "What does DeepSeek mean for the chip industry"),
        ("HU", "The timing is most interesting"),
        ("interviewer", "Should chip companies like Nvidia be worried"),
        ("HU", "The industry has slightly overreacted."),
    ]),
    ("Development opens up new opportunities", [
        ("narrator", "Development opens up new opportunities"),
        ("interviewer", "What does this success mean for the AI race"),
        ("FX", "Meta's Chief AI Scientist Yann LeCun"),
        ("interviewer", "In what way?"),
        ("FX", "Even if it may look as if the USA or China"),
        ("HU", "Unfortunately, we lack elite funding"),
    ]),
    ("A lot of talent in Europe that could be pooled", [
        ("narrator", "A lot of talent in Europe that could be pooled"),
        ("interviewer", "Do we need a German strategy"),
        ("FX", "DeepSeek shows once again"),
        ("FX", "However, Europe often lacks energy."),
        ("HU", "If these core technologies"),
        ("HU", "A European one would be better."),
    ]),
    ("About the guests", [
        ("narrator", "About the guests"),
        ("narrator", "Dr. Feiyu Xu studied at Tongji University"),
        ("narrator", "Hans Uszkoreit is Scientific Director"),
    ]),
]  # fmt: skip


@pytest.fixture(scope="module")
def example():
    return load_episode(ROOT / "scripts" / "deepseek-interview.txt")


def test_example_every_paragraph_on_the_right_speaker(example):
    got = [(c.title, [(s.speaker, s.text) for s in c.segments]) for c in example.chapters]
    assert [title for title, _ in got] == [title for title, _ in EXAMPLE]
    for (title, segments), (_, expected) in zip(got, EXAMPLE):
        assert len(segments) == len(expected), title
        for (speaker, text), (want_speaker, want_start) in zip(segments, expected):
            assert (speaker, text[: len(want_start)]) == (want_speaker, want_start)


def test_example_metadata_names_and_unvoiced_lines(example):
    assert example.title == "DeepSeek: 'Don't trust that China or the US will always use AI for the greater good'"
    assert example.date == dt.date(2025, 2, 2)
    assert {s.tag: s.name for s in example.guests} == {"HU": "Hans Uszkoreit", "FX": "Feiyu Xu"}
    assert [(n.line, n.text, n.reason) for n in example.not_spoken] == [
        (1, "Interview", "category label (metadata)"),
        (2, "Erscheinungsdatum: 02. Februar 2025", "release date (metadata)"),
        (90, "Letzte Aktualisierung: 24. Juli 2025", "last updated (page chrome)"),
        (92, "Teilen", "page chrome"),
        (93, "Kopiert!", "page chrome"),
    ]
    assert example.lede.startswith("Founder Liang Wenfeng")
    # Tags are never voiced.
    assert not any(s.text.startswith(("HU", "FX", "Hans Uszkoreit (HU)")) for s in example.segments)


def test_segment_ids_are_short_unique_and_stable(example):
    ids = [s.id for s in example.segments]
    assert len(set(ids)) == len(ids)
    assert all(len(i) <= 8 for i in ids)
    again = load_episode(ROOT / "scripts" / "deepseek-interview.txt")
    assert [s.id for s in again.segments] == ids


@pytest.mark.parametrize("name", ["qa-english", "names-english", "german-cp1252"])
def test_other_conventions(name):
    expected = json.loads((INTERVIEWS / f"{name}.expected.json").read_text(encoding="utf-8"))
    episode = load_episode(INTERVIEWS / f"{name}.txt")
    assert episode.title == expected["title"]
    assert episode.date == dt.date.fromisoformat(expected["date"])
    assert {s.tag: s.name for s in episode.guests} == expected["speakers"]
    got = [
        {"title": c.title, "segments": [[s.speaker, s.text[:30]] for s in c.segments]} for c in episode.chapters
    ]
    assert got == expected["chapters"]
    assert [n.text for n in episode.not_spoken] == expected["not_spoken"]


def test_cp1252_with_crlf_warns_and_keeps_typography(caplog):
    raw = (INTERVIEWS / "german-cp1252.txt").read_bytes()
    assert b"\r\n" in raw
    with caplog.at_level("WARNING"):
        text = decode_text(raw, Path("german-cp1252.txt"))
    assert "cp1252" in caplog.text
    assert "\r" not in text and "„" in text and "–" in text


def test_utf8_bom_and_crlf_read_like_plain_utf8():
    text = (ROOT / "scripts" / "deepseek-interview.txt").read_text(encoding="utf-8")
    bommed = decode_text(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    assert split_script(bommed) == split_script(text)


def test_explicit_script_round_trips_the_example(example, tmp_path):
    path = tmp_path / "fixed.txt"
    path.write_text(format_explicit(example), encoding="utf-8")
    again = load_episode(path)
    assert again == example
    assert episode_json(again) == episode_json(example)


def test_explicit_script_edit_changes_speaker(example, tmp_path):
    text = format_explicit(example).replace("HU: It isn't common in China", "FX: It isn't common in China")
    path = tmp_path / "fixed.txt"
    path.write_text(text, encoding="utf-8")
    changed = [s for s in load_episode(path).segments if s.text.startswith("It isn't common")]
    assert changed[0].speaker == "FX"


def test_split_json_has_exactly_the_documented_shape(example):
    data = episode_json(example)
    assert list(data) == ["title", "date", "author", "speakers", "chapters", "not_spoken", "warnings"]
    assert data["date"] == "2025-02-02"
    assert all(list(s) == ["tag", "name", "role"] for s in data["speakers"])
    assert all(list(c) == ["title", "segments"] for c in data["chapters"])
    assert all(list(s) == ["id", "speaker", "text"] for c in data["chapters"] for s in c["segments"])
    assert all(list(n) == ["text", "reason"] for n in data["not_spoken"])
    assert all(list(w) == ["line", "kind", "message"] for w in data["warnings"])


def test_colon_in_title_is_not_a_tag_and_tags_are_stripped():
    episode = split_script("Energy: the next decade\n\nWhat now?\n\nAB : Wind.\n\nAB: Sun.\n")
    assert episode.title == "Energy: the next decade"
    assert [(s.speaker, s.text) for s in episode.segments] == [
        ("narrator", "Energy: the next decade"), ("interviewer", "What now?"), ("AB", "Wind."), ("AB", "Sun."),
    ]  # fmt: skip


def test_explicit_role_tags():
    text = "Title line\n\nInterviewer: Tell me more.\n\nNarrator: She paused.\n\nQ: Why?\n\nJD: Because.\n"
    assert [(s.speaker, s.text) for s in split_script(text).segments] == [
        ("narrator", "Title line"), ("interviewer", "Tell me more."), ("narrator", "She paused."),
        ("interviewer", "Why?"), ("JD", "Because."),
    ]  # fmt: skip


def _accounted(text: str) -> None:
    episode = split_script(text)
    voiced = set()
    for s in episode.segments:
        if s.line:
            voiced.update(range(s.line, s.end_line + 1))
    skipped = {n.line for n in episode.not_spoken}
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.strip():
            assert number in voiced or number in skipped, f"line {number} {line!r} is lost"


_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from([
        "", "", "", "HU: Yes, indeed.", "FX : No.", "Hans Uszkoreit (HU): We knew.", "Interviewer: So?",
        "Q: Why?", "What now?", "A heading here", "Teilen", "Kopiert!", "Published: 14 March 2024",
        "Letzte Aktualisierung: 24. Juli 2025", "Interview", "Dr. Feiyu Xu studied in Shanghai and Saarbrücken.",
        "Title: with a colon", "# Markdown heading", "Jane Doe: Hello there.", "Narrator: Meanwhile.",
        "By Jordan Lee, Staff Writer", "Interviewer: Sam Whitaker", "Sponsored content", "Home | About | Archive",
        "Big sale today. Shop now",
    ]),
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=40).map("\n".join))
def test_any_text_splits_and_every_line_is_voiced_or_reported(text):
    _accounted(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, max_size=30).map("\n".join))
def test_explicit_script_round_trips_any_split(text):
    episode = split_script(text)
    if not episode.segments:
        return
    assert parse_explicit(format_explicit(episode)) == episode


def test_every_line_of_the_example_is_accounted_for():
    _accounted((ROOT / "scripts" / "deepseek-interview.txt").read_text(encoding="utf-8"))
