"""The `podcast` command: typer options in, one library call, a summary out.

Errors from the library (`PodcastError`) become one `error: …` line on stderr and the
exit code of their kind; tracebacks only with `--debug`. Heavy modules are imported
inside the commands, so that `podcast --help` answers at once.
"""

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer

from . import __version__, cli_publish
from .errors import ExitCode
from .hooks import moment
from .terminal import StderrHandler, fail, run_action, run_shown, state, stderr_console, usage_message

moment("importing")  # a test's stopping point: Ctrl-C while the tool is being imported

app = typer.Typer(
    help="Render interview scripts as chaptered, tagged podcast episodes, offline.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich is imported only for progress and tables, so --help answers at once
)

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
    state["debug"] = debug
    moment("parsed")  # a test's stopping point: Ctrl-C between parsing and the command's own handling
    logger = logging.getLogger("audio")
    logger.setLevel(logging.DEBUG if debug else logging.WARNING)
    for handler in [h for h in logger.handlers if isinstance(h, StderrHandler)]:
        logger.removeHandler(handler)
    logger.addHandler(StderrHandler())


ScriptArg = Annotated[Optional[Path], typer.Argument(help="Script file. Default: scripts/deepseek-interview.txt.")]
CacheOpt = Annotated[
    Optional[Path],
    typer.Option("--cache-dir", help="Segment cache folder. Default: $PODCAST_CACHE_DIR or the user's cache."),
]


ScriptsArg = Annotated[
    Optional[list[Path]],
    typer.Argument(help="Scripts, or folders of scripts (each .txt and .md in it); - reads standard input. "
                        "Default: scripts/deepseek-interview.txt."),
]  # fmt: skip


@app.command()
def render(
    scripts: ScriptsArg = None,
    cast: Annotated[Optional[Path], typer.Option("--cast", help="Cast file, merged over voices/default.toml.")] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Output MP3 (one script only). Default: dist/<name>.mp3.")
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
    strict: Annotated[
        bool, typer.Option("--strict", help="What the splitter is unsure of, and for a folder what podcast "
                                            "directories would refuse, is an error.")
    ] = False,
    stereo: Annotated[
        bool, typer.Option("--stereo", help="A stereo MP3 (128 kbit/s) at -16 LUFS as measured, rather than mono "
                                            "at -19 (both -16 as heard); or [show] channels = 2.")
    ] = False,
    scheduler: Annotated[
        Optional[str], typer.Option("--scheduler", envvar="DASK_SCHEDULER_ADDRESS",
                                    help="Run the work on the Dask cluster of this scheduler (tcp://HOST:8786; "
                                         "pip install '.[cluster]'). Default: everything runs here.")
    ] = None,
) -> None:
    """Render scripts to dist/<name>.mp3 with chapters, tags and the files beside it; a folder also gets its
    show page and, with [show] url, its feed."""
    from .sound.encode import STEREO, Mp3Settings

    options = dict(cast_file=cast, cache_dir=cache_dir, force=force, engine_name=engine, workers=workers, cover=cover,
                   settings=STEREO if stereo else Mp3Settings())  # fmt: skip
    many = bool(scripts and (len(scripts) > 1 or scripts[0].is_dir()))
    if many or scheduler:
        if out is not None:
            fail("--out names one episode here; several scripts, or any on a cluster, are each written to "
                 "dist/<name>.mp3", ExitCode.USAGE)  # fmt: skip
        if scheduler:
            from .plan import default_script

            scripts, options = scripts or [default_script()], {**options, "scheduler": scheduler, "show_files": many}
        _render_many(scripts, quiet, strict, options)
        return
    from .render import render as run_render

    script = scripts[0] if scripts else None
    result = run_shown(quiet, lambda progress: run_render(script, out, reporter=progress, strict=strict, **options))
    if not quiet and not result.up_to_date:
        stderr_console().print(f"synthesized {result.synthesized} segments, {result.cached} from the cache")
    if not quiet:
        print(result.output)


def _render_many(scripts: list[Path], quiet: bool, strict: bool, options: dict) -> None:
    from .batch import render_all

    result = run_shown(quiet, lambda progress: render_all(scripts, reporter=progress, strict=strict, **options))
    counts = f"{len(result.rendered)} rendered, {len(result.up_to_date)} up to date, {len(result.failed)} failed"
    if not quiet:
        for path in [*(r.output for r in result.rendered), *result.show_files]:
            print(path)
        if not result.failed:
            stderr_console().print(counts)
    if result.failed:  # each failure was one `error:` line as it happened; the last line sums them up
        path, first = result.failed[0]
        fail(f"{counts}; the first: {first}", first.exit_code)


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
        fail(f"unknown --format {fmt!r}; use table, json or script", ExitCode.USAGE)
    episode = run_action(lambda: load_episode(script or default_script()))
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
    name: Annotated[
        Optional[str], typer.Argument(help="After `install`: the Piper voice to fetch, e.g. en_US-lessac-medium.")
    ] = None,
    preview: Annotated[
        Optional[str], typer.Option("--preview", help="Render a short sample of this speaker to dist/.")
    ] = None,
    cast: Annotated[Optional[Path], typer.Option("--cast", help="Cast file, merged over voices/default.toml.")] = None,
    language: Annotated[str, typer.Option("--language", help="Only voices whose language starts with this.")] = "en",
    engine: Annotated[
        str, typer.Option("--engine", help="Whose voices to list: espeak, or piper (the voice models found).")
    ] = "espeak",
    force: Annotated[bool, typer.Option("--force", help="With install: fetch it again even if it is there.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="With install: no progress.")] = False,
) -> None:
    """List the engine's voices (or Piper's models) and the cast of a script. `podcast voices install NAME`
    fetches a Piper voice into the user's voice folder (from $PODCAST_VOICES_URL, by default Piper's collection)."""
    from .voices import cast_rows, list_models, list_voices, render_preview

    if script is not None and str(script) == "install":
        if not name:
            fail("say which voice to install: podcast voices install NAME (e.g. en_US-lessac-medium)", ExitCode.USAGE)
        _install(name, force, quiet)
        return
    if preview:
        path = run_action(lambda: render_preview(script, preview, cast))
        print(path)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if engine == "piper":
        from .speech.engines.piper_models import PIPER_INSTALL
        from .speech.voicespec import installed

        if not installed("piper"):
            stderr_console().print(f"warning: the Piper engine is not installed; install it with: {PIPER_INSTALL}")
        table = Table("model", "language", "quality", "rate", "speakers", "found in", title="Piper voice models")
        for m in run_action(lambda: list_models(language, script)):
            speakers = f"{m.count}: {', '.join(list(m.speakers)[:3])}, …" if m.count > 3 else str(m.count)
            table.add_row(m.name, m.language, m.quality, str(m.sample_rate), speakers, m.where)
        console.print(table)
    elif engine != "espeak":
        fail(f"unknown --engine {engine!r}; use espeak or piper", ExitCode.USAGE)
    else:
        engine_voices, variants = run_action(lambda: list_voices(language))
        table = Table("voice", "name", "language", title=f"Voices ({language or 'all'})")
        for v in engine_voices:
            table.add_row(v.id.rsplit("/", 1)[-1], v.name, v.language)
        console.print(table)
        console.print("Variants: " + " ".join(variants))
    casting = run_action(lambda: cast_rows(script, cast))
    cast_table = Table("speaker", "engine", "voice", "variant", "rate", "pitch", "volume", title="Cast")
    for row in casting:
        cast_table.add_row(*row)
    console.print(cast_table)


def _install(name: str, force: bool, quiet: bool) -> None:
    from .speech.engines.piper_models import user_voice_folder
    from .speech.voicefetch import install_voice

    folder = user_voice_folder()
    written = run_shown(quiet, lambda progress: install_voice(name, folder, force=force, stage=progress.stage))
    if not quiet:
        print(f"{name} is installed in {folder}" if written else f"{name} is already installed in {folder}")


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
        print(f"removed {run_action(store.clear)} entries from {store.root}")
        return
    stats = run_action(store.stats)
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
    engine: Annotated[
        Optional[str], typer.Option("--engine", help="New engine for the segment: espeak, or piper (with --model).")
    ] = None,
    model: Annotated[
        Optional[str], typer.Option("--model", help="New Piper voice model (see `podcast voices --engine piper`).")
    ] = None,
    speaker: Annotated[
        Optional[str], typer.Option("--speaker", help="New speaker of a Piper model with several (name or number).")
    ] = None,
    length_scale: Annotated[
        Optional[float], typer.Option("--length-scale", help="New Piper pace: 1.0 the model's own, 1.2 slower.")
    ] = None,
    cast: Annotated[
        Optional[Path], typer.Option("--cast", help="The cast the episode is rendered with; the change is kept in it. "
                                                    "Default: voices/<script name>.toml.")
    ] = None,
) -> None:
    """Change one segment's voice or words, keep it in voices/<script>.toml, update the episode."""
    from .revoice import revoice as run_revoice

    changes = dict(voice=voice, variant=variant, rate=rate, pitch=pitch, volume=volume, text=text, engine=engine,
                   model=model, speaker=speaker, length_scale=length_scale)  # fmt: skip
    result = run_shown(
        quiet, lambda progress: run_revoice(segment, script, out, cache_dir, progress, cast_file=cast, **changes)
    )
    if not quiet:
        stderr_console().print(f"synthesized {result.synthesized} segment(s), {result.cached} from the cache")
        print(result.output)


@app.command()
def doctor() -> None:
    """Say which speech engine (library, version, why), ffmpeg and cache are in use; speak once to check."""
    from .doctor import describe_tools

    lines = run_action(lambda: describe_tools(speak=True))
    for line in lines:
        print(line)


def run() -> int:
    """Run the CLI and return its exit code.

    Click's standalone mode would turn Ctrl-C into "Aborted!" and exit code 1; here it
    reaches `audio.console`, which prints the one `error: interrupted` line.
    """
    state["reported"] = False
    try:
        code = typer.main.get_command(app).main(standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    except click.exceptions.ClickException as problem:  # usage errors: one line, as every error
        print(f"error: {usage_message(problem)}", file=sys.stderr)
        return problem.exit_code
    if code == ExitCode.INTERRUPTED and not state["reported"]:
        # typer turns a Ctrl-C outside our commands' own handling (while one is imported)
        # into exit code 130 without a word: it is reported like any other
        raise KeyboardInterrupt
    return code if isinstance(code, int) else 0


for _command in (cli_publish.feed, cli_publish.serve, cli_publish.chapters, cli_publish.extract, cli_publish.play):
    app.command()(_command)
