"""Where a project's files are: its root, its casts and its lexicon (also the built-in ones).

Kept apart from `cast`, so that finding an episode up to date reads no more code than it needs.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

DEFAULT_CAST = "default.toml"
LEXICON = "lexicon.toml"


def project_root(script: Path | None = None) -> Path:
    """The project a script belongs to: the nearest folder above it with a `voices/` folder, else cwd."""
    if script is not None and not is_stream(script):  # a stream is in the current folder's project
        try:
            folders = Path(script).resolve().parents
        except (OSError, RuntimeError):  # a loop of symbolic links: the reading of the script reports it
            folders = Path(script).absolute().parents
        for folder in folders:
            if (folder / "voices").is_dir():
                return folder
    return Path.cwd()


def builtin_file(name: str) -> Path:
    """A cast or lexicon file shipped inside the package (a copy of `voices/`)."""
    return Path(str(resources.files("audio") / "defaults" / name))


def voices_folder(script: Path | None = None) -> Path:
    """The `voices/` folder for a script's project."""
    return project_root(script) / "voices"


def default_cast_path(script: Path | None = None) -> Path:
    """`voices/default.toml` of the project, else the built-in one."""
    local = voices_folder(script) / DEFAULT_CAST
    return local if local.is_file() else builtin_file(DEFAULT_CAST)


_STREAM = re.compile(r"^(-|/dev/stdin|/dev/fd/\d+|/proc/(self|\d+)/fd/\d+)$")
"""Scripts that are streams, not files: standard input, a pipe the shell names (`<(cat script)`)."""


def is_stream(script: Path | str) -> bool:
    """True for a script given as standard input or a pipe the shell names: it has no name or project of its own."""
    return bool(_STREAM.match(str(script)))


def script_name(script: Path) -> str:
    """The name episodes take from their script: its file name without the suffix; `stdin` for a stream."""
    return "stdin" if is_stream(script) else Path(script).stem


def episode_cast_path(script: Path) -> Path:
    """`voices/<script name>.toml`, whether or not it exists."""
    return voices_folder(script) / f"{script_name(script)}.toml"


def lexicon_path(script: Path | None = None) -> Path:
    """`voices/lexicon.toml` of the project, else the built-in one."""
    local = voices_folder(script) / LEXICON
    return local if local.is_file() else builtin_file(LEXICON)
