"""The show's own files in `dist/`, from the episodes there: its page (`index.html`) and, with a `url`, its feed."""

from __future__ import annotations

import logging
from pathlib import Path

from .errors import CastError, OutputError
from .paths import project_root
from .publish.catalogue import read_catalogue
from .publish.cover import read_cover
from .publish.feed import feed_problems, write_feed, write_unchanged
from .speech.cast import load_cast

log = logging.getLogger(__name__)

PAGE_NAME = "index.html"


def write_show(
    project: Path, cast_file: Path | None = None, strict: bool = False, need_feed: bool = True,
    cover_file: Path | None = None,
) -> list[Path]:
    """Write the show page and the feed of the project at `project` from the episodes in its `dist/`; their paths.

    Without `[show] url`, only the page is written (and `need_feed` makes that an error).
    `cover_file` overrides `[show] cover`. Raises `CastError` for bad show settings or
    cover (and, with `strict`, for what a podcast directory would refuse, before anything
    is written), `OutputError` for what cannot be written.
    """
    from .publish.showpage import show_page

    show, cover = _show_and_cover(project, cast_file, cover_file)
    folder = project / "dist"
    if not folder.is_dir():
        raise OutputError("has no episodes yet; render some first (podcast render scripts/)", folder)
    episodes = read_catalogue(folder)
    feed = bool(show.url or need_feed)
    problems = feed_problems(show, episodes, cover[0] if cover else None) if feed and show.url else []
    if problems and strict:
        raise CastError(f"{problems[0]} (and {len(problems) - 1} more)" if len(problems) > 1 else problems[0])
    written, cover_name = [], None
    if cover:  # published beside the feed and the page
        cover_name = "cover.jpg" if cover[1] == "image/jpeg" else "cover.png"
        written.append(write_unchanged(folder / cover_name, cover[0]))
    if feed:
        written.append(write_feed(show, folder, episodes, cover_name, problems))
    page = show_page(
        {"name": show.name, "description": show.description, "author": show.author, "cover": cover_name,
         "link": show.link or show.url},
        [{**e.manifest, "page": e.files["html"].name} for e in episodes],
    )  # fmt: skip
    return [*written, write_unchanged(folder / PAGE_NAME, page.encode("utf-8"))]


def _show_and_cover(project: Path, cast_file: Path | None, cover_file: Path | None):
    """The project's show settings (its casts, no episode's) and its cover's (bytes, MIME type), or None."""
    show = load_cast(project / "scripts" / ".show", cast_file).show
    named = cover_file or (project / show.cover if show.cover else None)
    return show, read_cover(named) if named else None


def check_show_files(scripts: list[Path], cast_file: Path | None, cover_file: Path | None) -> None:
    """Before a strict render of several scripts: raise `CastError` for what a directory would refuse of a
    show with a feed (its cover, its settings), so that nothing is synthesized for a feed that fails."""
    for project in dict.fromkeys(project_root(script) for script in scripts):
        show, cover = _show_and_cover(project, cast_file, cover_file)
        problems = feed_problems(show, [], cover[0] if cover else None) if show.url else []
        if problems:
            raise CastError(f"{problems[0]} (and {len(problems) - 1} more)" if len(problems) > 1 else problems[0])


def write_show_files(scripts: list[Path], cast_file: Path | None, strict: bool, cover_file: Path | None = None):
    """After a render of several scripts: each of their projects' show files (the feed only where it has a url)."""
    written = []
    for project in dict.fromkeys(project_root(script) for script in scripts):
        written += write_show(project, cast_file, strict, need_feed=False, cover_file=cover_file)
    return written
