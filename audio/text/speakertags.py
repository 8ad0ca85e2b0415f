"""Speaker tags: what may stand before a colon to say who speaks (`HU:`, `Hans Uszkoreit (HU):`, `Q:`)."""

from __future__ import annotations

import re
import unicodedata

from ..model import INTERVIEWER, NARRATOR

HONORIFIC = (
    r"(?:(?:Prof|Dr|Mr|Mrs|Ms|Mx|Sir|Dame|Dipl|Ing|PD|Univ)\.?(?:-\w+\.?)?\s+|"
    r"Professor\s+|Professorin\s+|Doktor\s+)"
)
NAME_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’\-]*\.?"
PARTICLE = r"(?:von|van|der|den|de|da|di|du|del|la|le|zu|bin|al|el|ter|ten)"
NAME = rf"{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)*{NAME_WORD}){{0,4}}"
MD = r"[*_]{0,2}"

TAG_WITH_NAME = re.compile(
    rf"^{MD}(?P<name>(?:{HONORIFIC})*{NAME})\s*[(\[](?P<tag>[A-ZÀ-Þ][A-Za-zÀ-ÿ]{{0,5}})[)\]]\s*{MD}\s*:\s*{MD}\s*(?P<rest>.*)$",
    re.S,
)
TAG_CAPS = re.compile(rf"^{MD}(?P<tag>[A-ZÀ-Þ]{{1,12}}|[A-Z][a-z]?[A-Z])\s*{MD}\s*:\s*{MD}\s*(?P<rest>.*)$", re.S)
TAG_NAME = re.compile(rf"^{MD}(?P<name>(?:{HONORIFIC})*{NAME})\s*{MD}\s*:\s*{MD}\s*(?P<rest>.*)$", re.S)
_CAPS_WORD = r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’.\-]+"
TAG_CAPS_NAME = re.compile(
    rf"^{MD}(?P<name>{_CAPS_WORD}(?:\s+{_CAPS_WORD}){{1,3}})(?:,\s*(?P<role>[A-Z][A-Z -]{{1,20}}))?\s*{MD}\s*:\s*{MD}"
    rf"\s*(?P<rest>.*)$",
    re.S,
)
"""A full name in capitals, perhaps with its role, as radio transcripts write it: `OWEN PRICE:`, `RITA CALLOWAY,
HOST:`, `AUDIENCE MEMBER:`."""
TAG_NUMBERED = re.compile(
    rf"^{MD}(?P<tag>(?i:caller|speaker|guest|participant|panelist|panellist|listener|anrufer|anruferin|sprecher|"
    rf"sprecherin|teilnehmer|teilnehmerin|audience member|questioner|reporter)(?: #?\d{{1,2}}| \([^()]{{1,40}}\)))\s*"
    rf"{MD}\s*:\s*{MD}\s*(?P<rest>.*)$",
    re.S,
)
"""A voice the transcript does not name, numbered or described: `Caller 2:`, `CALLER (Maria, Ohio):`."""
HOST_ROLES = frozenset({"host", "co-host", "cohost", "moderator", "anchor", "presenter", "moderatorin"})
REPORTER_WORDS = frozenset({"reporter", "correspondent", "reporterin", "korrespondent", "korrespondentin", "co-host"})
"""Tags of a second asking voice (`REPORTER:` beside `ANCHOR:`): an interviewer with a voice of their own."""
"""Roles after a name in capitals that make its speaker an interviewer (`RITA CALLOWAY, HOST:`)."""

ROLE_WORDS = {
    **dict.fromkeys(
        ("interviewer", "interviewerin", "q", "question", "frage", "host", "moderator", "moderatorin", "anchor",
         "the moderator", "the host", "the interviewer"),
        INTERVIEWER,
    ),
    **dict.fromkeys(("narrator", "erzähler", "erzählerin", "sprecher", "sprecherin"), NARRATOR),
}
"""Tag words that name a role rather than a guest."""

NOT_A_SPEAKER = frozenset(
    s.casefold()
    for s in (
        "Note", "Notes", "Update", "Editor's note", "Editor’s note", "Anmerkung", "Hinweis",
        "Correction", "Korrektur", "Disclaimer", "Source", "Quelle", "Photo", "Foto", "Image",
        "Bild", "Tip", "Tipp", "Warning", "Achtung", "Example", "Beispiel", "PS", "P.S", "NB",
        "Fazit", "Summary", "Conclusion", "Background", "Hintergrund", "Read also", "Lesen Sie auch",
        "See also", "Siehe auch", "Tags", "Title", "Titel", "Subtitle", "Untertitel", "Teaser",
        "Keywords", "URL", "Link", "Links", "Contact", "Kontakt", "Also", "Answer", "A",
        "Antwort", "Date", "Datum", "Published", "Updated", "Interview", "Share", "Teilen", "Live", "Book",
        "Buch", "Transcript", "Duration", "Dauer", "Follow", "Next", "Previous", "Watch", "Listen", "Privacy Notice",
        "Tickets", "Location", "Ort", "Venue", "Episode",
    )
)  # fmt: skip
"""Words before a colon that are never speaker tags (`Note:`)."""


COLON = re.compile(r"[:：﹕]")


def visible_tag(line: str) -> str:
    """The line with what may be a speaker tag (the words before a colon) as it looks: invisible characters
    (zero-width spaces and joiners, a stray BOM) removed and compatibility forms (full-width letters and
    colons) folded, so that `H\u200bU:` and `ＦＸ：` are tags like `HU:`. The words after the colon are kept."""
    colon = COLON.search(line, 0, 80)
    if colon is None:
        return line
    head = unicodedata.normalize("NFKC", line[: colon.start()])
    return "".join(ch for ch in head if unicodedata.category(ch) != "Cf") + ":" + line[colon.end() :]


def tag_match(line: str) -> re.Match | None:
    for pattern in (TAG_WITH_NAME, TAG_NUMBERED, TAG_CAPS, TAG_CAPS_NAME, TAG_NAME):
        m = pattern.match(line)
        if m and m.group("rest").strip() and not m.group("rest").lstrip().startswith("//"):
            return m
    return None


def clean_name(name: str) -> str:
    name = re.sub(rf"^(?:{HONORIFIC})+", "", name.strip())
    return re.sub(r"\s+", " ", name).strip(" *_")


def short_forms(name: str) -> tuple[str, ...]:
    """The shorter tags a long one may go on as (`Joanna Dale` → `JD`, `DALE`, `Dale`)."""
    words = re.findall(r"[\w'’\-]+", clean_name(name))
    return (initials(name), words[-1].upper(), words[-1]) if len(words) >= 2 else ()


def initials(name: str) -> str:
    """The initials of a name, as a tag would give them (`Joanna Dale` → `JD`)."""
    return "".join(w[0] for w in re.findall(r"[A-ZÀ-Þ][\w'’]*", name)).upper()


_PERSON = rf"(?:{HONORIFIC})*{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)*{NAME_WORD}){{1,3}}"
_CREDIT = re.compile(
    rf"^{MD}(?:(?:Interviewer(?:in)?|Interview|Host|Moderat(?:or|orin|ion))\s*{MD}\s*:\s*{MD}\s*|"
    rf"Interview(?:ed)? by\s+|Propos recueillis par\s+|Entrevista de\s+|"
    rf"Das (?:Interview|Gespräch) führte\s+)(?P<name>{_PERSON}){MD}\.?$"
)
_BYLINE = re.compile(rf"^(?:By:?|Von|Text:|Words by|Written by|Por)\s+(?P<name>{_PERSON})(?:,\s*[\w .'-]{{1,30}})?$")


def interviewer_credit(line: str) -> str | None:
    """The name in a line that credits the interviewer (`Interviewer: Sam Whitaker`, `Das Interview führte Anna
    Berg.`), or None: above the conversation such a line is metadata, not a turn."""
    m = _CREDIT.match(line.strip())
    return re.sub(r"(\w{3})\.$", r"\1", clean_name(m.group("name"))) if m else None


def byline(line: str) -> str | None:
    """The author's name in a byline (`By Thea Lindgren`, `Von Anna Berg`, `By Jordan Lee, Staff Writer`)."""
    m = _BYLINE.match(line.strip())
    if not m or re.search(r"\w{2}\.$", line.strip()):
        return None  # `By Labor Day.`: a sentence
    return clean_name(m.group("name"))


def leading_name(text: str) -> str | None:
    """The full name a paragraph of six words or more opens with (`Ines Carvalho trained as …`), or None."""
    name = rf"(?P<name>{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)*{NAME_WORD}){{1,3}})"
    m = re.match(rf"(?:{HONORIFIC})*{name}(?:\s+[a-zäöü]|,\s)", text)
    return m.group("name").rstrip(".,") if m and len(text.split()) >= 6 else None


BIO_VERBS = frozenset({"is", "was", "has", "had", "trained", "studied", "works", "worked", "lives", "lived", "born",
                       "grew", "teaches", "leads", "founded", "ist", "war", "hat", "arbeitet", "lebt", "leitet",
                       "studierte", "wurde", "est", "a", "vit", "dirige", "es", "fue", "vive"})  # fmt: skip
"""Words that follow a name at the start of a bio (`Ines Carvalho trained as …`), not of an answer (`… taught me`)."""


def bio_subject(text: str, guest_tags: list[str], names: dict[str, str]) -> tuple[str, str] | None:
    """(tag, full name) if the paragraph is a bio of one of the guests."""
    if len(text.split()) < 6:
        return None
    m = re.match(rf"(?:{HONORIFIC})*(?P<name>{NAME_WORD}(?:\s+(?:{PARTICLE}\s+)*{NAME_WORD}){{1,3}})", text)
    if not m:
        return None
    words = m.group("name").split()
    after = text[m.end() :].split()
    verb = bool(after) and after[0].strip(",").casefold() in BIO_VERBS
    for size in range(len(words), 1, -1):
        candidate = " ".join(words[:size]).rstrip(".,")
        for tag in dict.fromkeys(guest_tags):
            known = names.get(tag)
            if known and (candidate == known or candidate.endswith(known) or known.endswith(candidate)
                          or candidate.startswith(known + " ") and verb):  # `Noor:` … `Noor Qasim is …`
                return tag, known
            if not known and initials(candidate) == tag.upper():
                return tag, candidate
    return None
