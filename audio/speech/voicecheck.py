"""Checking voices before speech is made: a voice that would not take effect is a cast error.

espeak-ng falls back to its default voice for a name it does not know, without an
error; so each voice is heard once (see the engines' `check_voice`). Voices heard
before, with the same engine version, are remembered in the cache folder
(`voices.json`): their settings are still checked, but no speech is made to hear
them again.
"""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

from ..atomic import write_file
from ..errors import CastError
from ..model import Cast, Voice
from .engines import SpeechEngine

log = logging.getLogger(__name__)


class CheckedVoices:
    """The voices an engine has already shown to take effect, kept in one JSON file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def read(self) -> set[str]:
        """The voices heard before (see `heard_key`); none if the file is missing or damaged."""
        try:
            return set(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return set()

    def remember(self, voices: set[str]) -> None:
        """Keep the voices that passed their check; a failure to write only costs a check next time."""
        try:
            write_file(self.path, json.dumps(sorted(voices)).encode())
        except OSError as exc:
            log.debug("could not remember checked voices: %s", exc)

    def forget(self) -> None:
        """Forget every voice."""
        self.path.unlink(missing_ok=True)


def heard_key(engine: SpeechEngine, voice: Voice) -> str:
    """What is remembered of a voice that was heard to take effect: the engine, its version, the name and variant."""
    return f"{engine.name} {engine.version()} {voice.name} {voice.variant}"


def check_voice(engine: SpeechEngine, voice: Voice, checked: CheckedVoices | None) -> str:
    """Check one voice, hearing it unless it was heard before; its `heard_key`.

    Raises `ValueError` (the engine's words) for a voice that would not take effect,
    after making sure the engine can speak at all: a library that cannot speak explains
    a voice that seems not to work, and its own error says so.
    """
    key = heard_key(engine, voice)
    try:
        engine.check_voice(voice, hear=key not in (checked.read() if checked else set()))
    except ValueError:
        engine.verify()
        raise
    return key


def check_voices(engine: SpeechEngine, voices: dict[str, Voice], cast: Cast, checked: CheckedVoices | None) -> None:
    """Raise `CastError` naming the cast file and speaker (or overridden segment) of a voice that would not
    take effect. `voices` are by speaker or segment id."""
    passed = checked.read() if checked else set()
    fresh = set()
    for who, voice in voices.items():
        key = heard_key(engine, voice)
        try:
            engine.check_voice(voice, hear=key not in passed)
        except ValueError as exc:
            engine.verify()
            if who in cast.overrides:
                raise CastError(f"override {who}: {exc}", cast.sources[-1]) from None
            source = next((p for p in reversed(cast.sources) if who in _speakers_in(p)), cast.sources[-1])
            raise CastError(f"speaker {who!r}: {exc}", source) from None
        fresh.add(key)
    if checked and fresh - passed:
        checked.remember(passed | fresh)


def _speakers_in(path: Path) -> set[str]:
    try:
        with open(path, "rb") as f:
            return set(tomllib.load(f).get("voices", {}))
    except (OSError, ValueError):
        return set()
