"""How a split episode is shown to people: the JSON of `podcast split --json` and its table."""

from __future__ import annotations

from ..model import Episode


def episode_json(episode: Episode) -> dict:
    """The split as `podcast split --json` prints it."""
    return {
        "title": episode.title,
        "date": episode.date.isoformat() if episode.date else None,
        "author": episode.author,
        "speakers": [{"tag": s.tag, "name": s.name, "role": s.role} for s in episode.speakers],
        "chapters": [
            {"title": c.title, "segments": [{"id": s.id, "speaker": s.speaker, "text": s.text} for s in c.segments]}
            for c in episode.chapters
        ],
        "not_spoken": [{"text": n.text, "reason": n.reason} for n in episode.not_spoken],
        "warnings": [{"line": d.line, "kind": d.kind, "message": d.message} for d in episode.doubts],
    }


def _first_words(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + " …"


def episode_table(episode: Episode) -> list:
    """Rich renderables: a heading, the segment table, the lines not voiced."""
    from rich.markup import escape
    from rich.table import Table

    head = f"[bold]{escape(episode.title)}[/bold]" + (f"  ({episode.date.isoformat()})" if episode.date else "")
    head += f"  by {escape(episode.author)}" if episode.author else ""
    names = ", ".join(f"{s.tag} = {s.name}" for s in episode.guests)
    table = Table("id", "ch", "chapter", "speaker", "first words", box=None, pad_edge=False)
    for number, chapter in enumerate(episode.chapters, start=1):
        for seg in chapter.segments:
            table.add_row(seg.id, str(number), _first_words(chapter.title, 28), seg.speaker, _first_words(seg.text))
    out = [head, f"guests: {names}" if names else "guests: none found", table]
    if episode.not_spoken:
        skipped = Table("line", "not voiced", "why", box=None, pad_edge=False)
        for n in episode.not_spoken:
            skipped.add_row(str(n.line), _first_words(n.text, 50), n.reason)
        out += ["", skipped]
    if episode.doubts:
        out += ["", "[bold]Unsure of:[/bold]"]
        out += [f"  line {d.line}: {escape(d.message)}" if d.line else f"  {escape(d.message)}" for d in episode.doubts]
    return out
