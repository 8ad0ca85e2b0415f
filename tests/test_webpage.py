"""Saved web pages as scripts (issue 14): the markup says what is chrome, and a page splits as its copied text."""

from __future__ import annotations

import html
import json

import pytest
from helpers import TWO_GUESTS
from test_wild import WILD, accuracy_of

from audio.text.pagelines import BIO_LABEL
from audio.text.script import load_episode
from audio.text.speakertags import byline
from audio.text.webpage import is_web_page, page_text, read_page

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tiny robots | Example News</title>
<meta property="og:title" content="Tiny robots: 'Small is the new big'">
<meta property="article:published_time" content="2024-03-14T09:00:00Z">
<meta name="author" content="Ana Example"></head>
<body>
<header class="site"><a href="/">Example News</a><nav><a>Home</a> | <a>Science</a></nav></header>
<main><article>
<header><p class="kicker">Interview</p><h1>Tiny robots: 'Small is the new big'</h1>
<time datetime="2024-03-14">14 March 2024</time></header>
<p>Two researchers explain why the smallest machines matter.</p>
<figure><img src="x.jpg"><figcaption>Jane Smith in her lab. Photo: A. Person</figcaption></figure>
<p>What are you working on?</p>
<p><strong>Jane Smith (JS):</strong> We build robots the size of a grain of sand.</p>
<p>RK: And I make them talk<br>to each other.</p>
<h2>Swarms in the wild</h2>
<p>Where will we see them first?</p>
<p>JS: In farming, long before anywhere else.</p>
<div class="share"><button>Share</button></div>
</article>
<aside><h3>Related</h3><ul><li>Another story</li></ul></aside></main>
<footer>&copy; 2024 Example News</footer>
<script>var tracking = "Share this";</script>
</body></html>
"""


def test_a_saved_page_splits_as_its_copied_text(tmp_path):
    page, text = tmp_path / "tiny.html", tmp_path / "tiny.txt"
    page.write_text(PAGE, encoding="utf-8")
    text.write_text(TWO_GUESTS, encoding="utf-8")
    from_page, from_text = load_episode(page), load_episode(text)
    assert [(s.speaker, s.text) for s in from_page.segments] == [(s.speaker, s.text) for s in from_text.segments]
    assert (from_page.title, from_page.date, from_page.speakers) == (from_text.title, from_text.date,
                                                                       from_text.speakers)  # fmt: skip
    assert (from_page.author, from_text.author) == ("Ana Example", "")  # the page's metadata says who wrote it


HEAD = "<!DOCTYPE html><html><head><title>A talk</title>{}</head><body><article>{}<h1>A talk</h1><p>Why?</p>"
HEAD += "<p>JS: Because.</p></article></body></html>"


@pytest.mark.parametrize(
    "head, header, author",
    [
        ('<meta name="author" content="Ana Example">', "", "Ana Example"),
        ('<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", "author": [{"@type": "Person", '
         '"name": "Ben Ortiz"}]}]}</script>', "", "Ben Ortiz"),
        ('<meta property="article:author" content="https://example.org/staff/ana">', '<header><p>By <a rel="author" '
         'href="/staff/ana">Ana  Example</a></p></header>', "Ana Example"),
        ("", "<header><p>By Thea Lindgren</p></header>", "Thea Lindgren"),
        ('<script type="application/ld+json">{"author": </script>', "<header><p>Interview</p></header>", ""),
    ],
)  # fmt: skip
def test_the_author_from_the_pages_metadata_its_links_or_its_byline(head, header, author):
    page = read_page(HEAD.format(head, header))
    assert page.author == author
    assert "By" not in page.text and "Ben Ortiz" not in page.text


def test_what_the_markup_calls_chrome_is_never_read():
    text = page_text(PAGE)
    for chrome in ("Example News", "Home", "Related", "Another story", "2024 Example News", "tracking", "Photo:"):
        assert chrome not in text, chrome
    assert is_web_page(PAGE.encode(), "x.txt") and is_web_page(b"<p>hi</p>", "saved.htm")
    assert not is_web_page(TWO_GUESTS.encode(), "tiny.txt")


def _as_page(name: str) -> str:
    """A wild interview as a CMS would publish it: chrome in nav, aside and footer, the article in paragraphs."""
    expected = json.loads((WILD / f"{name}.expected.json").read_text(encoding="utf-8"))
    chrome = set(expected["not_spoken"])
    headings = {c["title"] for c in expected["chapters"][1:]}
    lines = [line.strip() for line in (WILD / f"{name}.txt").read_text(encoding="utf-8-sig").splitlines()]
    body, top, bottom = [], [], []
    seen_text = False
    for line in filter(None, lines):
        if line in chrome and byline(line):  # the byline under the article's title
            body.append(f"<header><p>{html.escape(line)}</p></header>")
        elif line in chrome and BIO_LABEL.match(line):  # a box's label stays with its box
            body.append(f"<h3>{html.escape(line)}</h3>")
        elif line in chrome:
            (bottom if seen_text else top).append(f"<li>{html.escape(line)}</li>")
        elif line == expected["title"]:
            body.append(f"<header><h1>{html.escape(line)}</h1></header>")
        elif line in headings:
            body.append(f"<h2>{html.escape(line)}</h2>")
        else:
            body.append(f"<p>{html.escape(line)}</p>")
            seen_text = True
    date = f'<meta property="article:published_time" content="{expected["date"]}">' if expected.get("date") else ""
    return (f"<!DOCTYPE html><html><head><title>x</title>{date}</head><body><nav><ul>{''.join(top)}</ul></nav>"
            f"<main><article>{''.join(body)}</article></main><footer><ul>{''.join(bottom)}</ul></footer></body></html>")


@pytest.mark.parametrize("name", sorted(p.name[: -len(".expected.json")] for p in WILD.glob("*.expected.json")))
def test_a_wild_interview_as_a_page_splits_as_well_as_its_text(name, tmp_path):
    page = tmp_path / f"{name}.html"
    page.write_text(_as_page(name), encoding="utf-8")
    from_page, total = accuracy_of(load_episode(page), name)
    from_text, _ = accuracy_of(load_episode(WILD / f"{name}.txt"), name)
    assert from_page >= from_text - 1, (from_page, from_text, total)  # one paragraph of slack: the title's line
    assert load_episode(page).author == load_episode(WILD / f"{name}.txt").author


PLAIN = """<!DOCTYPE html><html><head><title>A talk | Example</title></head><body><div class="wrap has-sidebar">
<div class="top-menu"><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></div>
<div class="entry-content"><h1>A talk about tiny robots</h1><p>Two researchers on the smallest machines.</p>
<p>What are you working on?</p><p>JS: We build robots the size of a grain of sand, and teach them to swarm.</p>
<div class="social-media-embed">Watch the swarm cross a table in ten seconds.</div>
<p>Where will we see them first?</p><p>JS: In farming, long before anywhere else, we think.</p></div>
<div class="sidebarWidget"><h3>Most read</h3><p>Our newsletter is the best way to keep up with science.</p></div>
<ul class="comment-list"><li>Great piece, thanks for writing it!</li><li>I disagree with the part on farms.</li></ul>
<div class="more"><a href="/1">Robots learn to walk on water in a new study</a> <a href="/2">Why bees dance</a></div>
<p>Tiny robots, explained. <a href="/x">Read</a></p></div></body></html>"""


def test_chrome_named_by_class_lists_of_links_and_the_body_named_by_class():
    for page, outside in ((PLAIN, False), (PLAIN.replace("entry-content", "inner"), True)):
        text = page_text(page)  # with no `article`, the element named as the body is the story, else the whole page
        for kept in ("A talk about tiny robots", "JS: We build robots", "Watch the swarm cross", "JS: In farming"):
            assert kept in text, kept  # the wrapper `has-sidebar` holds the story: it is read
        assert ("Tiny robots, explained." in text) == outside
        for chrome in ("Home", "newsletter", "Great piece", "disagree", "walk on water", "Why bees dance"):
            assert chrome not in text, chrome
