"""`podcast doctor` and `--version`: which engine, ffmpeg and cache are in use."""

from __future__ import annotations

from .cache import default_cache_dir
from .encode import ffmpeg_version, find_ffmpeg
from .engines import create_engine
from .errors import PodcastError


def describe_tools() -> list[str]:
    """One line each for the speech engine, ffmpeg and the cache."""
    lines = []
    try:
        lines.append(f"engine: {create_engine().describe()}")
    except PodcastError as exc:
        lines.append(f"engine: NOT AVAILABLE ({exc})")
    try:
        path, origin = find_ffmpeg()
        lines.append(f"ffmpeg: {ffmpeg_version(path)}, {origin} ({path})")
    except PodcastError as exc:
        lines.append(f"ffmpeg: NOT AVAILABLE ({exc})")
    lines.append(f"cache: {default_cache_dir()}")
    return lines
