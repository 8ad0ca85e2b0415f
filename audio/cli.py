"""The `podcast` command: typer options in, one library call, a summary out.

Errors from the library (`PodcastError`) become one `error: …` line on stderr and the
exit code of their kind; tracebacks only with `--debug`. Heavy modules are imported
inside the commands, so that `podcast --help` answers at once.
"""

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer

from . import __version__
from .errors import ExitCode, PodcastError
from .hooks import moment

moment("importing")  # a test's stopping point: Ctrl-C while the tool is being imported

app = typer.Typer(
    help="Render interview scripts as chaptered, tagged podcast episodes, offline.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich is imported only for progress and tables, so --help answers at once
)

_state = {"debug": False, "reported": False}


def _stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> None:
    _state["reported"] = True
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(int(code))


def _run(action):
    """Run a library call, mapping its errors to one line and an exit code."""
    try:
        return action()
    except PodcastError as exc:
        if _state["debug"]:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        if _state["debug"]:
            raise
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # reported once: a second one must not end us mid-exit
        _fail("interrupted; the previous episode is unchanged, finished segments stay cached", ExitCode.INTERRUPTED)


def _run_shown(quiet: bool, action):
    """`_run` with progress bars, closed before an error is printed: the error is the last line."""

    def shown():
        with _Progress(quiet) as progress:
            return action(progress)

    return _run(shown)


class _Progress:
    """A render reporter drawing rich progress bars on stderr."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.console = None if quiet else _stderr()  # quiet: rich is not even imported
        self.bars = None

    def __enter__(self):
        if not self.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bars = Progress(
                TextColumn("{task.description:<13}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=self.console, transient=False,
            )  # fmt: skip
            self.bars.start()
        return self

    def __exit__(self, *exc):
        if self.bars:
            self.bars.stop()

    def stage(self, label: str, total: int):
        if not self.bars or total == 0:
            return lambda n: None
        task = self.bars.add_task(label, total=total)
        return lambda n: self.bars.advance(task, n)

    def note(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message)


def _version(value: bool) -> None:
    if value:
        from .doctor import describe_tools

        print(f"podcast {__version__}")
        for line in describe_tools():
            print(line)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Show versions and exit.")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _state["debug"] = debug
    moment("parsed")  # a test's stopping point: Ctrl-C between parsing and the command's own handling
    logger = logging.getLogger("audio")
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)
    logger.addHandler(_StderrHandler())


class _StderrHandler(logging.Handler):
    """`warning: …` lines on whatever sys.stderr is at the moment (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)


ScriptArg = Annotated[Optional[Path], typer.Argument(help="Script file. Default: scripts/deepseek-interview.txt.")]
CacheOpt = Annotated[
    Optional[Path],
    typer.Option("--cache-dir", help="Segment cache folder. Default: $PODCAST_CACHE_DIR or the user's cache."),
]


@app.command()
def render(
    script: ScriptArg = None,
    cast: Annotated[Optional[Path], typer.Option("--cast", help="Cast file, merged over voices/default.toml.")] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Output MP3. Default: dist/<script name>.mp3.")
    ] = None,
    cache_dir: CacheOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Synthesize every segment again and rewrite the episode.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    workers: Annotated[
        Optional[int], typer.Option("--workers", help="Synthesis processes. Default: one per core.")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="Speech engine: espeak; tone and stall (a stuck engine) for tests.")
    ] = "espeak",
    cover: Annotated[
        Optional[Path], typer.Option("--cover", help="JPEG or PNG to embed as the front cover (else [show] cover).")
    ] = None,
) -> None:
    """Render a script to dist/<name>.mp3 with chapters, tags, transcript and chapter file."""
    from .render import render as run_render

    result = _run_shown(
        quiet,
        lambda progress: run_render(
            script, out, cast, cache_dir, force=force, engine_name=engine, workers=workers, reporter=progress,
            cover=cover,
        ),
    )
    if not quiet and not result.up_to_date:
        _stderr().print(f"synthesized {result.synthesized} segments, {result.cached} from the cache")
    if not quiet:
        print(result.output)


@app.command()
def split(
    script: ScriptArg = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the split as JSON.")] = False,
    fmt: Annotated[
        str, typer.Option("--format", help="table, json, or script (an explicit script you can edit and render).")
    ] = "table",
) -> None:
    """Show who says what: segments by chapter and speaker, and the lines not voiced."""
    from .plan import default_script
    from .text.report import episode_json, episode_table
    from .text.script import load_episode

    fmt = "json" if as_json else fmt
    if fmt not in ("table", "json", "script"):
        _fail(f"unknown --format {fmt!r}; use table, json or script", ExitCode.USAGE)
    episode = _run(lambda: load_episode(script or default_script()))
    if fmt == "json":
        print(json.dumps(episode_json(episode), ensure_ascii=False, indent=2))
    elif fmt == "script":
        from .text.explicit import format_explicit

        sys.stdout.write(format_explicit(episode))
    else:
        from rich.console import Console

        Console(highlight=False).print(*episode_table(episode), sep="\n")


@app.command()
def voices(
    script: ScriptArg = None,
    preview: Annotated[
        Optional[str], typer.Option("--preview", help="Render a short sample of this speaker to dist/.")
    ] = None,
    cast: Annotated[Optional[Path], typer.Option("--cast", help="Cast file, merged over voices/default.toml.")] = None,
    language: Annotated[str, typer.Option("--language", help="Only voices whose language starts with this.")] = "en",
) -> None:
    """List the engine's voices and variants, and the cast of a script."""
    from .voices import cast_rows, list_voices, render_preview

    if preview:
        path = _run(lambda: render_preview(script, preview, cast))
        print(path)
        return
    from rich.console import Console
    from rich.table import Table

    engine_voices, variants, casting = _run(lambda: (*list_voices(language), cast_rows(script, cast)))
    table = Table("voice", "name", "language", title=f"Voices ({language or 'all'})")
    for v in engine_voices:
        table.add_row(v.id.rsplit("/", 1)[-1], v.name, v.language)
    console = Console(highlight=False)
    console.print(table)
    console.print("Variants: " + " ".join(variants))
    cast_table = Table("speaker", "voice", "variant", "rate", "pitch", "volume", title="Cast")
    for row in casting:
        cast_table.add_row(*row)
    console.print(cast_table)


@app.command()
def cache(
    cache_dir: CacheOpt = None,
    clear: Annotated[bool, typer.Option("--clear", help="Delete every cached segment.")] = False,
) -> None:
    """Show the segment cache's size and entry count, or clear it."""
    from .caches import CacheFolder
    from .speech.cache import default_cache_dir

    store = CacheFolder(cache_dir or default_cache_dir())
    if clear:
        print(f"removed {_run(store.clear)} entries from {store.root}")
        return
    stats = _run(store.stats)
    print(f"{stats.path}: {stats.entries} entries, {stats.bytes / 1e6:.1f} MB")


@app.command()
def revoice(
    segment: Annotated[str, typer.Argument(help="Segment id, as `podcast split` shows it.")],
    script: ScriptArg = None,
    voice: Annotated[
        Optional[str],
        typer.Option("--voice", help="New voice (see `podcast voices`), e.g. en-GB-scotland or en-US+f2."),
    ] = None,
    variant: Annotated[Optional[str], typer.Option("--variant", help="New variant, e.g. m7 or f2.")] = None,
    rate: Annotated[Optional[int], typer.Option("--rate", help="New speed in words per minute.")] = None,
    pitch: Annotated[Optional[int], typer.Option("--pitch", help="New base pitch, 0–99.")] = None,
    volume: Annotated[Optional[float], typer.Option("--volume", help="New volume, 0.0–2.0.")] = None,
    text: Annotated[Optional[str], typer.Option("--text", help="New words for the segment to say.")] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Output MP3. Default: dist/<script name>.mp3.")
    ] = None,
    cache_dir: CacheOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no summary.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="Speech engine: espeak, or tone for tests.")] = "espeak",
) -> None:
    """Change one segment's voice or words, keep it in voices/<script>.toml, update the episode."""
    from .revoice import revoice as run_revoice

    changes = dict(voice=voice, variant=variant, rate=rate, pitch=pitch, volume=volume, text=text)
    result = _run_shown(
        quiet, lambda progress: run_revoice(segment, script, out, cache_dir, progress, engine, **changes)
    )
    if not quiet:
        _stderr().print(f"synthesized {result.synthesized} segment(s), {result.cached} from the cache")
        print(result.output)


@app.command()
def doctor() -> None:
    """Say which speech engine (library, version, why), ffmpeg and cache are in use; speak once to check."""
    from .doctor import describe_tools

    lines = _run(lambda: describe_tools(speak=True))
    for line in lines:
        print(line)


EpisodeArg = Annotated[Path, typer.Argument(help="An episode MP3; chapters are read from its own CHAP/CTOC frames.")]


@app.command()
def chapters(
    episode: EpisodeArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the chapters as JSON, times in seconds.")] = False,
) -> None:
    """List the chapters stored in an MP3: number, start, end, duration, title."""
    from .listen import chapter_rows, chapters_table, read_episode

    found = _run(lambda: read_episode(episode))
    if as_json:
        print(json.dumps(chapter_rows(found), ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        Console(highlight=False).print(*chapters_table(found))


@app.command()
def extract(
    episode: EpisodeArg,
    chapter: Annotated[str, typer.Option("--chapter", "-c", help="Chapter number (1 = first) or title.")],
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Output MP3. Default: '<episode> - NN <title>.mp3' beside it.")
    ] = None,
) -> None:
    """Write one chapter as its own MP3, tagged 'Episode – Chapter'."""
    from .listen import extract_chapter

    print(_run(lambda: extract_chapter(episode, chapter, out)))


@app.command()
def play(
    episode: EpisodeArg,
    chapter: Annotated[
        Optional[str], typer.Option("--chapter", "-c", help="Start at this chapter: number (1 = first) or title.")
    ] = None,
) -> None:
    """Play an episode, or from a chapter on, with ffplay, mpv, mplayer, cvlc or afplay."""
    from .listen import play_episode

    code = _run(lambda: play_episode(episode, chapter))
    if code:
        raise typer.Exit(code)


def _usage_message(problem: click.exceptions.ClickException) -> str:
    """Click's message for a usage error, as one line that says where to look."""
    message = problem.format_message().rstrip(".")
    message = message[:1].lower() + message[1:]
    context = getattr(problem, "ctx", None)
    command = context.command_path if context else "podcast"
    if isinstance(problem, click.exceptions.NoSuchOption) and problem.option_name.startswith("-"):
        name = next((arg for arg in sys.argv[1:] if arg.startswith(problem.option_name)), problem.option_name)
        message += f" (for a file whose name starts with a dash, write ./{name} or put -- before it)"
    return f"{message}; see `{command} --help`"


def run() -> int:
    """Run the CLI and return its exit code.

    Click's standalone mode would turn Ctrl-C into "Aborted!" and exit code 1; here it
    reaches `audio.console`, which prints the one `error: interrupted` line.
    """
    _state["reported"] = False
    try:
        code = typer.main.get_command(app).main(standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    except click.exceptions.ClickException as problem:  # usage errors: one line, as every error
        print(f"error: {_usage_message(problem)}", file=sys.stderr)
        return problem.exit_code
    if code == ExitCode.INTERRUPTED and not _state["reported"]:
        # typer turns a Ctrl-C outside our commands' own handling (while one is imported)
        # into exit code 130 without a word: it is reported like any other
        raise KeyboardInterrupt
    return code if isinstance(code, int) else 0
