"""What the commands share on the terminal: errors as one line with their exit code, progress bars, warnings."""

from __future__ import annotations

import logging
import signal
import sys

import click
import typer

from .errors import ExitCode, PodcastError

state = {"debug": False, "reported": False}


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int) -> None:
    state["reported"] = True
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(int(code))


def run_action(action):
    """Run a library call, mapping its errors to one line and an exit code."""
    try:
        return action()
    except PodcastError as exc:
        if state["debug"]:
            raise
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        if state["debug"]:
            raise
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # reported once: a second one must not end us mid-exit
        fail("interrupted; the previous episode is unchanged, finished segments stay cached", ExitCode.INTERRUPTED)


def run_shown(quiet: bool, action):
    """`run_action` with progress bars, closed before an error is printed: the error is the last line."""

    def shown():
        with Progress(quiet) as progress:
            return action(progress)

    return run_action(shown)


class Progress:
    """A render reporter drawing rich progress bars on stderr."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.console = None if quiet else stderr_console()  # quiet: rich is not even imported
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

    def episode(self, name: str) -> None:
        """A render of several scripts starts the next one: the last one's stage bars give way to its."""
        if self.bars:
            for task in self.bars.tasks[1:]:  # the first bar counts the episodes
                self.bars.remove_task(task.id)
        self.note(name)


class StderrHandler(logging.Handler):
    """`warning: …` lines on whatever sys.stderr is at the moment (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)


def usage_message(problem: click.exceptions.ClickException) -> str:
    """Click's message for a usage error, as one line that says where to look."""
    message = problem.format_message().rstrip(".")
    message = message[:1].lower() + message[1:]
    context = getattr(problem, "ctx", None)
    command = context.command_path if context else "podcast"
    if isinstance(problem, click.exceptions.NoSuchOption) and problem.option_name.startswith("-"):
        name = next((arg for arg in sys.argv[1:] if arg.startswith(problem.option_name)), problem.option_name)
        message += f" (for a file whose name starts with a dash, write ./{name} or put -- before it)"
    return f"{message}; see `{command} --help`"


