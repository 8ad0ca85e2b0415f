"""The cover image: a JPEG or PNG file, checked (kind, size, dimensions) before any speech is made."""

from __future__ import annotations

import logging
import os
import stat
import struct
from pathlib import Path

from ..errors import CastError

log = logging.getLogger(__name__)

MAX_COVER_BYTES = 16 * 2**20
"""Largest cover embedded: an ID3 frame this size is already far above what podcast directories take."""
SIDE = (1400, 3000)
"""The square sides, in pixels, that podcast directories (Apple, Spotify) ask for."""


def read_cover(path: Path | None) -> tuple[bytes, str] | None:
    """(bytes, MIME type) of a cover image; raises `CastError` for anything but a readable JPEG or PNG file
    of at most 16 MiB. A cover that podcast directories would refuse (not square, not 1400–3000 px) is
    embedded with a warning."""
    if path is None:
        return None
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        raise CastError(f"cover image cannot be read ({exc.strerror})", path) from None
    if not stat.S_ISREG(info.st_mode):
        raise CastError("cover image must be a JPEG or PNG file (this is not a regular file)", path)
    if info.st_size > MAX_COVER_BYTES:
        size = f"{info.st_size / 2**20:.1f} MiB"
        raise CastError(f"cover image is {size}; at most 16 MiB (podcast directories want far less)", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CastError(f"cover image cannot be read ({exc.strerror})", path) from None
    kind, size = _image_kind_and_size(data)
    if kind is None:
        raise CastError("cover image must be a JPEG or PNG file", path)
    if size is None:
        raise CastError(f"cover image is not a readable {kind.split('/')[1].upper()} (no image size in it)", path)
    width, height = size
    if width != height or not SIDE[0] <= width <= SIDE[1]:
        log.warning("%s: the cover is %d×%d px; podcast directories want a square of %d to %d px", path, width,
                    height, *SIDE)  # fmt: skip
    return data, kind


def _image_kind_and_size(data: bytes) -> tuple[str | None, tuple[int, int] | None]:
    """The MIME type and (width, height) from an image's header; (None, None) for neither JPEG nor PNG."""
    kind, size, _ = image_facts(data)
    return kind, size


PNG_COLOURS = {0: "grey", 2: "rgb", 3: "palette", 4: "grey", 6: "rgb"}
JPEG_COLOURS = {1: "grey", 3: "rgb", 4: "cmyk"}


def image_facts(data: bytes) -> tuple[str | None, tuple[int, int] | None, str | None]:
    """(MIME type, (width, height), colour model: `rgb`, `grey`, `palette` or `cmyk`) from an image's header;
    None for what cannot be read."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if len(data) >= 26 and data[12:16] == b"IHDR":
            return "image/png", struct.unpack(">II", data[16:24]), PNG_COLOURS.get(data[25])
        return "image/png", None, None
    if data.startswith(b"\xff\xd8\xff"):
        frame = _jpeg_frame(data)
        return ("image/jpeg", frame[:2], JPEG_COLOURS.get(frame[2])) if frame else ("image/jpeg", None, None)
    return None, None, None


def _jpeg_frame(data: bytes) -> tuple[int, int, int] | None:
    """A JPEG's (width, height, components) from its start-of-frame segment."""
    at = 2
    while at + 9 < len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # SOFn
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height, data[at + 9] if at + 9 < len(data) else 0
        at += 2 + length
    return None
