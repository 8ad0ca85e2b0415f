"""The lexicon: whole-word respellings applied to a segment's text before it is spoken (`voices/lexicon.toml`)."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CastError
from ..paths import lexicon_path
from .cast import read_toml


class Lexicon:
    """Whole-word respellings applied to the text before synthesis.

    Keys with a capital letter match case-sensitively (`AI`, `Xu`); all-lowercase keys
    match in any case. All entries are applied in one pass, longest first, so a
    respelling is never respelled again.
    """

    def __init__(self, entries: dict[str, str], source: Path | None = None):
        self.entries = dict(entries)
        self.source = source
        keys = sorted(self.entries, key=len, reverse=True)
        if keys:
            sensitive = [re.escape(k) for k in keys if k != k.lower()]
            insensitive = [re.escape(k) for k in keys if k == k.lower()]
            parts = []
            if sensitive:
                parts.append("(?:" + "|".join(sensitive) + ")")
            if insensitive:
                parts.append("(?i:" + "|".join(insensitive) + ")")
            self._pattern: re.Pattern | None = re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")
        else:
            self._pattern = None
        self._lower = {k.lower(): v for k, v in self.entries.items() if k == k.lower()}

    def apply(self, text: str) -> str:
        """The text as the engine should read it."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._respelling(m.group(0)), text)

    def _respelling(self, word: str) -> str:
        """The respelling of a word the pattern matched: by the exact key, else the key it matches in any case.

        Lowering a word may change its length (`İ` becomes `i` and a combining dot), so
        the key is found by matching, not by lowering.
        """
        if word in self.entries:
            return self.entries[word]
        found = self._lower.get(word.lower())
        if found is not None:
            return found
        return next(v for k, v in self._lower.items() if re.fullmatch(re.escape(k), word, re.IGNORECASE))


def load_lexicon(script: Path | None = None, path: Path | None = None) -> Lexicon:
    """Read a lexicon: a `[words]` table of word = "respelling"."""
    path = Path(path) if path else lexicon_path(script)
    raw = read_toml(path)
    unknown = set(raw) - {"words"}
    if unknown:
        raise CastError(f"unknown table {sorted(unknown)[0]!r}; a lexicon has only [words]", path)
    words = raw.get("words", {})
    if not isinstance(words, dict):
        raise CastError("[words] must be a table of word = \"respelling\"", path)
    for word, spoken in words.items():
        if not isinstance(spoken, str):
            raise CastError(f"entry {word!r} must be a string respelling", path)
        if not word.strip() or not spoken.strip():
            raise CastError(f"entry {word!r} is empty; give it a respelling or remove it", path)
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", spoken):
            raise CastError(f"entry {word!r} is recursive: its respelling {spoken!r} contains the word itself", path)
    return Lexicon(words, path)
