"""The show's page, `dist/index.html`: its name, cover and description, then its episodes, newest first.

One self-contained HTML file with inline CSS and no script, whose every link is relative
(the player pages and MP3s beside it), so it works opened from disk as well as from any static server.
"""

from __future__ import annotations

import datetime
import re
from html import escape
from urllib.parse import quote

from .clock import clock, date_for_people

# Short enough to keep here; the player's longer stylesheet is a file of its own.
_CSS = """
:root { color-scheme: light dark; --bg: #fbfaf7; --fg: #1e1f22; --muted: #62646b; --line: #e2e0d9;
  --accent: #2453b8; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #17181b; --fg: #e7e5e1; --muted: #a3a4ab; --line: #2f3136; --accent: #8db3ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 1.0625rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
.wrap { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
a { color: var(--accent); }
header.show { display: flex; flex-wrap: wrap; gap: 1.25rem; align-items: flex-start; margin-bottom: 1.5rem; }
.cover { width: 9rem; height: 9rem; object-fit: cover; border-radius: .5rem; border: 1px solid var(--line); }
header.show div { flex: 1 1 16rem; min-width: 0; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 .4rem; overflow-wrap: anywhere; }
h2 { font-size: .85rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 .5rem; }
h3 { font-size: 1.2rem; line-height: 1.3; margin: 0 0 .2rem; overflow-wrap: anywhere; }
p { margin: 0 0 .4rem; }
.by, .meta, .empty { color: var(--muted); }
.meta { font-variant-numeric: tabular-nums; }
ol.episodes { list-style: none; margin: 0; padding: 0; }
ol.episodes > li { padding: 1rem 0; border-top: 1px solid var(--line); }
.lede, .guests { overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: .85rem; }
"""


def _href(name: str) -> str:
    """A relative URL for a file beside the page, escaped for an attribute.

    Quoting turns `:`, `?` and `#` into escapes, so no name reads as a scheme, query or fragment;
    a name starting with `/` gets `./` in front, so it stays beside the page rather than at the root.
    """
    url = quote(name)
    return escape("./" + url if url.startswith("/") else url)


def _day(iso: str | None) -> datetime.date | None:
    """The manifest's ISO date, or None where there is none or it is not a date."""
    try:
        return datetime.date.fromisoformat(iso) if iso else None
    except (TypeError, ValueError):
        return None


def _date(iso: str | None) -> str:
    """The date for people (`2 February 2025`) in a <time> element; an unreadable one as it stands."""
    day = _day(iso)
    if day is None:
        return escape(str(iso)) if iso else ""
    return f'<time datetime="{day.isoformat()}">{date_for_people(day)}</time>'


def _duration(seconds: float) -> str:
    """The length as `mm:ss` (`h:mm:ss` from an hour on), whole seconds rounded down as on the player page."""
    whole = max(0, int(seconds or 0))
    return f'<time class="duration" datetime="PT{whole}S">{clock(whole * 1000, fraction=None, minute_digits=2)}</time>'


def _title(episode: dict) -> str:
    """The episode's title, or its MP3's name where it has none (as on the player page)."""
    return episode.get("title") or episode["audio"]


def newest_first(episodes: list[dict]) -> list[dict]:
    """The episodes by date, newest first, those without one last; the same date (or none) by title."""

    def key(episode: dict):
        day = _day(episode.get("date"))
        # the page's name last, so that two episodes of one title keep one order from run to run
        tail = (_title(episode).casefold(), episode.get("page", ""))
        return (0, -day.toordinal(), *tail) if day else (1, 0, *tail)

    return sorted(episodes, key=key)


def _episode(episode: dict) -> str:
    """One episode in the list: its title (linking to its player page), date, length, guests, lede and MP3."""
    title = escape(_title(episode))
    guests = [escape(s["name"]) for s in episode.get("speakers", []) if s.get("role") == "guest"]
    meta = " · ".join(p for p in (_date(episode.get("date")), _duration(episode.get("duration", 0))) if p)
    lines = [
        f'<h3><a class="title" href="{_href(episode["page"])}">{title}</a></h3>',
        f'<p class="meta">{meta}</p>',
    ]
    if guests:
        lines.append(f'<p class="guests">With {", ".join(guests)}</p>')
    if episode.get("lede"):
        lines.append(f'<p class="lede">{escape(episode["lede"])}</p>')
    # the accessible name starts with the visible text, and says which episode's MP3 this is
    lines.append(
        f'<p><a class="mp3" href="{_href(episode["audio"])}" type="audio/mpeg" aria-label="MP3: {title}">MP3</a></p>'
    )
    return "<li>\n" + "\n".join(lines) + "\n</li>"


def _link(url: str) -> str:
    """The show's own website: a link if it is an http(s) address, else plain text.

    Only those two schemes, spelled out, become links: browsers also run `java<tab>script:` and
    ` javascript:`, so a test for what is refused would miss some.
    """
    url = url.strip()
    if not url:
        return ""
    if re.match(r"https?://", url, re.IGNORECASE):
        return f'<p class="link"><a href="{escape(url)}">{escape(url)}</a></p>'
    return f'<p class="link">{escape(url)}</p>'


def _header(show: dict) -> str:
    """The show's name, cover (when given), author, description and link."""
    name = escape(show.get("name") or "Podcast")
    cover = show.get("cover")
    image = f'<img class="cover" src="{_href(cover)}" alt="Cover of {name}">\n' if cover else ""
    parts = [f"<h1>{name}</h1>"]
    if show.get("author"):
        parts.append(f'<p class="by">By {escape(show["author"])}</p>')
    if show.get("description"):
        parts.append(f'<p class="description">{escape(show["description"])}</p>')
    parts.append(_link(show.get("link") or ""))
    return f'<header class="show">\n{image}<div>\n' + "\n".join(p for p in parts if p) + "\n</div>\n</header>"


def show_page(show: dict, episodes: list[dict]) -> str:
    """The show's page (`dist/index.html`): the show, then every episode newest first, linking to each player page
    and MP3 beside it.

    `show` has `name`, `description`, `author`, `cover` (a file name relative to dist/, or None) and `link`;
    `episodes` are render manifests, each with `page`, its player page's file name, added.
    """
    if episodes:
        listing = '<ol class="episodes">\n' + "\n".join(_episode(e) for e in newest_first(episodes)) + "\n</ol>"
    else:
        listing = '<p class="empty">No episodes yet.</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="podcast">
<title>{escape(show.get("name") or "Podcast")}</title>
<link rel="icon" href="data:,">
<style>{_CSS}</style>
</head>
<body>
<div class="wrap">
{_header(show)}
<main>
<h2>Episodes</h2>
{listing}
</main>
<footer>Rendered by podcast.</footer>
</div>
</body>
</html>
"""
