"""The commands that listen to episodes and publish the show: chapters, extract, play, feed, serve.

Plain functions with typer's annotations; `cli` registers them as commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from .errors import ExitCode
from .terminal import fail, run_action


def feed(
    project: Annotated[
        Optional[Path], typer.Argument(help="The project folder (with voices/ and dist/). Default: here.")
    ] = None,
    cast: Annotated[
        Optional[Path], typer.Option("--cast", help="Cast file with [show] settings, merged over voices/default.toml.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="What podcast directories would refuse is an error.")
    ] = False,
) -> None:
    """Write dist/feed.xml (RSS with iTunes and Podcasting 2.0 tags) and the show page from the episodes in dist/."""
    from .paths import project_root
    from .showfiles import write_show

    root = project_root(Path(project) / "scripts" / ".show") if project else project_root()
    for path in run_action(lambda: write_show(root, cast, strict)):
        print(path)


def serve(
    folder: Annotated[
        Optional[Path], typer.Argument(help="The folder to serve. Default: dist/ of this project.")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="The port to listen on.")] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on; 0.0.0.0 for other machines too.")
    ] = "127.0.0.1",
) -> None:
    """Serve dist/ over HTTP (with byte ranges, for podcast apps and browsers) until Ctrl-C."""
    from .paths import project_root
    from .publish.serve import feed_address, make_server, network_addresses

    root = Path(folder) if folder else project_root() / "dist"
    if not root.is_dir():
        fail(f"{root}: no such folder; render some episodes first (podcast render scripts/)", ExitCode.OUTPUT)
    server = run_action(lambda: make_server(root, host, port))
    here = feed_address(server).rsplit("/", 1)[0]
    if (root / "feed.xml").is_file():
        print(f"serving {root} at {here}/ ; the feed: {feed_address(server)}")
    else:
        print(f"serving {root} at {here}/ ; no feed.xml (set [show] url and run `podcast feed`): the show page")
    for other in network_addresses(server):
        if other != here:
            print(f"from other machines: {other}/feed.xml (episodes from here, not [show] url)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()


EpisodeArg = Annotated[Path, typer.Argument(help="An episode MP3; chapters are read from its own CHAP/CTOC frames.")]


def chapters(
    episode: EpisodeArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the chapters as JSON, times in seconds.")] = False,
) -> None:
    """List the chapters stored in an MP3: number, start, end, duration, title."""
    from .listen import chapter_rows, chapters_table, read_episode

    found = run_action(lambda: read_episode(episode))
    if as_json:
        print(json.dumps(chapter_rows(found), ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        Console(highlight=False).print(*chapters_table(found))


def extract(
    episode: EpisodeArg,
    chapter: Annotated[str, typer.Option("--chapter", "-c", help="Chapter number (1 = first) or title.")],
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Output MP3. Default: '<episode> - NN <title>.mp3' beside it.")
    ] = None,
) -> None:
    """Write one chapter as its own MP3, tagged 'Episode – Chapter'."""
    from .listen import extract_chapter

    print(run_action(lambda: extract_chapter(episode, chapter, out)))


def play(
    episode: EpisodeArg,
    chapter: Annotated[
        Optional[str], typer.Option("--chapter", "-c", help="Start at this chapter: number (1 = first) or title.")
    ] = None,
) -> None:
    """Play an episode, or from a chapter on, with ffplay, mpv, mplayer, cvlc or afplay."""
    from .listen import play_episode

    code = run_action(lambda: play_episode(episode, chapter))
    if code:
        raise typer.Exit(code)


