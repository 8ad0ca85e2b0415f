"""MP3 frames: counting them, cutting an encoder's output into parts, joining parts into one file.

The episode's audio is laid on a grid of MP3 frames (1152 samples). Any run of
whole frames can be encoded apart: an encoder started at grid frame r and fed the
timeline from that frame on makes the frames r, r+1, … of the whole episode, because
every encode lags by the same delay (1105 samples). Only the first 1105 samples of a
run's first frame differ (the encoder knows nothing before them) and the last 1105
of its input are left in a frame that is dropped: so runs start and end only where the
timeline is silent for longer than that (segments keep 30 ms of silence at their
edges, and pauses follow them). With the bit reservoir off, no frame borrows bits from
the one before, so parts encoded apart can be joined frame by frame, and one part can
be replaced without touching the others.

The joined file starts with an Info frame that holds the frame and byte counts, a
seek table, and a LAME tag with the encoder delay and the padding at the end, so
that players skip both and the file plays exactly the timeline's length.
"""

from __future__ import annotations

import errno
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import NO_SPACE, EncodingError, OutputError

SAMPLES_PER_FRAME = 1152
"""MPEG-1 Layer III."""
ENCODER_DELAY = 576
"""LAME's delay before the first input sample (what the LAME tag records)."""
DECODER_DELAY = 529
"""What an MP3 decoder adds to it: a fresh encode's output lags its input by both."""
_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = (44100, 48000, 32000)


def _frame_length(header: int) -> int:
    bitrate = _BITRATES[(header >> 12) & 15] * 1000
    rate = _RATES[(header >> 10) & 3]
    return 144 * bitrate // rate + ((header >> 9) & 1)


def _is_layer3(header: int) -> bool:
    return (
        header >> 21 == 0x7FF and (header >> 19) & 3 == 3 and (header >> 17) & 3 == 1 and 0 < (header >> 12) & 15 < 15
    )


def read_frames(stream: BinaryIO, count: int, path: Path | None = None) -> bytes:
    """The next `count` whole frames of a bare stream; raises `EncodingError` if it has fewer."""
    frames = []
    for _ in range(count):
        head = stream.read(4)
        if len(head) < 4:
            raise EncodingError("holds fewer MP3 frames than the timeline needs", path)
        (header,) = struct.unpack(">I", head)
        if not _is_layer3(header) or (header >> 10) & 3 == 3:
            raise EncodingError("is not an MPEG-1 Layer III stream where a frame was expected", path)
        body = stream.read(_frame_length(header) - 4)
        if len(body) < _frame_length(header) - 4:
            raise EncodingError("ends in the middle of an MP3 frame", path)
        frames += [head, body]
    return b"".join(frames)


def crc16(data: bytes, crc: int = 0) -> int:
    """CRC-16/ARC (the LAME tag's) of `data`, continuing from `crc`."""
    import anycrc

    return anycrc.Model("CRC16-ARC").calc(data, crc)


# -- joining -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EncodedPart:
    """A run of whole frames, stored in a file of its own."""

    path: Path
    frames: int
    size: int
    """Bytes."""


_VERSION = re.compile(rb"LAME(\d\.\d+)")


def info_frame(parts: Sequence[EncodedPart], first_frame: bytes, samples: int, music_crc: int) -> bytes:
    """The Info frame (Xing header and LAME tag) for `parts` joined, that play `samples` samples.

    `first_frame` is any audio frame of theirs: the Info frame copies its format.
    `music_crc` is the CRC-16 of all their bytes.
    """
    (header,) = struct.unpack_from(">I", first_frame)
    header &= ~(1 << 9)  # no padding slot
    mono = (header >> 6) & 3 == 3
    xing = 4 + (17 if mono else 32)
    needed = xing + 156
    while _frame_length(header) < needed:  # too small at a low bitrate: a higher one, as LAME does
        index = (header >> 12) & 15
        if index >= 14:
            raise EncodingError("no MP3 frame is large enough for the Info frame")
        header = header & ~(15 << 12) | (index + 1) << 12
    size = _frame_length(header)
    frames = sum(p.frames for p in parts)
    audio = sum(p.size for p in parts)
    total = size + audio
    padding = frames * SAMPLES_PER_FRAME - ENCODER_DELAY - samples
    if not 0 <= padding < 4096:
        raise EncodingError(f"the parts hold {frames} frames, which cannot play {samples} samples")

    # seek table: where (in 1/256 of the file) each percent of the playing time starts
    starts, position, first = [], size, 0
    for part in parts:
        starts.append((first, position, part))
        first += part.frames
        position += part.size
    toc = bytearray()
    index = 0
    for percent in range(100):
        frame = percent * frames // 100
        while index + 1 < len(starts) and starts[index + 1][0] <= frame:
            index += 1
        begin, offset, part = starts[index]
        offset += (frame - begin) * part.size // max(1, part.frames)
        toc.append(min(255, offset * 256 // total))

    found = _VERSION.search(first_frame)
    version = (b"LAME" + found.group(1) if found else b"LAME").ljust(9, b"\0")[:9]
    bitrate = _BITRATES[(struct.unpack_from(">I", first_frame)[0] >> 12) & 15]

    frame = bytearray(size)
    struct.pack_into(">I", frame, 0, header)
    lame = struct.pack(
        ">4sI I I 100s I 9s B B I H H B B 3s B B H I H",
        b"Info", 0x0F, frames, total, bytes(toc), 0,
        version, 0x01, 0, 0, 0, 0, 0, min(255, bitrate),
        (ENCODER_DELAY << 12 | padding).to_bytes(3, "big"), 0, 0, 0, total, music_crc,
    )  # fmt: skip
    frame[xing : xing + len(lame)] = lame
    crc_at = xing + len(lame)
    struct.pack_into(">H", frame, crc_at, crc16(bytes(frame[:crc_at])))
    return bytes(frame)


def join(parts: Sequence[EncodedPart], target: Path, samples: int) -> None:
    """Write `parts` joined, behind one Info frame, as an MP3 that plays `samples` samples.

    One part at a time is held in memory; the Info frame, which needs the CRC of them
    all, is written last, in the place kept for it.
    """
    if not parts:
        raise EncodingError("there is no audio to join", target)
    first = _read(parts[0])[:4096]
    try:
        with open(target, "wb") as out:
            out.write(info_frame(parts, first, samples, 0))  # keeps the place
            crc = 0
            for part in parts:
                data = _read(part)
                crc = crc16(data, crc)
                out.write(data)
            out.seek(0)
            out.write(info_frame(parts, first, samples, crc))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise OutputError(NO_SPACE, Path(target).parent) from None
        raise OutputError(f"cannot be written ({exc.strerror or exc})", target) from None


def _read(part: EncodedPart) -> bytes:
    try:
        data = Path(part.path).read_bytes()
    except OSError as exc:
        raise EncodingError(f"an encoded part cannot be read ({exc.strerror}); run again", part.path) from None
    if len(data) != part.size:
        raise EncodingError("an encoded part changed while it was being joined; run again", part.path)
    return data
