"""Interviews from the wild (issue 14): the formats real pages come in, and the hand-labelled corpus."""

from __future__ import annotations

import difflib
import json
from collections import Counter

import pytest
from helpers import ROOT, podcast

from audio.text.script import load_episode

WILD = ROOT / "tests" / "data" / "interviews" / "wild"
FLOOR = 0.965
"""The share of the corpus's paragraphs that go to the right speaker today, 805 of 832 (issue 14 asks for 0.95): it
may only rise. The first sixteen interviews are at 99.7%; the three batches held out while the rules were written
were at 69%, 75% and 72% when first split (SOURCES.md)."""


def episode_of(text: str, tmp_path):
    """The split of a script with this text."""
    script = tmp_path / "wild.txt"
    script.write_text(text, encoding="utf-8")
    return load_episode(script)


def split(text: str, tmp_path) -> list[tuple[str, str]]:
    return [(s.speaker, s.text) for s in episode_of(text, tmp_path).segments]


def test_q_and_a_markers_with_a_full_stop_a_colon_or_a_word(tmp_path):
    text = "A title\n\nQ. What is it?\n\nA.\u00a0A thing.\n\nQuestion: And then?\n\nAnswer: Another.\n\n**Q:** Why?\n"
    text += "\n**A:** Because.\n"
    assert split(text, tmp_path)[1:] == [
        ("interviewer", "What is it?"), ("GUEST", "A thing."), ("interviewer", "And then?"), ("GUEST", "Another."),
        ("interviewer", "Why?"), ("GUEST", "Because."),
    ]  # fmt: skip


def test_an_answer_on_the_line_after_its_question(tmp_path):
    text = "A title\n\nIs that new?\nI'm not sure, it seems old.\n\nWhy?\nBecause it is.\n"
    assert split(text, tmp_path)[1:] == [("interviewer", "Is that new?"), ("GUEST", "I'm not sure, it seems old."),
                                         ("interviewer", "Why?"), ("GUEST", "Because it is.")]  # fmt: skip


def test_questions_as_headings_and_an_answer_that_asks_itself(tmp_path):
    text = "A title\n\nWhat hardware do you use?\n\nA laptop. Nothing else.\n\n"
    text += "One villain is easy. Is it that simple?\n"
    text += "\nStarting over\n\nWhat now?\n\nSlower.\n"
    assert split(text, tmp_path)[1:] == [
        ("interviewer", "What hardware do you use?"), ("GUEST", "A laptop. Nothing else."),
        ("GUEST", "One villain is easy. Is it that simple?"), ("narrator", "Starting over"),
        ("interviewer", "What now?"), ("GUEST", "Slower."),
    ]  # fmt: skip


def test_sounds_and_timestamps_are_not_voiced_and_notes_are_the_narrators(tmp_path):
    text = "A title\n\nHow did it start?\n\nJS: [LAUGHTER] With a loom.\n\n[CROSSTALK]\n\n[27:32]\n\n"
    text += "COMMERCIAL BREAK\n\n"
    text += "RK: (laughs) Yes.\n\n[Note: This interview was edited.]\n"
    episode = episode_of(text, tmp_path)
    assert [(s.speaker, s.text) for s in episode.segments][1:] == [
        ("interviewer", "How did it start?"), ("JS", "With a loom."), ("RK", "Yes."),
        ("narrator", "Note: This interview was edited."),
    ]  # fmt: skip
    assert [(n.text, n.reason) for n in episode.not_spoken] == [
        (line, "a sound or a timestamp") for line in ("[CROSSTALK]", "[27:32]", "COMMERCIAL BREAK")
    ]


def test_a_bare_q_and_a_long_tag_then_its_initials(tmp_path):
    text = "A title\n\nQ How loud is a street?\n\nProf. Joanna Dale: About seventy decibels.\n\n"
    text += "Dr. Rana Khalil (RK): At night it matters most.\n\nQ Why?\n\nJD: Sleep.\n\nRK: And stress.\n"
    assert split(text, tmp_path)[1:] == [
        ("interviewer", "How loud is a street?"), ("JD", "About seventy decibels."),
        ("RK", "At night it matters most."), ("interviewer", "Why?"), ("JD", "Sleep."), ("RK", "And stress."),
    ]  # fmt: skip


def test_the_interviewers_name_when_the_text_gives_it(tmp_path):
    text = "A title\n\nLena Park (LP): How did you start?\n\nFrederico Silva (FSM): By fixing a typo.\n\n"
    text += "LP: And then?\n\nFSM: Then a bug.\n\nLP: Why stay?\n\nFSM: The people.\n"
    assert episode_of(text, tmp_path).speaker("interviewer").name == "Lena Park"


def test_a_show_with_two_hosts_and_a_guest(tmp_path):
    text = "Ep. 1: Sourdough\n\nKATHY: Welcome. I'm Kathy.\nMOLLY: And I'm Molly.\nKATHY: Our guest is Rafael. Hi?\n"
    text += "RAFAEL: Hello, and thanks for having me on the show today.\nMOLLY: So what is a starter?\n"
    text += "RAFAEL: Flour and water, colonised by wild yeast and by lactic acid bacteria, all of them.\n"
    episode = episode_of(text, tmp_path)
    assert [(s.tag, s.name, s.role) for s in episode.speakers] == [
        ("narrator", "Narrator", "narrator"), ("interviewer", "Kathy", "interviewer"),
        ("MOLLY", "Molly", "interviewer"), ("RAFAEL", "RAFAEL", "guest"),
    ]  # fmt: skip


def accuracy(name: str) -> tuple[int, int]:
    """(paragraphs to the right speaker, paragraphs) for one labelled interview."""
    return accuracy_of(load_episode(WILD / f"{name}.txt"), name)


def test_every_paragraph_still_wrong_is_covered_by_a_doubt():
    uncovered = []
    for expected_path in sorted(WILD.glob("*.expected.json")):
        name = expected_path.name[: -len(".expected.json")]
        episode = load_episode(WILD / f"{name}.txt")
        lines = {d.line for d in episode.doubts}
        uncovered += [f"{name}:{line}" for line in wrong_lines(episode, name) if 0 not in lines and line not in lines]
    # a doubt about the whole split (line 0: answers that do not say who gives them) covers every paragraph
    assert uncovered == []


def wrong_lines(episode, name: str) -> list[int]:
    """The lines of the paragraphs of a split that go to the wrong speaker, or were lost in another (0)."""
    return accuracy_of(episode, name, wrong=True)


def accuracy_of(episode, name: str, wrong: bool = False):
    """(paragraphs to the right speaker, paragraphs) of a split of one labelled interview; with `wrong`, the lines
    of the paragraphs that are not. A guest's tag is a name, so each guest found counts as the labelled guest it
    stands for most often; hosts must be interviewers."""
    expected = json.loads((WILD / f"{name}.expected.json").read_text(encoding="utf-8"))
    want = [(speaker, text) for chapter in expected["chapters"] for speaker, text in chapter["segments"]]
    roles = {s.tag: s.role for s in episode.speakers}  # a host is an interviewer, whatever the tag
    got = [("interviewer" if roles[s.speaker] == "interviewer" else s.speaker, s.text.strip()[:30])
           for s in episode.segments]  # fmt: skip
    matcher = difflib.SequenceMatcher(a=[t for _, t in want], b=[t for _, t in got], autojunk=False)
    matched = [(want[a + k][0], b + k) for a, b, n in matcher.get_matching_blocks() for k in range(n)]
    pairs = [(w, got[b][0]) for w, b in matched]
    role = lambda tag: "interviewer" if tag.startswith("interviewer") else tag  # noqa: E731
    guests = Counter((g, w) for w, g in pairs if role(w) not in ("narrator", "interviewer") and g != "narrator"
                     and g != "interviewer")  # fmt: skip
    mapping: dict[str, str] = {}
    for (g, w), _ in guests.most_common():
        if g not in mapping and w not in mapping.values():
            mapping[g] = w
    if wrong:
        lines = [episode.segments[b].line for w, b in matched if role(w) != role(mapping.get(got[b][0], got[b][0]))]
        return lines + [0] * (len(want) - len(pairs))  # 0: a paragraph lost in another
    return sum(1 for w, g in pairs if role(w) == role(mapping.get(g, g))), len(want)


@pytest.mark.parametrize("name", sorted(p.name[: -len(".expected.json")] for p in WILD.glob("*.expected.json")))
def test_every_wild_interview_splits_without_error(name):
    right, total = accuracy(name)
    assert total and right > 0


CHROME_VOICED = [
    "Commissions are open. Current waiting list: about 18 months.",  # a shop's note after the guest's bio: the bio's
    "threadwell", "934", "Ask anyone anything. Verified guests only.",  # a forum's name, a vote count, its motto
    "Harbor Pavilion, Fairport, Oregon, USA",  # a venue under a press conference's date
    "Power outage map: Check the status in your area",  # a station's link after its transcript
    "“Every poem is a letter I was too scared to send”: Hana Iveson on Small Hours",  # a related interview's title
]  # fmt: skip
"""The corpus's chrome lines (its `not_spoken`, 613 of them) still voiced."""


def test_page_chrome_of_the_corpus_is_not_read_aloud():
    """Chrome's forms are looked for outside the conversation (inside it only the forms that are never anyone's words,
    a box of them, or an advertisement under its label), so that no one's words are ever dropped for them."""
    voiced = []
    for expected_path in sorted(WILD.glob("*.expected.json")):
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        episode = load_episode(expected_path.with_name(expected_path.name.replace(".expected.json", ".txt")))
        texts, reported = [s.text for s in episode.segments], {n.text for n in episode.not_spoken}
        voiced += [line for line in expected["not_spoken"] if line not in reported  # not a host saying the show's name
                   and any(t == line or t.startswith(line + " ") for t in texts)]  # fmt: skip
    assert sorted(voiced) == sorted(CHROME_VOICED)


def test_the_corpus_splits_at_least_as_well_as_today():
    results = [accuracy(p.name[: -len(".expected.json")]) for p in sorted(WILD.glob("*.expected.json"))]
    share = sum(r for r, _ in results) / sum(t for _, t in results)
    assert share >= FLOOR, f"{share:.1%} of the corpus's paragraphs to the right speaker, below {FLOOR:.0%}"


@pytest.mark.parametrize(
    "line",
    [
        "MV: The code is licensed under the GPL, and the data is in the public domain since 2012.",
        "MV: Our foundation is a registered charity, so donations help.",
        "KB: Viele sagen zu mir: «Das ist kein Luxusproblem.»",
        "MV: By train mostly.",
        "MV: Von Anfang an.",
    ],
)
def test_words_that_look_like_chrome_are_still_someones(line, tmp_path):
    text = f"A title\n\nHow did it go?\n\n{line}\n\nAnd then?\n\nMV: Then it went on.\n\nKB: Yes.\n"
    tag, words = line.split(": ", 1)
    assert (tag, words) in split(text, tmp_path)


def test_initials_are_no_markers_and_answering_guests_no_hosts(tmp_path):
    text = "A title\n\nLena Park (LP): Dr. Ortiz, what did you find?\n\nDr. Ben Ortiz (BO): Two degrees.\n\n"
    text += "LP: Professor Chen?\n\nProf. Cara Chen (CC): The same, street by street, for twenty years now.\n\n"
    text += "F. Scott Fitzgerald wrote about heat, LP said.\n\nBO: I agree.\n"
    episode = episode_of(text, tmp_path)
    assert {s.tag: s.role for s in episode.speakers}["BO"] == "guest"
    assert "interviewer" not in [s.speaker for s in episode.segments if s.text.startswith("Scott")]


def test_a_sites_motto_above_its_menu_and_a_show_under_its_station(tmp_path):
    text = "Unmounted\nNotes on Mac software and the people who make it\nHome | About | Archive\n\n"
    text += "Ten questions for a researcher who watches people use computers\n\nWhy Macs?\n\nBecause of a grant.\n"
    assert split(text, tmp_path)[0] == ("narrator", "Ten questions for a researcher who watches people use computers")
    text = "Northern Signal Radio\nNews | Programs | Donate\nThe Morning Exchange\n\n"
    text += "Wildfire smoke travels farther than you think\n\nHow far?\n\nAcross a continent.\n"
    assert split(text, tmp_path)[0] == ("narrator", "Wildfire smoke travels farther than you think")


def test_an_advertisement_under_its_label_in_the_middle_of_the_interview(tmp_path):
    text = "A title\n\nHow was the night?\n\nLong, and it ended well.\n\nSponsored content\n"
    text += "Winter sale: 40% off headtorches at Cairn Outdoor. Shop now\n\nAdvertisement\n\nAnd the next one?\n\n"
    text += "Busier.\n"
    episode = episode_of(text, tmp_path)
    assert [(s.speaker, s.text) for s in episode.segments][1:] == [
        ("interviewer", "How was the night?"), ("GUEST", "Long, and it ended well."),
        ("interviewer", "And the next one?"), ("GUEST", "Busier."),
    ]  # fmt: skip
    assert ("Winter sale: 40% off headtorches at Cairn Outdoor. Shop now", "advertisement (page chrome)") in [
        (n.text, n.reason) for n in episode.not_spoken
    ]


CREDITS = ["Interviewer: Sam Whitaker", "Interview: Dr. Sam Whitaker", "**Host:** Sam Whitaker"]


@pytest.mark.parametrize("credit", CREDITS)
def test_a_line_that_credits_the_interviewer_names_them(credit, tmp_path):
    text = f"A title\n\n{credit}\nTranscribed by: R. Delgado\n\nEvelyn Harper worked at the exchange.\n\n"
    text += "Q. When did you start?\n\nA. In 1956.\n\nQ. Why?\n\nA. Interviewer: Okay, the pay.\n"
    episode = episode_of(text, tmp_path)
    assert episode.speaker("interviewer").name == "Sam Whitaker"
    assert [(s.speaker, s.text) for s in episode.segments][1:3] == [
        ("narrator", "Evelyn Harper worked at the exchange."), ("interviewer", "When did you start?")]
    assert (credit, "the interviewer's name (metadata)") in [(n.text, n.reason) for n in episode.not_spoken]


def test_a_closing_credit_and_a_byline(tmp_path):
    text = "Ein Titel\n\nVon Thea Lindgren\n\nWie fing es an?\n\nKB: Mit einem Webstuhl.\n\nUnd dann?\n\n"
    text += "KB: Interviewer: Okay.\n\nDas Interview führte Anna Berg.\n"
    episode = episode_of(text, tmp_path)
    assert (episode.author, episode.speaker("interviewer").name) == ("Thea Lindgren", "Anna Berg")
    assert ("KB", "Interviewer: Okay.") in [(s.speaker, s.text) for s in episode.segments]
    assert ("Von Thea Lindgren", "byline (metadata)") in [(n.text, n.reason) for n in episode.not_spoken]


def test_a_radio_transcript_with_names_in_capitals_roles_and_callers(tmp_path):
    text = "Ask the expert: safe water?\n\nRITA CALLOWAY, HOST: I'm Rita Calloway. My guest is Owen Price.\n"
    text += "OWEN PRICE: Thanks, Rita.\nCALLOWAY: Who tests a well?\nPRICE: You do.\n"
    text += "CALLER (Maria, Ohio): Is it bad?\nPRICE: Rarely.\nCaller 2: And arsenic?\nPRICE: Test it.\n"
    text += "AUDIENCE MEMBER: Thank you.\n"
    episode = episode_of(text, tmp_path)
    assert [(s.speaker, s.text) for s in episode.segments] == [
        ("narrator", "Ask the expert: safe water?"), ("interviewer", "I'm Rita Calloway. My guest is Owen Price."),
        ("PRICE", "Thanks, Rita."), ("interviewer", "Who tests a well?"), ("PRICE", "You do."),
        ("CALLER (Maria, Ohio)", "Is it bad?"), ("PRICE", "Rarely."), ("Caller 2", "And arsenic?"),
        ("PRICE", "Test it."), ("AUDIENCE MEMBER", "Thank you."),
    ]  # fmt: skip
    assert (episode.speaker("interviewer").name, episode.speaker("PRICE").name) == ("Rita Calloway", "Owen Price")


def test_a_full_name_then_the_surname_and_the_voice_that_asks(tmp_path):
    text = "Ein Titel\n\n**Jonas Reiter:** Frau Aydın, wie geht es Ihnen?\n\n**Selin Aydın:** Gut, danke.\n\n"
    text += "**Reiter:** Und den Patienten?\n\n**Aydın**: Schlechter. Viele trinken zu wenig.\n\n"
    text += "**Reiter:** Was hilft?\n\n**Aydın:** Schatten. Und Wasser.\n\n**Reiter:** Das war deutlich.\n"
    episode = episode_of(text, tmp_path)
    assert [s.speaker for s in episode.segments] == ["narrator", *["interviewer", "Aydın"] * 3, "interviewer"]
    assert (episode.speaker("interviewer").name, episode.speaker("Aydın").name) == ("Jonas Reiter", "Selin Aydın")


def test_an_unnamed_guest_is_named_by_a_bio_the_title_names_and_a_surname_tag_by_the_byline(tmp_path):
    text = "In the workshop with Ines Carvalho\n\nShe builds guitars.\n\nWhy pews?\n\nOld wood sings.\n\n"
    text += "Ines Carvalho trained as a furniture restorer in Porto.\n"
    episode = episode_of(text, tmp_path)
    assert episode.chapters[-1].title == "About the guests" and episode.speaker("GUEST").name == "Ines Carvalho"
    assert "taken to be Ines Carvalho" in episode.doubts[0].message
    text = "A title\n\nBy Priya Raman, transport correspondent\n\nRaman: Nine years?\n\nOkafor: Twice.\n\n"
    text += "Raman: Tell me about the sewer.\n\nOkafor: Victorian brick.\n\nRaman: And now?\n\nOkafor: Sleep.\n\n"
    text += "Priya Raman is the Gazette's transport correspondent.\n"
    episode = episode_of(text, tmp_path)
    assert (episode.author, episode.speaker("interviewer").name) == ("Priya Raman", "Priya Raman")
    assert [n.reason for n in episode.not_spoken][-1] == "the author's bio (page chrome)"


def test_dates_among_labels_on_weekdays_and_with_a_place(tmp_path):
    for line, day in [("Tue 14 May 2024 06.00 BST", "2024-05-14"), ("July 18, 2023 · 12:00 PM ET", "2023-07-18"),
                      ("By the Office of Alumni Relations | October 3, 2022", "2022-10-03"),
                      ("Veröffentlicht: 12.06.2023, 17:45 Uhr | Aktualisiert: 13.06.2023, 08:10 Uhr", "2023-06-12"),
                      ("Recorded 23 September 2023, Main Hall, Ostbrück", "2023-09-23")]:  # fmt: skip
        episode = episode_of(f"A title\n\n{line}\n\nWhy?\n\nJS: Because.\n\nAnd?\n\nJS: So.\n", tmp_path)
        assert str(episode.date) == day and line not in [s.text for s in episode.segments], line


def test_a_sign_up_box_and_a_pull_quote_in_the_middle_of_an_answer(tmp_path):
    text = "A title\n\nWhy did it take so long?\n\nOK: We found a sewer. Nobody builds a cathedral for the view.\n\n"
    text += "Sign up for our daily briefing\nFree daily newsletter\nEnter your email address\nSign up\n\n"
    text += "“Nobody builds a cathedral for the view.” — Okafor\n\nThat took eleven weeks.\n\nAnd now?\n\nOK: Sleep.\n"
    episode = episode_of(text, tmp_path)
    assert [(s.speaker, s.text[:12]) for s in episode.segments][1:] == [
        ("interviewer", "Why did it t"), ("OK", "We found a s"), ("OK", "That took el"), ("interviewer", "And now?"),
        ("OK", "Sleep."),
    ]  # fmt: skip
    reasons = {n.text: n.reason for n in episode.not_spoken}
    assert reasons["Free daily newsletter"] == "a box of page chrome (a sign-up, a newsletter)"
    assert reasons["“Nobody builds a cathedral for the view.” — Okafor"] == "pull quote (it repeats the text)"


def test_a_transcripts_tail_links_one_per_line_and_a_footers_address(tmp_path):
    text = "A title\n\nRITA CALLOWAY, HOST: Who tests a well?\nOWEN PRICE: You do.\nCALLOWAY: Thanks.\n"
    text += "PRICE: Go test it.\n(SOUNDBITE OF MUSIC)\n\nRelated stories\nIs graduate school worth it? Three weigh in\n"
    text += "New wave tank opens in the renovated hall, with a view of the bay\n\nOffice of Alumni Relations\n"
    text += "1200 College Avenue, Farrow, OR 97301\n© 2022 Calloway State University\n"
    episode = episode_of(text, tmp_path)
    assert [s.text for s in episode.segments][-1] == "Go test it."
    assert [n.reason for n in episode.not_spoken] == ["a sound or a timestamp", "page chrome",
                                                       *["related link (page chrome)"] * 2,
                                                       *["page footer (page chrome)"] * 2, "page chrome"]  # fmt: skip


def test_french_markers_months_notes_and_a_bio_under_its_label(tmp_path):
    text = "Entretien\n\nUne gardienne de refuge face aux étés sans neige\n\n"
    text += "Publié le 12 juillet 2023 à 06h15, modifié le 12 juillet 2023 à 10h02\n"
    text += "Propos recueillis par Claire Vidal\n\n"
    text += "Q : Qu'est-ce qui a changé ?\nR : (rires) Tout est arrivé trop tôt.\n\n"
    text += "[Note de la rédaction : la source a été captée.]\n\nQ.\u00a0Et demain ?\nR.\u00a0Je ne sais pas.\n\n"
    text += "Lire aussi : Dans les Pyrénées\n\nBio express\nNée en 1974 à Oloron, gardienne depuis 2009.\n"
    episode = episode_of(text, tmp_path)
    assert (str(episode.date), episode.speaker("interviewer").name) == ("2023-07-12", "Claire Vidal")
    assert [(s.speaker, s.text) for s in episode.segments][1:] == [
        ("interviewer", "Qu'est-ce qui a changé ?"), ("GUEST", "Tout est arrivé trop tôt."),
        ("narrator", "Note de la rédaction : la source a été captée."), ("interviewer", "Et demain ?"),
        ("GUEST", "Je ne sais pas."), ("narrator", "About the guests"),
        ("narrator", "Née en 1974 à Oloron, gardienne depuis 2009."),
    ]  # fmt: skip


def test_numbered_questions_also_one_that_does_not_ask(tmp_path):
    text = "A report\n\nOur coordinator answers six questions.\n\n1. What was the state of the estuary?\n\n"
    text += "Poor. We lost half of it. Why? Shrimp farms.\n\n2. How much has come back?\n\nA third.\n\n"
    text += "3. Describe a restoration.\n\nWe dig channels first. Then we wait.\n"
    assert [s for s, _ in split(text, tmp_path)[2:]] == ["interviewer", "GUEST"] * 3


def test_a_box_of_facts_the_authors_name_and_box_and_a_second_host_who_talks_like_a_guest(tmp_path):
    text = "A title\n\nDana Osei\n2.1K Followers\n\nWhy nights?\n\nDO: They pay more.\n\n"
    text += "Odlewnia at a glance\nFounded: 1952\nEmployees: 310\nOutput: 42,000 t a year\n\nAnd sleep?\n\n"
    text += "DO: Blackout curtains.\n\nWritten by Dana Osei\n2.1K Followers\nICU nurse turned educator.\n"
    episode = episode_of(text, tmp_path)
    reasons = {n.text: n.reason for n in episode.not_spoken}
    assert episode.author == "Dana Osei" and reasons["Dana Osei"] == "the author's name (metadata)"
    assert reasons["Employees: 310"] == "a box of facts (page chrome)" == reasons["Odlewnia at a glance"]
    assert reasons["ICU nurse turned educator."] == "the author's bio (page chrome)"
    text = "A title\n\nGRETA: Welcome. I have two translators with me.\nANA: Thank you.\nKOFI: Children close books.\n"
    text += "GRETA: Ana, what comes first?\nANA: The jokes, always, before anything else in the book.\n"
    text += "KOFI: And what did you call him?\nANA: Bun.\nGRETA: Kofi, the same problem?\nKOFI: With grammar on top.\n"
    text += "KOFI: French nouns have a gender.\nKOFI: I choose.\nGRETA: Thank you both.\n"
    assert [d.kind for d in episode_of(text, tmp_path).doubts] == ["co-host"]


def test_split_names_the_author_beside_the_title(tmp_path):
    script = tmp_path / "by.txt"
    script.write_text("Tiny [robots]\n\nBy Thea Lindgren\n\nWhy?\n\nJS: Because.\n\nAnd?\n\nJS: So.\n")
    done = podcast("split", script, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines()[0] == "Tiny [robots]  by Thea Lindgren"


PROBES = ROOT / "tests" / "data" / "interviews" / "probes"


@pytest.mark.parametrize("name", [k for k in json.loads((PROBES / "expected.json").read_text()) if k[0] != "_"])
def test_words_written_to_look_like_chrome_or_tags_are_still_someones(name):
    expected = json.loads((PROBES / "expected.json").read_text(encoding="utf-8"))[name]
    episode = load_episode(PROBES / f"{name}.txt")
    for start, speaker in expected.get("voiced", []):
        said = [s.speaker for s in episode.segments if s.text.startswith(start)]
        assert said == [speaker], (start, said, [(n.text[:40], n.reason) for n in episode.not_spoken])
    for key in ("title", "author"):
        assert getattr(episode, key) == expected.get(key, getattr(episode, key)), key
    assert "date" not in expected or episode.date == expected["date"]
    assert "guest" not in expected or episode.speaker("GUEST").name == expected["guest"]  # named by a bio's label


def test_a_press_conference_answers_go_to_the_voice_the_question_names(tmp_path):
    text = "Tournament: Wilmore State vs. Eastbrook press conference\n\nMarch 9, 2024\n\n"
    text += "THE MODERATOR: We're joined by Coach Dana Ruelas and Kelsey Morrow.\n\n"
    text += "Q. Kelsey, was that the play?\n\nKELSEY MORROW: (Laughter.) No. The play was for Imani.\n\n"
    text += "COACH RUELAS: She is right.\n\nQ. Coach, why the zone?\n\nThey were getting downhill.\n\n"
    text += "Q. And Sunday?\n\nIt means everything.\n\nThe final\n\nSpoiler warning: the score follows.\n"
    episode = episode_of(text, tmp_path)
    assert [(s.speaker, s.text) for s in episode.segments][1:] == [
        ("interviewer", "We're joined by Coach Dana Ruelas and Kelsey Morrow."),
        ("interviewer", "Kelsey, was that the play?"),
        ("KELSEY MORROW", "No. The play was for Imani."), ("COACH RUELAS", "She is right."),
        ("interviewer", "Coach, why the zone?"), ("COACH RUELAS", "They were getting downhill."),
        ("interviewer", "And Sunday?"), ("COACH RUELAS", "It means everything."), ("narrator", "The final"),
        ("narrator", "Spoiler warning: the score follows."),  # a warning under a heading
    ]  # fmt: skip


def test_an_anchor_and_a_reporter_ask_with_two_voices_and_a_bio_is_found_under_its_name(tmp_path):
    text = "Diner owner keeps the grill going\n\nANCHOR: A diner stayed open all week.\n\n"
    text += "REPORTER: At five in the morning, the diner is full.\n\nLORETTA HAYNES: Eggs are up! Who's next?\n\n"
    text += "REPORTER: How long can you keep this up?\n\nLORETTA HAYNES: As long as they're here.\n\n"
    text += "Reader rating: 4.6 out of 5 (1,204 ratings)\n\nAbout Loretta Haynes\n"
    text += "Loretta Haynes has run the diner since 1998.\n"
    episode = episode_of(text, tmp_path)
    assert [(s.tag, s.role) for s in episode.speakers][1:] == [
        ("interviewer", "interviewer"), ("REPORTER", "interviewer"), ("LORETTA HAYNES", "guest")]
    assert episode.chapters[-1].title == "About the guests" and "Reader rating" not in str(episode.segments)
