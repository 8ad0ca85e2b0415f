"""Doubt said out loud: what a split looks unsure of (no guest, a tag seen once, a long run by one speaker…)."""

from __future__ import annotations

import difflib
from collections import Counter

from ..model import INTERVIEWER, NARRATOR, ROLE_GUEST, Doubt, Episode
from .splitter import BIO_CHAPTER
from .turns import GUEST

FIX = "check with `podcast split`; fix it in an explicit script (`podcast split --format script`)"
LONG_RUN = 6
"""Paragraphs in a row by one speaker after a question that make a run worth a look."""
MOST = 0.6
"""Share of the spoken words above which an interviewer who reads most of the text is doubtful."""
SHORT_HEADING_WORDS = 1
"""A heading this short may be page chrome ("Sponsors", "Transcript")."""


def find_doubts(episode: Episode) -> tuple[Doubt, ...]:
    """Every doubt about a split, in the order of the lines they are about."""
    found = [*_who_speaks(episode), *_tags_seen_once(episode), *_long_runs(episode), *_short_headings(episode),
             *_co_hosts(episode)]  # fmt: skip
    return tuple(sorted(found, key=lambda d: d.line))


def _who_speaks(episode: Episode) -> list[Doubt]:
    segments = [s for s in episode.segments if s.speaker != NARRATOR]
    words = Counter()
    for segment in segments:
        words[segment.speaker] += len(segment.text.split())
    if not episode.guests:
        return [Doubt(0, "no-guest", f"no guest found: every paragraph goes to the interviewer or the narrator; {FIX}")]
    out = []
    unnamed = next((g for g in episode.guests if g.tag == GUEST), None)
    if unnamed:  # the whole split rests on question marks: said for all of it
        called = f"called {GUEST!r}" if unnamed.name == "Guest" else f"taken to be {unnamed.name}, from a bio"
        message = (f"the answers do not say who gives them: questions and answers are told apart by their question "
                   f"marks alone, and the guest is {called}; tag the answers (`JS: …`) to name the guest, "
                   f"or {FIX}")  # fmt: skip
        out.append(Doubt(0, "unnamed-guest", message))
    if not words[INTERVIEWER]:
        out.append(Doubt(0, "no-interviewer", f"the interviewer is never heard: are the questions tagged, or part of "
                                               f"the answers? {FIX}"))  # fmt: skip
    elif words[INTERVIEWER] > MOST * sum(words.values()):
        share = round(100 * words[INTERVIEWER] / sum(words.values()))
        out.append(Doubt(0, "interviewer-most", f"the interviewer reads {share}% of the words: are some answers "
                                                 f"untagged? {FIX}"))  # fmt: skip
    return out


def _tags_seen_once(episode: Episode) -> list[Doubt]:
    counts = Counter(s.speaker for s in episode.segments)
    guests = [s.tag for s in episode.speakers if s.role == ROLE_GUEST]
    out = []
    for tag in guests:
        if counts[tag] != 1 or len(guests) < 2:
            continue
        others = [t for t in guests if t != tag and counts[t] >= 3]
        near = difflib.get_close_matches(tag, others, n=1, cutoff=0.4)
        if others:
            line = next(s.line for s in episode.segments if s.speaker == tag)
            what = "someone heard once, or a typo?"
            if near:
                what = f"{near[0]} {counts[near[0]]} times: a typo of {near[0]}?"
            out.append(Doubt(line, "tag-once", f"tag {tag} is used once, {what} {FIX}"))
    return out


def _co_hosts(episode: Episode) -> list[Doubt]:
    """A second host who says as much as a guest (half the words of the one who says most, or more) may be a second
    guest who spoke early: hosts ask and link, guests talk."""
    words = Counter()
    for segment in episode.segments:
        words[segment.speaker] += len(segment.text.split())
    most = max((words[g.tag] for g in episode.guests), default=0)
    out = []
    for host in (s for s in episode.speakers if s.role == INTERVIEWER and s.tag != INTERVIEWER):
        if most and words[host.tag] * 2 >= most:
            first = next(s.line for s in episode.segments if s.speaker == host.tag)
            out.append(Doubt(0, "co-host", f"{host.tag} is taken as a second host (heard from line {first}, before "
                                           f"anyone answered) but says {words[host.tag]} words against a guest's "
                                           f"{most}: a second guest? {FIX}"))  # every turn of theirs  # fmt: skip
    return out


def _long_runs(episode: Episode) -> list[Doubt]:
    out, segments = [], episode.segments
    i = 0
    while i < len(segments):
        if segments[i].speaker != INTERVIEWER:
            i += 1
            continue
        j = i + 1
        while j < len(segments) and segments[j].speaker == segments[min(i + 1, len(segments) - 1)].speaker:
            j += 1
        run = j - i - 1
        if run >= LONG_RUN and segments[i + 1].speaker != NARRATOR:
            who = segments[i + 1].speaker
            out.append(Doubt(segments[i + 1].line, "long-run", f"{run} paragraphs in a row by {who} after the question "
                                                               f"on line {segments[i].line}: are some of them "
                                                               f"someone else's? {FIX}"))  # fmt: skip
        i = max(j, i + 1)
    return out


def _short_headings(episode: Episode) -> list[Doubt]:
    out = []
    for chapter in episode.chapters[1:]:
        heading = chapter.segments[0] if chapter.segments else None
        if heading and heading.speaker == NARRATOR and len(chapter.title.split()) <= SHORT_HEADING_WORDS:
            if chapter.title == BIO_CHAPTER:
                continue
            out.append(Doubt(heading.line, "short-heading", f"the short line {chapter.title!r} is taken as a chapter "
                                                            f"heading: if it is page chrome, {FIX}"))  # fmt: skip
    return out
