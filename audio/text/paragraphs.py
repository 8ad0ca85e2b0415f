"""The source's lines grouped into paragraphs, and each paragraph's speaker tag read.

A paragraph is a run of non-blank lines; a tagged line, a marked one (`Q.`), a date line,
a chrome line or a sound always starts a new one, and so does a line after one that ends a
sentence where the text is laid out one turn per line. A tag is `HU:`, `Hans Uszkoreit (HU):`,
a role word (`Interviewer:`, `Q:`), a `Q.`/`A.` marker, or `Full Name:` where that name tags
two paragraphs or more (or stands for a short tag used later: `Prof. Jane Doe:` then `JD:`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..model import INTERVIEWER
from . import pagelines, turns
from .speakertags import (
    HOST_ROLES,
    NOT_A_SPEAKER,
    REPORTER_WORDS,
    ROLE_WORDS,
    TAG_CAPS,
    TAG_CAPS_NAME,
    TAG_NAME,
    TAG_NUMBERED,
    TAG_WITH_NAME,
    clean_name,
    interviewer_credit,
    short_forms,
    tag_match,
    visible_tag,
)  # fmt: skip
from .turns import CLOSING, ends_a_paragraph, ends_with_question


@dataclass
class Para:
    """A paragraph of the source while it is being split."""

    text: str
    line: int
    end_line: int
    alone: bool  # the only paragraph of its block (between blank lines)
    lines: list[str] = field(default_factory=list)  # the source lines, as written
    tag: str | None = None
    name: str | None = None
    body: str = ""
    chrome: bool = False  # a line with the form of page chrome (a menu, a byline): chrome outside the conversation
    credit: str = ""  # the interviewer's name, from a credit line above or below the conversation
    block: int = 0  # the number of its block (a run of lines between blank lines)
    listed: bool = False  # a line under a label of links (`Related stories`, `Most read`): one link per line
    co_host: bool = False  # a second host's turn (`RACHEL MARTIN, HOST:`)


def paragraphs(text: str, split_questions: bool = False, turn_lines: bool = False) -> list[Para]:
    """Group lines into paragraphs; tagged, marked (`Q.`), date, chrome and sound lines start paragraphs of their
    own. `split_questions`: a line that ends with a question ends its paragraph (an answer on the next line);
    `turn_lines`: a tagged turn's lines are paragraphs of their own where the layout is one per line, even one
    that asks."""
    paras: list[Para] = []
    block: list[Para] = []

    def flush() -> None:
        for p in block:
            p.alone, p.block = len(block) == 1, len(paras) and paras[-1].block + 1
        paras.extend(block)
        block.clear()

    for number, raw in enumerate(text.split("\n"), start=1):
        line = visible_tag(raw.strip()).strip()
        spoken = turns.without_sounds(line)  # `[27:32] Ana Torres: …`: the tag after a timestamp
        line = visible_tag(spoken).strip() if spoken.strip() else line
        if not line:
            flush()
            continue
        last = block[-1] if block else None
        # a line with the form of chrome stands alone unless it goes on with a sentence the line before began
        chrome = pagelines.looks_like_chrome(line) and (pagelines.is_menu(line) or not (last and _mid_sentence(last)))
        if last and pagelines.is_date_label(last.text) and pagelines.date_line(line):
            _go_on(last, line, number, "\n")  # `Published:` above the date itself
        elif last and not chrome and not last.listed and _goes_on(last, line, split_questions, turn_lines):
            _go_on(last, line, number, " ")
        else:
            listed = bool(last and (last.listed or pagelines.RELATED.match(last.text)))
            block.append(Para(line, number, number, False, [line], chrome=chrome, listed=listed))
    flush()
    return paras


def _go_on(para: Para, line: str, number: int, joint: str) -> None:
    para.text += joint + line
    para.end_line = number
    para.lines.append(line)


def _stands_alone(line: str) -> bool:
    """A line that is a paragraph of its own: a tag, a marker, a date, a label, chrome, a sound, a note, a heading."""
    return bool(
        tag_match(line) or pagelines.date_line(line) or pagelines.is_date_label(line) or pagelines.is_chrome(line)
        or pagelines.is_category_label(line) or line.startswith("#") or turns.marker(line)
        or pagelines.RELATED.match(line) or pagelines.BIO_LABEL.match(line)
        or turns.is_sound(line) or turns.editorial_note(line)
    )  # fmt: skip


def _is_whole(text: str) -> bool:
    """A paragraph that nothing continues: a date, a label, chrome, a sound, a note, a heading."""
    return bool(
        text.startswith("#") or pagelines.is_chrome(text) or pagelines.date_line(text)
        or pagelines.is_date_label(text) or pagelines.is_category_label(text) or turns.is_sound(text)
        or turns.editorial_note(text) or pagelines.BIO_LABEL.match(text) or pagelines.RELATED.match(text)
    )  # fmt: skip


def _goes_on(para: Para, line: str, split_questions: bool, turn_lines: bool = False) -> bool:
    """True if `line` continues the paragraph before it (a wrapped sentence, a turn's next line)."""
    if para.chrome or _stands_alone(line) or _is_whole(para.text):
        return False
    if split_questions and ends_with_question(para.lines[-1]):
        return False  # the answer on the line after its question
    if ends_a_paragraph(para.lines[-1], line, asked_after_turn=turn_lines and bool(tag_match(para.lines[0]))):
        return False  # one paragraph per line (a transcript's layout): the line before ends a sentence
    # `Merch` above `Contact`, a site's name above its motto: one per line, not a wrapped sentence
    return not (pagelines.is_short_line(para.text) and (pagelines.is_short_line(line) or len(para.text.split()) <= 2))


def until_a_turn(paras: list[Para]) -> list[str]:
    """The texts of the paragraphs before the first tagged one."""
    tagged = next((n for n, p in enumerate(paras) if p.tag), len(paras))
    return [p.text for p in paras[:tagged]]


def _mid_sentence(para: Para) -> bool:
    """True if the paragraph's last line stops in the middle of a sentence (the next line goes on with it)."""
    last = para.lines[-1]
    whole = para.chrome or pagelines.is_chrome(para.text) or pagelines.date_line(para.text) or tag_match(para.text)
    return not whole and not pagelines.is_short_line(last) and last.rstrip(CLOSING)[-1:] not in ".!?…:"


def read_tags(paras: list[Para]) -> None:
    """Find each paragraph's speaker tag, if it has one."""
    matches = [tag_match(p.text) for p in paras]
    first = next((i for i, p in enumerate(paras) if not pagelines.is_category_label(p.text)
                  and not pagelines.date_line(p.text) and not pagelines.is_chrome(p.text)), -1)  # fmt: skip
    marks = [turns.marker(p.text) if i != first else None for i, p in enumerate(paras)]
    words = {turns.marker_word(p.text) for i, p in enumerate(paras) if marks[i]}
    unpaired = ({"r"} if not words & {"q", "p"} else set()) | ({"p"} if "r" not in words else set())
    for i, p in enumerate(paras):  # `R:` answers `Q:` or `P:`, `P:` asks where `R:` answers; else someone's initial
        marks[i] = None if marks[i] and turns.marker_word(p.text) in unpaired else marks[i]
    single = [i for i, p in enumerate(paras) if marks[i] and turns.single_letter(p.text)]
    if len(single) < 2:  # `A. J. Miller`, `F. Scott Fitzgerald`: initials, not `Q.`/`A.` turns
        for i in single:
            marks[i] = None
    tags = _Tags(matches)
    for i, (p, m) in enumerate(zip(paras, matches)):
        if marks[i]:  # `Q.` / `A.`: the interviewer, or the guest whose name the turn does not give
            p.tag, p.body = marks[i]
        elif m is not None and (i != first or m.re is TAG_WITH_NAME):  # a colon in the title is not a tag
            p.tag, p.name, p.body = tags.read(m) or (None, None, "")
            p.co_host = p.tag in tags.co_hosts

class _Tags:
    """What the text's tags say together: which names tag more than once, which short tags there are, who hosts."""

    def __init__(self, matches: list[re.Match | None]) -> None:
        found = [m for m in matches if m]
        names = [clean_name(m.group("name")) for m in found if m.re in (TAG_NAME, TAG_CAPS_NAME)]
        self.counts = Counter(names)
        self.known = {clean_name(m.group("name")) for m in found if m.re is TAG_WITH_NAME}
        self.shorts = {m.group("tag") for m in found if m.re in (TAG_CAPS, TAG_WITH_NAME)}
        self.shorts |= {n for n in names if " " not in n}
        word = lambda m: len(m.group("tag")) > 1 and m.group("tag").casefold() not in {*ROLE_WORDS, *NOT_A_SPEAKER}  # noqa: E731
        capitals = [m for m in found if m.re is TAG_CAPS_NAME or m.re is TAG_CAPS and word(m)]
        self.capitals = len(capitals) >= 2  # `PRICE:`, `OWEN PRICE:` (not `Q:` and `A:`)
        hosts = list(dict.fromkeys(clean_name(m.group("name")) for m in found if m.re is TAG_CAPS_NAME and _hosts(m)))
        self.hosts: dict[str, str] = {}  # the first host is the interviewer; another keeps a voice of their own
        for n, name in enumerate(hosts):
            key = INTERVIEWER if n == 0 else next((s for s in short_forms(name) if s in self.shorts), name)
            self.hosts.update(dict.fromkeys((name, *short_forms(name)), key))
        self.co_hosts = {self.hosts[name] for name in hosts[1:]}
        self.co_hosts |= {m.group("tag") for m in found if m.re is TAG_CAPS and m.group("tag").casefold() in
                          REPORTER_WORDS}  # `REPORTER:` beside `ANCHOR:`  # fmt: skip

    def read(self, m: re.Match) -> tuple[str, str | None, str] | None:
        """(tag, full name or None, the words after it) for one tag, or None where it is no speaker's."""
        rest = m.group("rest").strip()
        if m.re in (TAG_WITH_NAME, TAG_NUMBERED, TAG_CAPS):
            tag = m.group("tag")
            if m.re is TAG_CAPS and tag.casefold() in NOT_A_SPEAKER and tag.casefold() not in ROLE_WORDS:
                return None
            name = clean_name(m.group("name")) if m.re is TAG_WITH_NAME else None
            return ROLE_WORDS.get(tag.casefold()) or self.hosts.get(tag) or tag, name, rest
        name = clean_name(m.group("name"))
        if m.re is TAG_CAPS_NAME and _hosts(m):  # `RITA CALLOWAY, HOST:`
            return self.hosts[name], name.title(), rest
        if name.casefold() in ROLE_WORDS:
            return ROLE_WORDS[name.casefold()], None, rest
        if name.casefold() in NOT_A_SPEAKER:
            return None
        short = next((s for s in short_forms(name) if s in self.shorts and s != name), None)
        if short:  # `Prof. Jane Doe:` once, `JD:` (or `DOE:`, `Doe:`) after it: one guest
            return self.hosts.get(short) or short, name.title() if name.isupper() else name, rest
        if m.re is TAG_CAPS_NAME and self.capitals or self.counts[name] >= 2 or name in self.known:
            return name, name.title() if name.isupper() else name, rest
        return None


def _hosts(m: re.Match) -> bool:
    """True for a name in capitals with a host's role (`RITA CALLOWAY, HOST:`)."""
    return (m.group("role") or "").strip().casefold() in HOST_ROLES


def read_credits(paras: list[Para]) -> None:
    """Lines that credit the interviewer (`Interviewer: Sam Whitaker`, `Das Interview führte Anna Berg.`) before the
    conversation's first turn or question, or after its last, name the interviewer: metadata, not turns."""
    first = next((p for p in paras if not pagelines.is_chrome(p.text) and not pagelines.is_category_label(p.text)
                  and not pagelines.date_line(p.text)), None)  # fmt: skip
    for run in (paras, paras[::-1]):
        for p in run:
            name = interviewer_credit(p.text) if p is not first else None  # `Interview: Patti Smith`: a title
            if name:
                p.tag, p.credit = None, name
            elif p.tag or ends_with_question(p.text):
                break
