"""The show's settings (`[show]` in a cast): checked with the cast file and key named, and turned into a `Show`."""

from __future__ import annotations

import functools
import re
import uuid
from dataclasses import replace
from pathlib import Path

from .errors import CastError
from .model import Show
from .paths import builtin_file

KEYS = ("name", "language", "cover", "url", "author", "description", "category", "explicit", "owner", "link", "guid",
        "channels", "intro", "outro", "bed")
"""The keys `[show]` may have."""

APPLE_CATEGORIES = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden",
                "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News",
             "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences",
                "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby", "Running",
               "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip
"""Apple Podcasts' categories and their subcategories, as the feed must spell them."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_show(table: dict, path: Path) -> None:
    """Raise `CastError` naming the cast file and key for a `[show]` setting of the wrong kind."""
    for key in set(table) - set(KEYS):
        raise CastError(f"unknown key {key!r} in [show]; known: {', '.join(sorted(KEYS))}", path)
    for key, value in table.items():
        where = f"[show] {key}"
        if key == "explicit":
            if not isinstance(value, bool):
                raise CastError(f"{where} must be true or false (it is {value!r})", path)
        elif key == "owner":
            _check_owner(value, path)
        elif key == "channels":
            if value not in (1, 2) or isinstance(value, bool):
                raise CastError(f"{where} must be 1 (mono) or 2 (stereo) (it is {value!r})", path)
        elif not isinstance(value, str):
            raise CastError(f"{where} must be a string (it is {value!r})", path)
        elif key == "language":
            language_code(value, path)
        elif key == "name" and not value.strip():
            raise CastError(f"{where} must not be empty", path)
        elif key in ("url", "link") and value and not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise CastError(f"{where} must be an absolute http(s) address such as \"https://example.org/show\"", path)
        elif key == "category" and value:
            category(value, path)
        elif key == "guid" and value:
            try:
                uuid.UUID(value)
            except ValueError:
                raise CastError(f"{where} must be a UUID such as \"{uuid.uuid4()}\" (it is {value!r})", path) from None


def _check_owner(value: object, path: Path) -> None:
    if not isinstance(value, dict) or set(value) - {"name", "email"}:
        raise CastError('[show] owner must be a table: owner = { name = "…", email = "…" }', path)
    if not all(isinstance(v, str) for v in value.values()):
        raise CastError("[show] owner: name and email must be strings", path)
    if value.get("email") and not _EMAIL.match(value["email"]):
        raise CastError(f"[show] owner: email {value['email']!r} is not an e-mail address", path)


def build_show(table: dict) -> Show:
    """The `Show` of a checked `[show]` table."""
    settings = {k: v for k, v in table.items() if k != "owner"}
    owner = table.get("owner", {})
    show = Show(**settings, owner_name=owner.get("name", ""), owner_email=owner.get("email", ""))
    return replace(show, language=language_code(show.language), url=show.url.rstrip("/"))


def category(value: str, path: Path | None = None) -> tuple[str, str]:
    """(category, subcategory or "") of a `[show] category`, as Apple spells them; raises `CastError`."""
    top, _, sub = (part.strip() for part in value.partition("/"))
    known = {name.casefold(): name for name in APPLE_CATEGORIES}
    if top.casefold() not in known:
        raise CastError(f"[show] category {top!r} is not one of Apple's: {', '.join(APPLE_CATEGORIES)}", path)
    top = known[top.casefold()]
    if not sub:
        return top, ""
    subs = {name.casefold(): name for name in APPLE_CATEGORIES[top]}
    if sub.casefold() not in subs:
        allowed = ", ".join(APPLE_CATEGORIES[top]) or "none"
        raise CastError(f"[show] category: {sub!r} is not a subcategory of {top} (it has: {allowed})", path)
    return top, subs[sub.casefold()]


def language_code(value: str, path: Path | None = None) -> str:
    """The ISO 639-2 code (as ID3's TLAN frame takes it) of a language given as ISO 639-1 or 639-2 (`de`,
    `de-AT`, `ger`, `deu`); raises `CastError` for anything else."""
    codes = _languages()[0]
    wanted = value.strip().lower().replace("_", "-").split("-")[0]
    if wanted in codes:
        return codes[wanted]
    if len(wanted) == 3 and wanted.isascii() and wanted.isalpha():
        return wanted
    raise CastError(
        f"[show] language must be an ISO 639 language code such as \"en\" or \"eng\" (it is {value!r})", path
    )


def two_letter_language(code: str) -> str:
    """The ISO 639-1 code of an ISO 639-2 one, as RSS wants it (`ger` → `de`); the code itself if it has none."""
    return _languages()[1].get(code, code)


@functools.cache
def _languages() -> tuple[dict[str, str], dict[str, str]]:
    """(ISO 639-1 and 639-2/T code → 639-2/B code, 639-2/B code → 639-1 code)."""
    to_bibliographic, to_two = {}, {}
    for line in builtin_file("languages.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            two, bibliographic, terminology, _ = line.split("\t")
            to_bibliographic[two] = to_bibliographic[terminology] = bibliographic
            to_two[bibliographic] = to_two[terminology] = two
    return to_bibliographic, to_two
