"""Doubt said out loud (issue 14): what a split is unsure of, in `split`, `split --json`, `render` and `--strict`."""

from __future__ import annotations

import json

from helpers import ROOT, TWO_GUESTS, last_error, podcast

from audio.text.script import load_episode


def doubts(text: str, tmp_path):
    script = tmp_path / "doubt.txt"
    script.write_text(text, encoding="utf-8")
    return load_episode(script).doubts


def kinds(text: str, tmp_path) -> list[tuple[str, int]]:
    return [(d.kind, d.line) for d in doubts(text, tmp_path)]


def test_the_example_and_the_clean_interviews_raise_no_doubt():
    clean = [ROOT / "scripts" / "deepseek-interview.txt", *sorted((ROOT / "tests/data/interviews").glob("*.txt"))]
    for script in clean:
        assert [d for d in load_episode(script).doubts if d.kind != "short-heading"] == [], script


def test_no_guest(tmp_path):
    assert kinds("A title\n\nSome narration, and no one else.\n\nMore of it.\n", tmp_path) == [("no-guest", 0)]


def test_answers_that_do_not_say_who_gives_them(tmp_path):
    text = "A title\n\nWhat is it?\n\nIt is a thing.\n\nAnd then?\n\nThen another.\n"
    assert kinds(text, tmp_path) == [("unnamed-guest", 0)]  # the whole split rests on question marks
    assert kinds("A title\n\nQ. What is it?\n\nA. A thing.\n", tmp_path) == [("unnamed-guest", 0)]


def test_an_interviewer_never_heard(tmp_path):
    text = "A title\n\nJS: We build robots.\n\nRK: And I make them talk.\n\nJS: Mostly in farming.\n"
    assert kinds(text, tmp_path) == [("no-interviewer", 0)]


def test_a_tag_seen_once_next_to_a_frequent_one(tmp_path):
    text = "A title\n\n" + "".join(f"Question {n}?\n\nRK: Answer {n}.\n\n" for n in range(4)) + "Why?\n\nRM: Because.\n"
    text += "\nAnd you?\n\nJS: Me too.\n\nAgain?\n\nJS: Yes.\n\nOnce more?\n\nJS: Yes!\n"
    assert ("tag-once", text.splitlines().index("RM: Because.") + 1) in kinds(text, tmp_path)
    once = [d.message for d in doubts(text.replace("RM:", "AUDIENCE MEMBER:"), tmp_path) if d.kind == "tag-once"]
    assert len(once) == 1 and once[0].startswith("tag AUDIENCE MEMBER is used once, someone heard once, or a typo?")


def test_a_long_run_after_a_question(tmp_path):
    text = "A title\n\nWhat happened?\n\nJS: First this.\n\n" + "".join(f"Then step {n}.\n\n" for n in range(7))
    text += "And you?\n\nRK: Nothing.\n"
    assert ("long-run", 5) in kinds(text, tmp_path)


def test_a_one_word_heading(tmp_path):
    text = TWO_GUESTS.replace("Swarms in the wild", "Outlook")
    assert ("short-heading", text.splitlines().index("Outlook") + 1) in kinds(text, tmp_path)


def test_doubts_in_split_render_and_strict(project, tone_cast):
    script = project / "scripts" / "untagged.txt"
    script.write_text("Untagged\n\nA monologue, and no one else.\n", encoding="utf-8")
    split = podcast("split", script, "--json", cwd=project)
    (warning,) = json.loads(split.stdout)["warnings"]
    assert warning["kind"] == "no-guest" and "podcast split --format script" in warning["message"]
    assert "Unsure of:" in podcast("split", script, cwd=project).stdout
    done = podcast("render", script, "--engine", "tone", "--cast", tone_cast, "-q", cwd=project)
    assert done.returncode == 0 and f"warning: {script}: no guest found" in done.stderr
    strict = podcast("render", script, "--engine", "tone", "--cast", tone_cast, "-q", "--strict", cwd=project)
    assert "no guest found" in last_error(strict, 3)


def test_an_explicit_script_raises_no_doubt(project):
    fixed = podcast("split", "scripts/tiny.txt", "--format", "script", cwd=project).stdout
    script = project / "scripts" / "fixed.txt"
    script.write_text(fixed.replace("JS:", "interviewer:", 1), encoding="utf-8")
    assert json.loads(podcast("split", script, "--json", cwd=project).stdout)["warnings"] == []
