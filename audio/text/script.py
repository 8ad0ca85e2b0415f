"""Reading a script file: an explicit script (it opens with `+++`) literally, a saved web page through its
markup, anything else (interview text, Markdown) through the splitter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import ScriptError
from ..model import Episode
from . import explicit, webpage
from .doubts import find_doubts
from .reading import read_script_bytes, read_text
from .splitter import split_script

MAX_SEGMENT_CHARS = 10_000
"""Longest paragraph voiced as one segment: about 1,700 words, ten minutes of speech.

A longer one is almost always text whose paragraph breaks were lost; each segment is
synthesized and stitched whole, so this also bounds a render's memory.
"""


def load_episode(path: Path, raw: bytes | None = None) -> Episode:
    """Read and split a script file (interview text or explicit script); `raw`: its bytes, read before."""
    path = Path(path)
    raw = read_script_bytes(path) if raw is None else raw
    text, author = read_text(path, raw), ""
    if webpage.is_web_page(raw, path.name):  # a saved page: its article, as a reader would copy it
        page = webpage.read_page(text)
        text, author = page.text, page.author
    if explicit.is_explicit(text):
        episode = explicit.parse_explicit(text, path)  # a person wrote it: no doubts
    else:
        episode = split_script(text, path)
        episode = replace(episode, doubts=find_doubts(episode), author=episode.author or author)
    check_lengths(episode, path)
    return episode


def check_lengths(episode: Episode, path: Path | None = None) -> None:
    """Raise `ScriptError` naming the line of a paragraph too long to voice as one segment."""
    for segment in episode.segments:
        if len(segment.text) > MAX_SEGMENT_CHARS:
            words = len(segment.text.split())
            raise ScriptError(
                f"a paragraph of {len(segment.text):,} characters ({words:,} words) is too long to voice as one; "
                f"the limit is {MAX_SEGMENT_CHARS:,} characters: put blank lines between its paragraphs",
                path,
                segment.line or None,
            )
