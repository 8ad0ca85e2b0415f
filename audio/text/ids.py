"""Segment ids: short, stable across runs of an unchanged script, the same for both kinds of script."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from ..model import Chapter


def segment_id(speaker: str, text: str, seen: dict[str, int]) -> str:
    """A short id from the speaker and text; repeats of the same words get `-2`, `-3`, …"""
    base = hashlib.sha1(f"{speaker}\x1f{text}".encode()).hexdigest()[:6]
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}-{seen[base]}"


def assign_ids(chapters: list[Chapter]) -> list[Chapter]:
    """Give every segment its id, in reading order."""
    seen: dict[str, int] = {}
    return [
        Chapter(c.title, tuple(replace(s, id=segment_id(s.speaker, s.text, seen)) for s in c.segments))
        for c in chapters
    ]
