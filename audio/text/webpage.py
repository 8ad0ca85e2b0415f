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

from .pagemarkup import BODY_SHARE, GUARD, ISO, LINK_SHARE, Block, MarkupReader, block_text
from .speakertags import byline


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
    reader = MarkupReader()
    reader.feed(html)
    reader.close()
    return Page(_article(reader), _author(reader))


def page_text(html: str) -> str:
    """The article of a web page as plain text: its title, its date, then a paragraph per block, a blank line
    between blocks."""
    return read_page(html).text


def _author(reader: MarkupReader) -> str:
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


def _article(reader: MarkupReader) -> str:
    """The article's text (see `page_text`)."""
    blocks = _story(reader.blocks)
    parts = [p.strip() for p in re.split(r"\s[|–—-]\s", reader.page_title) if p.strip()]  # `Story – Site`
    named = next((p for p in parts if p in blocks), "")  # the part of the page's title that heads the story
    title = reader.article_title or reader.meta.get("og:title") or named or reader.title or reader.page_title
    blocks = [b for b in blocks if b not in parts or b == title]  # the site's name, as the page's title has it
    lines = [" ".join(title.split())] if title else []
    published = next((d for d in (reader.meta.get("article:published_time"), reader.time) if d and ISO.match(d)), "")
    if published:
        lines.append(f"Published: {published[:10]}")
    return "\n\n".join([*lines, *(b for b in blocks if b != title)]) + "\n"


def _story(blocks: list[Block]) -> list[str]:
    """The story's paragraphs: the article's (unless it is a small part of the page: comments in an `article`, the
    story in plain `div`s, then the element named as its body, or the whole page), without the elements named as
    chrome and the lists of links."""
    size = lambda chosen: sum(len(b.text) for b in chosen)  # noqa: E731
    total = size(blocks) or 1
    article = [b for b in blocks if b.in_article]
    chrome, body = _sizes(blocks)
    dropped = {n for n, held in chrome.items() if held < GUARD * total}
    chosen = None
    if size(article) < 0.4 * total and body:
        largest = max(body, key=body.__getitem__)
        chosen = largest if body[largest] >= BODY_SHARE * total else None
    out = []
    letters = lambda s: len(re.findall(r"\w", s))  # noqa: E731
    for block in article if size(article) >= 0.4 * total else blocks:
        pieces = [p for p in block.pieces if not set(p.chrome) & dropped and (chosen is None or chosen in p.body)]
        text = block_text(pieces)
        if text and sum(letters(p.text) for p in pieces if p.linked) < LINK_SHARE * max(1, letters(text)):
            out.append(text)
    return out


def _sizes(blocks: list[Block]) -> tuple[dict[int, int], dict[int, int]]:
    """How much of the page's text each element named as chrome, and each named as the body, holds."""
    chrome: dict[int, int] = {}
    body: dict[int, int] = {}
    for block in blocks:
        for piece in block.pieces:
            held = len(piece.text.strip())
            for n in piece.chrome:
                chrome[n] = chrome.get(n, 0) + held
            for n in piece.body:
                body[n] = body.get(n, 0) + held
    return chrome, body
