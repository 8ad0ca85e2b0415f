"""Re-voicing one segment: record the change in the episode's cast, then bring the episode up to date."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

from .caches import CacheFolder
from .errors import CastError, OutputError, PodcastError
from .model import OVERRIDE_SETTINGS, Override, Voice
from .paths import episode_cast_path, is_stream
from .plan import default_output, default_script
from .render import RenderResult, Reporter, locked, render
from .sound.encode import Mp3Settings
from .speech.cache import default_cache_dir
from .speech.cast import assign_voices, load_cast, override_voice
from .speech.engines import SETTINGS
from .speech.engines.ensemble import create_engines
from .speech.voicecheck import check_voice
from .text.script import MAX_SEGMENT_CHARS, load_episode

CHANGES = (*OVERRIDE_SETTINGS, "text")
_BELONGS = {"voice": ("variant", "model", "speaker", "engine"), "model": ("voice", "variant", "speaker", "engine"),
            "engine": ("voice", "variant", "model", "speaker")}  # fmt: skip
"""What a new voice, model or engine replaces of an earlier override, unless it is given again."""


def nearest_ids(wanted: str, ids: list[str], n: int = 3) -> list[str]:
    """The segment ids closest to `wanted`: same prefix first, then by similarity."""
    prefixed = [i for i in ids if i.startswith(wanted[:3])]
    return list(dict.fromkeys(prefixed + difflib.get_close_matches(wanted, ids, n=n, cutoff=0.3)))[:n]


def revoice(
    segment_id: str,
    script: Path | None = None,
    output: Path | None = None,
    cache_dir: Path | None = None,
    reporter: Reporter | None = None,
    engine_name: str = "espeak",
    cast_file: Path | None = None,
    **changes,
) -> RenderResult:
    """Change one segment's voice settings or words, keep the change, re-render what it touches.

    `changes` are any of `CHANGES` (engine, voice, model, speaker, …, text). The override is
    written to `voices/<script name>.toml` (created if missing), or to `cast_file` (the cast the
    episode is rendered with, `--cast`), so that later renders
    keep it; only this segment is synthesized again (and a new voice's calibration reading).
    """
    changes = _checked(changes)
    script = Path(script) if script else default_script()
    if is_stream(script):
        raise PodcastError("revoice reads the script twice: name the script's file, not - (standard input)")
    episode = load_episode(script)
    segments = {s.id: s for s in episode.segments}
    segment = segments.get(segment_id)
    if segment is None:
        near = nearest_ids(segment_id, list(segments))
        hint = f"; nearest: {', '.join(near)}" if near else ""
        raise PodcastError(f"no segment {segment_id!r} in {script}{hint} (`podcast split` lists them)")

    cast_path = Path(cast_file) if cast_file else episode_cast_path(script)
    cast = load_cast(script, cast_file)
    previous = cast.overrides.get(segment_id)
    merged = {k: getattr(previous, k) for k in CHANGES} if previous and previous.original == segment.text else {}
    merged = {k: v for k, v in merged.items() if v is not None}
    for key, replaced in _BELONGS.items():
        if key in changes:  # a new voice brings its own variant (or speaker) unless one is named
            for other in replaced:
                if other not in changes:
                    merged.pop(other, None)
    merged.update(changes)
    base = assign_voices(episode, cast)[segment.speaker]
    merged = _for_engine(merged, changes, base)
    override = Override(segment=segment_id, original=segment.text, **merged)
    engine = create_engines(engine_name)
    try:
        engine.warm_up()
        voice = override_voice(base, override, cast)
        try:  # a voice heard before (at other settings): its new settings are checked, no speech is made
            check_voice(engine, voice, CacheFolder(cache_dir or default_cache_dir()).voices)
        except ValueError as exc:
            raise CastError(f"segment {segment_id}: {exc}", cast_path) from None
        with locked(Path(output) if output else default_output(script)):
            pass  # a render of the episode at work refuses this one (exit 9) before the override is written
        write_override(cast_path, override)
        # the same engine: the voice it has just checked is not checked again
        target = Path(output) if output else default_output(script)
        return render(script, output, cast_file, cache_dir=cache_dir, reporter=reporter, engine_name=engine_name,
                      engine=engine, settings=_settings_of(target))  # fmt: skip
    finally:
        engine.close()


def _settings_of(episode: Path) -> Mp3Settings:
    """How the episode on disk was encoded: a stereo one (`--stereo`) stays stereo."""
    from .sound.encode import STEREO

    try:
        from mutagen.mp3 import MP3

        return STEREO if MP3(episode).info.channels == 2 else Mp3Settings()
    except Exception:  # noqa: BLE001 - none yet, or unreadable: the render says what is wrong with it
        return Mp3Settings()


def _for_engine(merged: dict, changes: dict, base: Voice) -> dict:
    """The merged changes without the earlier ones the segment's engine, after them, does not have (a Piper
    `length_scale` once `--voice en-US` brings the segment back to espeak-ng, an espeak-ng `pitch` once it goes
    to Piper); what is asked now is kept, and refused by the engine if it does not have it."""
    if "engine" in merged:
        engine = merged["engine"]
    elif "model" in merged:
        engine = "piper"
    elif "voice" in merged:
        engine = ""
    else:
        engine = base.engine
    allowed = SETTINGS.get(engine or "espeak", SETTINGS["espeak"]) | {"text"}
    return {k: v for k, v in merged.items() if k in allowed or k in changes}


def _checked(changes: dict) -> dict:
    """The changes asked for (those not None); raises `PodcastError` for none, an unknown one or bad words."""
    changes = {k: v for k, v in changes.items() if v is not None}
    unknown = set(changes) - set(CHANGES)
    if unknown:
        raise PodcastError(f"cannot change {sorted(unknown)[0]!r}; change one of {', '.join(CHANGES)}")
    if not changes:
        raise PodcastError("say what to change: --voice, --variant, --rate, --pitch, --volume, --text, "
                           "or for Piper --engine piper --model, --speaker, --length-scale")
    text = changes.get("text")
    if text is not None and not str(text).strip():
        raise PodcastError("--text must not be empty")
    if text is not None and len(text) > MAX_SEGMENT_CHARS:
        raise PodcastError(f"--text is {len(text):,} characters; a segment has at most {MAX_SEGMENT_CHARS:,}")
    return changes


def write_override(path: Path, override: Override) -> None:
    """Add or replace `[overrides.<id>]` in a cast file, keeping everything else as written."""
    import tomlkit

    try:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    except (OSError, UnicodeDecodeError) as exc:
        raise CastError(f"cannot be read ({exc})", path) from None
    except tomlkit.exceptions.TOMLKitError as exc:
        raise CastError(f"is not valid TOML: {exc}", path) from None
    if "overrides" not in document:
        document.add(tomlkit.nl())
        document.add(
            tomlkit.comment("Per-segment changes made by `podcast revoice`; `original` is the text they apply to.")
        )
        document.add("overrides", tomlkit.table(is_super_table=True))
    table = tomlkit.table()
    table.add("original", override.original)
    for key in CHANGES:
        value = getattr(override, key)
        if value is not None:
            table.add(key, value)
    document["overrides"][override.segment] = table
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(tomlkit.dumps(document))
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write the cast file ({exc.strerror})", path) from None
