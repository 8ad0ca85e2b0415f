"""Reading text files as users hand them to us: any of the usual encodings and line ends."""

from __future__ import annotations

import codecs
import logging
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


def read_text(path: Path) -> str:
    """Read a script: UTF-8 (with or without BOM) or UTF-16 with BOM, else cp1252 with a warning.

    Line ends are normalised to `\\n`. Raises `ScriptError` for a missing file, a
    directory, an empty, oversized or binary file.
    """
    path = Path(path)
    if not path.exists():
        raise ScriptError("no such file; check the path", path)
    if path.is_dir():
        raise ScriptError("is a directory, not a script; name a .txt file in it", path)
    try:
        size = path.stat().st_size
        if size > MAX_SCRIPT_BYTES:
            raise ScriptError(
                f"is {size / 1e6:.1f} MB; scripts are limited to {MAX_SCRIPT_BYTES // 2**20} MiB "
                f"(some {MAX_SCRIPT_BYTES / WORD_BYTES / WORDS_PER_HOUR:.0f} hours of speech): "
                "split it into several episodes",
                path,
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"cannot be read ({exc.strerror or exc})", path) from exc
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
