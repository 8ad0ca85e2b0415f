"""Listening to a finished episode: its chapters read back from the MP3, one chapter cut out, playback.

Everything here reads the MP3 itself (its CHAP/CTOC frames and MPEG headers), never the
files beside it, so it works on any chaptered MP3, including ones this tool did not make.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import ID3, TIT2
from mutagen.mp3 import MP3, HeaderNotFoundError, MPEGInfo

from .atomic import check_writable, commit_all, staged
from .errors import EncodingError, OutputError, PodcastError, TaggingError
from .publish.clock import clock
from .publish.tags import read_chapters
from .sound.ffmpeg import ffmpeg_deadline, find_ffmpeg

log = logging.getLogger(__name__)

COPIED_FRAMES = ("TPE1", "TALB", "TDRC", "TCON", "TLAN", "APIC")
"""Episode tags a chapter extract keeps: artist, album, date, genre, language, cover."""
NO_PLAYER = "no audio player found; install ffmpeg (for ffplay) or mpv, e.g. `apt install mpv`"


@dataclass(frozen=True)
class StoredChapter:
    """A chapter as the MP3's CHAP frame has it, numbered in the table of contents' order."""

    number: int
    """1-based position in the CTOC."""
    title: str
    """The CHAP frame's TIT2 (its element id when it has none)."""
    start_ms: int
    """Start in milliseconds."""
    end_ms: int
    """End in milliseconds."""

    @property
    def duration_ms(self) -> int:
        """Length in milliseconds."""
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class EpisodeFile:
    """An MP3 on disk, as far as listening to it needs."""

    path: Path
    """The MP3."""
    title: str
    """Its TIT2, else the file name without `.mp3`."""
    chapters: tuple[StoredChapter, ...]
    """Chapters from its own CHAP/CTOC frames (empty only if not asked for)."""
    length: float
    """Seconds of audio as mutagen reads them (exact for our episodes, whose LAME tag it reads; for
    other MP3s from ffmpeg, with the encoder's ~50 ms of padding)."""
    bitrate: int
    """Bits per second (the average, for VBR)."""
    sample_rate: int
    """Samples per second."""
    channels: int
    """1 or 2."""


def read_episode(path: Path, need_chapters: bool = True) -> EpisodeFile:
    """Open an MP3 and read its chapters; a clear `TaggingError` for anything that is not a whole MP3."""
    path = Path(path)
    if not path.exists():
        raise TaggingError("no such file; check the path", path)
    if path.is_dir():
        raise TaggingError("is a directory, not an MP3 file", path)
    try:
        with path.open("rb"):
            size = path.stat().st_size
    except OSError as exc:
        raise TaggingError(f"cannot read it ({exc.strerror})", path) from None
    try:
        mp3 = MP3(str(path))
    except HeaderNotFoundError:
        what = "is empty" if size == 0 else "is not an MP3 file (no MPEG audio frames found)"
        raise TaggingError(what, path) from None
    except (MutagenError, OSError) as exc:
        # mutagen's errors for a tag cut short carry no message at all
        detail = str(exc) or "its ID3 tag is cut short"
        raise TaggingError(f"is truncated or damaged: {detail}", path) from None
    info = mp3.info
    _check_whole(path, size, info)

    chapters: tuple[StoredChapter, ...] = ()
    has_chapters = mp3.tags is not None and bool(mp3.tags.getall("CHAP"))
    if has_chapters:
        stored = read_chapters(path)
        chapters = tuple(StoredChapter(n, c.title, c.start_ms, c.end_ms) for n, c in enumerate(stored, start=1))
    if need_chapters and not chapters:
        why = "no ID3 tag" if mp3.tags is None else "no CHAP frames in its ID3 tag"
        raise TaggingError(f"has no chapters ({why})", path)
    title_frame = mp3.tags.get("TIT2") if mp3.tags is not None else None
    title = str(title_frame.text[0]) if title_frame and title_frame.text else path.stem
    return EpisodeFile(path, title, chapters, info.length, info.bitrate, info.sample_rate, info.channels)


def _check_whole(path: Path, size: int, info: MPEGInfo) -> None:
    """Refuse an MP3 whose audio stops well before the length its Xing/LAME header declares."""
    if info.sketchy or not info.bitrate:
        return  # no header to compare with: mutagen guessed the length from the file size
    # frame_offset is where mutagen found the first MPEG frame, after the ID3 tag
    present = (size - getattr(info, "frame_offset", 0)) * 8 / info.bitrate
    if present < info.length - max(0.5, 0.01 * info.length):
        raise TaggingError(
            f"is truncated: it holds {present:.1f} s of its {info.length:.1f} s of audio; render or copy it again",
            path,
        )


def chapter_rows(episode: EpisodeFile) -> list[dict]:
    """The chapters as `podcast chapters --json` prints them: times in seconds, to the millisecond."""
    return [
        {
            "number": c.number,
            "title": c.title,
            "start": c.start_ms / 1000,
            "end": c.end_ms / 1000,
            "duration": c.duration_ms / 1000,
        }
        for c in episode.chapters
    ]


def chapters_table(episode: EpisodeFile) -> list:
    """Rich renderables: the episode's title and a table of its chapters."""
    from rich.markup import escape
    from rich.table import Table

    table = Table("#", "start", "end", "duration", "title", box=None, pad_edge=False)
    for c in episode.chapters:
        table.add_row(str(c.number), clock(c.start_ms), clock(c.end_ms), clock(c.duration_ms), escape(c.title))
    return [f"[bold]{escape(episode.title)}[/bold]", table]


def find_chapter(episode: EpisodeFile, selector: str) -> StoredChapter:
    """The chapter a `--chapter` value means: a number, else a title (exact, else a unique prefix or part)."""
    chapters = episode.chapters
    wanted = selector.strip()
    if re.fullmatch(r"[0-9]+", wanted) and 1 <= int(wanted) <= len(chapters):
        return chapters[int(wanted) - 1]
    exact = [c for c in chapters if c.title == wanted]
    if exact:
        return exact[0]
    folded = wanted.casefold()
    for fits in (str.__eq__, str.startswith, str.__contains__) if wanted else ():  # the whole title, its start, a part
        found = [c for c in chapters if fits(c.title.casefold(), folded)]
        if len(found) == 1:
            return found[0]
        if found:
            raise PodcastError(
                f"--chapter {selector!r} fits {len(found)} chapters: {_listing(found)}; give more of the title "
                "or the number",
                episode.path,
            )
    raise PodcastError(
        f"no chapter {selector!r}; give a number from 1 to {len(chapters)} or a title: {_listing(chapters)}",
        episode.path,
    )


def _listing(chapters) -> str:
    return ", ".join(f"{c.number} {c.title!r}" for c in chapters)


def default_extract_path(episode: EpisodeFile, chapter: StoredChapter) -> Path:
    """`<episode stem> - <NN> <chapter title>.mp3` beside the episode."""
    return episode.path.with_name(f"{episode.path.stem} - {chapter.number:02d} {_file_part(chapter.title)}.mp3")


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def _file_part(title: str) -> str:
    """A chapter title made safe as part of a file name on Linux, macOS and Windows."""
    name = " ".join(_UNSAFE.sub(" ", title).split()).strip(" .")
    return name[:80].rstrip(" .") or "chapter"


def extract_chapter(path: Path, selector: str, output: Path | None = None) -> Path:
    """Write one chapter as its own tagged MP3 (no chapter frames); returns where it went."""
    episode = read_episode(path)
    chapter = find_chapter(episode, selector)
    if output is not None and Path(output).is_dir():
        output = Path(output) / default_extract_path(episode, chapter).name
    target = Path(output) if output is not None else default_extract_path(episode, chapter)
    if target.suffix.lower() != ".mp3":
        raise OutputError("the output must be an .mp3 file", target)
    if target.exists() and target.resolve() == episode.path.resolve():
        raise OutputError("is the episode itself; choose another output", target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create its folder ({exc.strerror})", target) from None
    check_writable(target)
    with staged(target) as part:
        _cut(episode, chapter, part)
        _tag_extract(episode, chapter, part)
        commit_all([(part, target)])
    log.info("wrote %s (%s)", target, clock(chapter.duration_ms))
    return target


def _cut(episode: EpisodeFile, chapter: StoredChapter, target: Path) -> None:
    """Decode the chapter's time range and encode it again, so that it starts and ends exactly.

    `-ss`/`-t` are output options: ffmpeg then decodes from the start and drops samples up to
    the chapter, which is exact. As input options they seek by estimate in the MP3 and were
    tens of milliseconds off in a 40-minute test file; copying frames would cut only at frame
    borders (26 ms) and lose the decoder's warm-up.
    """
    ffmpeg, _ = find_ffmpeg()
    kbps = max(8, round(episode.bitrate / 1000))
    command = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-i", str(episode.path),
        "-ss", f"{chapter.start_ms / 1000:.3f}", "-t", f"{chapter.duration_ms / 1000:.3f}",
        "-map", "0:a:0", "-map_metadata", "-1", "-map_chapters", "-1",
        "-c:a", "libmp3lame", "-b:a", f"{kbps}k", "-ar", str(episode.sample_rate), "-ac", str(episode.channels),
        "-write_xing", "1", "-id3v2_version", "0", "-f", "mp3", str(target),
    ]  # fmt: skip
    try:
        limit = ffmpeg_deadline((chapter.start_ms + chapter.duration_ms) / 1000)  # it decodes from the start
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=limit)
    except OSError as exc:
        raise EncodingError(f"cannot run ffmpeg at {ffmpeg}: {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise EncodingError(f"ffmpeg did not finish within {limit:.0f} s and was stopped", episode.path) from None
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise EncodingError(f"ffmpeg failed ({lines[-1] if lines else f'exit {done.returncode}'})", episode.path)


def _tag_extract(episode: EpisodeFile, chapter: StoredChapter, target: Path) -> None:
    """Title `Episode – Chapter` and the episode's artist, album, date, genre, language and cover."""
    try:
        source = ID3(str(episode.path))
    except (MutagenError, OSError) as exc:
        raise TaggingError(f"cannot read tags ({str(exc) or 'cut short'})", episode.path) from None
    tags = ID3()
    tags.add(TIT2(encoding=3, text=f"{episode.title} \u2013 {chapter.title}"))
    for frame_id in COPIED_FRAMES:
        for frame in source.getall(frame_id):
            tags.add(frame)
    tags.update_to_v23()
    try:
        tags.save(str(target), v2_version=3, v1=0)
    except (MutagenError, OSError) as exc:
        raise TaggingError(f"cannot write tags ({exc})", target) from None


_PLAYERS: tuple[tuple[str, Callable[[str], list[str]]], ...] = (
    ("ffplay", lambda start: ["-nodisp", "-autoexit", "-hide_banner", "-loglevel", "error", "-ss", start]),
    ("mpv", lambda start: ["--no-video", f"--start={start}"]),
    ("mplayer", lambda start: ["-ss", start]),
    ("cvlc", lambda start: ["--play-and-exit", f"--start-time={start}"]),
    ("afplay", lambda start: []),  # macOS: cannot start mid-file
)


def find_player(mp3: Path, start: float = 0.0, which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """The command that plays `mp3` from `start` seconds with the first player `which` finds."""
    for name, seek_args in _PLAYERS:
        found = which(name)
        if not found:
            continue
        if name == "afplay" and start > 0:
            skip_to = clock(round(start * 1000))
            log.warning("afplay cannot start mid-file; playing from the beginning (skip to %s)", skip_to)
        return [found, *seek_args(f"{start:.3f}"), str(mp3)]
    raise EncodingError(NO_PLAYER)


def play_episode(path: Path, selector: str | None = None, which: Callable[[str], str | None] = shutil.which) -> int:
    """Play an episode from the start or from a chapter's start, in the foreground; the player's exit code."""
    episode = read_episode(path, need_chapters=selector is not None)
    start = find_chapter(episode, selector).start_ms / 1000 if selector is not None else 0.0
    command = find_player(episode.path, start, which)
    log.info("playing with %s", " ".join(command))
    try:
        done = subprocess.run(command, stderr=subprocess.PIPE, text=True, errors="replace")
    except OSError as exc:
        raise EncodingError(f"cannot run {command[0]}: {exc.strerror}", episode.path) from None
    said = done.stderr.strip()
    if said:
        log.debug("%s said: %s", Path(command[0]).name, said)
    no_device = next((line for line in said.splitlines() if _NO_DEVICE.search(line)), None)
    if no_device:
        player = Path(command[0]).name
        raise EncodingError(f"{player} could not play: no audio device ({no_device.strip()})", episode.path)
    if done.returncode:
        last = said.splitlines()[-1] if said else f"exit code {done.returncode}"
        raise EncodingError(f"{Path(command[0]).name} failed ({last})", episode.path)
    return 0


_NO_DEVICE = re.compile(r"audio open failed|couldn'?t open audio|could not open audio|no audio device|"
                        r"SDL_OpenAudio|cannot open audio|audio output.*(fail|error)|AO: \[.*\] (init|open) failed",
                        re.I)  # fmt: skip
"""What players print when there is no sound card to play on (they may still exit 0)."""
