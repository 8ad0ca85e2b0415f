"""The script splitter: interview text in, an `Episode` of chapters and speaker segments out.

Two inputs are understood. An *explicit script* (it starts with a `+++` front matter
block, see `explicit.py`) is read literally. Anything else is interview text as it
comes from a web page, and is split by the rules below:

- a paragraph is a run of non-blank lines; a tagged line, a date line or a chrome line
  always starts a new one;
- speaker tags: `HU:`, `HU :`, `Hans Uszkoreit (HU):`, `Interviewer:`, `Q:`, `Narrator:`,
  and `Full Name:` where that name tags two paragraphs or more. The tag is never voiced;
- an untagged paragraph ending in a question, or opening with one and answered by a
  tagged paragraph, is the interviewer's; any other untagged paragraph in the
  conversation continues the previous speaker;
- a short line without closing punctuation, alone between blank lines, is a heading;
- before the title: category labels and date lines are metadata; the first full line
  is the title; the narration before the first question is the lede;
- bios (paragraphs after the last question that begin with a guest's name) go to a
  closing chapter; page chrome is reported, not voiced.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..model import INTERVIEWER, NARRATOR, ROLE_GUEST, Chapter, Episode, NotSpoken, Segment, Speaker
from . import pagelines, turns
from .ids import assign_ids
from .roles import hosts_of, questioning_tags
from .speakertags import (
    NOT_A_SPEAKER,
    ROLE_WORDS,
    TAG_CAPS,
    TAG_NAME,
    TAG_WITH_NAME,
    bio_subject,
    clean_name,
    initials,
    tag_match,
    visible_tag,
)  # fmt: skip
from .turns import CLOSING, GUEST, asks_itself, ends_a_paragraph, ends_with_question, opens_with_question

log = logging.getLogger(__name__)

OPENING_CHAPTER = "Introduction"
"""Title of the chapter before the first heading."""
BIO_CHAPTER = "About the guests"
"""Title of the closing chapter that gathers the guests' bios."""

MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 110


@dataclass
class _Para:
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


@dataclass
class _Split:
    """Mutable state of one split; becomes an `Episode` at the end."""

    chapters: list[tuple[str, list[Segment]]] = field(default_factory=list)
    bios: list[Segment] = field(default_factory=list)
    not_spoken: list[NotSpoken] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    co_hosts: set[str] = field(default_factory=set)

    def segment(self, speaker: str, text: str, para: _Para) -> Segment:
        return Segment("", speaker, text, para.line, para.end_line)

    def say(self, speaker: str, text: str, para: _Para) -> None:
        if not self.chapters:
            self.chapters.append((OPENING_CHAPTER, []))
        self.chapters[-1][1].append(self.segment(speaker, text, para))

    def skip(self, para: _Para, reason: str) -> None:
        for offset, text in enumerate(para.lines):
            if text.strip():
                self.not_spoken.append(NotSpoken(para.line + offset, text.strip(), reason))


def split_script(text: str, source: Path | None = None) -> Episode:
    """Split interview text into an `Episode`. Never raises on any text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paras = _paragraphs(text)
    _read_tags(paras)
    untagged = not any(p.tag and p.tag not in (INTERVIEWER, NARRATOR) for p in paras)
    if untagged:  # answers carry no tags: each follows its question, maybe on the next line
        paras = _paragraphs(text, split_questions=True)
        _read_tags(paras)
    names = {p.tag: p.name for p in paras if p.tag and p.name}
    guest_tags = [p.tag for p in paras if p.tag and p.tag not in (INTERVIEWER, NARRATOR)]
    hosts = hosts_of(paras)
    questioners = {hosts[0]: INTERVIEWER} if hosts else questioning_tags(paras)
    if hosts:  # the first host is the interviewer; the others keep their tag, as interviewers with voices of their own
        names.setdefault(INTERVIEWER, names.get(hosts[0]) or _person(hosts[0]))
    for tag in (t for t, role in questioners.items() if role == INTERVIEWER and t in names):
        names.setdefault(INTERVIEWER, names[tag])  # `Lena Park (LP):` asks: the interviewer's name is known

    # Questions marked (`Q.`, `LP:`): an untagged paragraph is never one, even if it asks (an answer's own question)
    marked = sum(1 for p in paras if p.tag and questioners.get(p.tag, p.tag) == INTERVIEWER) >= 2
    state = _Split(names={**names, GUEST: "Guest"}, co_hosts=set(hosts[1:]))
    date = None
    title = ""
    lede: list[str] = []
    in_front, in_lede, in_bio = True, True, False
    around, credit_end = "", 0  # after a photo credit (its caption follows) or a "related" label (links follow)
    previous = NARRATOR
    last_question = max((i for i, p in enumerate(paras) if not p.tag and ends_with_question(p.text)), default=-1)
    # bios come after the conversation began (a lede that names the hosts is no bio) and after its last question
    first_turn = min((i for i, p in enumerate(paras) if p.tag not in (None, NARRATOR)), default=len(paras))
    last_turn = max((i for i, p in enumerate(paras) if p.tag not in (None, NARRATOR)), default=-1)
    last_turn = max(last_turn, last_question)
    last_question = max(last_question, first_turn)

    for i, para in enumerate(paras):
        dated = pagelines.date_line(para.text.replace("\n", " "))
        if pagelines.is_chrome(para.text) or para.chrome and not para.tag and not first_turn < i < last_turn:
            state.skip(para, "page chrome")
            around = "credit" if pagelines.CREDIT.match(para.text) and in_lede else around
            credit_end = para.end_line
            around = "related" if pagelines.RELATED.match(para.text.strip()) else around
            continue
        if around == "credit" and para.line != credit_end + 1:
            around = ""  # a caption sits right under its credit, no blank line between
        if around and not para.tag and len(para.text.split()) <= (30 if around == "credit" else 12):
            if around == "credit" or para.text.rstrip()[-1:] not in ".!?":
                state.skip(para, "image caption (page chrome)" if around == "credit" else "related link (page chrome)")
                around = around if around == "related" else ""
                continue
        around = ""
        if turns.is_sound(para.text):
            state.skip(para, "a sound or a timestamp")
            continue
        if not any(ch.isalnum() for ch in para.text):
            state.skip(para, "no words to say")
            continue
        if dated:
            kind, when = dated
            if kind == "release" and date is None:
                date = when
                state.skip(para, "release date (metadata)")
            else:
                state.skip(para, "last updated (page chrome)" if kind == "update" else "date (metadata)")
            continue
        if in_front:
            if not para.tag and pagelines.is_category_label(para.text):
                state.skip(para, "category label (metadata)")
                continue
            if not para.tag and pagelines.is_banner(para.text, _until_a_turn(paras[i + 1 : i + 6])):
                state.skip(para, "site name or section above the title (page chrome)")
                continue
            in_front = False
            if not para.tag and not ends_with_question(para.text):
                title = _strip_markdown_heading(para.text)
                state.say(NARRATOR, title, para)
                continue
        if para.tag:
            speaker = questioners.get(para.tag, para.tag)
            body = turns.without_sounds(para.body)
            if not body.strip():
                state.skip(para, f"speaker tag without words ({para.tag})")
                continue
            state.say(speaker, body, para)
            previous, in_lede, in_bio = speaker, False, False
            continue
        note = turns.editorial_note(para.text)
        if note:
            state.say(NARRATOR, note, para)
            continue
        if _is_heading(para):
            heading = _strip_markdown_heading(para.text)
            state.chapters.append((heading, []))
            state.say(NARRATOR, heading, para)
            in_bio = False
            continue
        bio_of = bio_subject(para.text, guest_tags, state.names) if i > last_question else None
        if bio_of:
            tag, name = bio_of
            state.names.setdefault(tag, name)
            state.bios.append(state.segment(NARRATOR, para.text, para))
            in_bio = True
            continue
        rhetorical = untagged and previous == GUEST and asks_itself(para.text) or marked and previous != INTERVIEWER
        if not rhetorical and _is_interviewer_question(para, paras[i + 1] if i + 1 < len(paras) else None):
            state.say(INTERVIEWER, para.text, para)
            previous, in_lede, in_bio = INTERVIEWER, False, False
            continue
        if in_bio:
            state.bios.append(state.segment(NARRATOR, para.text, para))
            continue
        if in_lede:
            lede.append(para.text)
            state.say(NARRATOR, para.text, para)
            continue
        if untagged and previous == INTERVIEWER:  # the answer to the question before it
            previous = GUEST
        state.say(previous, para.text, para)

    return _episode(state, title, date, lede, source)


def _episode(state: _Split, title: str, date, lede: list[str], source: Path | None) -> Episode:
    chapters = []
    for heading, segments in state.chapters:
        if len(segments) == 1 and heading != OPENING_CHAPTER:
            # A heading with nothing under it: not a chapter of its own.
            only = segments[0]
            state.not_spoken.append(NotSpoken(only.line, only.text, "heading of an empty section"))
            continue
        if segments:
            chapters.append(Chapter(heading, tuple(segments)))
    if state.bios:
        chapters.append(Chapter(BIO_CHAPTER, (Segment("", NARRATOR, BIO_CHAPTER), *state.bios)))
    chapters = assign_ids(chapters)
    if not title and chapters:
        title = source.stem.replace("-", " ").replace("_", " ").strip() if source else "Untitled"
    order = dict.fromkeys(s.speaker for c in chapters for s in c.segments)
    speakers = tuple(_speaker(tag, state.names, state.co_hosts) for tag in order)
    state.not_spoken.sort(key=lambda n: n.line)
    return Episode(
        title=title,
        speakers=speakers,
        chapters=tuple(chapters),
        not_spoken=tuple(state.not_spoken),
        date=date,
        lede=" ".join(lede),
        source=source,
    )


def _speaker(tag: str, names: dict[str, str], co_hosts: set[str] = frozenset()) -> Speaker:
    if tag == NARRATOR:
        return Speaker(NARRATOR, names.get(NARRATOR, "Narrator"), NARRATOR)
    if tag == INTERVIEWER:
        return Speaker(INTERVIEWER, names.get(INTERVIEWER, "Interviewer"), INTERVIEWER)
    if tag in co_hosts:
        return Speaker(tag, names.get(tag) or _person(tag), INTERVIEWER)
    return Speaker(tag, names.get(tag, tag), ROLE_GUEST)


def _person(tag: str) -> str:
    """A name for a tag: `KATHY` → `Kathy`; a full name as it is."""
    return tag.title() if tag.isupper() and len(tag) > 3 else tag


def _paragraphs(text: str, split_questions: bool = False) -> list[_Para]:
    """Group lines into paragraphs; tagged, marked (`Q.`), date, chrome and sound lines start paragraphs of their
    own. `split_questions`: a line that ends with a question ends its paragraph (an answer on the next line)."""
    paras: list[_Para] = []
    block: list[_Para] = []

    def flush() -> None:
        for p in block:
            p.alone = len(block) == 1
        paras.extend(block)
        block.clear()

    lines = text.split("\n")
    for number, raw in enumerate(lines, start=1):
        line = visible_tag(raw.strip()).strip()
        spoken = turns.without_sounds(line)  # `[27:32] Ana Torres: …`: the tag after a timestamp
        line = visible_tag(spoken).strip() if spoken.strip() else line
        if not line:
            flush()
            continue
        # a line with the form of chrome stands alone unless it goes on with a sentence the line before began
        chrome = pagelines.looks_like_chrome(line) and not (block and _mid_sentence(block[-1]))
        standalone = bool(
            tag_match(line) or pagelines.date_line(line) or pagelines.is_date_label(line) or pagelines.is_chrome(line)
            or pagelines.is_category_label(line) or line.startswith("#") or turns.marker(line)
            or turns.is_sound(line) or turns.editorial_note(line) or chrome
        ) or bool(split_questions and block and ends_with_question(block[-1].lines[-1]))
        if block and pagelines.is_date_label(block[-1].text) and pagelines.date_line(line):
            block[-1].text += "\n" + line  # `Published:` above the date itself
            block[-1].end_line = number
            block[-1].lines.append(line)
            continue
        joinable = block and not standalone and not block[-1].text.startswith("#") and not (
            pagelines.is_chrome(block[-1].text) or pagelines.date_line(block[-1].text)
            or pagelines.is_date_label(block[-1].text)
            or pagelines.is_category_label(block[-1].text) or turns.is_sound(block[-1].text)
            or turns.editorial_note(block[-1].text) or block[-1].chrome
        )
        if joinable and ends_a_paragraph(block[-1].lines[-1], line):
            joinable = False  # one paragraph per line (a transcript's layout): the line before ends a sentence
        if joinable and pagelines.is_short_line(block[-1].text) and (
            pagelines.is_short_line(line) or len(block[-1].text.split()) <= 2
        ):  # `Merch` above `Contact`, a site's name above its motto: one per line, not a wrapped sentence
            joinable = False
        if joinable:
            block[-1].text += " " + line
            block[-1].end_line = number
            block[-1].lines.append(line)
        else:
            block.append(_Para(line, number, number, False, [line], chrome=chrome))
    flush()
    return paras


def _until_a_turn(paras: list[_Para]) -> list[str]:
    """The texts of the paragraphs before the first tagged one."""
    tagged = next((n for n, p in enumerate(paras) if p.tag), len(paras))
    return [p.text for p in paras[:tagged]]


def _mid_sentence(para: _Para) -> bool:
    """True if the paragraph's last line stops in the middle of a sentence (the next line goes on with it)."""
    last = para.lines[-1]
    whole = para.chrome or pagelines.is_chrome(para.text) or pagelines.date_line(para.text) or tag_match(para.text)
    return not whole and not pagelines.is_short_line(last) and last.rstrip(CLOSING)[-1:] not in ".!?…:"


def _read_tags(paras: list[_Para]) -> None:
    """Find each paragraph's speaker tag, if it has one."""
    full_names: dict[str, int] = {}
    matches: list[re.Match | None] = []
    for p in paras:
        m = tag_match(p.text)
        matches.append(m)
        if m and m.re is TAG_NAME:
            key = clean_name(m.group("name"))
            full_names[key] = full_names.get(key, 0) + 1
    known_names = {clean_name(m.group("name")) for m in matches if m and m.re is TAG_WITH_NAME}
    short_tags = {m.group("tag") for m in matches if m and m.re in (TAG_CAPS, TAG_WITH_NAME)}
    first = next((i for i, p in enumerate(paras) if not pagelines.is_category_label(p.text)
                  and not pagelines.date_line(p.text) and not pagelines.is_chrome(p.text)), -1)
    marks = [turns.marker(p.text) if i != first else None for i, p in enumerate(paras)]
    single = [i for i, p in enumerate(paras) if marks[i] and turns.single_letter(p.text)]
    if len(single) < 2:  # `A. J. Miller`, `F. Scott Fitzgerald`: initials, not `Q.`/`A.` turns
        for i in single:
            marks[i] = None
    for i, (p, m) in enumerate(zip(paras, matches)):
        marked = marks[i]
        if marked:  # `Q.` / `A.`: the interviewer, or the guest whose name the turn does not give
            p.tag, p.body = marked
            continue
        if m is None or i == first and m.re is not TAG_WITH_NAME:
            continue  # a colon in the title is not a tag
        if m.re is TAG_WITH_NAME:
            tag, name = m.group("tag"), clean_name(m.group("name"))
        elif m.re is TAG_CAPS:
            tag, name = m.group("tag"), None
            if tag.casefold() in NOT_A_SPEAKER and tag.casefold() not in ROLE_WORDS:
                continue
        else:
            name = clean_name(m.group("name"))
            if name.casefold() in ROLE_WORDS:
                tag, name = name, None
            elif initials(name) in short_tags and name.casefold() not in NOT_A_SPEAKER:
                tag = initials(name)  # `Prof. Jane Doe:` once, `JD:` after it: one guest
                p.tag, p.name, p.body = tag, name, m.group("rest").strip()
                continue
            elif name.casefold() in NOT_A_SPEAKER or (full_names.get(name, 0) < 2 and name not in known_names):
                continue
            else:
                tag = name
        role = ROLE_WORDS.get(tag.casefold())
        p.tag = role or tag
        p.name = None if role else name
        p.body = m.group("rest").strip()


def _is_interviewer_question(para: _Para, following: _Para | None) -> bool:
    if ends_with_question(para.text):
        return True
    answered = following is not None and following.tag not in (None, INTERVIEWER, NARRATOR)
    return answered and opens_with_question(para.text)


def _strip_markdown_heading(text: str) -> str:
    return text.lstrip("#").strip().strip("*_").strip()


def _is_heading(para: _Para) -> bool:
    text = para.text
    if text.startswith("#") and _strip_markdown_heading(text):
        return True
    if not para.alone or para.end_line != para.line or len(text) > MAX_HEADING_CHARS:
        return False
    if len(text.split()) > MAX_HEADING_WORDS:
        return False
    if text.rstrip(CLOSING)[-1:] in ".!?:;,…":
        return False
    first = text.lstrip("\"'“„‘»«*_")[:1]
    return first.isupper() or first.isdigit()
