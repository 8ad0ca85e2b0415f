"""Rendering a folder of scripts (or several paths): one engine for all, a summary, and one bad script never
stops the others. Then each project's show files (feed, show page) are brought up to date."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PodcastError, ScriptError
from .render import RenderResult, Reporter, render, start_engine
from .sound.encode import Mp3Settings

log = logging.getLogger(__name__)

SCRIPT_SUFFIXES = (".txt", ".md", ".html", ".htm")
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


RESERVED = {"index": "the show page, index.html"}
"""Script names whose episode's files would be the show's own."""


def scripts_in(paths: list[Path]) -> list[Path]:
    """The scripts named: files as given, folders as the scripts in them (regular `.txt` and `.md` files, not
    hidden; a FIFO or a device there is passed over with a warning), in order."""
    found: list[Path] = []
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            found.append(path)
            continue
        inside = []
        for candidate in sorted(path.iterdir()):
            if candidate.suffix not in SCRIPT_SUFFIXES or candidate.name.startswith("."):
                continue
            if candidate.is_file():
                inside.append(candidate)
            else:
                log.warning("%s: not a regular file; passed over", candidate)
        if not inside:
            raise ScriptError("holds no scripts (.txt or .md files)", path)
        found += inside
    return list(dict.fromkeys(found))


def clashes(scripts: list[Path]) -> dict[Path, ScriptError]:
    """Scripts that cannot be rendered beside the others: two that would write the same episode, or one whose
    episode would overwrite the show's own files."""
    from .plan import default_output

    out: dict[Path, ScriptError] = {}
    first: dict[Path, Path] = {}
    for script in scripts:
        target = default_output(script)
        if target.stem in RESERVED:
            out[script] = ScriptError(f"its episode would overwrite {RESERVED[target.stem]}; rename the script", script)
        elif target in first:
            out[script] = ScriptError(f"writes the same episode as {first[target]} ({target.name}); rename one", script)
        else:
            first[target] = script
    return out


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
    settings: Mp3Settings = Mp3Settings(),
    scheduler: str | None = None,
    show_files: bool = True,
) -> BatchResult:
    """Render every script of `paths` to `dist/` in its project; then write each project's show files.

    `scheduler`: the address of a Dask scheduler whose cluster does the work (see `cluster`);
    without it everything runs here, and Dask is not imported. `show_files` False: no show files.
    """
    from .showfiles import check_show_files, write_show_files

    reporter = reporter or Reporter()
    scripts = scripts_in(paths)
    if strict:  # what a directory would refuse of the show itself is said before any speech is made
        check_show_files(scripts, cast_file, cover)
    refused = clashes(scripts)
    options = dict(cast_file=cast_file, cache_dir=cache_dir, force=force, engine_name=engine_name,
                   reporter=reporter, cover=cover, strict=strict, settings=settings)  # fmt: skip
    if scheduler:
        from .cluster.connect import need_dask

        need_dask()  # one line if the extra is missing, before the modules that import Dask
        from .cluster.catalogue import render_on_cluster

        rendered, fresh, failed = render_on_cluster(scripts, refused, scheduler=scheduler, workers=workers, **options)
    else:
        rendered, fresh, failed = _render_here(scripts, refused, workers=workers, **options)
    written: list[Path] = []
    if show_files and (rendered or fresh):
        try:
            written = write_show_files(scripts, cast_file, strict, cover)
        except PodcastError as exc:
            log.error("%s", exc)
            failed.append((exc.path or Path("dist"), exc))
    return BatchResult(tuple(rendered), tuple(fresh), tuple(failed), tuple(written))


def _render_here(scripts: list[Path], refused: dict[Path, ScriptError], *, engine_name: str, reporter: Reporter,
                 **options):  # fmt: skip
    """Render the scripts one after another on this machine, with one engine for all."""
    rendered, fresh, failed = [], [], []
    engine = start_engine(engine_name)  # if it cannot start, each render reports it after its script's own errors
    try:
        advance = reporter.stage("Episodes", len(scripts))
        for script in scripts:
            reporter.episode(f"{script}:")
            try:
                if script in refused:
                    raise refused[script]
                result = render(script, None, engine_name=engine_name, reporter=reporter, engine=engine, **options)
            except PodcastError as exc:
                log.error("%s", exc)
                failed.append((script, exc))
            else:
                (fresh if result.up_to_date else rendered).append(result)
            advance(1)
    finally:
        if engine is not None:
            engine.close()
    return rendered, fresh, failed
