"""Who asks: tags that only ask (`SPIEGEL:`), and the hosts of a show with several voices."""

from __future__ import annotations

from ..model import INTERVIEWER, NARRATOR
from .turns import ends_with_question


def questioning_tags(paras: list) -> dict[str, str]:
    """Guest-like tags that only ask questions are the interviewer's (`SPIEGEL:`)."""
    asked: dict[str, list[bool]] = {}
    for p in paras:
        if p.tag and p.tag not in (INTERVIEWER, NARRATOR):
            asked.setdefault(p.tag, []).append(ends_with_question(p.body))
    has_interviewer = any(p.tag == INTERVIEWER for p in paras)
    out = {}
    for tag, flags in asked.items():
        if not has_interviewer and len(flags) >= 2 and sum(flags) >= 0.6 * len(flags) and len(asked) > 1:
            out[tag] = INTERVIEWER
    return out


def hosts_of(paras: list) -> list[str]:
    """In a show with several tagged voices and no interviewer's: its hosts, who speak before the main guest (the
    voice with the most words), one of them asking something; in the order they first speak (the first is the
    interviewer). None if that is not so."""
    words: dict[str, int] = {}
    first: dict[str, int] = {}
    asks: set[str] = set()
    for i, p in enumerate(paras):
        if p.tag and p.tag not in (INTERVIEWER, NARRATOR):
            words[p.tag] = words.get(p.tag, 0) + len(p.body.split())
            first.setdefault(p.tag, i)
            if "?" in p.body:
                asks.add(p.tag)
    if len(words) < 3 or any(p.tag == INTERVIEWER for p in paras):
        return []
    guest = max(words, key=words.__getitem__)
    hosts = sorted((t for t in words if first[t] < first[guest]), key=first.__getitem__)
    return hosts if asks & set(hosts) else []
