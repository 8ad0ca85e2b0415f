"""Rendering a folder of scripts (or several paths): one engine for all, a summary, and one bad script never
stops the others. Then each project's show files (feed, show page) are brought up to date."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PodcastError, ScriptError
from .render import RenderResult, Reporter, render
from .speech.engines import create_engine

log = logging.getLogger(__name__)

SCRIPT_SUFFIXES = (".txt", ".md")
"""The files in a folder that are scripts."""


@dataclass(frozen=True)
class BatchResult:
    """What a render of several scripts did."""

    rendered: tuple[RenderResult, ...] = ()
    """The episodes written."""
    up_to_date: tuple[RenderResult, ...] = ()
    """The episodes found up to date."""
    failed: tuple[tuple[Path, PodcastError], ...] = ()
    """The scripts that failed, with their error."""
    show_files: tuple[Path, ...] = field(default=())
    """The show's files written after them (feed, show page)."""


def scripts_in(paths: list[Path]) -> list[Path]:
    """The scripts named: files as given, folders as the scripts in them (`.txt`, `.md`; not hidden), in order."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix in SCRIPT_SUFFIXES and not p.name.startswith("."))
            if not inside:
                raise ScriptError("holds no scripts (.txt or .md files)", path)
            found += inside
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def render_all(
    paths: list[Path],
    *,
    cast_file: Path | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    engine_name: str = "espeak",
    workers: int | None = None,
    reporter: Reporter | None = None,
    cover: Path | None = None,
    strict: bool = False,
) -> BatchResult:
    """Render every script of `paths` to `dist/` in its project; then write each project's show files."""
    from .showfiles import write_show_files

    reporter = reporter or Reporter()
    scripts = scripts_in(paths)
    rendered, fresh, failed = [], [], []
    engine = None
    try:
        try:
            engine = create_engine(engine_name)
        except PodcastError:
            engine = None  # each render reports it, after its script's own errors
        advance = reporter.stage("Episodes", len(scripts))
        for script in scripts:
            reporter.episode(f"{script}:")
            try:
                result = render(script, None, cast_file, cache_dir, force=force, engine_name=engine_name,
                                workers=workers, reporter=reporter, cover=cover, engine=engine)  # fmt: skip
            except PodcastError as exc:
                log.error("%s", exc)
                failed.append((script, exc))
            else:
                (fresh if result.up_to_date else rendered).append(result)
            advance(1)
    finally:
        if engine is not None:
            engine.close()
    written = write_show_files(scripts, cast_file, strict) if rendered or fresh else []
    return BatchResult(tuple(rendered), tuple(fresh), tuple(failed), tuple(written))
