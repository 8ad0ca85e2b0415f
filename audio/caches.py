"""The cache folder as `podcast cache` shows it: synthesized speech, encoded parts and the voices heard."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .sound.parts import PartStore
from .speech.cache import SegmentCache
from .speech.voicecheck import CheckedVoices

OLD_FOLDERS = ("chapters",)
"""Folders older versions kept in the cache."""


@dataclass(frozen=True)
class CacheStats:
    """What `podcast cache` reports."""

    path: Path
    """The cache folder."""
    entries: int
    """Synthesized segments."""
    bytes: int
    """Everything in it: speech, records and encoded parts."""


class CacheFolder:
    """One cache folder: `??/` speech (`SegmentCache`), `parts/` (`PartStore`), `voices.json` (`CheckedVoices`)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.speech = SegmentCache(self.root)
        self.parts = PartStore(self.root / "parts")
        self.voices = CheckedVoices(self.root / "voices.json")

    def stats(self) -> CacheStats:
        """Entry count and size on disk."""
        entries = self.speech.entries()
        size = sum(p.stat().st_size for p in entries)
        if self.root.is_dir():
            others = [*self.root.glob("??/*.json"), *self.parts.folder.glob("*")]
            others += [p for old in OLD_FOLDERS for p in (self.root / old).glob("*")]
            size += sum(p.stat().st_size for p in others)
        return CacheStats(self.root, len(entries), size)

    def clear(self) -> int:
        """Delete everything in it; returns how many synthesized segments there were."""
        count = self.speech.clear()
        for sub in [self.parts.folder, *(self.root / old for old in OLD_FOLDERS)]:
            shutil.rmtree(sub, ignore_errors=True)
        self.voices.forget()
        return count
