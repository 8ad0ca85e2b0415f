"""Casts: which voice speaks for whom, how the episode is paced, and the show it belongs to.

A cast is TOML. `voices/default.toml` applies to every episode; `voices/<script>.toml`
(or `--cast FILE`) is merged over it, table by table::

    [show]
    name = "Interviews, read aloud"   # the album tag
    language = "eng"

    [pauses]            # milliseconds
    paragraph = 450
    speaker = 700
    chapter = 1600
    title = 1200

    [voices.interviewer]
    voice = "en-US"
    variant = "f2"
    rate = 165
    pitch = 60
    volume = 1.0

    [[pool]]            # voices for guests the cast does not name, in order
    voice = "en-GB-x-rp"
    variant = "m3"
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import fields, replace
from pathlib import Path

from ..errors import CastError
from ..model import (
    INTERVIEWER,
    NARRATOR,
    OVERRIDE_SETTINGS,
    Cast,
    Episode,
    Mastering,
    MusicMix,
    Override,
    Pauses,
    Show,
    Voice,
)  # fmt: skip
from ..paths import default_cast_path, episode_cast_path, project_root
from ..show import build_show, check_show
from .voicespec import VOICE_KEYS, check_table, voice_from

log = logging.getLogger(__name__)

_OVERRIDE_KEYS = VOICE_KEYS | {"text", "original"}
_TOP_KEYS = {"show", "pauses", "loudness", "music", "voices", "pool", "overrides"}


def read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise CastError("no such cast file", path) from None
    except IsADirectoryError:
        raise CastError("is a directory, not a cast file", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise CastError(f"is not valid TOML: {exc}", path) from None
    except UnicodeDecodeError:
        raise CastError("is not UTF-8 text", path) from None
    except OSError as exc:
        raise CastError(f"cannot be read ({exc.strerror})", path) from None


def _merge(base: dict, top: dict) -> dict:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_cast(script: Path | None = None, cast_file: Path | None = None) -> Cast:
    """The cast for a script: the default cast with the episode's cast (or `cast_file`) over it."""
    sources = [default_cast_path(script)]
    if cast_file is not None:
        sources.append(Path(cast_file))
    elif script is not None and episode_cast_path(script).is_file():
        sources.append(episode_cast_path(script))
    data: dict = {}
    origins: dict[str, Path] = {}  # the file that last set each voice, the pool and each override
    for path in sources:
        raw = read_toml(path)
        _check_keys(raw, path)
        voices = dict(data.get("voices", {}))
        for speaker, spec in raw.get("voices", {}).items():
            # Naming a new voice replaces the speaker's whole voice; otherwise change only what is given.
            before = (voices.get(speaker, {}).get("engine") or "espeak") if isinstance(spec, dict) else ""
            fresh = "voice" in spec or "model" in spec or "engine" in spec and (spec["engine"] or "espeak") != before
            voices[speaker] = dict(spec) if fresh else {**voices.get(speaker, {}), **spec}
            origins[f"[voices.{speaker}]"] = path
        origins.update({"pool": path} if "pool" in raw else {})
        origins.update({f"[overrides.{segment}]": path for segment in raw.get("overrides", {})})
        data = _merge(data, raw)
        data["voices"] = voices
    project = project_root(script) if script is not None else Path.cwd()
    return _build_cast(data, sources, origins, project)


def _check_keys(raw: dict, path: Path) -> None:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise CastError(f"unknown table or key {sorted(unknown)[0]!r}; known: {', '.join(sorted(_TOP_KEYS))}", path)
    for section, model in (("show", Show), ("pauses", Pauses), ("loudness", Mastering), ("music", MusicMix)):
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise CastError(f"[{section}] must be a table", path)
        if section == "show":
            check_show(table, path)
            continue
        known = {f.name for f in fields(model)}
        for key in set(table) - known:
            raise CastError(f"unknown key {key!r} in [{section}]; known: {', '.join(sorted(known))}", path)
        for key, value in table.items():
            _check_setting(section, key, value, path)
    voices = raw.get("voices", {})
    if not isinstance(voices, dict):
        raise CastError("[voices] must be a table of speaker = { voice = … }", path)
    for speaker, spec in voices.items():
        check_table(spec, f"[voices.{speaker}]", path)
    overrides = raw.get("overrides", {})
    if not isinstance(overrides, dict):
        raise CastError("[overrides] must be a table of segment id = { … }", path)
    for segment, spec in overrides.items():
        check_table(spec, f"[overrides.{segment}]", path, _OVERRIDE_KEYS)
        if not isinstance(spec.get("original"), str):
            raise CastError(f"[overrides.{segment}] needs original = the segment's text", path)
        if "text" in spec and (not isinstance(spec["text"], str) or not spec["text"].strip()):
            raise CastError(f"[overrides.{segment}]: text must be the words to say", path)
    pool = raw.get("pool", [])
    if not isinstance(pool, list):
        raise CastError("pool must be an array of tables ([[pool]])", path)
    for n, spec in enumerate(pool, start=1):
        check_table(spec, f"[[pool]] number {n}", path)


_NUMBERS = {  # (section, key): (whole numbers only, lowest, highest, unit)
    **{("pauses", key): (True, 0, 10_000, "ms") for key in ("paragraph", "speaker", "chapter", "title")},
    ("loudness", "target"): (False, -30.0, -10.0, "LUFS"),
    ("loudness", "true_peak"): (False, -9.0, 0.0, "dBTP"),
    ("music", "below"): (False, 0.0, 30.0, "LU"),
    ("music", "duck"): (False, 0.0, 40.0, "dB"),
    ("music", "overlap"): (False, 0.0, 10.0, "s"),
    ("music", "fade"): (False, 0.1, 10.0, "s"),
}


def _check_setting(section: str, key: str, value: object, path: Path) -> None:
    """Raise `CastError` naming the key for a setting of the wrong type or out of its range."""
    where = f"[{section}] {key}"
    if (section, key) in _NUMBERS:
        whole, low, high, unit = _NUMBERS[section, key]
        kind = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
            raise CastError(f"{where} must be {kind} of {unit} from {low:g} to {high:g} (it is {value!r})", path)
        if not low <= value <= high:
            raise CastError(f"{where} must be from {low:g} to {high:g} {unit} (it is {value:g})", path)


def _build_cast(data: dict, sources: list[Path], origins: dict[str, Path], project: Path) -> Cast:
    def build(spec: dict, where: str, key: str) -> Voice:
        return voice_from(spec, None, where, origins.get(key, sources[-1]), project)

    voices = {s: build(spec, f"[voices.{s}]", f"[voices.{s}]") for s, spec in data.get("voices", {}).items()}
    pool = tuple(build(spec, f"[[pool]] number {n}", "pool") for n, spec in enumerate(data.get("pool", []), 1))
    return Cast(
        voices=voices,
        pool=pool,
        pauses=Pauses(**data.get("pauses", {})),
        loudness=Mastering(**data.get("loudness", {})),
        music=MusicMix(**data.get("music", {})),
        overrides={seg: Override(segment=seg, **spec) for seg, spec in data.get("overrides", {}).items()},
        show=build_show(data.get("show", {})),
        sources=tuple(sources),
        project=project,
    )


def assign_voices(episode: Episode, cast: Cast) -> dict[str, Voice]:
    """A voice for every speaker of the episode.

    Named speakers get their cast voice; the narrator falls back to the interviewer's.
    The n-th guest (in order of first appearance) gets the n-th pool voice unless the
    cast names it, so naming one guest never changes another's voice; pool voices
    that a role already uses are skipped, and if the pool runs out it starts again a
    little higher.
    """
    roles = {cast.voices[r] for r in (NARRATOR, INTERVIEWER) if r in cast.voices}
    free = [v for v in cast.pool if v not in roles] or list(cast.pool) or [Voice("en")]
    chosen: dict[str, Voice] = {}
    slot = 0
    for speaker in episode.speakers:
        tag = speaker.tag
        if tag in (NARRATOR, INTERVIEWER):
            fallback = cast.voices.get(INTERVIEWER, Voice("en")) if tag == NARRATOR else Voice("en")
            chosen[tag] = cast.voices.get(tag, fallback)
            continue
        voice = free[slot % len(free)]
        if slot >= len(free) and voice.engine == "piper" and tag not in cast.voices:  # Piper has no pitch to raise
            log.warning("speaker %s gets %s, as another guest does (the pool ran out; Piper voices have no pitch to "
                        "tell them apart): add a [[pool]] voice or name the speaker in the cast", tag, voice.label)
        elif slot >= len(free):
            voice = replace(voice, pitch=min(99, voice.pitch + 12 * (slot // len(free))))
        slot += 1
        if tag in cast.voices:
            chosen[tag] = cast.voices[tag]
        else:
            chosen[tag] = voice
            # A cast that names some guests but not this one may have a typo in a tag.
            names_guests = any(t not in (NARRATOR, INTERVIEWER) for t in cast.voices)
            log.log(
                logging.WARNING if names_guests else logging.INFO,
                "speaker %s is not in the cast; voiced with %s from the pool",
                tag,
                voice.label,
            )
    return chosen


def override_voice(base: Voice, override: Override, cast: Cast) -> Voice:
    """The voice of an overridden segment: its speaker's voice with the override's changes."""
    spec = {k: getattr(override, k) for k in VOICE_KEYS if getattr(override, k, None) is not None}
    return voice_from(spec, base, f"[overrides.{override.segment}]", cast.sources[-1], cast.project)


def apply_overrides(episode: Episode, voices: dict[str, Voice], cast: Cast):
    """(episode with overridden texts, voice per segment id, notes on what applies, stale overrides).

    An override whose segment is gone, or whose segment's text changed since, is not
    applied: it is reported, never put on the wrong words.
    """
    segments = {s.id: s for s in episode.segments}
    per_segment = {s.id: voices[s.speaker] for s in episode.segments}
    texts: dict[str, str] = {}
    notes, stale = [], []
    for seg_id, override in cast.overrides.items():
        segment = segments.get(seg_id)
        if segment is None or segment.text != override.original:
            stale.append(f"override for segment {seg_id} is stale: "
                         + ("no such segment in the script any more" if segment is None
                            else "its text changed in the script")
                         + f" (was: {override.original[:40]!r}); remove it from the cast or revoice again")
            continue
        per_segment[seg_id] = override_voice(voices[segment.speaker], override, cast)
        if override.text is not None:
            texts[seg_id] = override.text
        changes = [f"{k}={getattr(override, k)!r}" for k in OVERRIDE_SETTINGS if getattr(override, k) is not None]
        if override.text is not None:
            changes.append(f"text={override.text[:30]!r}")
        notes.append(f"override {seg_id} ({segment.speaker}): {', '.join(changes)}")
    if texts:
        episode = replace(
            episode,
            chapters=tuple(
                replace(c, segments=tuple(replace(s, text=texts.get(s.id, s.text)) for s in c.segments))
                for c in episode.chapters
            ),
        )
    return episode, per_segment, notes, stale
