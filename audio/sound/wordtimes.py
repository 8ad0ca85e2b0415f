"""Word timing: where each word of a segment is spoken on the episode's timeline, from its engine's marks.

The engine says where each word of the text it spoke starts (`[character, first
sample, end sample]` in the segment's record, the end found where the word's sound
stops). That text is the script's after the lexicon, so each spoken character is
traced back to the script's own (a character alignment), and each of the script's
words takes the times of the marks that fall in it. A word the engine did not mark (a
quote mark spoken as nothing, a number read as several words) shares out the time
between its neighbours by its length. On the timeline, a segment's sample `s` lies at
its take's start plus `s` less the first sample of its trimmed speech.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import replace

from ..model import Take, Timeline, Word

_WORD = re.compile(r"\S+")


def traced(written: str, spoken: str) -> list[int]:
    """For each character of `spoken`, the character of `written` it comes from (where a lexicon replaced a
    word: the start of the word it replaced). Aligned word by word (a lexicon replaces words), which is quick."""
    ours, theirs = list(_WORD.finditer(written)), list(_WORD.finditer(spoken))
    out = [len(written)] * (len(spoken) + 1)
    matcher = difflib.SequenceMatcher(None, [m.group() for m in ours], [m.group() for m in theirs], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for j in range(j1, j2):
            word = theirs[j]
            if tag == "equal":
                base = ours[i1 + j - j1].start()
                for k in range(word.start(), word.end()):
                    out[k] = base + k - word.start()
            else:  # replaced (one word for one, or in proportion), or said in addition: the word it stands for
                n = i1 + (j - j1) * (i2 - i1) // max(1, j2 - j1)
                at = ours[n].start() if n < len(ours) else len(written)
                for k in range(word.start(), word.end()):
                    out[k] = at
    for k in range(len(spoken) - 1, -1, -1):  # a space: where the next word is
        if spoken[k].isspace():
            out[k] = out[k + 1]
    return out[: len(spoken)]


def segment_words(written: str, spoken: str, marks: list[list[int]]) -> list[tuple[str, int, int]]:
    """The script's words of a segment with (first sample, end sample) in its audio; [] without marks."""
    words = [(m.start(), m.group()) for m in _WORD.finditer(written)]
    if not words or not marks:
        return []
    starts = [w[0] for w in words]
    trace = traced(written, spoken) if written != spoken else list(range(len(spoken)))
    spans: list[list[int] | None] = [None] * len(words)
    for char, start, end in marks:
        at = trace[min(max(0, char), len(trace) - 1)] if trace else 0
        n = max(0, bisect.bisect_right(starts, at) - 1)
        if n < len(words) - 1 and at >= starts[n] + len(words[n][1]):  # in the space after a word: the next one
            n += 1
        spans[n] = [start, end] if spans[n] is None else [spans[n][0], max(spans[n][1], end)]
    _share_out(spans, [len(w[1]) for w in words])
    result, floor = [], 0
    for (_, text), span in zip(words, spans):
        start = max(floor, span[0])
        end = max(start, span[1])
        result.append((text, start, end))
        floor = start
    return result


def _share_out(spans: list[list[int] | None], lengths: list[int]) -> None:
    """Give the words without marks a share of the time between their marked neighbours, by length."""
    n = 0
    while n < len(spans):
        if spans[n] is not None:
            n += 1
            continue
        last = n
        while last < len(spans) and spans[last] is None:
            last += 1
        before = spans[n - 1][1] if n else (spans[last][0] if last < len(spans) else 0)
        after = spans[last][0] if last < len(spans) else before
        first = n
        if after <= before and n:  # no time between: the word before was said with them ("for the" as one)
            first, before = n - 1, spans[n - 1][0]
            after = max(after, spans[n - 1][1])
        total = sum(lengths[first:last]) or 1
        at = before
        for k in range(first, last):
            width = (after - before) * lengths[k] // total
            spans[k] = [at, at + max(0, width)]
            at += max(0, width)
        n = last


def with_words(timeline: Timeline, records: dict[str, dict], spoken: dict[str, str], speech_rate: int) -> Timeline:
    """The timeline (as played, at its own rate) with each take's words placed on it.

    `records` and `spoken` (the text the engine read) are by cache key; `speech_rate` is
    the rate of the segments' audio.
    """
    takes = []
    for take in timeline.takes:
        record = records.get(take.cache_key) or {}
        marks = record.get("marks")
        if not marks or take.cache_key not in spoken:
            takes.append(take)
            continue
        takes.append(replace(take, words=_placed(take, record, spoken[take.cache_key], timeline.sample_rate,
                                                  speech_rate)))  # fmt: skip
    return replace(timeline, takes=tuple(takes))


def _placed(take: Take, record: dict, spoken: str, rate: int, speech_rate: int) -> tuple[Word, ...]:
    first = record["speech"][0]

    def at(sample: int) -> int:
        return min(take.end, max(take.start, take.start + (sample - first) * rate // speech_rate))

    flat = record["marks"]  # character, start, end, character, … (see `speech.cache.word_spans`)
    marks = flat if flat and isinstance(flat[0], list) else [flat[n : n + 3] for n in range(0, len(flat) - 2, 3)]
    return tuple(Word(text, at(s), at(e)) for text, s, e in segment_words(take.segment.text, spoken, marks))
