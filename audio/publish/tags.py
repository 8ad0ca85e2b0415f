"""Tags and chapters: ID3v2.3 with mutagen, CHAP frames in time order under one CTOC (see `id3order`)."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TDRC,
    TEXT,
    TIT2,
    TLAN,
    TPE1,
    CTOCFlags,
    ID3NoHeaderError,
)

from ..errors import NO_SPACE, OutputError, TaggingError
from ..model import Metadata
from .id3order import id3_class

NO_OFFSET = 0xFFFFFFFF
TOC_ID = "toc"


@dataclass(frozen=True)
class ChapterTag:
    """A chapter as stored in the MP3: times in milliseconds."""

    element_id: str
    title: str
    start_ms: int
    end_ms: int


def write_tags(
    path: Path, meta: Metadata, chapters: list[ChapterTag], cover: tuple[bytes, str] | None = None
) -> None:
    """Write every tag and chapter to the MP3 at `path` as ID3v2.3."""
    tags = id3_class()()
    tags.add(TIT2(encoding=3, text=meta.title))
    if meta.artist:
        tags.add(TPE1(encoding=3, text=meta.artist))
    if meta.author:
        tags.add(TEXT(encoding=3, text=meta.author))
    tags.add(TALB(encoding=3, text=meta.album))
    if meta.date:
        tags.add(TDRC(encoding=3, text=meta.date.isoformat()))
    tags.add(TCON(encoding=3, text=meta.genre))
    tags.add(TLAN(encoding=3, text=meta.language))
    if meta.comment:
        tags.add(COMM(encoding=3, lang=meta.language, desc="", text=meta.comment))
    tags.add(
        CTOC(
            element_id=TOC_ID,
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=[c.element_id for c in chapters],
            sub_frames=[TIT2(encoding=3, text="Chapters")],
        )
    )
    for c in chapters:
        tags.add(
            CHAP(
                element_id=c.element_id,
                start_time=c.start_ms,
                end_time=c.end_ms,
                start_offset=NO_OFFSET,
                end_offset=NO_OFFSET,
                sub_frames=[TIT2(encoding=3, text=c.title)],
            )
        )
    if cover:
        data, mime = cover
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=data))
    tags.update_to_v23()  # TDRC becomes TYER + TDAT, and so on; mutagen leaves this to us
    try:
        tags.save(str(path), v2_version=3, v1=0)
    except (MutagenError, OSError) as exc:
        cause = exc if isinstance(exc, OSError) else exc.__context__  # mutagen wraps the OSError
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            raise OutputError(NO_SPACE, Path(path).parent) from None
        raise TaggingError(f"cannot write tags ({exc})", path) from None


def read_chapters(path: Path) -> list[ChapterTag]:
    """The chapters of an MP3, from its own CTOC/CHAP frames, in the CTOC's order."""
    try:
        tags = ID3(str(path))
    except ID3NoHeaderError:
        raise TaggingError("has no ID3 tag, so no chapters", path) from None
    except (MutagenError, OSError) as exc:
        raise TaggingError(f"cannot read tags ({exc})", path) from None
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    tocs = [t for t in tags.getall("CTOC") if t.flags & CTOCFlags.TOP_LEVEL] or tags.getall("CTOC")
    order = list(tocs[0].child_element_ids) if tocs else sorted(chaps, key=lambda k: chaps[k].start_time)
    out = []
    for element_id in order:
        frame = chaps.get(element_id)
        if frame is None:
            continue
        title = frame.sub_frames.get("TIT2")
        out.append(
            ChapterTag(element_id, str(title.text[0]) if title else element_id, frame.start_time, frame.end_time)
        )
    return out
