"""`podcast doctor` and `--version`: which engine, ffmpeg and cache are in use."""

from __future__ import annotations

from .caches import CacheFolder
from .errors import PodcastError
from .sound.ffmpeg import ffmpeg_version, find_ffmpeg
from .speech.cache import default_cache_dir
from .speech.engines import create_engine


def describe_tools(speak: bool = False) -> list[str]:
    """One line each for the speech engine, ffmpeg and the cache.

    `speak`: the engine's library in detail (version, path, why it was chosen) and one
    timed utterance, as `podcast doctor` shows them."""
    lines = []
    try:
        engine = create_engine()
        try:
            lines.append(f"engine: {engine.describe()}")
            if speak:
                lines += [f"  {line}" for line in engine.details()]
        finally:
            engine.close()
    except PodcastError as exc:
        lines.append(f"engine: NOT AVAILABLE ({exc})")
    lines += _piper_lines()
    try:
        path, origin = find_ffmpeg()
        lines.append(f"ffmpeg: {ffmpeg_version(path)}, {origin} ({path})")
    except PodcastError as exc:
        lines.append(f"ffmpeg: NOT AVAILABLE ({exc})")
    cache = CacheFolder(default_cache_dir())
    try:
        cache.check()
        lines.append(f"cache: {cache.root}")
    except PodcastError as exc:
        lines.append(f"cache: {cache.root} (NOT USABLE: {exc})")
    return lines


def _piper_lines() -> list[str]:
    """The Piper engine (an extra): installed or not, and the voice models found."""
    from .speech.engines.piper_models import PIPER_INSTALL, list_models
    from .speech.voicespec import installed

    if not installed("piper"):
        return [f"piper: not installed (natural voices: {PIPER_INSTALL})"]
    models = list_models()
    found = ", ".join(f"{m.name} ({m.where})" for m in models) or "none; `podcast voices install NAME` adds one"
    return [f"piper: installed; voice models: {found}"]
