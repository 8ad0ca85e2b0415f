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
    if any(p.tag == INTERVIEWER for p in paras) or len(asked) < 2:
        return {}
    out = {tag: INTERVIEWER for tag, flags in asked.items() if len(flags) >= 2 and sum(flags) >= 0.6 * len(flags)}
    if out:
        return out
    # the voice that asks far more often than any other (`Raman:` asks, `Okafor:` answers), where nobody asks untagged
    share = {tag: sum(flags) / len(flags) for tag, flags in asked.items() if len(flags) >= 2}
    asker = max(share, key=share.__getitem__, default=None)
    others = max((s for tag, s in share.items() if tag != asker), default=0.0)
    untagged = sum(1 for p in paras if not p.tag and ends_with_question(p.text))
    if asker and share[asker] >= 0.4 and others <= share[asker] / 3 and untagged * 2 <= sum(asked[asker]):
        return {asker: INTERVIEWER}
    return {}


def hosts_of(paras: list) -> list[str]:
    """In a show with several tagged voices and no interviewer's: its hosts, in the order they first speak (the
    first is the interviewer). The hosts are the voices heard before anyone answers a question (a turn by another
    voice right after one that asks), the main guest (the voice with the most words) aside. None if that is not
    so: an interviewer is there already, or asks untagged, or nobody asks."""
    turns = [p for p in paras if p.tag and p.tag not in (INTERVIEWER, NARRATOR)]
    words: dict[str, int] = {}
    for p in turns:
        words[p.tag] = words.get(p.tag, 0) + len(p.body.split())
    if len(words) < 3 or any(p.tag == INTERVIEWER or not p.tag and ends_with_question(p.text) for p in paras):
        return []
    seen: list[str] = []
    for before, turn in zip([None, *turns], turns):
        if before is not None and before.tag != turn.tag and ends_with_question(before.body):
            break  # someone answers: the show has begun
        if turn.tag not in seen:
            seen.append(turn.tag)
    guest = max(words, key=words.__getitem__)
    hosts = [t for t in seen if t != guest]
    return hosts if any("?" in p.body for p in turns if p.tag in hosts) else []
