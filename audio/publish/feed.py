"""The show's podcast feed, `dist/feed.xml`: RSS 2.0 with Apple's `itunes` and Podcasting 2.0's `podcast` tags.

Written with the standard library's ElementTree: the feed is a small document written
whole, so it needs no dependency (feedgen's podcast extension knows Apple's tags but not
the Podcasting 2.0 namespace; lxml would add a compiled package for nothing the feed
needs). Its bytes depend only on the show's settings and the episodes' files, so an
unchanged show writes the same feed.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

from ..atomic import write_file
from ..errors import CastError, OutputError
from ..model import Show
from ..show import category, two_letter_language
from .catalogue import Published
from .cover import SIDE, image_facts

log = logging.getLogger(__name__)

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""The namespace of `podcast:guid`, as the Podcasting 2.0 namespace specifies it."""
FEED_NAME = "feed.xml"
TRANSCRIPT_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip", "transcript": "application/json"}
ROLES = {"guest": "guest", "interviewer": "host"}
"""A speaker's role in the episode → its `podcast:person` role (the narrator is not a person of the show)."""

for _prefix, _uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM)):
    ET.register_namespace(_prefix, _uri)


def feed_url(show: Show) -> str:
    """Where the feed is published: `feed.xml` under the show's `url`."""
    return f"{show.url}/{FEED_NAME}"


def show_guid(url: str) -> str:
    """The show's `podcast:guid`: a UUIDv5 of its feed URL without the scheme and trailing slashes."""
    bare = url.split("://", 1)[-1].rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))


def podcast_guid(show: Show) -> str:
    """The show's GUID: `[show] guid` where it is pinned (keep it when the show moves), else from its feed URL."""
    return show.guid or show_guid(feed_url(show))


def episode_guid(show: Show, episode: Published) -> str:
    """An episode's GUID: from the show's GUID and the episode's name, so a re-render keeps it."""
    return str(uuid.uuid5(uuid.UUID(podcast_guid(show)), episode.stem))


def feed_problems(show: Show, episodes: list[Published], cover: bytes | None) -> list[str]:
    """What a podcast directory would refuse in this feed, one line each (none: it would take it)."""
    problems = []
    if cover is None:
        problems.append("the show has no cover; set [show] cover to a square JPEG or PNG of 1400 to 3000 px")
    else:
        kind, size, colour = image_facts(cover)
        if size and (size[0] != size[1] or not SIDE[0] <= size[0] <= SIDE[1]):
            problems.append(f"the cover is {size[0]}×{size[1]} px; directories want a square of {SIDE[0]} to "
                            f"{SIDE[1]} px")  # fmt: skip
        if colour not in ("rgb", None):
            problems.append(f"the cover is in {colour}, not RGB; directories want an RGB JPEG or PNG")
    for key, what in (("author", "an author"), ("description", "a description"), ("category", "a category")):
        if not getattr(show, key):
            problems.append(f"the show has no {key}; set [show] {key} ({what} is asked for by directories)")
    if not show.owner_email:
        problems.append('the show has no owner; set [show] owner = { name = "…", email = "…" }')
    guids = [episode_guid(show, e) for e in episodes]
    if len(set(guids)) != len(guids):
        problems.append("two episodes share a GUID")
    return problems


def feed_xml(show: Show, episodes: list[Published], cover_name: str | None) -> bytes:
    """The feed, newest episode first; `episodes` oldest first (their numbers follow that order)."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _channel(rss, show, cover_name)
    numbered = list(enumerate(episodes, start=1))
    for number, episode in reversed(numbered):
        _item(channel, show, episode, number)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _sub(parent: ET.Element, tag: str, content: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if content is not None:
        element.text = content
    return element


def _channel(rss: ET.Element, show: Show, cover_name: str | None) -> ET.Element:
    channel = _sub(rss, "channel")
    link = show.link or show.url
    _sub(channel, "title", show.name)
    _sub(channel, "link", link)
    _sub(channel, "description", show.description or show.name)
    _sub(channel, "language", two_letter_language(show.language))
    _sub(channel, "generator", "podcast (an offline interview renderer)")
    _sub(channel, f"{{{ATOM}}}link", href=feed_url(show), rel="self", type="application/rss+xml")
    _sub(channel, f"{{{PODCAST}}}guid", podcast_guid(show))
    if show.author:
        _sub(channel, f"{{{ITUNES}}}author", show.author)
        _sub(channel, f"{{{PODCAST}}}person", show.author, role="host")
    if cover_name:
        image = f"{show.url}/{quote(cover_name)}"
        _sub(channel, f"{{{ITUNES}}}image", href=image)
        picture = _sub(channel, "image")
        for tag, text in (("url", image), ("title", show.name), ("link", link)):
            _sub(picture, tag, text)
    if show.category:
        top, sub = category(show.category)
        element = _sub(channel, f"{{{ITUNES}}}category", text=top)
        if sub:
            _sub(element, f"{{{ITUNES}}}category", text=sub)
    _sub(channel, f"{{{ITUNES}}}explicit", "true" if show.explicit else "false")
    _sub(channel, f"{{{ITUNES}}}type", "episodic")
    if show.owner_name or show.owner_email:
        owner = _sub(channel, f"{{{ITUNES}}}owner")
        _sub(owner, f"{{{ITUNES}}}name", show.owner_name or show.author or show.name)
        _sub(owner, f"{{{ITUNES}}}email", show.owner_email)
    return channel


def _item(channel: ET.Element, show: Show, episode: Published, number: int) -> None:
    manifest, url = episode.manifest, lambda path: f"{show.url}/{quote(path.name)}"  # noqa: E731
    item = _sub(channel, "item")
    _sub(item, "title", manifest.get("title") or episode.stem)
    _sub(item, "description", manifest.get("lede") or manifest.get("title") or episode.stem)
    _sub(item, "link", url(episode.files["html"]))
    _sub(item, "enclosure", url=url(episode.mp3), length=str(episode.mp3.stat().st_size), type="audio/mpeg")
    _sub(item, "guid", episode_guid(show, episode), isPermaLink="false")
    _sub(item, "pubDate", email.utils.format_datetime(_published(episode)))
    _sub(item, f"{{{ITUNES}}}duration", str(round(float(manifest.get("duration") or 0))))
    _sub(item, f"{{{ITUNES}}}episode", str(number))
    _sub(item, f"{{{ITUNES}}}episodeType", "full")
    _sub(item, f"{{{ITUNES}}}explicit", "true" if show.explicit else "false")
    language = two_letter_language(manifest.get("language") or show.language)
    for kind, mime in TRANSCRIPT_TYPES.items():
        if episode.files[kind].is_file():
            rel = {"rel": "captions"} if kind == "vtt" else {}
            _sub(item, f"{{{PODCAST}}}transcript", url=url(episode.files[kind]), type=mime, language=language, **rel)
    if episode.files["chapters"].is_file():
        _sub(item, f"{{{PODCAST}}}chapters", url=url(episode.files["chapters"]), type="application/json+chapters")
    for speaker in manifest.get("speakers", []):
        name = speaker.get("name") or ""
        if speaker.get("role") in ROLES and name and name.casefold() != str(speaker.get("role")).casefold():
            _sub(item, f"{{{PODCAST}}}person", name, role=ROLES[speaker["role"]])  # not the placeholder "Interviewer"


def _published(episode: Published) -> datetime.datetime:
    """When an episode was published: its script's date (midnight UTC), else its MP3's time, with a warning."""
    if episode.date:
        return datetime.datetime.combine(episode.date, datetime.time(0), tzinfo=datetime.timezone.utc)
    log.warning("%s: its script has no date; the feed dates it by its file (add a date line to the script)",
                episode.mp3)  # fmt: skip
    stamp = episode.mp3.stat().st_mtime
    return datetime.datetime.fromtimestamp(int(stamp), tz=datetime.timezone.utc)


def write_feed(show: Show, folder: Path, episodes: list[Published], cover_name: str | None, problems: list[str]):
    """Write `folder/feed.xml` (the cover, `cover_name` in the folder, is already there), warning of each of
    `problems` (see `feed_problems`); its path."""
    if not show.url:
        raise CastError("the show has no url: set [show] url to where dist/ is published, to write a feed")
    for problem in problems:
        log.warning("feed: %s; directories may refuse it", problem)
    return write_unchanged(folder / FEED_NAME, feed_xml(show, episodes, cover_name))


def write_unchanged(target: Path, data: bytes) -> Path:
    """Write a file whole (atomically) unless it already holds `data`: an unchanged file keeps its time."""
    try:
        if not target.exists() or target.read_bytes() != data:
            write_file(target, data)
    except OSError as exc:
        raise OutputError(f"cannot be written ({exc.strerror or exc})", target) from None
    return target
