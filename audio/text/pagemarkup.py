"""Reading a saved page's markup: its text blocks, each piece of text with the elements it stands in.

What the markup calls chrome is never read: `nav`, `aside`, `footer`, a site's `header`,
forms, scripts and figures. Plain `div`s and lists are judged by their class and id: an
element named as chrome (`comment-list`, `sidebar-widget`, `newsletter-signup`,
`share-bar`, `breadcrumbs`, …: whole words of the class or id) is left out when it holds
less than `GUARD` of the page's text (a page's `has-sidebar` wrapper holds the story), and
so is a block whose words are mostly links (a teaser list, a menu). An element named as
the article's body (`entry-content`, `article-body`, …) is where the story is when the page
has no `article` to say so. The words were chosen from a measurement on 181 real pages
(README, "Saved web pages").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

SKIPPED = {"script", "style", "noscript", "template", "svg", "nav", "aside", "footer", "button", "figure",
           "iframe", "select", "dialog", "textarea"}  # fmt: skip
"""Elements whose text is never read."""
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "dd", "dt", "pre", "div", "section",
          "article", "main", "header", "tr", "table", "ul", "ol", "dl", "body", "td", "th"}  # fmt: skip
"""Elements that end a paragraph."""
_VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "base", "col", "embed", "param"}

CHROME_WORDS = frozenset({
    "comment", "comments", "commentlist", "disqus", "share", "shares", "sharing", "sharebar", "sharethis", "social",
    "sociable", "related", "recommended", "recirc", "trending", "popular", "outbrain", "taboola", "newsletter",
    "subscribe", "subscription", "signup", "promo", "ad", "ads", "advert", "advertisement", "sponsor", "sponsored",
    "dfp", "sidebar", "widget", "widgets", "footer", "menu", "navbar", "nav", "subnav", "navigation", "dropdown",
    "breadcrumb", "breadcrumbs", "cookie", "cookies", "consent", "gdpr", "hidden", "hide", "hdn", "sr", "screen",
    "visually", "modal", "popup", "overlay", "tags", "tag", "nocontent",
})  # fmt: skip
"""Words of a class or id that name chrome. Bylines, dates, captions and standfirsts are read: the splitter needs
them (the author, the date, the lede)."""
_NOT_CHROME = frozenset({"embed", "embedded"})  # an embedded post in the story (`social-media-embed`)
_NEVER = {"html", "body", "main", "article"}
GUARD = 0.3
"""An element named as chrome is left out only while it holds less than this share of the page's text."""
LINK_SHARE = 0.8
"""A block with this share of its letters inside links is a list of links."""
BODY_SHARE = 0.1
"""The article's body, named by its class, must hold this share of the page's text to be read alone."""
_BODY_PAIRS = {("article", "body"), ("article", "content"), ("article", "text"), ("entry", "content"),
               ("post", "content"), ("post", "body"), ("post", "entry"), ("story", "body"), ("story", "content"),
               ("body", "text"), ("body", "copy")}  # fmt: skip
_BODY_WORDS = {"articlebody", "articletext", "articlecontent", "entrycontent", "postcontent", "postbody",
               "storybody", "storytext", "bodytext"}  # fmt: skip
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


@lru_cache(maxsize=4096)
def _words(value: str) -> tuple[tuple[str, ...], ...]:
    """The words of each class or id token, lowercased (`commentList` → comment, list; `share-bar` → share, bar)."""
    split = lambda token: re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", token).lower()  # noqa: E731
    return tuple(tuple(w for w in re.split(r"[^a-z0-9]+", split(t)) if w) for t in value.split())


def names_chrome(tag: str, value: str) -> bool:
    """True for an element whose class or id names chrome."""
    words = {w for token in _words(value) for w in token}
    return tag not in _NEVER and bool(words & CHROME_WORDS) and not words & _NOT_CHROME


def names_body(value: str) -> bool:
    """True for an element whose class or id names the article's body (`entry-content`, `articleBody`)."""
    tokens = _words(value)
    pairs = {pair for token in tokens for pair in zip(token, token[1:])}
    return any(w in _BODY_WORDS for token in tokens for w in token) or bool(pairs & _BODY_PAIRS)


@dataclass(frozen=True)
class Piece:
    """A run of a block's text, and the elements it stands in: those named as chrome, those named as the body (by
    their number in the page), and whether it is a link's."""

    text: str
    chrome: tuple[int, ...] = ()
    body: tuple[int, ...] = ()
    linked: bool = False


@dataclass(frozen=True)
class Block:
    """A paragraph of the page, as read, with its pieces."""

    text: str
    pieces: tuple[Piece, ...]
    in_article: bool


def block_text(pieces) -> str:
    """The text of pieces, as a paragraph: spaces folded, line breaks (`br`) kept."""
    text = "\n".join(" ".join(part.split()) for part in unescape("".join(p.text for p in pieces)).split("\n"))
    return re.sub(r"\n{2,}", "\n", text).strip()


class MarkupReader(HTMLParser):
    """Collects the text blocks of a page, and of its article apart, leaving out what the markup calls chrome."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.meta: dict[str, str] = {}
        self.title = self.page_title = self.time = self.article_title = ""
        self._pre = 0
        self._open: list[str] = []
        self._skipping = 0
        self._in_article = 0
        self._text: list[Piece] = []
        self._context: list[tuple[int, bool, bool, bool]] = []  # per open element: (number, chrome, body, link)
        self._in_title = False
        self._article_header = 0
        self._serial = 0
        self.ld_json: list[str] = []
        self.rel_author = ""
        self.bylines: list[str] = []
        self._in_ld = self._in_rel_author = False

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "meta":
            key = attributes.get("property") or attributes.get("name")
            if key and "content" in attributes:
                self.meta.setdefault(key.lower(), attributes["content"])
            return
        if tag == "time" and not self.time and not self._skipping and ISO.match(attributes.get("datetime", "")):
            self.time = attributes["datetime"]
        self._in_ld = tag == "script" and attributes.get("type", "").lower() == "application/ld+json"
        if tag == "a" and "author" in attributes.get("rel", "").split() and not self.rel_author:
            self._in_rel_author = True
        if tag in _VOID:
            if tag == "br" and not self._skipping:
                self._add("\n")
            return
        site_header = tag == "header" and not self._in_article
        if tag in SKIPPED or site_header or self._skipping:
            self._skipping += 1
        elif tag in BLOCKS:
            self._flush()
        if tag in ("article", "main"):
            self._in_article += 1
        if tag == "header" and not site_header:
            self._article_header += 1
        self._in_title = tag == "title" and not self._skipping and not self.page_title  # not an `svg`'s title
        self._pre += tag == "pre"
        self._open.append(tag)
        value = f"{attributes.get('class', '')} {attributes.get('id', '')}"
        self._serial += 1
        self._context.append((self._serial, names_chrome(tag, value), names_body(value), tag == "a"))

    def handle_endtag(self, tag: str) -> None:
        self._in_ld = False
        self._in_rel_author = self._in_rel_author and tag != "a"
        if tag in _VOID or tag not in self._open:
            return
        while self._open:  # close what was left open inside it too, as browsers do
            closed = self._open.pop()
            if self._skipping:
                self._skipping -= 1
            elif closed in BLOCKS:
                self._flush(heading=closed == "h1")
            self._context.pop()
            if closed in ("article", "main"):
                self._in_article -= 1
            if closed == "header" and self._article_header and not self._skipping:
                self._article_header -= 1
            if closed == "pre":
                self._pre -= 1
            if closed == tag:
                break
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld_json.append(data)
        if self._in_rel_author:
            self.rel_author += data
        if self._in_title:
            self.page_title += data.strip()
        elif not self._skipping:  # line breaks in the HTML source are spaces, except in `pre`
            self._add(data if self._pre else " ".join(data.split("\n")))

    def _add(self, text: str) -> None:
        chrome = tuple(n for n, named, _, _ in self._context if named)
        body = tuple(n for n, _, named, _ in self._context if named)
        self._text.append(Piece(text, chrome, body, any(link for *_, link in self._context)))

    def _flush(self, heading: bool = False) -> None:
        text, pieces, self._text = block_text(self._text), tuple(self._text), []
        if not text:
            return
        if heading and not self.title:
            self.title = text
        if heading and self._in_article and not self.article_title:
            self.article_title = text
        if self._article_header and not heading and len(text.split()) <= 4:
            self.bylines.append(text)
            return  # a kicker, a byline or a date above the article: its title and date are taken apart
        self.blocks.append(Block(text, pieces, bool(self._in_article)))
