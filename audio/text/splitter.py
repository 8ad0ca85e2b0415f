"""The script splitter: interview text in, an `Episode` of chapters and speaker segments out.

Two inputs are understood. An *explicit script* (it starts with a `+++` front matter
block, see `explicit.py`) is read literally. Anything else is interview text as it
comes from a web page: its paragraphs and their speaker tags are read (`paragraphs.py`;
the tag is never voiced), then split by the rules below:

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
from .asides import BYLINE, find_asides
from .ids import assign_ids
from .paragraphs import Para, paragraphs, read_credits, read_tags, until_a_turn
from .roles import hosts_of, questioning_tags
from .speakertags import BIO_VERBS, bio_subject, byline, leading_name
from .turns import CLOSING, GUEST, asks_itself, ends_with_question, opens_with_question

log = logging.getLogger(__name__)

OPENING_CHAPTER = "Introduction"
"""Title of the chapter before the first heading."""
BIO_CHAPTER = "About the guests"
"""Title of the closing chapter that gathers the guests' bios."""

MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 110


@dataclass
class _Split:
    """Mutable state of one split; becomes an `Episode` at the end."""

    chapters: list[tuple[str, list[Segment]]] = field(default_factory=list)
    bios: list[Segment] = field(default_factory=list)
    not_spoken: list[NotSpoken] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    co_hosts: set[str] = field(default_factory=set)
    author: str = ""

    def segment(self, speaker: str, text: str, para: Para) -> Segment:
        return Segment("", speaker, text, para.line, para.end_line)

    def say(self, speaker: str, text: str, para: Para) -> None:
        if not self.chapters:
            self.chapters.append((OPENING_CHAPTER, []))
        self.chapters[-1][1].append(self.segment(speaker, text, para))

    def skip(self, para: Para, reason: str) -> None:
        for offset, text in enumerate(para.lines):
            if text.strip():
                self.not_spoken.append(NotSpoken(para.line + offset, text.strip(), reason))


def split_script(text: str, source: Path | None = None) -> Episode:
    """Split interview text into an `Episode`. Never raises on any text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paras = paragraphs(text)
    read_tags(paras)
    untagged = not any(p.tag and p.tag not in (INTERVIEWER, NARRATOR) for p in paras)
    if untagged:  # answers carry no tags: each follows its question, maybe on the next line
        paras = paragraphs(text, split_questions=True)
        read_tags(paras)
    elif sum(1 for p in paras if p.tag and ends_with_question(p.body)) >= 2 and not any(
        not p.tag and ends_with_question(p.text) for p in paras
    ):  # questions are tagged turns: a turn's next line is a paragraph of that turn's, even one that asks
        paras = paragraphs(text, turn_lines=True)
        read_tags(paras)
    read_credits(paras)
    names: dict[str, str] = {}
    for p in (p for p in paras if p.tag and p.name):  # the longest form a tag's name is given in
        names[p.tag] = max(names.get(p.tag, ""), p.name, key=len)
    names.update({INTERVIEWER: p.credit for p in paras[::-1] if p.credit})  # the first credit wins
    guest_tags = [p.tag for p in paras if p.tag and p.tag not in (INTERVIEWER, NARRATOR)]
    hosts = hosts_of(paras)
    questioners = {hosts[0]: INTERVIEWER} if hosts else questioning_tags(paras)
    if hosts:  # the first host is the interviewer; the others keep their tag, as interviewers with voices of their own
        names.setdefault(INTERVIEWER, names.get(hosts[0]) or _person(hosts[0]))
    for tag in (t for t, role in questioners.items() if role == INTERVIEWER and t in names):
        names.setdefault(INTERVIEWER, names[tag])  # `Lena Park (LP):` asks: the interviewer's name is known

    # Questions marked (`Q.`, `LP:`): an untagged paragraph is never one, even if it asks (an answer's own question)
    marked = sum(1 for p in paras if p.tag and questioners.get(p.tag, p.tag) == INTERVIEWER) >= 2
    state = _Split(names={**names, GUEST: "Guest"}, co_hosts=set(hosts[1:]) | {p.tag for p in paras if p.co_host})
    date = None
    title = ""
    lede: list[str] = []
    in_front, in_lede, in_bio = True, True, False
    around, credit_end = "", 0  # after a photo credit (a caption follows), a "related" label (links), an ad's label
    menus_above = False  # the site's own chrome stood above the line: a show's name under its station's
    previous, answerer, asked, label_text = NARRATOR, "", False, ""
    # bios come after the conversation began (a lede that names the hosts is no bio) and after its last question
    first_turn = min((i for i, p in enumerate(paras) if p.tag not in (None, NARRATOR)), default=len(paras))
    last_turn = max((i for i, p in enumerate(paras) if p.tag not in (None, NARRATOR)), default=-1)
    asks = [i for i, p in enumerate(paras) if not p.tag and ends_with_question(p.text)]
    last_question = max((i for i in asks if not (marked and i > last_turn)), default=-1)  # else a link's title
    last_turn = max(last_turn, last_question)
    if first_turn == len(paras) and asks:  # answers untagged: the conversation runs from the first question on
        first_turn, last_turn = asks[0], min(last_turn + 1, len(paras) - 1)
    asides = find_asides(paras, first_turn, last_turn, names.get(INTERVIEWER, ""))
    state.author = next((byline(paras[i].text) for i, reason in sorted(asides.items()) if reason == BYLINE), "")
    numbered_questions = _numbered_questions(paras) if untagged else set()
    last_question = max(last_question, first_turn if first_turn < len(paras) else -1)

    for i, para in enumerate(paras):
        dated = pagelines.date_line(para.text.replace("\n", " "))
        if para.credit or i in asides:
            state.skip(para, asides.get(i, "the interviewer's name (metadata)"))
            continue
        chrome = para.chrome and not dated and not para.tag and not first_turn < i < last_turn
        label = not para.tag and bool(pagelines.RELATED.match(para.text.strip()))  # `An interview with:`, names below
        if not para.tag and pagelines.is_chrome(para.text) or chrome or label:
            advert = around == "sponsor" and not pagelines.is_chrome(para.text)
            state.skip(para, "advertisement (page chrome)" if advert else "page chrome")
            around = "credit" if pagelines.CREDIT.match(para.text) and in_lede else around
            credit_end, menus_above = para.end_line, menus_above or in_front
            around = "related" if pagelines.RELATED.match(para.text.strip()) else around
            around = "sponsor" if pagelines.SPONSOR.match(para.text.strip()) else around
            around = "bio" if pagelines.BIO_LABEL.match(para.text.strip()) else around
            label_text = para.text if around == "bio" else label_text
            continue
        if around == "bio":  # the paragraph under `Zur Person`, wherever the page puts it
            around = ""
            if not para.tag and not ends_with_question(para.text):
                state.bios.append(state.segment(NARRATOR, para.text, para))
                around = "bio" if i + 1 < len(paras) and paras[i + 1].block == para.block else ""  # a box of bios
                one = not re.search(r"(?i)speakers|guests|gäste|invités", label_text)  # `Zur Person`: the guest's
                named = bio_subject(para.text, guest_tags, state.names)
                named = named or (untagged and one and (GUEST, leading_name(para.text) or ""))
                if named and named[1] and state.names.get(named[0]) in (None, "Guest"):
                    state.names[named[0]] = named[1]  # `Zur Person` ⏎ `Lena Vogt, 52, …`: the guest's name
                continue
        if around == "credit" and para.line != credit_end + 1:
            around = ""  # a caption sits right under its credit, no blank line between
        if around == "sponsor":
            around = ""
            if not para.tag and pagelines.looks_like_chrome(para.text):
                state.skip(para, "advertisement (page chrome)")
                continue
        if around and not para.tag and (len(para.text.split()) <= (30 if around == "credit" else 12) or para.listed):
            if around == "credit" or para.listed or para.text.rstrip()[-1:] not in ".!?":
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
            if not para.tag and pagelines.is_banner(para.text, until_a_turn(paras[i + 1 : i + 6]), menus_above):
                state.skip(para, "site name or section above the title (page chrome)")
                menus_above = True
                continue
            in_front = False
            if not para.tag and (not ends_with_question(para.text) or marked):  # where questions are tagged, it may ask
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
            answerer = speaker if speaker not in (INTERVIEWER, NARRATOR, *state.co_hosts) else answerer
            asked = speaker == INTERVIEWER and bool(turns.marker(para.text)) and ends_with_question(body)
            answerer = _addressed(body, guest_tags, state.names) or answerer if asked else answerer
            continue
        note = turns.editorial_note(para.text)
        if note or turns.warning(para.text) and len(state.chapters[-1][1]) == 1 and len(state.chapters) > 1:
            state.say(NARRATOR, note or para.text, para)  # a note, or a warning right under a heading
            continue
        if in_lede and title and pagelines.is_short_line(para.text) and _beside_chrome(paras, i):
            state.skip(para, "a label beside page chrome")  # `Heard on Midday Line` under the date: not the lede
            continue
        if _is_heading(para):
            heading = _strip_markdown_heading(para.text)
            state.chapters.append((heading, []))
            state.say(NARRATOR, heading, para)
            in_bio = False
            continue
        bio_of = None
        if i > last_question:  # a bio: it names a guest, or the guest the title names
            bio_of = bio_subject(para.text, guest_tags, state.names) or (_named_in(para.text, title, lede) if untagged
                                                                          else None)  # fmt: skip
        if bio_of:
            tag, name = bio_of
            if state.names.get(tag) in (None, "Guest"):  # an unnamed guest is named by their bio
                state.names[tag] = name
            state.bios.append(state.segment(NARRATOR, para.text, para))
            in_bio = True
            continue
        rhetorical = untagged and previous == GUEST and asks_itself(para.text) or marked and previous != INTERVIEWER
        numbered = i in numbered_questions  # `4. Describe how …`, among numbered questions
        if numbered or not rhetorical and _is_interviewer_question(para, paras[i + 1] if i + 1 < len(paras) else None):
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
        elif marked and previous == INTERVIEWER and asked and answerer:  # `Q. …?` then untagged: the voice it turns
            previous = answerer  # to by name (`Coach, …`), else the last that answered
        state.say(previous, para.text, para)

    asker = state.names.get(INTERVIEWER, "")
    if state.author and asker and " " not in asker and state.author.split()[-1] == asker:  # `Raman:` by Priya Raman
        state.names[INTERVIEWER] = state.author
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
        author=state.author,
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


def _named_in(text: str, title: str, lede: list[str]) -> tuple[str, str] | None:
    """(the unnamed guest, their name) for a paragraph that opens with a name the title or the lede gives
    (`In the workshop with Ines Carvalho` … `Ines Carvalho trained as …`): the guest's bio."""
    name = leading_name(text)
    verb = text[len(name) :].split()[0].strip(",").casefold() if name and len(text) > len(name) else ""
    if name and verb in BIO_VERBS and name in " ".join([title, *lede]):
        return GUEST, name
    return None


def _numbered_questions(paras: list[Para]) -> set[int]:
    """The numbered paragraphs of an interview whose questions are numbered (`1. What …?`, `2. …?`), in sequence."""
    numbers = {i: int(m.group("number")) for i, p in enumerate(paras) if (m := turns.NUMBERED.match(p.text))}
    asking = [i for i in numbers if ends_with_question(paras[i].text)]
    if len(asking) < 2:
        return set()
    expected, out = 1, set()
    for i in sorted(numbers):
        # one that does not ask (`4. Describe …`) sits between answers, never in a list (`1. Take a course.`)
        alone = i in asking or (i - 1 not in numbers and i + 1 not in numbers and i - 1 not in asking)
        if numbers[i] == expected and len(paras[i].text.split()) <= 40 and alone:
            out.add(i)
            expected += 1
    return out


def _addressed(question: str, tags: list[str], names: dict[str, str]) -> str:
    """The tag of the voice a question turns to by name (`Kelsey, walk us …`, `Coach, you went …`), or ""."""
    m = re.match(r"([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?),\s", question)
    called = set(m.group(1).casefold().split()) if m else set()  # every word: `Senator Sanders`, not `Senator`
    words = lambda tag: set(f"{tag} {names.get(tag, '')}".casefold().split())  # noqa: E731
    return next((t for t in dict.fromkeys(tags) if called and called <= words(t)), "")


def _beside_chrome(paras: list[Para], i: int) -> bool:
    """True if a paragraph shares its block with a date or a line of page chrome next to it."""
    near = [p for p in paras[max(i - 1, 0) : i + 2] if p is not paras[i] and p.block == paras[i].block]
    return any(pagelines.date_line(p.text) or pagelines.is_chrome(p.text) or p.chrome for p in near)


def _is_interviewer_question(para: Para, following: Para | None) -> bool:
    if ends_with_question(para.text):
        return True
    answered = following is not None and following.tag not in (None, INTERVIEWER, NARRATOR)
    return answered and opens_with_question(para.text)


def _strip_markdown_heading(text: str) -> str:
    return text.lstrip("#").strip().strip("*_").strip()


def _is_heading(para: Para) -> bool:
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
