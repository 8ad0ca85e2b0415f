"""The part store: encoded parts by key, `<key>.mp3` (bare frames) and `<key>.json` (frames and bytes)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..atomic import write_file
from ..errors import OutputError
from .frames import EncodedPart


class PartStore:
    """Encoded parts: `<key>.mp3` (bare frames) and `<key>.json` (frames and bytes) in one folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        """Where the part with this key is stored."""
        return self.folder / f"{key}.mp3"

    def get(self, key: str, frames: int) -> EncodedPart | None:
        """The part, if it is stored whole with `frames` frames."""
        path = self.path(key)
        try:
            facts = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            part = EncodedPart(path, int(facts["frames"]), int(facts["bytes"]))
            if part.frames == frames and path.stat().st_size == part.size > 0:
                return part
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def put(self, key: str, data: bytes, frames: int) -> EncodedPart:
        """Store a part atomically: its frames first, then the facts that make it usable."""
        path = self.path(key)
        try:
            write_file(path, data)
            write_file(path.with_suffix(".json"), json.dumps({"frames": frames, "bytes": len(data)}).encode())
        except OSError as exc:
            raise OutputError(f"cannot write to the part cache ({exc.strerror or exc})", self.folder) from None
        return EncodedPart(path, frames, len(data))

    def prune(self, used: set[str], keep: int = 1000) -> None:
        """Keep the cache from growing without end: drop all but the `keep` most recently used other parts.

        A part is a segment's worth: a thousand is about twenty episodes like the example.
        """
        try:
            for leftover in self.folder.glob(".tmp-*"):  # a killed render's, not another one's running now
                if time.time() - leftover.stat().st_mtime > 3600:
                    leftover.unlink(missing_ok=True)
            others = [p for p in self.folder.glob("*.mp3") if p.stem not in used and not p.name.startswith(".")]
            others.sort(key=lambda p: p.stat().st_atime)
            for path in others[: max(0, len(others) - keep)]:
                path.with_suffix(".json").unlink(missing_ok=True)
                path.unlink(missing_ok=True)
        except OSError:
            pass
