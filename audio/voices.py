"""`podcast voices`: what the engines offer (espeak-ng's voices, Piper's models), who the cast is, a spoken preview."""

from __future__ import annotations

from pathlib import Path

from .errors import CastError
from .paths import project_root
from .plan import default_output, default_script
from .sound.encode import encode_mp3
from .speech.cast import assign_voices, load_cast
from .speech.engines import EngineVoice, create_engine
from .speech.engines.ensemble import create_engines
from .speech.engines.piper_models import PiperModel
from .speech.lexicon import load_lexicon
from .speech.voicecheck import check_voices
from .text.script import load_episode

PREVIEW_TEXT = "Hello, this is {name}. Here is how I sound when I read a longer sentence aloud."


def list_voices(language: str = "") -> tuple[list[EngineVoice], list[str]]:
    """The engine's voices (those whose language starts with `language`) and variants."""
    engine = create_engine()
    voices = [v for v in engine.voices() if v.language.startswith(language.lower())]
    return voices, engine.variants()  # nothing spoken: no speech server to close


def list_models(language: str = "", script: Path | None = None) -> list[PiperModel]:
    """The Piper models found for a script's project (those whose language starts with `language`)."""
    from .speech.engines.piper_models import list_models as found

    wanted = language.lower().replace("-", "_")
    project = project_root(Path(script) if script else default_script())
    return [m for m in found(project) if m.language.lower().startswith(wanted)]


def _cast_for(script: Path | None, cast_file: Path | None):
    script = Path(script) if script else default_script()
    episode = load_episode(script)
    cast = load_cast(script, cast_file)
    return script, episode, cast, assign_voices(episode, cast)


def cast_rows(script: Path | None, cast_file: Path | None) -> list[tuple[str, ...]]:
    """(speaker, engine, voice, variant or speaker, rate, pitch, volume) for every speaker of the script."""
    _, episode, _, voices = _cast_for(script, cast_file)
    rows = []
    for s in episode.speakers:
        v = voices[s.tag]
        who = s.tag if s.name in (s.tag, "Narrator", "Interviewer") else f"{s.tag} ({s.name})"
        which = f"speaker {v.speaker}" if v.speaker else v.variant
        pitch = "" if v.engine == "piper" else str(v.pitch)
        rows.append((who, v.engine or "espeak", v.name, which, str(v.rate), pitch, f"{v.volume:g}"))
    return rows


def render_preview(script: Path | None, speaker: str, cast_file: Path | None) -> Path:
    """Render a short sample of one speaker to dist/preview-<speaker>.mp3."""
    script, episode, cast, voices = _cast_for(script, cast_file)
    if speaker not in voices:
        raise CastError(f"no speaker {speaker!r} in {script.name}; speakers: {', '.join(voices)}", script)
    engine = create_engines()
    try:
        engine.warm_up()
        check_voices(engine, {speaker: voices[speaker]}, cast, None)
        name = episode.speaker(speaker).name
        text = load_lexicon(script).apply(PREVIEW_TEXT.format(name=name))
        pcm = engine.synthesize(text, voices[speaker], f"the preview of {speaker}")
    finally:
        engine.close()
    target = default_output(script).with_name(f"preview-{speaker}.mp3")
    target.parent.mkdir(parents=True, exist_ok=True)
    encode_mp3([pcm], engine.sample_rate, target)
    return target
