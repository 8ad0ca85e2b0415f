"""Reading text files as users hand them to us: any of the usual encodings and line ends."""

from __future__ import annotations

import codecs
import errno
import logging
import os
import stat
import sys
from pathlib import Path

from ..errors import ScriptError

log = logging.getLogger(__name__)

MAX_SCRIPT_BYTES = 1024 * 1024
"""Scripts above this size are refused at once. A MiB of text is about 175,000 words, some
18 hours of speech; a three-hour interview is about 200 KB. A bigger file is not one
episode, and its render would run for a day."""
WORD_BYTES = 6
"""About how many bytes of English text make one word, with its space."""
WORDS_PER_HOUR = 160 * 60
"""espeak-ng's usual pace."""


STDIN = "-"
"""The script name that reads the script from standard input."""


def read_script_bytes(path: Path) -> bytes:
    """A script's bytes, read once (a pipe or a FIFO gives its bytes only once); `-` is standard input.

    Raises `ScriptError` for a missing file, a loop of symbolic links, a directory, an
    unreadable or oversized file. At most one byte more than the limit is ever read, so a
    device that never ends (`/dev/zero`) is refused too.
    """
    path = Path(path)
    if str(path) == STDIN:
        return _bounded(sys.stdin.buffer, path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScriptError("no such file; check the path", path) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ScriptError("is a loop of symbolic links; point it at a script file", path) from None
        raise ScriptError(f"cannot be read ({exc.strerror or exc})", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScriptError("is a directory, not a script; name a .txt file in it", path)
    if stat.S_ISREG(info.st_mode) and info.st_size > MAX_SCRIPT_BYTES:
        raise _too_big(info.st_size, path)
    try:
        with open(path, "rb") as stream:
            return _bounded(stream, path)
    except OSError as exc:
        raise ScriptError(f"cannot be read ({exc.strerror or exc})", path) from exc


def _bounded(stream, path: Path) -> bytes:
    data = stream.read(MAX_SCRIPT_BYTES + 1)
    if len(data) > MAX_SCRIPT_BYTES:
        raise _too_big(len(data), path, more=True)
    return data


def _too_big(size: int, path: Path, more: bool = False) -> ScriptError:
    return ScriptError(
        f"is {'more than ' if more else ''}{size / 1e6:.1f} MB; scripts are limited to {MAX_SCRIPT_BYTES // 2**20} MiB "
        f"(some {MAX_SCRIPT_BYTES / WORD_BYTES / WORDS_PER_HOUR:.0f} hours of speech): split it into several episodes",
        path,
    )


def read_text(path: Path, raw: bytes | None = None) -> str:
    """Read a script (or decode its bytes `raw`, read before): UTF-8 (with or without BOM) or UTF-16 with BOM,
    else cp1252 with a warning.

    Line ends are normalised to `\\n`. Raises `ScriptError` for what `read_script_bytes`
    refuses, and for an empty or binary file.
    """
    path = Path(path)
    raw = read_script_bytes(path) if raw is None else raw
    if not raw:
        raise ScriptError("is empty; put the interview's text in it", path)
    text = decode_text(raw, path)
    if not text.strip():
        raise ScriptError("holds only blank lines; put the interview's text in it", path)
    return text


def decode_text(raw: bytes, path: Path | None = None) -> str:
    """Decode the bytes of a text file; see `read_text`."""
    if raw.startswith(codecs.BOM_UTF8):
        text = raw[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16", errors="replace")
    else:
        if b"\x00" in raw[:65536]:
            raise ScriptError("looks like a binary file, not a text script", path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("%s is not UTF-8; read it as Windows-1252 (cp1252)", path or "input")
            text = raw.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\t\f\v")
    if controls > max(8, len(text[:65536]) // 100):
        raise ScriptError("looks like a binary file, not a text script", path)
    return text
