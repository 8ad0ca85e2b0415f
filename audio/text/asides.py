"""What a page sets beside the conversation, found before the split: a box of chrome (a newsletter's sign-up) in the
middle of it, a pull quote that repeats it, the author's own bio under it, the labels and addresses in a page's
footer. None of it is anyone's words; each is reported with its reason."""

from __future__ import annotations

import re
from itertools import groupby

from . import pagelines
from .speakertags import byline
from .turns import ends_with_question

BOX = "a box of page chrome (a sign-up, a newsletter)"
FACTS = "a box of facts (page chrome)"
AUTHOR = "the author's name (metadata)"
BYLINE = "byline (metadata)"
PULL_QUOTE = "pull quote (it repeats the text)"
AUTHOR_BIO = "the author's bio (page chrome)"
FOOTER = "page footer (page chrome)"

_QUOTED = re.compile(r"^[\"“„«‘'](?P<inner>[^\"“”„«»]{12,300})[\"”“»’'](?:\s*[—–-]\s*[A-Z][\w .'-]{1,40})?$")
_FACT = re.compile(r"^[A-ZÄÖÜ][\w ]{1,24}:\s*\S[^.!?]{0,70}$")
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b|\b[A-Z]{2} \d{5}\b")


def find_asides(paras: list, first_turn: int, last_turn: int, interviewer: str = "") -> dict[int, str]:
    """{paragraph index: reason} for the paragraphs that are set beside the conversation (`first_turn`..`last_turn`:
    the indexes of its first and last turns), `interviewer` the interviewer's name if the text gives it."""
    out: dict[int, str] = {}
    for _, members in groupby(range(len(paras)), key=lambda i: paras[i].block):
        out.update(_box(paras, list(members), first_turn, last_turn))
    texts = [" ".join(p.text.split()) for p in paras]
    folded = [t.casefold() for t in texts]
    conversation = range(first_turn + 1, last_turn + 1)  # a pull quote repeats a turn, set among the turns
    for i in (i for i in conversation if not paras[i].tag):
        m = _QUOTED.match(texts[i])
        quoted = m.group("inner").strip().rstrip(".!?…,").casefold() if m else ""
        if quoted and any(quoted in folded[j] for j in range(first_turn, last_turn + 1) if j != i):
            out[i] = PULL_QUOTE
    bylines = {i: a for i, a in enumerate(byline(p.text) for p in paras) if a and not first_turn < i < last_turn}
    out.update(dict.fromkeys(bylines, BYLINE))
    authors = set(bylines.values()) | ({interviewer} if interviewer else set())
    for i in range(len(paras)):
        if not paras[i].tag and texts[i] in authors and i not in bylines:
            out[i] = AUTHOR  # the author's name alone, above the article or in their box
    after = range(last_turn + 1, len(paras))
    for i in after:
        if not paras[i].tag and any(re.match(rf"{re.escape(a)},? (?:is|ist|was|war)\b", texts[i]) for a in authors):
            out[i] = AUTHOR_BIO
    for first in (i for i in bylines if i in after):  # `Written by Dana Osei`, her followers, her bio below it
        box = [i for i in range(first + 1, len(paras)) if paras[i].block == paras[first].block]
        out.update({i: AUTHOR_BIO for i in box if not paras[i].tag and i not in out})
    return out


def _box(paras: list, members: list[int], first_turn: int, last_turn: int) -> dict[int, str]:
    """A block of chrome: inside the conversation, one with two lines or more that are never anyone's words; after
    it, the short lines and addresses beside a chrome line (a footer)."""
    if any(paras[i].tag for i in members):
        return {}
    strong = [i for i in members if pagelines.is_chrome(paras[i].text)]
    formed = [i for i in members if paras[i].chrome and i not in strong]
    inside = first_turn < members[0] and members[-1] < last_turn
    if inside and len(members) >= 3 and strong and len(strong) + len(formed) >= 2:
        return {i: BOX for i in members if i not in strong}  # the chrome lines keep their own reason
    facts = [i for i in members if _FACT.match(paras[i].text)]
    rest = [paras[i].text for i in members if i not in facts]  # at most a title above them, which does not ask
    asked = members[0] > 0 and ends_with_question(paras[members[0] - 1].text)  # else an answer's list
    if len(facts) >= 3 and len(rest) <= 1 and not any("?" in t for t in rest) and not asked:
        return dict.fromkeys(members, FACTS)  # `Founded: 1952`, `Employees: 310`, under `… at a glance`
    chrome = [i for i in members if pagelines.is_chrome(paras[i].text) or paras[i].chrome
              or pagelines.date_line(paras[i].text)]  # fmt: skip
    if members[0] > last_turn and chrome:
        return {i: FOOTER for i in members if i not in chrome and (pagelines.is_short_line(paras[i].text)
                or _CONTACT.search(paras[i].text) and len(paras[i].text.split()) <= 12
                and paras[i].text.rstrip()[-1:] not in ".!?")}  # an address, not a sentence  # fmt: skip
    return {}
