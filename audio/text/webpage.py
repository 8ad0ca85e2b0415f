"""Saved web pages as scripts: the article's text read from the page's own structure, as a reader would copy it.

The page's markup says what is chrome: `nav`, `aside`, `footer`, a site's `header`,
forms, scripts and figures are left out; where the page has an `article` (or `main`),
only it is read. Headings, paragraphs, list items and quotes become the lines and
paragraphs the splitter reads from copied text, so that a page and its copied text split
the same way. The title comes from the article's `h1` (else the page's `og:title` or
`title`), the date from `article:published_time` or the first `time` element (ISO dates only),
the author from the page's `author` metadata, its JSON-LD, a `rel="author"` link or the byline
above the article.
Where the `article` is a small part of the page (comments in an `article`, the story in plain
`div`s), the whole page is read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

from .speakertags import byline

SKIPPED = {"script", "style", "noscript", "template", "svg", "nav", "aside", "footer", "button", "figure",
           "iframe", "select", "dialog", "textarea"}  # fmt: skip
"""Elements whose text is never read."""
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "dd", "dt", "pre", "div", "section",
          "article", "main", "header", "tr", "table", "ul", "ol", "dl", "body", "td"}  # fmt: skip
"""Elements that end a paragraph."""
_VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "base", "col", "embed", "param"}


def is_web_page(raw: bytes, name: str = "") -> bool:
    """True for a saved web page: named `.html`/`.htm`, or opening with its doctype or `<html>`."""
    head = raw[:512].lstrip().lower()
    return name.lower().endswith((".html", ".htm")) or head.startswith((b"<!doctype html", b"<html"))


@dataclass(frozen=True)
class Page:
    """What a saved page says: its article as plain text, and who wrote it ("" when the page does not say)."""

    text: str
    author: str


def read_page(html: str) -> Page:
    """The article of a web page as plain text, and its author."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return Page(_article(reader), _author(reader))


def page_text(html: str) -> str:
    """The article of a web page as plain text: its title, its date, then a paragraph per block, a blank line
    between blocks."""
    return read_page(html).text


def _author(reader: _Reader) -> str:
    """The page's author: its metadata, its JSON-LD, a `rel="author"` link, or the byline above its article."""
    found = [reader.meta.get("author", ""), *_ld_authors(reader.ld_json), reader.meta.get("article:author", ""),
             " ".join(reader.rel_author.split()), *(byline(b) or "" for b in reader.bylines)]  # fmt: skip
    return next((a.strip() for a in found if a.strip() and not a.strip().startswith(("http:", "https:"))), "")


def _ld_authors(scripts: list[str]) -> list[str]:
    """The authors' names in the page's JSON-LD (`"author": {"name": …}` or a list of them), in order."""
    names: list[str] = []

    def visit(node) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            author = node.get("author")
            for person in author if isinstance(author, list) else [author]:
                if isinstance(person, dict) and isinstance(person.get("name"), str):
                    names.append(person["name"])
                elif isinstance(person, str):
                    names.append(person)
            visit(node.get("@graph"))

    for script in scripts:
        try:
            visit(json.loads(script))
        except ValueError:
            continue
    return names


def _article(reader: _Reader) -> str:
    """The article's text (see `page_text`)."""
    size = lambda blocks: sum(len(b) for b in blocks)  # noqa: E731
    # the article, unless it is a small part of the page (comments in an `article`, the story in plain `div`s)
    blocks = reader.article_blocks if size(reader.article_blocks) >= 0.4 * size(reader.blocks) else reader.blocks
    parts = [p.strip() for p in re.split(r"\s[|–—-]\s", reader.page_title) if p.strip()]  # `Story – Site`
    named = next((p for p in parts if p in blocks), "")  # the part of the page's title that heads the story
    title = reader.article_title or reader.meta.get("og:title") or named or reader.title or reader.page_title
    blocks = [b for b in blocks if b not in parts or b == title]  # the site's name, as the page's title has it
    lines = [" ".join(title.split())] if title else []
    published = next((d for d in (reader.meta.get("article:published_time"), reader.time) if d and _ISO.match(d)), "")
    if published:
        lines.append(f"Published: {published[:10]}")
    return "\n\n".join([*lines, *(b for b in blocks if b != title)]) + "\n"


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


class _Reader(HTMLParser):
    """Collects the text blocks of a page, and of its article apart, leaving out what the markup calls chrome."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.article_blocks: list[str] = []
        self.meta: dict[str, str] = {}
        self.title = self.page_title = self.time = self.article_title = ""
        self._pre = 0
        self._open: list[str] = []
        self._skipping = 0
        self._in_article = 0
        self._text: list[str] = []
        self._in_title = False
        self._article_header = 0
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
        if tag == "time" and not self.time and not self._skipping and _ISO.match(attributes.get("datetime", "")):
            self.time = attributes["datetime"]
        self._in_ld = tag == "script" and attributes.get("type", "").lower() == "application/ld+json"
        if tag == "a" and "author" in attributes.get("rel", "").split() and not self.rel_author:
            self._in_rel_author = True
        if tag in _VOID:
            if tag == "br" and not self._skipping:
                self._text.append("\n")
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
            self._text.append(data if self._pre else " ".join(data.split("\n")))

    def _flush(self, heading: bool = False) -> None:
        text = "\n".join(" ".join(part.split()) for part in unescape("".join(self._text)).split("\n"))
        text = re.sub(r"\n{2,}", "\n", text).strip()
        self._text = []
        if not text:
            return
        if heading and not self.title:
            self.title = text
        if heading and self._in_article and not self.article_title:
            self.article_title = text
        if self._article_header and not heading and len(text.split()) <= 4:
            self.bylines.append(text)
            return  # a kicker, a byline or a date above the article: its title and date are taken apart
        self.blocks.append(text)
        if self._in_article:
            self.article_blocks.append(text)
