"""The explicit script: every paragraph tagged, written by `podcast split --format script`.

A person edits it to fix an assignment; `split` and `render` read it back literally::

    +++
    title = "DeepSeek: 'Don't trust …'"
    date = 2025-02-02
    lede = "Founder Liang Wenfeng …"
    author = "…"                      # when the article has a byline
    [speakers]
    HU = { name = "Hans Uszkoreit", role = "guest" }
    +++

    # Introduction

    narrator: DeepSeek: 'Don't trust …'

    interviewer: As renowned AI experts, were you surprised by DeepSeek's success?

    HU: We knew that the company existed. …

    % not voiced (page chrome): Teilen
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from ..errors import ScriptError
from ..model import INTERVIEWER, NARRATOR, ROLE_GUEST, Chapter, Episode, NotSpoken, Segment, Speaker
from .ids import assign_ids

FENCE = "+++"
_TAGGED = re.compile(r"^(?P<tag>[^:\s][^:]{0,40}?)\s*:\s(?P<text>.*)$")
_NOT_VOICED = re.compile(r"^% not voiced \((?P<reason>.*?)\): (?P<text>.*)$")
_ROLES = (NARRATOR, INTERVIEWER, ROLE_GUEST)


def is_explicit(text: str) -> bool:
    """True if the text is an explicit script (it opens with a `+++` front matter block)."""
    return text.lstrip("\ufeff \n").startswith(FENCE + "\n")


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes, plus DEL, which TOML also forbids raw."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def format_explicit(episode: Episode) -> str:
    """The episode as an explicit script that `parse_explicit` reads back to the same episode."""
    out = [
        FENCE,
        "# An explicit podcast script: change a paragraph's tag to change its speaker,",
        "# edit names below; `podcast render` reads this file exactly as written.",
        f"title = {_toml_string(episode.title)}",
    ]
    if episode.date:
        out.append(f"date = {episode.date.isoformat()}")
    out.append(f"lede = {_toml_string(episode.lede)}")
    if episode.author:
        out.append(f"author = {_toml_string(episode.author)}")
    out.append("")
    out.append("[speakers]")
    for s in episode.speakers:
        key = s.tag if re.fullmatch(r"[A-Za-z0-9_-]+", s.tag) else _toml_string(s.tag)
        out.append(f"{key} = {{ name = {_toml_string(s.name)}, role = {_toml_string(s.role)} }}")
    out.append(FENCE)
    for chapter in episode.chapters:
        out += ["", f"# {chapter.title}"]
        for seg in chapter.segments:
            out += ["", f"{seg.speaker}: {seg.text}"]
    if episode.not_spoken:
        out.append("")
        out += [f"% not voiced ({n.reason}): {n.text}" for n in episode.not_spoken]
    return "\n".join(out) + "\n"


def parse_explicit(text: str, path: Path | None = None) -> Episode:
    """Read an explicit script. Raises `ScriptError` naming the line for anything it cannot read."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == FENCE)
    try:
        end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == FENCE)
    except StopIteration:
        raise ScriptError(f"front matter opened with {FENCE} is never closed", path, start + 1) from None
    try:
        meta = tomllib.loads("\n".join(lines[start + 1 : end]))
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"front matter is not valid TOML ({exc})", path, start + 1) from None

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ScriptError("front matter needs a title = \"…\"", path, start + 1)
    speakers = _speakers(meta.get("speakers", {}), path, start + 1)

    chapters, not_spoken = _body(lines, end + 2, speakers, path)
    order = list(dict.fromkeys(s.speaker for _, segs in chapters for s in segs))
    date = meta.get("date")
    if date is not None and not hasattr(date, "isoformat"):
        raise ScriptError("date must be written as YYYY-MM-DD", path, start + 1)
    return Episode(
        title=title.strip(),
        speakers=tuple(speakers[t] for t in order),
        chapters=tuple(assign_ids([Chapter(t, tuple(segs)) for t, segs in chapters if segs])),
        not_spoken=tuple(not_spoken),
        date=date,
        lede=str(meta.get("lede", "")),
        author=str(meta.get("author", "")),
        source=path,
    )


def _body(lines: list[str], first: int, speakers: dict[str, Speaker], path: Path | None):
    """(chapters as (title, segments), lines not voiced) of the script's body, from line `first` (1-based) on."""
    chapters: list[tuple[str, list[Segment]]] = []
    not_spoken: list[NotSpoken] = []
    current: Segment | None = None
    for number in range(first, len(lines) + 1):
        line = lines[number - 1].strip()
        if not line:
            current = None
            continue
        if line.startswith("%"):
            m = _NOT_VOICED.match(line)
            if m:
                not_spoken.append(NotSpoken(number, m.group("text"), m.group("reason")))
            current = None
            continue
        if line.startswith("#"):
            chapters.append((line.lstrip("#").strip(), []))
            current = None
            continue
        if current is not None:  # a paragraph wrapped over several lines
            segs = chapters[-1][1]
            segs[-1] = current = Segment("", current.speaker, f"{current.text} {line}", current.line, number)
            continue
        m = _TAGGED.match(line)
        if not m or not m.group("text").strip():
            raise ScriptError("paragraph has no speaker tag; write it as `TAG: words`", path, number)
        tag = m.group("tag").strip()
        if tag not in speakers:
            known = ", ".join(speakers)
            raise ScriptError(f"unknown speaker {tag!r}; the front matter names {known}", path, number)
        if not chapters:
            raise ScriptError("paragraph before the first `# chapter` heading", path, number)
        current = Segment("", tag, m.group("text").strip(), number, number)
        chapters[-1][1].append(current)

    return chapters, not_spoken


def _speakers(table: object, path: Path | None, line: int) -> dict[str, Speaker]:
    if not isinstance(table, dict):
        raise ScriptError("[speakers] must be a table of TAG = { name = …, role = … }", path, line)
    speakers = {
        NARRATOR: Speaker(NARRATOR, "Narrator", NARRATOR),
        INTERVIEWER: Speaker(INTERVIEWER, "Interviewer", INTERVIEWER),
    }
    for tag, spec in table.items():
        if isinstance(spec, str):
            spec = {"name": spec}
        if not isinstance(spec, dict):
            raise ScriptError(f"speaker {tag!r} must be {{ name = …, role = … }}", path, line)
        role = spec.get("role", tag if tag in (NARRATOR, INTERVIEWER) else ROLE_GUEST)
        if role not in _ROLES:
            raise ScriptError(f"speaker {tag!r} has role {role!r}; use one of {', '.join(_ROLES)}", path, line)
        speakers[tag] = Speaker(tag, str(spec.get("name", tag)), role)
    return speakers
