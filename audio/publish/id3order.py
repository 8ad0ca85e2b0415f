"""The one place that touches mutagen's internals: an ID3 tag that writes its CHAP frames in time order.

mutagen sorts frames by size when it saves; players such as AntennaPod and ffmpeg read
chapters in file order, so the CHAP frames must follow their start times. mutagen has
no public way to order frames: `ID3._write` is overridden, while the internals it relies
on have the shape it was written for (pyproject.toml pins mutagen to the versions tested;
another version gets a warning). Otherwise tags are written by mutagen's own writer
(chapters then in mutagen's order) with one warning.
"""

from __future__ import annotations

import functools
import inspect
import logging

import mutagen
from mutagen.id3 import ID3

log = logging.getLogger(__name__)

TESTED = ("1.47", "1.48")
"""mutagen versions (major.minor) whose `ID3._write` and `save_frame` this module was tested with."""
ORDER = ("TIT2", "TPE1", "TEXT", "TALB", "TDRC", "TYER", "TDAT", "TCON", "TLAN", "COMM")
"""Text frames first, in this order; then others, the CTOC, the CHAPs by start time, the picture."""


def _rank(frame) -> tuple:
    if frame.FrameID in ORDER:
        return (0, ORDER.index(frame.FrameID), 0)
    if frame.FrameID == "CTOC":
        return (2, 0, 0)
    if frame.FrameID == "CHAP":
        return (3, frame.start_time, 0)
    if frame.FrameID == "APIC":
        return (4, 0, 0)
    return (1, 0, 0)


def _internals_fit(version: str, write) -> str:
    """Why the override cannot be used with this mutagen ("" if it can): the internals it relies on changed."""
    try:
        from mutagen.id3._tags import save_frame  # noqa: F401
    except ImportError:
        return f"mutagen {version} has no `save_frame`"
    if write is None or list(inspect.signature(write).parameters) != ["self", "config"]:
        return f"mutagen {version} changed `ID3._write`"
    return ""


@functools.lru_cache(maxsize=None)
def id3_class(version: str = mutagen.version_string, write=getattr(ID3, "_write", None)) -> type[ID3]:
    """The ID3 class to tag with: time-ordered chapters where this mutagen's internals allow it, else mutagen's own.

    `write` is mutagen's `ID3._write`, the method overridden (given here so that a change
    to it can be tested).
    """
    problem = _internals_fit(version, write)
    if problem:
        log.warning("%s: chapters are written in mutagen's frame order, which some players read out of time "
                    "order; install mutagen %s to write them in time order", problem, " or ".join(TESTED))  # fmt: skip
        return ID3
    if ".".join(version.split(".")[:2]) not in TESTED:
        log.warning("mutagen %s is not one of the versions tested (%s); chapters are written in time order "
                    "through its internals, which have not changed shape", version, ", ".join(TESTED))  # fmt: skip
    from mutagen.id3._tags import save_frame

    class TimeOrderedID3(ID3):
        """ID3 that writes its frames in `_rank` order: the CHAP frames by start time."""

        def _write(self, config):  # mutagen's hook, with its body but our order
            frames = sorted(self.values(), key=lambda f: (_rank(f), f.HashKey))
            data = [save_frame(f, config=config) for f in frames]
            if self._unknown_v2_version == config.v2_version:
                data.extend(d for d in self.unknown_frames if len(d) > 10)
            return bytearray().join(data)

    return TimeOrderedID3
