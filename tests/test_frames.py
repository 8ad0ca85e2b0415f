"""Parts encoded apart and joined frame by frame: exact timing, a valid Info frame, no seams.

The join is checked with readers that share no code with it: ffmpeg (another build where
the test extra brings one) decodes, ffprobe and mutagen read the header, and the LAME
tag's CRC is computed here bit by bit.
"""

from __future__ import annotations

import struct
from array import array
from pathlib import Path

import numpy as np
import pytest
from mutagen.mp3 import MP3

from audio.sound.encode import Mp3Settings, encode_mp3
from audio.sound.frames import EncodedPart, join, read_frames
from audio.sound.parts import PartStore

RATE = 22050
FRAME = 576  # input samples in one MP3 frame at 44.1 kHz


def _clicks(frames: int, at: list[int]) -> bytes:
    """Silence of whole frames with a short loud click at each sample position in `at`."""
    pcm = array("h", bytes(2 * frames * FRAME))
    for position in at:
        for i in range(-2, 3):
            pcm[position + i] = 20000 if i % 2 == 0 else -20000
    return pcm.tobytes()


def _encode_bare(pcm: bytes, path: Path) -> None:
    encode_mp3([pcm], RATE, path, Mp3Settings(), "", "s16le", bare=True)


def _split(path: Path, counts: list[int], folder: Path) -> list[EncodedPart]:
    store = PartStore(folder)
    with open(path, "rb") as stream:
        return [store.put(f"p{n}", read_frames(stream, count, path), count) for n, count in enumerate(counts)]


def audio_frames(path: Path) -> int:
    """The audio frames of an MP3 of ours (64 kbit/s MPEG-1 Layer III), its Info frame not counted:
    walked header by header here, with no code of the tool's."""
    data = path.read_bytes()
    position = frames = 0
    while position + 4 <= len(data):
        (header,) = struct.unpack_from(">I", data, position)
        assert header >> 21 == 0x7FF and (header >> 12) & 15 == 5, f"no frame at {position}"
        position += 144 * 64000 // 44100 + ((header >> 9) & 1)
        frames += 1
    assert position == len(data)
    return frames - 1


def _crc16_bitwise(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _click_positions(samples: np.ndarray) -> list[int]:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 8000)
    groups = np.split(loud, np.flatnonzero(np.diff(loud) > 100) + 1)
    return [int(g[np.argmax(np.abs(samples[g].astype(np.int32)))]) for g in groups if len(g)]


def test_parts_encoded_apart_join_into_the_exact_timeline(tmp_path, decode, probe):
    # Two runs of the same timeline, cut at frame 40: each encoded by its own ffmpeg,
    # as a re-voiced part is. Clicks in each part must land where the timeline has them.
    frames = 80
    clicks = [10 * FRAME + 100, 30 * FRAME + 7, 50 * FRAME + 300, 70 * FRAME + 11]
    timeline = _clicks(frames, clicks)
    first, second = tmp_path / "a.mp3", tmp_path / "b.mp3"
    _encode_bare(timeline[: 2 * 40 * FRAME], first)
    _encode_bare(timeline[2 * 40 * FRAME :], second)
    parts = _split(first, [40], tmp_path / "store") + [_split(second, [40], tmp_path / "store2")[0]]
    # the last frame holds the timeline up to 1105 samples (both delays) from its end
    length = 2 * frames * FRAME - 1105
    episode = tmp_path / "joined.mp3"
    join(parts, episode, length)

    rate, decoded = decode(episode, 44100)
    assert rate == 44100
    assert len(decoded) == length  # the LAME tag's delay and padding are honoured to the sample
    found = _click_positions(decoded)
    assert len(found) == len(clicks)
    # ffmpeg's resampler lags by a few samples (a tenth of a millisecond): the same in
    # every part, so the parts meet without a seam.
    offsets = [got - 2 * want for got, want in zip(found, clicks)]
    assert all(0 <= o <= 8 for o in offsets), offsets
    assert max(offsets) - min(offsets) <= 1, offsets

    stream = probe(episode)["streams"][0]
    assert stream["codec_name"] == "mp3" and int(stream["sample_rate"]) == 44100
    assert float(stream["duration"]) == pytest.approx(length / 44100, abs=0.03)
    info = MP3(episode).info
    assert info.length == pytest.approx(length / 44100, abs=1e-6)  # mutagen reads the LAME tag too
    assert audio_frames(episode) == frames


def test_info_frame_counts_and_crcs_are_right(tmp_path):
    pcm = _clicks(30, [5 * FRAME])
    encoded = tmp_path / "a.mp3"
    _encode_bare(pcm, encoded)
    parts = _split(encoded, [10, 20], tmp_path / "store")
    episode = tmp_path / "joined.mp3"
    join(parts, episode, 30 * 1152 - 1105)
    data = episode.read_bytes()
    (header,) = struct.unpack(">I", data[:4])
    size = 144 * 64000 // 44100  # 64 kbit/s at 44.1 kHz, no padding slot
    assert header >> 21 == 0x7FF and not header & (1 << 9)
    xing = 4 + 17  # mono MPEG-1: 17 bytes of side information
    assert data[xing : xing + 4] == b"Info"
    flags, frames, total = struct.unpack_from(">III", data, xing + 4)
    assert flags & 0b111 == 0b111
    assert frames == 30 and total == len(data)
    toc = data[xing + 16 : xing + 116]
    assert list(toc) == sorted(toc) and toc[0] == size * 256 // len(data)
    lame = xing + 120
    assert data[lame : lame + 4] == b"LAME"
    delay_padding = int.from_bytes(data[lame + 21 : lame + 24], "big")
    assert delay_padding >> 12 == 576 and delay_padding & 0xFFF == 30 * 1152 - 576 - (30 * 1152 - 1105)
    music_length, music_crc, tag_crc = struct.unpack_from(">IHH", data, lame + 28)
    assert music_length == len(data)
    assert music_crc == _crc16_bitwise(data[size:])
    assert tag_crc == _crc16_bitwise(data[: lame + 34])


def test_a_part_with_fewer_frames_than_needed_is_refused(tmp_path):
    from audio.errors import EncodingError

    encoded = tmp_path / "a.mp3"
    _encode_bare(_clicks(10, []), encoded)
    with pytest.raises(EncodingError, match="fewer MP3 frames"):
        _split(encoded, [10, 10], tmp_path / "store")
