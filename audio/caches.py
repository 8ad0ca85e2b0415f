"""The cache folder as `podcast cache` shows it: synthesized speech, encoded parts and the voices heard."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .atomic import reason
from .errors import OutputError
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

    def prune(self, used: set[str]) -> None:
        """Keep the folder from growing without end: drop what older versions kept, and parts long unused."""
        for old in OLD_FOLDERS:
            shutil.rmtree(self.root / old, ignore_errors=True)
        self.parts.prune(used)

    def check(self) -> None:
        """Raise `OutputError` if the folder cannot be a cache folder: it, or a folder above it, is a file."""
        for folder in [self.root, *self.root.parents]:
            if folder.exists() and not folder.is_dir():
                raise OutputError("is a file, not a folder; set another cache folder (--cache-dir)", folder)
            if folder.is_dir():  # the nearest folder that is there: the cache goes in it
                if not os.access(folder, os.W_OK):
                    raise OutputError("is not writable; set another cache folder (--cache-dir)", folder)
                return

    def stats(self) -> CacheStats:
        """Entry count and size on disk."""
        self.check()
        try:
            entries = self.speech.entries()
            size = sum(p.stat().st_size for p in entries)
            if self.root.is_dir():
                others = [*self.root.glob("??/*.json"), *self.parts.folder.glob("*")]
                others += [p for old in OLD_FOLDERS for p in (self.root / old).glob("*")]
                size += sum(p.stat().st_size for p in others)
        except OSError as exc:
            raise OutputError(f"cannot be read ({reason(exc)})", exc.filename or self.root) from None
        return CacheStats(self.root, len(entries), size)

    def clear(self) -> int:
        """Delete everything in it; returns how many synthesized segments there were.

        Raises `OutputError` naming the first file that could not be deleted.
        """
        count = self.stats().entries
        failed: list[tuple[str, OSError]] = []
        keep = lambda function, path, exc: failed.append((path, exc))  # noqa: E731
        subs = [*self.root.glob("??"), self.parts.folder, *(self.root / old for old in OLD_FOLDERS)]
        for sub in subs:
            if not sub.is_dir():
                continue
            if sys.version_info >= (3, 12):
                shutil.rmtree(sub, onexc=keep)
            else:
                shutil.rmtree(sub, onerror=_old(keep))
        try:
            self.voices.forget()
        except OSError as exc:
            failed.append((str(self.voices.path), exc))
        if failed:
            path, exc = failed[0]
            raise OutputError(f"cannot be deleted ({reason(exc)}); {len(failed)} file(s) left in the cache", path)
        return count


def _old(keep):
    """`rmtree`'s `onerror` (before Python 3.12) as its `onexc`."""
    return lambda function, path, info: keep(function, path, info[1])
