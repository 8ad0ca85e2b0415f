"""What a page sets beside the conversation, found before the split: a box of chrome (a newsletter's sign-up) in the
middle of it, a pull quote that repeats it, the author's own bio under it, the labels and addresses in a page's
footer. None of it is anyone's words; each is reported with its reason."""

from __future__ import annotations

import re
from itertools import groupby

from . import pagelines
from .speakertags import byline

BOX = "a box of page chrome (a sign-up, a newsletter)"
PULL_QUOTE = "pull quote (it repeats the text)"
AUTHOR_BIO = "the author's bio (page chrome)"
FOOTER = "page footer (page chrome)"

_QUOTED = re.compile(r"^[\"“„«‘'](?P<inner>[^\"“”„«»]{12,300})[\"”“»’'](?:\s*[—–-]\s*[A-Z][\w .'-]{1,40})?$")
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b|\b[A-Z]{2} \d{5}\b")


def find_asides(paras: list, first_turn: int, last_turn: int, interviewer: str = "") -> dict[int, str]:
    """{paragraph index: reason} for the paragraphs that are set beside the conversation (`first_turn`..`last_turn`:
    the indexes of its first and last turns), `interviewer` the interviewer's name if the text gives it."""
    out: dict[int, str] = {}
    for _, members in groupby(range(len(paras)), key=lambda i: paras[i].block):
        out.update(_box(paras, list(members), first_turn, last_turn))
    texts = [" ".join(p.text.split()) for p in paras]
    folded = [t.casefold() for t in texts]
    for i, p in enumerate(paras):
        m = _QUOTED.match(texts[i]) if not p.tag else None
        quoted = m.group("inner").strip().rstrip(".!?…,").casefold() if m else ""
        if quoted and any(quoted in t for j, t in enumerate(folded) if j != i):
            out[i] = PULL_QUOTE
    authors = {a for a in (byline(p.text) for p in paras) if a} | ({interviewer} if interviewer else set())
    for i in range(last_turn + 1, len(paras)):
        if not paras[i].tag and any(re.match(rf"{re.escape(a)},? (?:is|ist|was|war)\b", texts[i]) for a in authors):
            out[i] = AUTHOR_BIO
    return out


def _box(paras: list, members: list[int], first_turn: int, last_turn: int) -> dict[int, str]:
    """A block of chrome: inside the conversation, one with two lines or more that are never anyone's words; after
    it, the short lines and addresses beside a chrome line (a footer)."""
    if any(paras[i].tag for i in members):
        return {}
    strong = [i for i in members if pagelines.is_chrome(paras[i].text)]
    if first_turn < members[0] and members[-1] < last_turn and len(members) >= 3 and len(strong) >= 2:
        return {i: BOX for i in members if i not in strong}  # the chrome lines keep their own reason
    chrome = [i for i in members if pagelines.is_chrome(paras[i].text) or paras[i].chrome
              or pagelines.date_line(paras[i].text)]  # fmt: skip
    if members[0] > last_turn and chrome:
        return {i: FOOTER for i in members if i not in chrome and (pagelines.is_short_line(paras[i].text)
                or _CONTACT.search(paras[i].text) and len(paras[i].text.split()) <= 12)}  # fmt: skip
    return {}
