"""Tags and chapters written through mutagen, and the guard around its internals (`publish/id3order.py`)."""

from __future__ import annotations

import datetime
import logging
import re

import mutagen
from mutagen.id3 import ID3

from audio.model import Metadata
from audio.publish import id3order, tags
from audio.publish.tags import ChapterTag, read_chapters, write_tags
from audio.sound.encode import encode_mp3

META = Metadata("A title", "Jane Smith", "A show", datetime.date(2024, 3, 14), comment="The lede.")
# Chapters whose CHAP frames differ in size (titles of different lengths): mutagen's own
# order (by size) is not their time order.
CHAPTERS = [
    ChapterTag("chp0", "A long first chapter title, longer than the others", 0, 1000),
    ChapterTag("chp1", "Two", 1000, 2000),
    ChapterTag("chp2", "Third chapter", 2000, 3000),
]


def _mp3(tmp_path):
    path = tmp_path / "a.mp3"
    encode_mp3([bytes(2 * 22050 * 3)], 22050, path)
    return path


def _chap_order(path) -> list[str]:
    """The CHAP frames' element ids in the order they sit in the file (frame id, size, flags, then the id)."""
    return [m.group(1).decode() for m in re.finditer(rb"CHAP.{6}(chp\d)\x00", path.read_bytes(), re.S)]


def test_chapters_are_written_in_time_order_with_the_tested_mutagen(tmp_path, probe):
    assert ".".join(mutagen.version_string.split(".")[:2]) in id3order.TESTED  # the override is in use here
    path = _mp3(tmp_path)
    write_tags(path, META, CHAPTERS)
    assert _chap_order(path) == ["chp0", "chp1", "chp2"]
    assert [c.title for c in read_chapters(path)] == [c.title for c in CHAPTERS]
    assert [c["tags"]["title"] for c in probe(path)["chapters"]] == [c.title for c in CHAPTERS]


def test_an_untested_mutagen_is_used_with_a_warning_while_its_internals_fit(caplog):
    with caplog.at_level(logging.WARNING):
        used = id3order.id3_class("9.0.1")
    assert used is not ID3 and issubclass(used, ID3)
    assert "mutagen 9.0.1 is not one of the versions tested" in caplog.text


def test_changed_internals_fall_back_to_mutagens_own_writer_with_a_warning(tmp_path, probe, monkeypatch, caplog):
    def changed(self, config, padding):  # `ID3._write` as a later mutagen might have it
        raise AssertionError("never called")

    with caplog.at_level(logging.WARNING):
        fallback = id3order.id3_class(mutagen.version_string, changed)
    assert fallback is ID3
    assert "changed `ID3._write`" in caplog.text and "frame order" in caplog.text
    monkeypatch.setattr(tags, "id3_class", lambda: fallback)
    path = _mp3(tmp_path)
    write_tags(path, META, CHAPTERS)
    # Every tag and chapter is still there, in mutagen's frame order (by size): the CTOC keeps the time order.
    assert _chap_order(path) != ["chp0", "chp1", "chp2"]
    assert [c.title for c in read_chapters(path)] == [c.title for c in CHAPTERS]
    assert {c["tags"]["title"] for c in probe(path)["chapters"]} == {c.title for c in CHAPTERS}
    assert str(ID3(str(path))["TIT2"]) == "A title"
