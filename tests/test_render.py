"""End to end: render real speech, read the MP3 back with ffprobe, mutagen and a decoder."""

from __future__ import annotations

import json
import re

import pytest
from mutagen.id3 import ID3, CTOCFlags
from typer.testing import CliRunner

from audio.cli import app
from audio.render import render

pytestmark = pytest.mark.espeak  # speaks with libespeak-ng: run against both libraries

runner = CliRunner()


@pytest.fixture()
def rendered(project, cache_dir):
    """The two-guest script rendered with espeak-ng through the CLI."""
    script = project / "scripts" / "tiny.txt"
    result = runner.invoke(app, ["render", str(script), "--quiet"])
    assert result.exit_code == 0, result.output
    return project / "dist" / "tiny.mp3"


def test_render_writes_a_tagged_chaptered_mp3(rendered, probe):
    info = probe(rendered)
    fmt = info["format"]
    assert fmt["format_name"] == "mp3"
    stream = info["streams"][0]
    assert (stream["codec_name"], int(stream["sample_rate"]), stream["channels"]) == ("mp3", 44100, 1)
    assert abs(int(stream["bit_rate"]) - 64000) < 1000
    tags = {k.lower(): v for k, v in fmt["tags"].items()}
    assert tags["title"] == "Tiny robots: 'Small is the new big'"
    assert tags["artist"] == "Jane Smith, RK"
    assert tags["album"] == "Interviews, read aloud"
    assert tags["date"] == "2024-03-14"
    assert tags["genre"] == "Podcast"
    assert tags["comment"] == "Two researchers explain why the smallest machines matter."
    assert tags["language"] == "eng"

    chapters = info["chapters"]
    assert [c["tags"]["title"] for c in chapters] == ["Introduction", "Swarms in the wild"]
    assert chapters[0]["start_time"] == "0.000000"
    assert chapters[0]["end"] == chapters[1]["start"]  # back to back, in milliseconds
    duration = float(fmt["duration"])
    assert abs(float(chapters[-1]["end_time"]) - duration) < 0.06
    assert 6 < duration < 40


def test_id3_frames_are_v23_with_ordered_toc_and_time_ordered_chap_frames(rendered):
    tags = ID3(str(rendered), translate=False)  # the frames as stored, not upgraded to v2.4
    assert tags.version[:2] == (2, 3)
    assert tags["TLAN"].text == ["eng"]
    assert (str(tags["TYER"]), str(tags["TDAT"])) == ("2024", "1403")  # v2.3 keeps the date in TYER + TDAT
    toc = tags.getall("CTOC")
    assert len(toc) == 1
    assert toc[0].flags & CTOCFlags.TOP_LEVEL and toc[0].flags & CTOCFlags.ORDERED
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert list(toc[0].child_element_ids) == sorted(chaps, key=lambda k: chaps[k].start_time)
    for c in chaps.values():
        assert c.start_offset == c.end_offset == 0xFFFFFFFF
    # In the file itself, CHAP frames follow their start times (players read file order).
    raw = rendered.read_bytes()[: 10 + tags.size]
    in_file = [m.group(1).decode() for m in re.finditer(rb"CHAP.{6}(chp\d+)\x00", raw, re.S)]
    assert in_file == list(toc[0].child_element_ids)


def test_render_writes_transcript_chapters_and_manifest_that_agree(rendered, probe):
    dist = rendered.parent
    manifest = json.loads((dist / "tiny.json").read_text())
    chapters = json.loads((dist / "tiny.chapters.json").read_text())
    assert chapters["version"] == "1.2.0"
    probed = probe(rendered)["chapters"]
    assert [(c["title"], c["startTime"]) for c in chapters["chapters"]] == [
        (c["tags"]["title"], int(c["start"]) / 1000) for c in probed
    ]
    vtt = (dist / "tiny.vtt").read_text()
    assert vtt.startswith("WEBVTT")
    assert "<v Jane Smith>We build robots the size\nof a grain of sand.</v>" in vtt  # two caption lines
    speakers = [s["speaker"] for s in manifest["segments"]]
    assert speakers == ["narrator", "narrator", "interviewer", "JS", "RK", "narrator", "interviewer", "JS"]
    assert "Jane Smith: We build robots" in (dist / "tiny.srt").read_text()
    transcript = json.loads((dist / "tiny.transcript.json").read_text())  # Podcasting 2.0's JSON transcript
    assert transcript["version"] == "1.0.0"
    assert [(s["speaker"], s["body"]) for s in transcript["segments"]] == [
        ({"narrator": "Narrator", "interviewer": "Interviewer"}.get(s["speaker"], "Jane Smith" if s["speaker"] == "JS"
         else "RK"), s["text"]) for s in manifest["segments"]
    ]  # fmt: skip
    assert [(s["startTime"], s["endTime"]) for s in transcript["segments"]] == [
        (round(s["start"], 3), round(s["end"], 3)) for s in manifest["segments"]
    ]


@pytest.mark.cold  # counts what it synthesizes
def test_second_render_of_unchanged_script_does_nothing(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    first = render(script)
    assert first.synthesized == 8 and not first.up_to_date
    mp3 = project / "dist" / "tiny.mp3"
    before = mp3.read_bytes()
    again = render(script)
    assert again.up_to_date and again.synthesized == 0
    assert mp3.read_bytes() == before
    forced = render(script, force=True)
    assert forced.synthesized == 8 and not forced.up_to_date


def test_changed_script_synthesizes_only_new_segments(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    render(script)
    script.write_text(script.read_text().replace("long before anywhere else", "before anywhere else"))
    result = render(script)
    assert result.synthesized == 1 and result.cached == 7


def test_tone_engine_chapters_are_back_to_back_and_marks_sit_in_pauses(project, tone_cast, decode, probe):
    script = project / "scripts" / "tiny.txt"
    result = render(script, cast_file=tone_cast, engine_name="tone")
    timeline = result.timeline
    assert timeline.chapters[0].start == 0
    assert timeline.chapters[-1].end == timeline.length
    for a, b in zip(timeline.chapters, timeline.chapters[1:]):
        assert a.end == b.start
    rate, samples = decode(result.output, timeline.sample_rate)
    assert abs(len(samples) - timeline.length) <= rate // 100  # decoded length matches the plan
    for mark, take in ((c, next(t for t in timeline.takes if t.chapter == i)) for i, c in enumerate(timeline.chapters)):
        if mark.start == 0:
            continue
        before = samples[mark.start - rate // 4 : mark.start]
        assert abs(before.astype(int)).max() < 300  # silence in the 250 ms before the mark
        assert 0 < (take.start - mark.start) / rate <= 0.5  # the first word follows within 0.5 s


def test_failed_render_leaves_previous_episode_untouched(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    render(script)
    mp3 = project / "dist" / "tiny.mp3"
    before = {p.name: p.read_bytes() for p in mp3.parent.iterdir() if p.is_file()}
    (project / "voices" / "tiny.toml").write_text('[voices.JS]\nvoice = "en-gb"\nvariant = "f3"\n')
    result = runner.invoke(app, ["render", str(script)])
    assert result.exit_code == 4
    assert "tiny.toml" in result.output and "'JS'" in result.output
    after = {p.name: p.read_bytes() for p in mp3.parent.iterdir() if p.is_file()}
    assert after == before


def _png(red: int = 0xFF) -> bytes:
    """A real 2x2 PNG of one colour (`red` in red, no green or blue), made here."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([red, 0, 0]) * 2 for _ in range(2))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)) + chunk(
        b"IDAT", zlib.compress(rows)
    ) + chunk(b"IEND", b"")


def test_the_articles_author_is_the_mp3s_text_writer(project, tone_cast, probe):
    script = project / "scripts" / "tiny.txt"
    script.write_text(script.read_text(encoding="utf-8").replace("Two researchers", "By Thea Lindgren\n\nTwo r"))
    result = render(script, cast_file=tone_cast, engine_name="tone")
    assert ID3(str(result.output)).getall("TEXT")[0].text == ["Thea Lindgren"]
    assert probe(result.output)["format"]["tags"]["TEXT"] == "Thea Lindgren"  # ffprobe: the frame's own name
    manifest = json.loads(result.output.with_suffix(".json").read_text(encoding="utf-8"))
    assert manifest["author"] == "Thea Lindgren" and "Thea Lindgren" not in json.dumps(manifest["segments"])


def test_cover_image_is_embedded_as_front_cover(project, tone_cast, probe):
    cover = project / "cover.png"
    cover.write_bytes(_png())
    script = project / "scripts" / "tiny.txt"
    result = render(script, cast_file=tone_cast, engine_name="tone", cover=cover)
    pictures = ID3(str(result.output)).getall("APIC")
    assert len(pictures) == 1 and pictures[0].type == 3 and pictures[0].mime == "image/png"
    assert pictures[0].data == cover.read_bytes()
    streams = probe(result.output)["streams"]
    assert any(s.get("disposition", {}).get("attached_pic") == 1 for s in streams)
    assert [c["tags"]["title"] for c in probe(result.output)["chapters"]] == ["Introduction", "Swarms in the wild"]
    (project / "notpicture.png").write_text("hello")
    bad = runner.invoke(app, ["render", str(script), "--cover", str(project / "notpicture.png"), "--engine", "tone",
                              "--cast", str(tone_cast)])  # fmt: skip
    assert bad.exit_code == 4 and "must be a JPEG or PNG" in bad.output


def test_up_to_date_check_reads_no_script_and_still_sees_every_input(project, tone_cast, cache_dir):
    script = project / "scripts" / "tiny.txt"
    cover = project / "cover.png"
    cover.write_bytes(_png())
    lexicon = project / "voices" / "lexicon.toml"

    def again():
        return render(script, cast_file=tone_cast, engine_name="tone", cover=cover)

    assert not again().up_to_date
    quick = again()
    assert quick.up_to_date and quick.episode is None  # decided from the files' bytes alone
    # A comment in the cast changes the file, not the episode: found up to date by reading it,
    # and the next check is the quick one again.
    tone_cast.write_text(tone_cast.read_text() + "\n# a note\n", encoding="utf-8")
    read = again()
    assert read.up_to_date and read.episode is not None
    assert again().episode is None
    # Each real change is seen: the cover's bytes, a lexicon entry, the script.
    cover.write_bytes(_png(red=0x80))  # another picture, the same size
    assert not again().up_to_date
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + '\n"robots" = "row bots"\n', encoding="utf-8")
    changed = again()
    assert not changed.up_to_date and changed.synthesized >= 1
    script.write_text(script.read_text().replace("long before anywhere else", "before anywhere else"))
    assert again().synthesized == 1


def _integrated(path, reference_ffmpeg) -> tuple[float, float]:
    """(integrated loudness in LUFS, true peak in dBFS) of a file, by ffmpeg's ebur128."""
    import subprocess

    out = subprocess.run([reference_ffmpeg, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True)  # fmt: skip
    summary = out.stderr[out.stderr.rfind("Summary:") :]
    return (float(re.search(r"I:\s*(-?[\d.]+) LUFS", summary).group(1)),
            float(re.search(r"Peak:\s*(-?[\d.]+) dBFS", summary).group(1)))  # fmt: skip


def test_stereo_is_the_same_speech_at_minus_16_as_measured_and_mono_at_minus_19(rendered, project, probe,
                                                                               reference_ffmpeg):  # fmt: skip
    mono, mono_peak = _integrated(rendered, reference_ffmpeg)
    marks = [(c["start"], c["end"]) for c in probe(rendered)["chapters"]]
    (project / "voices" / "tiny.toml").write_text("[show]\nchannels = 2\n")  # the show's setting; --stereo alike
    result = runner.invoke(app, ["render", str(project / "scripts" / "tiny.txt"), "--quiet"])
    assert result.exit_code == 0, result.output
    stream = probe(rendered)["streams"][0]
    assert (stream["channels"], abs(int(stream["bit_rate"]) - 128000) < 1000) == (2, True)
    stereo, stereo_peak = _integrated(rendered, reference_ffmpeg)
    assert -19.5 <= mono <= -18.5 and -16.5 <= stereo <= -15.5, (mono, stereo)
    assert mono_peak <= -1.0 and stereo_peak <= -1.0
    assert [(c["start"], c["end"]) for c in probe(rendered)["chapters"]] == marks


def test_revoicing_a_stereo_episode_keeps_it_stereo(project, probe):
    script = project / "scripts" / "tiny.txt"
    assert runner.invoke(app, ["render", str(script), "--stereo", "--quiet"]).exit_code == 0
    segment = json.loads((project / "dist" / "tiny.json").read_text())["segments"][3]
    result = runner.invoke(app, ["revoice", segment["id"], str(script), "--rate", "150"])
    assert result.exit_code == 0, result.output
    assert "encoded 1 of 8 parts" in result.stderr
    assert probe(project / "dist" / "tiny.mp3")["streams"][0]["channels"] == 2


def test_channels_other_than_one_or_two_are_refused(project):
    (project / "voices" / "tiny.toml").write_text("[show]\nchannels = 6\n")
    result = runner.invoke(app, ["render", str(project / "scripts" / "tiny.txt"), "--quiet"])
    assert result.exit_code == 4 and "[show] channels must be 1 (mono) or 2 (stereo) (it is 6)" in result.stderr
