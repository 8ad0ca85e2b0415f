"""Turns without names: `Q.`/`A.` markers, sounds and timestamps (`[LAUGHTER]`, `[27:32]`), editorial notes."""

from __future__ import annotations

import re

from ..model import INTERVIEWER

GUEST = "GUEST"
"""The tag of the guest whose answers carry no name (`A.` lines, or untagged answers)."""

_MD = r"[*_]{0,2}"
_MARKER = re.compile(
    rf"^{_MD}(?P<marker>Q|A|F|R|P|Frage|Antwort|Question|Answer|Réponse|Pregunta|Respuesta){_MD}[\s\u00a0]*[.:]{_MD}"
    rf"(?:[\s\u00a0]+(?P<rest>.*))?$",
    re.S | re.I,
)
_SOUND = (
    r"laughter|laughs|laughing|crosstalk|music|outro music|intro music|applause|inaudible|pause|silence|"
    r"end of recording|lacht|lachen|gelächter|beifall|musik|break|commercial break|\d{1,2}:\d{2}(?::\d{2})?|"
    r"rires|rire|risas|ríe|applaudissements|aplausos|musique|música|end of transcript|no microphone|nat sound"
)
_CAPS = r"(?-i:[A-Z][A-Z0-9,'’-]+(?: [A-Z0-9,'’-]+){1,6})"  # in capitals: `[MUSIC FADES]`, not `[NASA]`
_ONE = rf"(?:\[(?:{_SOUND}|{_CAPS})\.?\]|\((?:{_SOUND}|{_CAPS})\.?\))"  # `(Laughter.)` too
_SOUND_LINE = re.compile(rf"^(?:{_ONE}(?:\s*{_ONE})*|(?-i:COMMERCIAL BREAK|MUSIC))$", re.I)
_LEADING_SOUNDS = re.compile(rf"^(?:\s*{_ONE})+\s*", re.I)
_NOTE = re.compile(r"^\[(?P<note>(?:Note|Editor['’]?s note|Anmerkung(?: der Redaktion)?|Hinweis|Note de la rédaction|"
                   r"NDLR|Nota(?: de la redacción)?)\s*:.*)\]$|^(?P<bare>(?:Editor['’]?s note|"
                   r"Anmerkung der Redaktion)\s*:.*)$", re.I | re.S)  # fmt: skip
_WARNING = re.compile(r"^(?:Spoiler warning|Spoiler alert|Content warning|Trigger warning|Spoilerwarnung)\s*:", re.I)


_BARE_Q = re.compile(r"^Q\s+(?P<rest>[A-Z\"“'‘][^?]{0,300}\?.*)$", re.S)
"""A bold `Q` copied as plain text, without its full stop: `Q How loud is it?`."""


def marker(text: str) -> tuple[str, str] | None:
    """(role, the words after it) for a turn that opens with a `Q.`/`A.`-style marker: role `interviewer` for a
    question, `GUEST` for an answer; the words are "" for a marker alone on its line."""
    bare = _BARE_Q.match(text.strip())
    if bare:
        return INTERVIEWER, bare.group("rest").strip()
    m = _MARKER.match(text.strip())
    if not m or len(m.group("marker")) == 1 and re.match(r"[A-Z]\.\s", m.group("rest") or ""):
        return None  # `A. J. Miller`: initials
    asks = m.group("marker").casefold() in ("q", "f", "p", "frage", "question", "pregunta")
    return (INTERVIEWER if asks else GUEST), (m.group("rest") or "").strip()


def marker_word(text: str) -> str:
    """The marker a turn opens with, in lower case (`q`, `réponse`), or ""."""
    m = _MARKER.match(text.strip())
    return m.group("marker").casefold() if m else ""


def single_letter(text: str) -> bool:
    """True for a turn marked with one letter (`Q.`, `A:`): it may be someone's initial instead."""
    m = _MARKER.match(text.strip())
    return bool(m and len(m.group("marker")) == 1) or bool(_BARE_Q.match(text.strip()))


def is_sound(text: str) -> bool:
    """True for a line that is only a sound or a timestamp (`[LAUGHTER]`, `(laughs)`, `[27:32]`, `COMMERCIAL BREAK`)."""
    return bool(_SOUND_LINE.match(text.strip()))


def without_sounds(text: str) -> str:
    """The words of a turn without the sounds and timestamps it opens with (`[LAUGHTER] Your starter.`)."""
    return _LEADING_SOUNDS.sub("", text, count=1)


def warning(text: str) -> bool:
    """True for a paragraph that warns (`Spoiler warning: …`): a note where a heading stands above it."""
    return bool(_WARNING.match(text.strip()))


def editorial_note(text: str) -> str | None:
    """The words of an editorial note on a line of its own (`[Note: …]`), without its brackets; else None."""
    m = _NOTE.match(text.strip())
    return (m.group("note") or m.group("bare")).strip() if m else None


CLOSING = "\"'”’»«)]*_ \u00a0"
"""What may close a sentence after its mark (quotes, brackets, emphasis)."""


def ends_with_question(text: str) -> bool:
    """True if the text ends with a question mark (before closing quotes or brackets)."""
    return text.rstrip(CLOSING).endswith(("?", "？", "?!", "?…"))


def ends_a_paragraph(before: str, line: str, asked_after_turn: bool = False) -> bool:
    """True where a long line that ends a statement is followed by one that opens a sentence: a paragraph per line.
    A line that ends with a question is left to the rules for questions (it may be an answer's own question, or a
    question's lead-in and the question: one paragraph), unless it goes on from a tagged turn."""
    end = before.rstrip(CLOSING)[-1:]
    asks = line.rstrip(CLOSING).endswith("?") and not asked_after_turn
    return len(before) >= 60 and end in ".!…" and line[:1].isupper() and not asks


SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’»«)\]]*)(?=\s|$)")


NUMBERED = re.compile(r"^(?P<number>\d{1,2})[.)]\s+")
"""A numbered question's number (`2. How much …?`): no sentence of its own."""


def asks_itself(text: str) -> bool:
    """True for a paragraph that ends with a question but opens with statements: an answer's own question."""
    return not opens_with_question(text) and len(SENTENCE_END.findall(NUMBERED.sub("", text, count=1))) > 1


def opens_with_question(text: str) -> bool:
    """True if the first sentence of the text is a question."""
    m = SENTENCE_END.search(NUMBERED.sub("", text, count=1))
    return bool(m and m.group(0).startswith("?"))
