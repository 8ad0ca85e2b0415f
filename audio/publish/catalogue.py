"""The episodes in a `dist/` folder, read from their manifests: what a feed and a show page list."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

from .sidecars import read_manifest, sidecar_paths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    """One rendered episode in the folder: its manifest and the files beside its MP3."""

    manifest: dict
    """The render manifest (`NAME.json`)."""
    mp3: Path
    """The MP3."""
    files: dict[str, Path]
    """The files beside it, by kind (`vtt`, `srt`, `chapters`, `transcript`, `manifest`, `html`)."""

    @property
    def stem(self) -> str:
        """The episode's name: its MP3's without `.mp3`."""
        return self.mp3.stem

    @property
    def date(self) -> datetime.date | None:
        """The release date, from the script."""
        value = self.manifest.get("date")
        try:
            return datetime.date.fromisoformat(value) if value else None
        except ValueError:
            return None


def read_catalogue(folder: Path) -> list[Published]:
    """Every episode in `folder` whose manifest and MP3 are there, oldest first (undated ones last, by name).

    A manifest without its MP3 (an episode removed by hand) is left out with a warning.
    """
    found = []
    for manifest_path in sorted(Path(folder).glob("*.json")):
        if manifest_path.name.endswith((".chapters.json", ".transcript.json")) or manifest_path.name.startswith("."):
            continue
        manifest = read_manifest(manifest_path)
        if manifest is None or manifest_path != sidecar_paths(manifest_path.with_suffix(".mp3"))["manifest"]:
            continue
        mp3 = manifest_path.with_name(str(manifest.get("audio") or manifest_path.with_suffix(".mp3").name))
        if not mp3.is_file():
            log.warning("%s: its MP3 %s is missing; left out of the feed and the show page", manifest_path, mp3.name)
            continue
        found.append(Published(manifest, mp3, sidecar_paths(mp3)))
    return sorted(found, key=lambda e: (e.date is None, e.date or datetime.date.min, e.stem))
