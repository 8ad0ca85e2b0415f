"""A voice from a cast's table: its keys checked against its engine's settings, its model found.

A table names an espeak-ng voice (`voice = "en-US"`) or a Piper model (`engine = "piper"`,
`model = "en_US-joe-medium"`); each engine takes its own settings (`SETTINGS` in
`engines`), and a setting the engine does not have is an error that names the cast
file and the key. A Piper model is found here, so that every render, listing and
check after the cast's reading knows its file.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import fields, replace
from pathlib import Path

from ..errors import CastError
from ..model import Voice
from .engines import ENGINES, SETTINGS
from .engines.piper_models import PIPER_INSTALL

VOICE_KEYS = frozenset().union(*SETTINGS.values())
"""Every key a voice table may have, whatever its engine."""
_FIELDS = frozenset(f.name for f in fields(Voice))
_TYPES = (
    ("rate", int, "a whole number of words per minute, such as 170"),
    ("pitch", int, "a whole number from 0 to 99"),
    ("volume", (int, float), "a number from 0.0 to 2.0"),
    ("variant", str, 'a variant name such as "m3"'),
    ("engine", str, 'an engine name such as "piper"'),
    ("model", str, 'a voice model\'s name such as "en_US-joe-medium", or a path to its .onnx file'),
    ("speaker", (str, int), "a speaker's name or number"),
    ("length_scale", (int, float), "a number such as 1.0 (the model's own pace)"),
    ("noise_scale", (int, float), "a number from 0.0 to 2.0"),
    ("noise_w_scale", (int, float), "a number from 0.0 to 2.0"),
)


def check_table(spec: object, where: str, path: Path, known: frozenset[str] | set[str] = VOICE_KEYS) -> None:
    """Raise `CastError` for a voice table that is not a table, has an unknown key, or a value of the wrong type."""
    if not isinstance(spec, dict):
        raise CastError(f"{where} must be a table with {', '.join(sorted(known))}", path)
    for key in sorted(set(spec) - known):
        raise CastError(f"unknown key {key!r} in {where}; known: {', '.join(sorted(known))}", path)
    for key in ("voice", "model"):
        if key in spec and (not isinstance(spec[key], str) or not spec[key].strip()):
            raise CastError(f"{where}: {key} must be a voice name such as \"en-US\"", path)
    for key, kind, what in _TYPES:
        if key in spec and (not isinstance(spec[key], kind) or isinstance(spec[key], bool)):
            raise CastError(f"{where}: {key} must be {what} (it is {spec[key]!r})", path)
    if "engine" in spec and spec["engine"] not in ENGINES:
        raise CastError(f"{where}: unknown engine {spec['engine']!r}; known: {', '.join(ENGINES)}", path)


def voice_from(spec: dict, base: Voice | None, where: str, path: Path, project: Path | None) -> Voice:
    """The voice a (checked) table describes, as a change to `base` (or to the defaults).

    A table that gives `model` without `engine` is a Piper voice, one that gives `voice` an espeak-ng one;
    another voice keeps the pace and volume of the one it replaces, not its variant or speaker.
    """
    base = base or Voice("en")
    engine = spec.get("engine", "piper" if "model" in spec else "" if "voice" in spec else base.engine)
    start = base
    if (engine or "espeak") != (base.engine or "espeak"):  # another engine's settings do not carry over, only the
        # pace and volume
        start = Voice("en" if engine != "piper" else "", engine=engine, rate=base.rate, volume=base.volume)
    elif "voice" in spec or "model" in spec:  # another voice of the same engine: its own variant or speaker
        start = replace(base, variant="", speaker="")
    allowed = SETTINGS.get(engine or "espeak", SETTINGS["espeak"])
    for key in sorted(set(spec) - allowed - {"text", "original"}):
        raise CastError(
            f"{where}: {key!r} is not a setting of the {engine or 'espeak'} engine; its settings: "
            f"{', '.join(sorted(allowed))}", path
        )  # fmt: skip
    named = {"voice": "name"}  # the cast's key → the voice's field
    changes = {named.get(k, k): v for k, v in spec.items() if named.get(k, k) in _FIELDS and k != "engine"}
    if "voice" in spec:
        if "+" in changes["name"] and "variant" not in spec:
            changes["name"], changes["variant"] = changes["name"].split("+", 1)
    for key in ("rate", "pitch"):
        if key in changes:
            changes[key] = int(changes[key])
    for key in ("volume", "length_scale", "noise_scale", "noise_w_scale"):
        if key in changes:
            changes[key] = float(changes[key])
    if "speaker" in changes:  # a number is a speaker's id (`#12`), a string its name (or its id, if it has none)
        speaker = changes["speaker"]
        changes["speaker"] = f"#{speaker}" if isinstance(speaker, int) else str(speaker)
    voice = replace(start, **changes)
    return _with_model(voice, where, path, project) if engine == "piper" else voice


def _with_model(voice: Voice, where: str, path: Path, project: Path | None) -> Voice:
    """A Piper voice with its model found (`name` its name, `model` its file) and its settings checked."""
    if not installed("piper"):
        raise CastError(f"{where}: the Piper engine is not installed; install it with: {PIPER_INSTALL}", path)
    from .engines.piper import check_settings
    from .engines.piper_models import find_model

    if not voice.model:
        raise CastError(f'{where}: a Piper voice needs model = "NAME" (see `podcast voices --engine piper`)', path)
    try:
        model = find_model(voice.model, project)
        voice = replace(voice, name=model.name, model=str(model.path))
        check_settings(model, voice)
    except ValueError as exc:
        raise CastError(f"{where}: {exc}", path) from None
    return voice


def installed(module: str) -> bool:
    """True if `module` can be imported (without importing it)."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
