"""The show's own files in `dist/`, from the episodes there: its page (`index.html`) and, with a `url`, its feed."""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import OutputError
from .paths import project_root
from .publish.catalogue import read_catalogue
from .publish.cover import read_cover
from .publish.feed import write_feed, write_unchanged
from .speech.cast import load_cast

log = logging.getLogger(__name__)

PAGE_NAME = "index.html"


def write_show(
    project: Path, cast_file: Path | None = None, strict: bool = False, need_feed: bool = True
) -> list[Path]:
    """Write the show page and the feed of the project at `project` from the episodes in its `dist/`; their paths.

    Without `[show] url`, only the page is written (and `need_feed` makes that an error).
    Raises `CastError` for bad show settings or cover (and, with `strict`, for what a
    podcast directory would refuse), `OutputError` for what cannot be written.
    """
    from .publish.showpage import show_page

    show = load_cast(project / "scripts" / ".show", cast_file).show  # the project's casts, no episode's
    folder = project / "dist"
    if not folder.is_dir():
        raise OutputError("has no episodes yet; render some first (podcast render scripts/)", folder)
    cover = read_cover(project / show.cover) if show.cover else None
    episodes = read_catalogue(folder)
    written, cover_name = [], None
    if cover:  # published beside the feed and the page
        cover_name = "cover.jpg" if cover[1] == "image/jpeg" else "cover.png"
        written.append(write_unchanged(folder / cover_name, cover[0]))
    if show.url or need_feed:
        written.append(write_feed(show, folder, episodes, cover_name, cover[0] if cover else None, strict))
    page = show_page(
        {"name": show.name, "description": show.description, "author": show.author, "cover": cover_name,
         "link": show.link or show.url},
        [{**e.manifest, "page": e.files["html"].name} for e in episodes],
    )  # fmt: skip
    return [*written, write_unchanged(folder / PAGE_NAME, page.encode("utf-8"))]


def write_show_files(scripts: list[Path], cast_file: Path | None, strict: bool) -> list[Path]:
    """After a render of several scripts: each of their projects' show files (the feed only where it has a url)."""
    written = []
    for project in dict.fromkeys(project_root(script) for script in scripts):
        written += write_show(project, cast_file, strict, need_feed=False)
    return written
