"""Captions: a segment's words cut into cues of caption size, for the VTT and SRT transcripts.

A cue holds at most two lines of about 42 characters and lasts at most about 7 s
(the sizes broadcasters and players use); it is cut after a sentence where one ends,
else after a clause (a comma, a colon, a dash), else where it is full. Its times are its
first word's start and its last word's end. A segment whose engine gave no word times (a Piper
model without the `onnx` package to patch it) is one cue, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Take, Word

LINE = 42
"""Characters per line, about."""
LINES = 2
"""Lines per cue."""
SECONDS = 7.0
"""Longest cue, about."""
_SENTENCE_END = (".", "!", "?", "…", ".”", "?”", "!”", '."', '?"', '!"')
_CLAUSE_END = (",", ";", ":", "—", "–", ",”", ',"')


@dataclass(frozen=True)
class Cue:
    """One caption: its time and its lines."""

    start: int
    """First sample."""
    end: int
    """One past the last sample."""
    lines: tuple[str, ...]
    """One or two lines of text."""
    take: Take
    """The segment it belongs to."""


def cues(take: Take, rate: int) -> list[Cue]:
    """A take's cues: caption-sized from its words, or one for the whole segment if it has no word times."""
    if not take.words:
        return [Cue(take.start, take.end, (take.segment.text,), take)]
    out, current = [], []
    for word in take.words:
        if current and _full(current, word, rate):
            out.append(_cue(current, take))
            current = []
        current.append(word)
        text = _text(current)
        if text.endswith(_SENTENCE_END) and len(text) >= 20 or text.endswith(_CLAUSE_END) and len(text) >= 50:
            out.append(_cue(current, take))
            current = []
    if current:
        out.append(_cue(current, take))
    return out


def _text(words: list[Word]) -> str:
    return " ".join(w.text for w in words)


def _full(words: list[Word], word: Word, rate: int) -> bool:
    """True if `word` would not fit in the cue of `words`."""
    return len(_text([*words, word])) > LINE * LINES or (word.end - words[0].start) / rate > SECONDS


def _cue(words: list[Word], take: Take) -> Cue:
    return Cue(words[0].start, max(words[-1].end, words[0].start + 1), wrapped(_text(words)), take)


def wrapped(text: str) -> tuple[str, ...]:
    """One line, or two cut at the space nearest the middle (the first no longer than it need be)."""
    if len(text) <= LINE:
        return (text,)
    middle = len(text) // 2
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return (text,)
    cut = min(spaces, key=lambda i: abs(i - middle))
    return text[:cut], text[cut + 1 :]
