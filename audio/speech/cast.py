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
from ..model import INTERVIEWER, NARRATOR, Cast, Episode, Mastering, Override, Pauses, Show, Voice
from ..paths import default_cast_path, episode_cast_path
from ..show import build_show, check_show

log = logging.getLogger(__name__)

_VOICE_KEYS = {"voice", "variant", "rate", "pitch", "volume"}
_OVERRIDE_KEYS = _VOICE_KEYS | {"text", "original"}
_TOP_KEYS = {"show", "pauses", "loudness", "voices", "pool", "overrides"}


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
    for path in sources:
        raw = read_toml(path)
        _check_keys(raw, path)
        voices = dict(data.get("voices", {}))
        for speaker, spec in raw.get("voices", {}).items():
            # Naming a new voice replaces the speaker's whole voice; otherwise change only what is given.
            voices[speaker] = dict(spec) if "voice" in spec else {**voices.get(speaker, {}), **spec}
        data = _merge(data, raw)
        data["voices"] = voices
    return _build_cast(data, sources)


def _check_keys(raw: dict, path: Path) -> None:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise CastError(f"unknown table or key {sorted(unknown)[0]!r}; known: {', '.join(sorted(_TOP_KEYS))}", path)
    for section, model in (("show", Show), ("pauses", Pauses), ("loudness", Mastering)):
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
        _check_voice_table(spec, f"[voices.{speaker}]", path)
    overrides = raw.get("overrides", {})
    if not isinstance(overrides, dict):
        raise CastError("[overrides] must be a table of segment id = { … }", path)
    for segment, spec in overrides.items():
        _check_voice_table(spec, f"[overrides.{segment}]", path, _OVERRIDE_KEYS)
        if not isinstance(spec.get("original"), str):
            raise CastError(f"[overrides.{segment}] needs original = the segment's text", path)
        if "text" in spec and (not isinstance(spec["text"], str) or not spec["text"].strip()):
            raise CastError(f"[overrides.{segment}]: text must be the words to say", path)
    pool = raw.get("pool", [])
    if not isinstance(pool, list):
        raise CastError("pool must be an array of tables ([[pool]])", path)
    for n, spec in enumerate(pool, start=1):
        _check_voice_table(spec, f"[[pool]] number {n}", path)


def _check_voice_table(spec: object, where: str, path: Path, known: set[str] = _VOICE_KEYS) -> None:
    if not isinstance(spec, dict):
        raise CastError(f"{where} must be a table with {', '.join(sorted(known))}", path)
    for key in set(spec) - known:
        raise CastError(f"unknown key {key!r} in {where}; known: {', '.join(sorted(known))}", path)
    if "voice" in spec and (not isinstance(spec["voice"], str) or not spec["voice"].strip()):
        raise CastError(f"{where}: voice must be a voice name such as \"en-US\"", path)
    for key, kind, what in _VOICE_TYPES:
        if key in spec and (not isinstance(spec[key], kind) or isinstance(spec[key], bool)):
            raise CastError(f"{where}: {key} must be {what} (it is {spec[key]!r})", path)


_VOICE_TYPES = (
    ("rate", int, "a whole number of words per minute, such as 170"),
    ("pitch", int, "a whole number from 0 to 99"),
    ("volume", (int, float), "a number from 0.0 to 2.0"),
    ("variant", str, 'a variant name such as "m3"'),
)
_NUMBERS = {  # (section, key): (whole numbers only, lowest, highest, unit)
    **{("pauses", key): (True, 0, 10_000, "ms") for key in ("paragraph", "speaker", "chapter", "title")},
    ("loudness", "target"): (False, -30.0, -10.0, "LUFS"),
    ("loudness", "true_peak"): (False, -9.0, 0.0, "dBTP"),
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


def _voice(spec: dict, base: Voice | None = None) -> Voice:
    base = base or Voice("en")
    name = spec.get("voice", base.name)
    variant = spec.get("variant", "")
    if "+" in name and "variant" not in spec:
        name, variant = name.split("+", 1)
    return Voice(
        name=name,
        variant=variant,
        rate=int(spec.get("rate", base.rate)),
        pitch=int(spec.get("pitch", base.pitch)),
        volume=float(spec.get("volume", base.volume)),
    )


def _build_cast(data: dict, sources: list[Path]) -> Cast:
    voices = {speaker: _voice(spec) for speaker, spec in data.get("voices", {}).items()}
    pool = tuple(_voice(spec) for spec in data.get("pool", []))
    return Cast(
        voices=voices,
        pool=pool,
        pauses=Pauses(**data.get("pauses", {})),
        loudness=Mastering(**data.get("loudness", {})),
        overrides={seg: Override(segment=seg, **spec) for seg, spec in data.get("overrides", {}).items()},
        show=build_show(data.get("show", {})),
        sources=tuple(sources),
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
        if slot >= len(free):
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


def override_voice(base: Voice, override: Override) -> Voice:
    """The voice of an overridden segment: its speaker's voice with the override's changes."""
    spec = {k: getattr(override, k) for k in ("voice", "variant", "rate", "pitch", "volume")}
    spec = {k: v for k, v in spec.items() if v is not None}
    if "voice" not in spec:
        spec = {"voice": base.name, "variant": base.variant, **spec}
    return _voice(spec, base)


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
        per_segment[seg_id] = override_voice(voices[segment.speaker], override)
        if override.text is not None:
            texts[seg_id] = override.text
        changes = [
            f"{k}={getattr(override, k)!r}"
            for k in ("voice", "variant", "rate", "pitch", "volume")
            if getattr(override, k) is not None
        ]
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
