"""Longer scripts for the scale steps: the example interview repeated, every repetition
a distinct text (the same text would be served from the cache).

The first repetition is the example as it is (but for its bios, see below). Each later one starts with a heading
`Introduction (Part i)`, appends ` (Part i)` to every heading and puts `In part i, ` in
front of every other voiced paragraph, after its speaker tag. The front matter (category,
date, title, lede) comes once at the top and the page chrome once at the bottom.

Which paragraphs are headings, which text follows a tag and which lines are not voiced
is read from `podcast split --json` of the example, so that the tool's own splitter,
not a guess here, decides.
"""

from __future__ import annotations

import re


def paragraphs(text: str) -> list[str]:
    """The blank-line separated blocks of a script."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def segments(split: dict) -> list[dict]:
    """Every segment of a `split --json` result, in order, with its chapter title."""
    return [{**s, "chapter": c["title"]} for c in split["chapters"] for s in c["segments"]]


def repeated_script(text: str, split: dict, times: int) -> str:
    """The script `text` (whose split is `split`) repeated `times` times, each repetition distinct."""
    blocks = paragraphs(text)
    voiced = segments(split)
    headings = {s["text"] for s in voiced if s["speaker"] == "narrator" and s["text"] == s["chapter"]}
    narration = {s["text"] for s in voiced if s["speaker"] == "narrator"} - headings
    unvoiced = {entry["text"].strip() for entry in split["not_spoken"]}
    first_question = next(s["text"] for s in voiced if s["speaker"] == "interviewer")
    start = next(i for i, p in enumerate(blocks) if p.endswith(first_question))
    end = len(blocks)
    while end > start and all(line.strip() in unvoiced for line in blocks[end - 1].splitlines()):
        end -= 1
    front, tail = blocks[:start], blocks[end:]
    # Narration among the answers (the guests' bios) must stay after the last question to
    # be read as such: every repetition's goes to the end.
    body = [b for b in blocks[start:end] if b not in narration]
    bios = [b for b in blocks[start:end] if b in narration]
    texts = sorted({s["text"] for s in voiced}, key=len, reverse=True)

    def vary(block: str, part: int) -> str:
        if block in headings or block in narration:  # a bio must begin with the guest's name
            return f"{block} (Part {part})"
        if all(line.strip() in unvoiced for line in block.splitlines()):
            return block
        said = next((t for t in texts if block.endswith(t)), None)
        if said is None:  # the splitter changed the text: vary the end, away from any tag
            return f"{block} (Part {part})"
        tag = block[: len(block) - len(said)]
        return f"{tag}In part {part}, {said}"

    out = front + body
    for part in range(2, times + 1):
        out.append(f"Introduction (Part {part})")
        out.extend(vary(block, part) for block in body)
    out += bios
    for part in range(2, times + 1):
        out.extend(vary(block, part) for block in bios)
    return "\n\n".join(out + tail) + "\n"
