"""The domain model: plain frozen dataclasses, no I/O; and the project's vocabulary, one word per thing.

- *script*: the text a user gives (interview text from a web page, or an explicit script).
- *episode* (`Episode`): the split script: *speakers*, *chapters*, *segments*, and the lines
  *not spoken* with their reasons.
- *segment* (`Segment`): one paragraph voiced by one speaker; its *id* is stable.
- *cast* (`Cast`): who speaks with which *voice* (`Voice`), the *pauses*, the *show*, the
  loudness target (`Mastering`) and per-segment *overrides*; the *lexicon* respells words.
- *job* (`speech.synth.Job`): a segment's text (after the lexicon) and voice, to be spoken
  into the *segment cache* under its *cache key*; the *calibration reading* of a voice is
  a job too, measured to level that voice.
- *take* (`Take`): a segment placed on the *timeline* (`Timeline`): its chapter, voice, cache
  key, first and last sample; chapter marks (`ChapterMark`) sit on the same timeline.
- *part* (`sound.assemble.Part`): a take and the pause after it on whole MP3 frames, keyed;
  once encoded it is an *encoded part* (`sound.frames.EncodedPart`) in the *part store*.
- *episode file*: the encoded parts joined into one MP3, tagged (`Metadata`, chapters), with
  the *files beside it* (transcripts, chapters, manifest, player page).
- *plan* (`plan.RenderPlan`): everything a render will do, decided before any speech is made.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

NARRATOR = "narrator"
"""Speaker id of the narrator (title, lede, bios)."""
INTERVIEWER = "interviewer"
"""Speaker id of the interviewer (untagged questions, `Q:`)."""

ROLE_GUEST = "guest"


@dataclass(frozen=True)
class Speaker:
    """Somebody who is voiced in an episode."""

    tag: str
    """Speaker id: a guest's tag as written (`HU`), or `interviewer`, or `narrator`."""
    name: str
    """Full name where known (`Hans Uszkoreit`), else the tag."""
    role: str
    """`guest`, `interviewer` or `narrator`."""


@dataclass(frozen=True)
class Segment:
    """One paragraph voiced by one speaker."""

    id: str
    """Short id, stable across runs of an unchanged script."""
    speaker: str
    """Speaker id (see `Speaker.tag`)."""
    text: str
    """What is voiced, in the script's spelling (tags removed)."""
    line: int = field(default=0, compare=False)
    """1-based line in the source where the paragraph starts (0: not from the source)."""
    end_line: int = field(default=0, compare=False)
    """1-based line where the paragraph ends."""


@dataclass(frozen=True)
class Chapter:
    """A section of the episode: the part before the first heading, or one heading's part."""

    title: str
    """The heading, or the episode title for the opening chapter."""
    segments: tuple[Segment, ...]
    """The chapter's segments in reading order."""


@dataclass(frozen=True)
class NotSpoken:
    """An input line that is deliberately not voiced."""

    line: int = field(compare=False)
    """1-based line number in the source."""
    text: str
    """The line as written."""
    reason: str
    """Why it is not voiced (`page chrome`, `release date`, …)."""


@dataclass(frozen=True)
class Doubt:
    """Something the splitter is unsure of, said out loud with how to fix it."""

    line: int
    """1-based line in the source it is about (0: the whole script)."""
    kind: str
    """What it is: `no-guest`, `unnamed-guest`, `no-interviewer`, `interviewer-most`, `tag-once`, `long-run`,
    `short-heading`."""
    message: str
    """What is doubtful, and how to fix it."""


@dataclass(frozen=True)
class Episode:
    """A split script: who says what, in which chapter."""

    title: str
    """The episode's title (the first full line of the script)."""
    speakers: tuple[Speaker, ...]
    """Everybody voiced, in order of first appearance."""
    chapters: tuple[Chapter, ...]
    """Chapters in order; never empty for a script that has speech."""
    not_spoken: tuple[NotSpoken, ...] = ()
    """Lines not voiced, with reasons."""
    date: _dt.date | None = None
    """Release date, from the script's front matter."""
    lede: str = ""
    """The narration before the first question (used as the tag comment)."""
    author: str = ""
    """Who wrote the article: its byline (`By Thea Lindgren`) or its page's author; the MP3's text writer."""
    source: Path | None = field(default=None, compare=False)
    """The script file this episode was read from."""
    doubts: tuple[Doubt, ...] = field(default=(), compare=False)
    """What the splitter is unsure of (none for an explicit script: a person wrote it)."""

    @property
    def segments(self) -> tuple[Segment, ...]:
        """All segments in reading order."""
        return tuple(s for c in self.chapters for s in c.segments)

    @property
    def guests(self) -> tuple[Speaker, ...]:
        """The guests, in order of first appearance."""
        return tuple(s for s in self.speakers if s.role == ROLE_GUEST)

    def speaker(self, tag: str) -> Speaker:
        """The speaker with this id."""
        for s in self.speakers:
            if s.tag == tag:
                return s
        raise KeyError(tag)


@dataclass(frozen=True)
class Voice:
    """Engine settings for one speaker."""

    name: str
    """Engine voice name (`en-GB-x-rp`, `gmw/en-us`)."""
    variant: str = ""
    """espeak-ng variant (`m3`, `f2`), or empty for the voice's own."""
    rate: int = 170
    """Speed in words per minute."""
    pitch: int = 50
    """Base pitch, 0–100 (espeak-ng's scale)."""
    volume: float = 1.0
    """Loudness, 0.0–2.0 before levelling."""
    engine: str = ""
    """The engine that speaks it (`espeak`, `piper`); empty: the render's engine (`--engine`)."""
    model: str = ""
    """The voice model's file, for an engine that speaks with models (Piper); `name` is the model's name."""
    speaker: str = ""
    """A speaker of a model with several (a name or a number); empty: the model's default."""
    length_scale: float | None = None
    """Piper's pace: 1.0 the model's own, 2.0 twice as slow; None: from `rate` (170 is the model's own pace)."""
    noise_scale: float | None = None
    """Piper's variation of the voice; None: the model's."""
    noise_w_scale: float | None = None
    """Piper's variation of the phonemes' lengths; None: the model's."""

    @property
    def label(self) -> str:
        """The voice as its engine names it: `name+variant` (espeak-ng), `model#speaker` (Piper)."""
        if self.speaker:
            return f"{self.name}#{self.speaker.lstrip('#')}"
        return f"{self.name}+{self.variant}" if self.variant else self.name


@dataclass(frozen=True)
class Pauses:
    """Silence between segments, in milliseconds."""

    paragraph: int = 450
    """Between two paragraphs of the same speaker."""
    speaker: int = 700
    """When the speaker changes."""
    chapter: int = 1600
    """Before a new chapter."""
    title: int = 1200
    """After the episode title."""


@dataclass(frozen=True)
class Show:
    """Settings of the show that apply to every episode."""

    name: str = "Interviews, read aloud"
    """Show name, written as the album tag."""
    language: str = "eng"
    """ISO 639-2 language code of the episode (TLAN tag)."""
    cover: str = ""
    """A JPEG or PNG embedded as the front cover, relative to the project folder; empty for none."""
    url: str = ""
    """Where `dist/` is published (`https://example.org/podcast`): the feed's links start with it; empty for
    no feed."""
    author: str = ""
    """Who makes the show (the feed's itunes:author)."""
    description: str = ""
    """What the show is about, a sentence or two (the feed's and the show page's description)."""
    category: str = ""
    """One of Apple Podcasts' categories, `Technology` or with a subcategory, `Science/Natural Sciences`."""
    explicit: bool = False
    """Whether episodes may contain explicit language."""
    intro: str = ""
    """Music the episode opens with (any file ffmpeg reads), relative to the project; empty for none."""
    outro: str = ""
    """Music it ends with."""
    bed: str = ""
    """Music under the title (the first words), looped to its length, ducked."""
    channels: int = 1
    """1: a mono MP3 (levelled to the target as heard: 3 LU below it as measured); 2: stereo (the same at the
    target as measured)."""
    owner_name: str = ""
    """The owner's name, from `owner = { name = …, email = … }` (directories write to the owner)."""
    owner_email: str = ""
    """The owner's e-mail address."""
    link: str = ""
    """The show's website; default: its `url`."""
    guid: str = ""
    """The show's `podcast:guid`, pinned (a UUID); default: derived from its feed's URL. Pin it before the show
    moves to another `url`, so that apps keep it (and every episode's GUID)."""


@dataclass(frozen=True)
class Mastering:
    """Loudness of the finished episode, as measured by ITU-R BS.1770."""

    target: float = -16.0
    """Integrated loudness in LUFS as heard (the podcast standard is -16): a mono episode measures 3 LU less,
    -19, and sounds as loud as a stereo one at -16 (see `sound.loudness.as_measured`)."""
    true_peak: float = -1.0
    """Ceiling for true peaks, in dBTP."""


@dataclass(frozen=True)
class MusicMix:
    """How the show's music sits around and under the speech (`[music]` in a cast)."""

    below: float = 4.0
    """LU the music, alone, sits below the speech."""
    duck: float = 15.0
    """dB the music drops by, again, under words."""
    overlap: float = 2.0
    """Seconds the intro plays on under the first words, and the outro starts before the last words end."""
    fade: float = 1.5
    """Seconds the intro takes to fade out under the first words."""


OVERRIDE_SETTINGS = ("engine", "voice", "model", "speaker", "variant", "rate", "pitch", "volume", "length_scale",
                     "noise_scale", "noise_w_scale")  # fmt: skip
"""The voice settings an override may change, in the order they are reported."""


@dataclass(frozen=True)
class Override:
    """A change to one segment, kept in the episode's cast file by `podcast revoice`."""

    segment: str
    """Id of the segment."""
    original: str
    """The segment's text when the override was made: if the script changes it, the override is stale."""
    voice: str | None = None
    """New voice name (its own variant, unless `variant` is given too)."""
    variant: str | None = None
    """New variant."""
    rate: int | None = None
    """New speed, words per minute."""
    pitch: int | None = None
    """New base pitch."""
    volume: float | None = None
    """New volume."""
    engine: str | None = None
    """New engine (`piper`, `espeak`)."""
    model: str | None = None
    """New voice model (Piper)."""
    speaker: str | None = None
    """New speaker of the model."""
    length_scale: float | None = None
    """New pace (Piper)."""
    noise_scale: float | None = None
    """New variation of the voice (Piper)."""
    noise_w_scale: float | None = None
    """New variation of the phonemes' lengths (Piper)."""
    text: str | None = None
    """New words to say (the transcript shows them too)."""


@dataclass(frozen=True)
class Cast:
    """Who speaks with which voice, and how the episode is paced."""

    voices: dict[str, Voice]
    """Voice per speaker id (`narrator`, `interviewer`, `HU`, …)."""
    pool: tuple[Voice, ...] = ()
    """Voices for guests the cast does not name, handed out in order."""
    pauses: Pauses = field(default_factory=Pauses)
    """Pause lengths."""
    show: Show = field(default_factory=Show)
    """Show settings."""
    loudness: Mastering = field(default_factory=Mastering)
    """Loudness target and true-peak ceiling."""
    music: MusicMix = field(default_factory=MusicMix)
    """How the intro, outro and bed are mixed."""
    overrides: dict[str, Override] = field(default_factory=dict)
    """Per-segment changes, by segment id."""
    sources: tuple[Path, ...] = ()
    """The cast files this cast was read from, most specific last."""
    project: Path | None = None
    """The project it belongs to (where `voices/models/` is looked for)."""


@dataclass(frozen=True, slots=True)  # an episode has tens of thousands
class Word:
    """A word of a segment as spoken in the rendered episode, in samples (from its engine's word marks)."""

    text: str
    """The word as the script writes it, with its punctuation."""
    start: int
    """First sample of its sound."""
    end: int
    """One past its last sample."""


@dataclass(frozen=True)
class Take:
    """A segment as placed in the rendered episode."""

    segment: Segment
    """The segment."""
    chapter: int
    """0-based index of its chapter."""
    voice: Voice
    """The voice it was synthesized with."""
    cache_key: str
    """Key of its audio in the segment cache."""
    start: int = 0
    """First sample of its speech in the episode (0 until it is laid on the timeline)."""
    end: int = 0
    """One past its last sample."""
    words: tuple[Word, ...] = ()
    """Its words and their times, where its engine says where words start (espeak-ng); else none."""


@dataclass(frozen=True)
class ChapterMark:
    """A chapter's place in the rendered episode, in samples."""

    title: str
    """Chapter title."""
    start: int
    """First sample of the chapter."""
    end: int
    """One past the chapter's last sample."""


@dataclass(frozen=True)
class Timeline:
    """The rendered episode's layout."""

    sample_rate: int
    """Samples per second of the timeline."""
    takes: tuple[Take, ...]
    """Every segment, in order."""
    chapters: tuple[ChapterMark, ...]
    """Chapters, back to back from 0 to `length`."""
    length: int
    """Total length in samples."""

    def ms(self, sample: int) -> int:
        """A sample position in whole milliseconds."""
        return round(sample * 1000 / self.sample_rate)


@dataclass(frozen=True)
class Metadata:
    """What the MP3's tags say."""

    title: str
    """Episode title."""
    artist: str
    """The guests' full names."""
    album: str
    """The show's name."""
    date: _dt.date | None
    """Release date."""
    genre: str = "Podcast"
    """Genre tag."""
    language: str = "eng"
    """ISO 639-2 language code."""
    comment: str = ""
    """The lede."""
    author: str = ""
    """Who wrote the text (the article's byline), as the ID3 text writer (TEXT)."""
