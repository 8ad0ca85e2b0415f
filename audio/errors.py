"""Typed errors. The CLI turns each into one `error: …` line and an exit code."""

from __future__ import annotations

import enum
from pathlib import Path


class ExitCode(enum.IntEnum):
    """Documented exit codes of the `podcast` command."""

    OK = 0
    USAGE = 2
    SCRIPT = 3
    CAST = 4
    ENGINE = 5
    ENCODING = 6
    TAGGING = 7
    OUTPUT = 8
    BUSY = 9
    CLUSTER = 10
    INTERRUPTED = 130


class PodcastError(Exception):
    """Base of every error the tool reports to users."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}"
            if self.line:
                where += f":{self.line}"
            where += ": "
        return where + self.message


class ScriptError(PodcastError):
    """The script cannot be read or has nothing to say."""

    exit_code = ExitCode.SCRIPT


class CastError(PodcastError):
    """A cast or lexicon file is wrong."""

    exit_code = ExitCode.CAST


class EngineError(PodcastError):
    """The speech engine is missing or failed."""

    exit_code = ExitCode.ENGINE


class EncodingError(PodcastError):
    """ffmpeg is missing or failed to encode or decode."""

    exit_code = ExitCode.ENCODING


class TaggingError(PodcastError):
    """Tags or chapters cannot be written or read."""

    exit_code = ExitCode.TAGGING


class OutputError(PodcastError):
    """The output cannot be written."""

    exit_code = ExitCode.OUTPUT


NO_SPACE = "no space left on the device; free some space and run again"
"""The message of an `OutputError` for a full disk, whichever step ran out of space."""


class BusyError(PodcastError):
    """Another render of the same episode is running."""

    exit_code = ExitCode.BUSY


class ClusterError(PodcastError):
    """The Dask scheduler cannot be reached, or the cluster lost the render's work."""

    exit_code = ExitCode.CLUSTER
