"""Recognising the lines around an interview that are not speech: dates, labels, page chrome."""

from __future__ import annotations

import datetime as _dt
import re

MONTHS = {
    "january": 1, "jan": 1, "januar": 1, "jänner": 1, "janvier": 1,
    "february": 2, "feb": 2, "februar": 2, "feber": 2,
    "march": 3, "mar": 3, "märz": 3, "maerz": 3, "mrz": 3,
    "april": 4, "apr": 4,
    "may": 5, "mai": 5,
    "june": 6, "jun": 6, "juni": 6,
    "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12, "dezember": 12, "dez": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12, "janv": 1,
    "févr": 2, "avr": 4, "juil": 7, "déc": 12,
    "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "enero": 1, "febrero": 2, "marzo": 3, "abril": 4,
    "mayo": 5, "junio": 6, "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12,
}  # fmt: skip

_MONTH = r"(?P<month>[A-Za-zÄäÖöÜüéûÉ]{3,10})\.?"
_DATE_FORMS = (
    re.compile(r"(?P<year>\d{4})-(?P<mon>\d{1,2})-(?P<day>\d{1,2})"),
    re.compile(r"(?P<day>\d{1,2})\.\s?(?P<mon>\d{1,2})\.\s?(?P<year>\d{4})"),
    re.compile(r"(?P<mon>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"),
    re.compile(r"(?P<day>\d{1,2})(?:er)?\.?\s+(?:de\s+)?" + _MONTH + r",?\s+(?:de\s+)?(?P<year>\d{4})"),
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})"),
)
_TIME = (r"(?:,?\s*(?:um\s+|at\s+|à\s+|a las\s+)?\d{1,2}[:.h]\d{2}(?::\d{2})?(?:\s*[–-]\s*\d{1,2}[:.]\d{2})?"
         r"\s*(?:Uhr|(?i:[ap]\.?m\.?)|h)?(?:\s*[A-Z]{2,4})?)?")
_WEEKDAY = re.compile(
    r"^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"mo|di|mi|do|fr|sa|so)(?:day|nesday|rsday|urday)?\.?,?\s+",
    re.I,
)

_RELEASE_WORDS = (
    r"Erscheinungsdatum|Veröffentlicht(?:\s+am)?|Publiziert(?:\s+am)?|Datum|Published(?:\s+on)?|"
    r"Publication\s+date|Date(?:\s+published)?|Posted(?:\s+on)?|Released?(?:\s+on)?|Aired(?:\s+on)?|"
    r"Recorded(?:\s+on)?|Aufgezeichnet(?:\s+am)?|Gesendet(?:\s+am)?|Publié\s+le|Paru\s+le|Publicado(?:\s+el)?"
)
_UPDATE_WORDS = (
    r"Letzte\s+Aktualisierung|Zuletzt\s+aktualisiert(?:\s+am)?|Aktualisiert(?:\s+am)?|Stand|"
    r"Last\s+updated(?:\s+on)?|Updated(?:\s+on)?|Last\s+modified(?:\s+on)?|Modified(?:\s+on)?|"
    r"Mis\s+à\s+jour\s+le|Modifié\s+le|Actualizado(?:\s+el)?"
)
_LABELLED_DATE = re.compile(
    rf"^(?:(?P<release>{_RELEASE_WORDS})|(?P<update>{_UPDATE_WORDS}))\s*:?\s*(?P<rest>.+)$", re.I
)

CATEGORY_LABELS = frozenset(
    s.casefold()
    for s in (
        "Interview", "Interviews", "Das Interview", "Im Interview", "Gespräch", "Im Gespräch",
        "Q&A", "Q & A", "Podcast", "Feature", "News", "Nachrichten", "Meldung", "Pressemitteilung",
        "Press release", "Transcript", "Transkript", "Opinion", "Meinung", "Conversation",
        "Dialogue", "Dialog", "Article", "Artikel", "Blog", "Story", "Interview transcript", "Entretien",
        "Entrevista", "Grand entretien",
    )
)  # fmt: skip

CHROME_LINES = frozenset(
    s.casefold()
    for s in (
        "Teilen", "Kopiert!", "Kopiert", "Share", "Shared", "Copied!", "Copied", "Copy link",
        "Link kopieren", "Link copied", "Link kopiert", "Drucken", "Print", "E-Mail", "Email",
        "Mail", "Facebook", "Twitter", "X", "LinkedIn", "WhatsApp", "Xing", "Mastodon", "Bluesky",
        "Threads", "Reddit", "Tweet", "Zurück", "Back", "Nach oben", "Back to top", "Top",
        "Mehr zum Thema", "Related articles", "Related", "Weiterlesen", "Read more", "Mehr lesen",
        "Schließen", "Close", "Menu", "Menü", "Share this article", "Share this", "Artikel teilen",
        "Diesen Artikel teilen", "Newsletter", "Abonnieren", "Subscribe", "Advertisement",
        "Anzeige", "Werbung", "Cookie settings", "Cookie-Einstellungen", "Listen", "Anhören",
        "Vorlesen", "Listen to this article", "Artikel anhören", "Kommentare", "Comments",
        "Save", "Speichern", "Merken", "Bookmark", "Download", "PDF", "Share on Facebook",
        "Share on LinkedIn", "Share on X", "Auf Facebook teilen", "Auf LinkedIn teilen",
        "Skip to content", "Zum Inhalt springen", "Home", "Startseite",
        "Search", "Suche", "Transcript", "Edit transcript", "Play the audio to listen along", "All Episodes",
        "Sponsors", "About the show", "Sponsored content", "Share this story", "Was this page helpful?",
        "Accept all", "Reject all", "Accept", "Manage preferences", "Manage cookies", "Alle akzeptieren",
        "View image in fullscreen", "Sign up", "Reuse this content", "Watch the recording", "Most read",
        "Most popular", "Meistgelesen", "Explore more on these topics", "Related stories", "Show notes",
        "Skip to main content", "More stories", "Recommended", "Zur Person", "About the author", "About the guest",
        "About the guests", "Biography", "Biografie", "Abonnez-vous", "Se connecter", "S'abonner",
        "Article réservé aux abonnés", "Réservé aux abonnés", "Suscríbete", "Iniciar sesión", "Bio express",
        "Listen to the episode", "Play", "▶ Play", "Published in", "Top highlight", "What are your thoughts?",
        "Responses", "Register now", "Was this page helpful? Yes / No", "Editor's picks", "Editor’s picks",
        "Chapters", "Notes", "Footnotes", "[removed]", "[deleted]", "View more comments", "Load more comments",
        "About Community", "Log In", "Sign Up", "Media contact", "Video transcript", "Audio transcript",
        "Compartir", "Te puede interesar", "Publicidad", "Funding", "Acknowledgements", "Acknowledgments",
        "Buy the book", "About the speakers",
        "References", "Endnotes",
        "Was this page helpful? Yes No", "Here's how you know", "More from", "Sign in", "Log in", "Anmelden",
    )
)  # fmt: skip

_CHROME_PREFIX = re.compile(
    r"^(?:Foto|Photo|Photograph|Picture|Bild|Image|Bildquelle|Image credit|Credit|Credits|Tags|Schlagworte|"
    r"Schlagwörter|Themen|Topics|Lesezeit|Reading time|Copyright|Media contact|Pressekontakt|Search|Suche|"
    r"Lesen Sie auch|Read also|See also|Siehe auch|Duration|Dauer|Länge|Privacy Notice|Datenschutzhinweis|"
    r"Lire aussi|À lire aussi|Temps de lecture|Lee también|Suggested citation|Speakers|Referenten|Reference|Citation|"
    r"Temas|Etiquetas|Captions and transcript|Captions)"
    r"\s*[:©]",
    re.I,
)
_CRUMBS = r"^(?i:home|startseite|accueil|inicio)\s*[/›>»]\s*\S|^[\w&'’ -]{2,40}(?:\s[›»]\s[\w&'’ -]{2,40}){2,}$"
"""A breadcrumb: `Home › News`, `Basketball › Women's College › Tournament`."""
_CHROME_FORMS = [re.compile(pattern) for pattern in (  # case matters: `By Jane Doe` is a byline, `By train` is not
    r"^©",  # a copyright footer
    r"(?i:\b(?:all rights reserved|alle rechte vorbehalten|is licensed under a|creative commons)\b)",
    r"^[^|]{1,40}(?:\s[|·]\s[^|]{1,40}){2,}$",  # navigation: three short items or more, between bars
    r"^\w+(?: \w+)?\s\|\s\w+(?: \w+)?$",  # `Subscribe | Sign in`
    r"^©|©\s*\d{4}|\bis a work of the U\.S\. federal government\b",
    r"(?i:\bshop now\b)|^(?i:interview date:|more from\b)",
    _CRUMBS,
    r"^(?i:skip to)\b",
    r"^(?i:(?:this|the) (?:article|story|page) is (?:more than )?\w+ (?:years?|months?) old)",
    r"^(?i:dieser (?:beitrag|artikel) ist älter als)",
    r"^(?i:posted by) [A-Z][\w .'-]{1,40}(?: (?:at|on) .{1,30})?$",
    r"^(?:By|Por|Par) [A-Z][\w.'-]+(?: [A-Z][\w.'-]+){1,3}$",  # a byline
    r"^(?:Von|Text:) [A-Z][\w.'-]+(?: [A-Z][\w.'-]+){1,3}$",
    r"^(?i:\d+ (?:comments?|kommentare)$|(?:comments|kommentare) \(\d+\)$)",
    r"^(?i:share (?:this|on))\b",
    r"^(?i:sponsored by|this episode is brought to you by|advertisement\b)",
    r"^(?i:audio abspielen|play (?:the )?audio|listen)\b.{0,40}\d+:\d{2}",
    r"^\d{1,3} (?i:min(?:\.|utes)?)$|^(?i:listen)\s*[·:|-]\s*\d+:\d{2}$",
    r"^« [^.!?]{1,80}$|^[^.!?«]{1,80} »$",  # previous and next links (not a quotation: `«Das ist es.»`)
    r"^(?i:an official website of)\b",
    r"^[^·]{1,30}(?:\s·\s[^·]{1,30})+$|^\w[\w&' -]{0,20}:\s*\w+(?: · \w+)+$",  # `Share: Facebook · Email`
    r"^\w+(?: \w+)?(?:\s{2,}\w+(?: \w+)?){2,}$",  # `Docs   Blog   Download`: menu items apart
    r"^(?i:download\b.{0,30}\b(?:pdf|mp3|transcript)\b|edit this page\b|leave a (?:comment|reply)\b)",
    r"^(?i:your email address will not be published)",
    r"^(?:Related(?! to\b)|Cite this(?: item)?|Transcribed by|Produced by|Posted in|Filed under|Read more|"
    r"Mehr zum Thema)\b",
    r"^←|→$",
    r"^(?:Photo|Photograph) by [A-Z]",
    r"^By [A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3}, [\w ]{1,30}$",  # `By Jordan Lee, Staff Writer`
    r"^(?i:copyright) \d{4}\b",
    r"^[A-Z][\w .'&-]{1,60} is (?:a )?registered (?:charity|nonprofit|non-profit)\b",
    r"^(?i:from the \w+(?: \d{4})? (?:issue|edition))$|^\d{1,3}[ -](?i:min(?:ute)?s?\.? read)$",
    r"^(?i:this (?:article|story|interview) (?:appears|appeared|was published|ran) in\b.{0,60}\b(?:issue|edition|"
    r"print))",
    r"^(?i:follow) [A-Z]\w*(?: [A-Z]\w*)? (?i:on) (?:X|Twitter|Instagram|Mastodon|Bluesky|LinkedIn|Facebook|Threads)\b",
    r"^(?i:next|previous|prev|older|newer)(?: (?i:story|article|post|episode|spotlight|session|talk|panel))?"
    r"(?: in (?:Track|Session|Room|Hall|Stage) [\w ]{1,20})?\s*:\s",  # `Next in Track B: …`

    r"^(?i:photo courtesy of|courtesy of|foto mit freundlicher)\b|^(?i:book|buch):\s",
    r"^(?i:transcript(?:ion)?)\b\s*(?:\([^)]*\))?$|^(?i:transcript(?:ion)?(?: by)?)\s*:\s*[A-Z]",
    r"^(?i:subscribe (?:to|on|wherever|now|for free)|suscr[ií]bete|abonnez-vous|read our review)\b|"
    r"^(?i:donate (?:to|today|now)\b|support (?:local|"
    r"independent|our) journalism\.)[^.!?]{0,60}[.!]?$",
    r"(?i:\btranscripts? (?:is|are|was|were) (?:created|produced|generated)\b|\bmay not be in (?:its|their) final "
    r"form\b)",
    r"^\d{1,2}:\d{2}(?::\d{2})?\s*/\s*\d{1,2}:\d{2}(?::\d{2})?$",  # a player's clock
    r"^\d{1,2}:\d{2}(?::\d{2})?\s+[A-Z][^.!?]{0,60}$",  # a list of chapters: `06:40 Puns and names`
    r"^(?i:interview(?:ed)? by|propos recueillis par|entrevista de)\s[^.!?]{3,60}$",
    r"^[^.!?]{0,80}\((?:PDF|MP3|MP4|DOCX?|EPUB)(?:,\s*[\d.,]+\s*[KMG]B)?\)(?:\s*[|·].*)?$",  # a download
    r"^(?i:watch the video)(?: (?i:above|below|here|now))?(?: for [^.]{0,60})?(?: \(\d+:\d{2}\))?\.?$",
    r"^(?i:for the latest news\b.{0,80}\b(?:head to|visit|download)\b)",
    r"^(?:[\w-]+ ){0,2}(?i:transcripts? by|transcription by)\s[A-Z][^.!?]*$",
    r"^By the [\w &'-]{0,40}\b(?:Office|Team|Staff|Desk|Editors|Department|Communications|Relations|Newsroom|"
    r"Board)\b[^,.!?]*$",  # an organisation's byline
    r"\b(?:Photo|Image|Foto) courtesy of [A-Z][\w .'-]+\.?$",
    r"\.\s+[A-ZÀ-ÖØ-Þ'’ -]{3,40}\b(?:POUR|FOR|PARA|FÜR|FOTO|PHOTO)\b[A-ZÀ-ÖØ-Þ'’«» /.-]*$",  # `… ANTOINE ROUX POUR …`
    r"^\d+(?:[.,]\d+)?[kKM]?(?: (?i:followers|abonnenten|abonnés|claps|likes|comments|responses))?$",  # counts
)]  # fmt: skip
_ANYWHERE = [re.compile(pattern) for pattern in (  # never anyone's words, also inside the conversation
    r"\b(?:Picture|Photo|Photograph|Foto|Bild|PHOTO|FOTO|BILD):\s*[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3}"
    r"(?:/[\w .'-]+)?\.?$",
    r"^[★☆✩✭⭐½ ]{3,}|^(?i:reader rating|rating|bewertung):\s*[\d.,]+ (?:out of|von|of|/)",  # ratings
    r"(?i:\bmay earn (?:a )?commission\b[^.]{0,40}\b(?:links?|buy|purchases?)\b)",  # an affiliate note
    r"^(?i:we use cookies|(?:this|our) (?:site|website) uses cookies|wir verwenden cookies)\b",
    r"^\d+(?:[.,]\d)?[kKM]$",  # a count of votes or claps: `1.2k`
    r"^(?:Proof|Source|Link|Quelle):\s*(?:https?://)?[\w-]+(?:\.[\w-]+)+/\S*$",  # a label and a link alone
    r"^[\w.@-]{2,30}(?: [A-Z]{2,3})?\s·\s\d{1,3}\s?(?:[smhdwy]|mins?|hrs?|hours?|days?|weeks?|months?|years?)"
    r"(?: ago)?$",  # a forum post's header: `lookout_jess OP · 5h`
    r"^(?i:sign up for (?:our|the) [\w ]{0,30}(?:newsletter|briefing|digest|updates)|enter your e-?mail\b|"
    r"melden sie sich (?:hier )?für unseren newsletter an)",
)]  # fmt: skip


def parse_date(text: str) -> _dt.date | None:
    """The first calendar date in `text` (German or English forms), or None."""
    for form in _DATE_FORMS:
        for m in form.finditer(text):
            parts = m.groupdict()
            try:
                if parts.get("month"):
                    month = MONTHS.get(parts["month"].casefold())
                    if month is None:
                        continue
                else:
                    month = int(parts["mon"])
                return _dt.date(int(parts["year"]), month, int(parts["day"]))
            except ValueError:
                continue
    return None


def _only_date(text: str) -> _dt.date | None:
    """The date if `text` is nothing but a date (and perhaps a weekday and a time), else None."""
    text = _WEEKDAY.sub("", text.strip(), count=1)
    for form in _DATE_FORMS:
        m = re.fullmatch(r"\s*(?:" + form.pattern + r")" + _TIME + r"\s*", text)
        if m:
            return parse_date(text)
    return None


def date_line(text: str) -> tuple[str, _dt.date] | None:
    """(`release` or `update`, date) if the line is a date line, else None.

    Accepts labelled lines (`Erscheinungsdatum: 02. Februar 2025`, `Last updated: 3 May 2024`)
    and bare dates (`14 March 2024`), which count as release dates.
    """
    text = text.strip()
    parts = re.split(r"\s[|·]\s", text)
    if len(parts) > 1:  # `July 18, 2023 · 12:00 PM ET`, `By the Alumni Office | October 3, 2022`: a date among labels
        dated = [d for d in map(date_line, parts) if d]
        short = all(len(p.split()) <= 7 for p in parts)
        return dated[0] if dated and short else None
    timed = re.match(r"^(?P<date>.+?)\s[/–-]\s\d{1,2}[:.]\d{2}\b[^.!?]{0,12}$", text)
    if timed:  # `Posted: Jan 18, 2024 / 05:47 PM CST`, `14 abr 2024 - 11:02 CEST`: a date, then its time alone
        return date_line(timed.group("date"))
    placed = re.match(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.]+|[A-ZÀ-ÖØ-Þ'’. ]{2,30})\s[–-]\s(?P<rest>.+)$", text)
    if placed:  # a dateline's place: `Valdeoscuro - 14 abr 2024`, `NEW DELHI - …` (one word, or capitals)
        return date_line(placed.group("rest"))
    m = _LABELLED_DATE.match(text)
    if m:  # `Recorded 23 September 2023, Main Hall`: a labelled date may say where (a place, not a sentence)
        rest = m.group("rest")
        place = not re.search(r"[.!?]\s|[.!?]$", rest) and len(rest.split()) <= 14
        parts = rest.split(",")
        when = _only_date(rest) or place and (_only_date(parts[0]) or _only_date(",".join(parts[:2])))
        if when:
            return ("release" if m.group("release") else "update", when)
        return None
    when = _only_date(text)
    if when is None:  # a blog's `August 12, 2009 in mac, researcher`: the date, then where it was filed
        filed = re.match(r"^(?P<date>.{6,30}?)\s+in\s+[\w ,&-]{1,60}$", text)
        when = _only_date(filed.group("date")) if filed else None
    return ("release", when) if when else None


_BARE_LABEL = re.compile(rf"^(?:{_RELEASE_WORDS}|{_UPDATE_WORDS})\s*:\s*$", re.I)


def is_date_label(text: str) -> bool:
    """True for a date label standing alone on its line (`Published:`), the date below it."""
    return bool(_BARE_LABEL.match(text.strip()))


_MENU = re.compile(rf"^[^|·]{{1,50}}(?:\s[|·]\s[^|·]{{1,50}}){{2,}}$|{_CRUMBS}|^©")


def is_menu(text: str) -> bool:
    """True for a site's menu (`Home | About | Archive`), breadcrumb (`Home › News`) or copyright line: never part
    of a sentence."""
    return bool(_MENU.match(text.strip()))


def is_chrome(text: str) -> bool:
    """True for web-page chrome that is never voiced (`Teilen`, `Copied!`, photo credits, …)."""
    stripped = text.strip().strip("|•·»«›‹>▶►").strip()
    if stripped.casefold() in CHROME_LINES:
        return True
    return bool(_CHROME_PREFIX.match(stripped)) or "\n" not in stripped and any(f.search(stripped) for f in _ANYWHERE)


def looks_like_chrome(text: str) -> bool:
    """True for a line that has the form of web-page chrome (a menu, a byline, a footer, a credit…). Only asked
    of untagged lines outside the conversation: inside it, the same words may be someone's."""
    line = text.strip()
    return "\n" not in line and len(line) < 200 and any(form.search(line) for form in _CHROME_FORMS)


def is_category_label(text: str) -> bool:
    """True for a section label above a title (`Interview`)."""
    return text.strip().rstrip(":").strip().casefold() in CATEGORY_LABELS


_CLOSING = "\"'”’»«)]*_ \u00a0"


def is_short_line(text: str) -> bool:
    """A line of four words at most, without closing punctuation: a menu item, a label, a site's name."""
    return len(text.split()) <= 4 and text.rstrip(_CLOSING)[-1:] not in ".!?:;,"


CREDIT = re.compile(r"^(?:(?:Foto|Photo|Photograph|Picture|Bild|Image|Bildquelle|Image credit|Credit)\s*:|"
                    r"(?:Photo )?courtesy of\b)", re.I)  # fmt: skip
"""A photo credit: the line after it, before the interview begins, is the picture's caption."""
RELATED = re.compile(
    r"^(?:Mehr zum Thema|Related(?: articles| stories)?|Read more|Weiterlesen|More from\b.*|Lesen Sie auch|Most read|"
    r"Most popular|Meistgelesen|Explore more on these topics|Show notes|More stories|Recommended|Editor['’]s picks|"
    r"Chapters|Notes|Footnotes|References|Endnotes|Lire aussi|À lire aussi|Related news|An interview with:?|"
    r"Media contact|Te puede interesar|Funding|Acknowledge?ments|Buy the book|Where to buy)$",
    re.I,
)
"""A label above links to other articles: the short lines after it are links."""
BIO_LABEL = re.compile(r"^(?:Zur Person|Über (?:den|die) (?:Gast|Gäste|Person)|About the (?:guests?|interviewee)|"
                       r"Biography|Biografie|Bio|Bio express|Biographie|Biografía|About the speakers?|"
                       r"(?-i:About [A-Z]\w+(?: [A-Z]\w+){1,2}))$", re.I)  # fmt: skip
"""A label above a guest's bio, wherever the page puts it."""
SPONSOR = re.compile(
    r"^(?:Sponsored(?: content)?|Advertisement|Anzeige|Werbung|Paid content|Promoted|Partner content)$", re.I
)
"""A label above an advertisement: the line after it with the form of chrome (`Shop now`) is the advertisement, also
in the middle of the conversation."""


def is_banner(text: str, following: list[str], under_menus: bool = False) -> bool:
    """True for a line above the title that names the site or its section, or says its motto (`The Westbrook
    Quad`, `Features`, `Notes on Mac software and the people who make it`): among the untagged lines `following`
    it, the first long one (the article's title, which wins over it) is no question and no sentence. A long line
    counts only with the site's menus between it and the title, so that a title's subtitle is never taken; a short
    one (`The Morning Exchange`, a show under its station's name) also `under_menus`, the site's own chrome."""
    words = len(text.split()) if not (under_menus and is_short_line(text)) else 1
    if words > 12 or text.rstrip(_CLOSING)[-1:] in ".!?:;":
        return False
    menus = False
    metadata = lambda line: is_chrome(line) or looks_like_chrome(line) or date_line(line)  # noqa: E731
    for n, later in enumerate(following):
        if date_line(later) and not menus:
            return False  # the date stands under the title: this line is the title
        if metadata(later):
            menus = True
            continue
        if len(later.split()) >= 5:  # the title, with the site's menus between: a title's subtitle is never taken
            end = later.rstrip(_CLOSING)[-1:]  # a title may ask, with its date under it (else it is a question)
            asks = end == "?" and n + 1 < len(following) and metadata(following[n + 1])
            return (end not in ".!?" or asks) and (menus or words <= 2)
    return False
