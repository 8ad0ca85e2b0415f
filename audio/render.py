"""One render: script → split → voices → synthesis → stitching → MP3 → tags → files beside it.

Every output is written to a temporary file beside its target and renamed into
place at the end, under a lock, so that a failed or interrupted render leaves the
previous episode whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .atomic import check_writable, commit_all, describe, staged
from .encode import Mp3Settings
from .engines import create_engine
from .errors import BusyError, CastError, OutputError, PodcastError, ScriptError
from .paths import default_cast_path, episode_cast_path, lexicon_path, project_root
from .sidecars import read_manifest

if TYPE_CHECKING:  # the rest is imported when there is work to do: an up-to-date check stays quick
    from .cache import SegmentCache
    from .cast import Lexicon
    from .engines import SpeechEngine
    from .model import Cast, Episode, Timeline, Voice
    from .synth import Job

log = logging.getLogger(__name__)

DEFAULT_SCRIPT = Path("scripts") / "deepseek-interview.txt"


class Reporter:
    """Where a render reports progress. The default reports nothing."""

    def stage(self, label: str, total: int) -> Callable[[int], None]:
        """Start a stage of `total` steps; returns a function to advance it."""
        return lambda n: None

    def note(self, message: str) -> None:
        """A line for the user (`synthesized 3 segments, 40 from the cache`)."""


@dataclass(frozen=True)
class RenderResult:
    """What a render did."""

    episode: Episode | None
    """None when the episode was found up to date without reading the script."""
    timeline: Timeline | None
    output: Path
    files: tuple[Path, ...]
    synthesized: int
    cached: int
    up_to_date: bool = False
    voices: dict[str, Voice] = field(default_factory=dict)


def default_script() -> Path:
    """The example episode's script, in the current project."""
    return project_root() / DEFAULT_SCRIPT


def default_output(script: Path) -> Path:
    """`dist/<script name>.mp3` in the script's project."""
    return project_root(script) / "dist" / f"{Path(script).stem}.mp3"


def sidecar_paths(mp3: Path) -> dict[str, Path]:
    """The files written beside an episode."""
    stem = mp3.with_suffix("")
    return {
        "vtt": stem.with_suffix(".vtt"),
        "srt": stem.with_suffix(".srt"),
        "chapters": Path(f"{stem}.chapters.json"),
        "manifest": stem.with_suffix(".json"),
        "html": stem.with_suffix(".html"),
    }


def check_voices(
    engine: SpeechEngine, voices: dict[str, Voice], cast: Cast, cache: SegmentCache | None = None
) -> None:
    """Raise `CastError` naming the cast file and speaker for a voice that would not take effect.

    Voices heard before with the same engine version are remembered in the cache: their
    settings are still checked, but no speech is made to hear them again.
    """
    passed = cache.checked_voices() if cache else set()
    fresh = set()
    for speaker, voice in voices.items():
        key = heard_key(engine, voice)
        try:
            engine.check_voice(voice, hear=key not in passed)
        except ValueError as exc:
            engine.verify()  # a library that cannot speak explains a voice that seems not to work
            source = next((p for p in reversed(cast.sources) if speaker in _speakers_in(p)), cast.sources[-1])
            raise CastError(f"speaker {speaker!r}: {exc}", source) from None
        fresh.add(key)
    if cache and fresh:
        cache.remember_voices(passed | fresh)


def heard_key(engine: SpeechEngine, voice: Voice) -> str:
    """What `check_voices` remembers of a voice that was heard to take effect: its name and variant."""
    return f"{engine.name} {engine.version()} {voice.name} {voice.variant}"


def _speakers_in(path: Path) -> set[str]:
    import tomllib

    try:
        with open(path, "rb") as f:
            return set(tomllib.load(f).get("voices", {}))
    except (OSError, ValueError):
        return set()


def build_jobs(episode: Episode, voices: dict[str, Voice], lexicon: Lexicon, engine: SpeechEngine) -> list[Job]:
    """One synthesis job per segment (`voices` by segment id), keyed for the cache."""
    from .cache import cache_key
    from .synth import Job

    version = engine.version()
    jobs = []
    for segment in episode.segments:
        spoken = lexicon.apply(segment.text)
        voice = voices[segment.id]
        key = cache_key(spoken, voice, engine.name, version, engine.sample_rate)
        jobs.append(Job(key, spoken, voice, f"segment {segment.id}"))
    return jobs


def calibration_jobs(jobs: list[Job], engine: SpeechEngine) -> dict[Voice, Job]:
    """One reading of the calibration text for each voice that `jobs` use (see `loudness`)."""
    from .cache import cache_key
    from .loudness import CALIBRATION_TEXT
    from .synth import Job

    version, rate = engine.version(), engine.sample_rate
    return {
        voice: Job(
            cache_key(CALIBRATION_TEXT, voice, engine.name, version, rate), CALIBRATION_TEXT, voice,
            f"the calibration reading of voice {voice.label}",
        )  # fmt: skip
        for voice in dict.fromkeys(job.voice for job in jobs)
    }


def render(
    script: Path | None = None,
    output: Path | None = None,
    cast_file: Path | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    engine_name: str = "espeak",
    workers: int | None = None,
    reporter: Reporter | None = None,
    settings: Mp3Settings = Mp3Settings(),
    cover: Path | None = None,
    engine: SpeechEngine | None = None,
) -> RenderResult:
    """Render a script to a tagged, chaptered MP3 and the files beside it.

    `cover` (a JPEG or PNG) overrides the cast's `[show] cover`. `engine`, an engine
    called `engine_name` that is already started, is used rather than a new one (and
    left running: its owner closes it).
    """
    owned = None
    if engine is None:
        try:  # a bad engine name is reported where it was before: after the script's own errors
            engine = owned = create_engine(engine_name)
        except PodcastError:
            engine = None
    try:
        return _render(script, output, cast_file, cache_dir, force, engine_name, workers, reporter, settings, cover, engine)
    finally:
        if owned is not None:
            owned.close()


def _render(script, output, cast_file, cache_dir, force, engine_name, workers, reporter, settings, cover, engine):
    reporter = reporter or Reporter()
    script = Path(script) if script else default_script()
    output = Path(output) if output else default_output(script)
    if output.suffix.lower() != ".mp3":
        raise OutputError("the output must be an .mp3 file", output)
    if output.parent.exists() and not output.parent.is_dir():
        raise OutputError("is a file, not a folder; choose another --out", output.parent)
    for target in (output, *sidecar_paths(output).values()):
        check_writable(target)
    files = (output, *sidecar_paths(output).values())
    previous = read_manifest(sidecar_paths(output)["manifest"])
    inputs = _inputs(script, cast_file, cover, engine, settings) if engine else ""
    if not force and inputs and previous and previous.get("inputs") == inputs and all(f.exists() for f in files):
        # Like make, from the files alone: the same script, casts, lexicon, cover, engine
        # version and settings made these files. Nothing is parsed.
        reporter.note(f"{output} is up to date; nothing to do")
        count = len({s.get("cache_key") for s in previous.get("segments", [])})
        return RenderResult(None, None, output, files, 0, count, up_to_date=True)

    from .assemble import Layout
    from .cache import SegmentCache, default_cache_dir
    from .cast import apply_overrides, assign_voices, load_cast, load_lexicon
    from .script import load_episode
    from .synth import missing_jobs, synthesize_jobs

    episode = load_episode(script)
    if not episode.segments:
        raise ScriptError("has nothing to voice: no title, narration or answers found", script)
    cast = load_cast(script, cast_file)
    lexicon = load_lexicon(script)
    voices = assign_voices(episode, cast)
    episode, segment_voices, applied, stale = apply_overrides(episode, voices, cast)
    for line in applied:
        reporter.note(line)
    for line in stale:
        log.warning("%s", line)
    engine = engine or create_engine(engine_name)  # raises the error that stopped it before
    jobs = build_jobs(episode, segment_voices, lexicon, engine)
    cache = SegmentCache(cache_dir or default_cache_dir())

    picture = read_cover(cover or (project_root(script) / cast.show.cover if cast.show.cover else None), cast)
    digest = _digest(episode, cast, jobs, settings, picture)
    if not force and previous and previous.get("digest") == digest and all(f.exists() for f in files):
        # Like make: the same inputs (voices and engine version included) made these files.
        if inputs and previous.get("inputs") != inputs:  # the files changed, not what they say:
            _note_inputs(output, digest, inputs)  # the next check needs no parsing
        reporter.note(f"{output} is up to date; nothing to do")
        return RenderResult(episode, None, output, files, 0, len(jobs), up_to_date=True, voices=voices)

    calibrations = calibration_jobs(jobs, engine)
    everything = jobs + list(calibrations.values())
    guess = everything if force else missing_jobs(everything, cache, engine.sample_rate)
    if guess:  # the speech server takes a tenth of a second to start: it does while the voices are checked
        engine.warm_up()
    check_voices(engine, voices, cast, cache)
    for seg_id, override in cast.overrides.items():
        if seg_id in segment_voices and segment_voices[seg_id] not in voices.values():
            try:
                check_voices(engine, {seg_id: segment_voices[seg_id]}, cast, cache)
            except CastError as exc:
                raise CastError(f"override {seg_id}: {exc.message.split(': ', 1)[-1]}", cast.sources[-1]) from None

    with _locked(output):  # before synthesis: a refused render synthesizes nothing
        # What was missing, checked again: another render may have made some of it since.
        todo = guess if force else missing_jobs(guess, cache, engine.sample_rate)
        unique = len({j.key for j in jobs})
        spoken = len({j.key for j in todo} & {j.key for j in jobs})  # the script's, not the readings
        readings = len(todo) - spoken
        reporter.note(
            f"{spoken} of {unique} segments to synthesize, {unique - spoken} from the cache"
            + (f"; {readings} voice reading(s) for the loudness" if readings else "")
        )
        layout = Layout(
            _placed(episode, segment_voices, jobs), [c.title for c in episode.chapters], cast, cache, engine,
            settings, {j.key: j for j in everything}, {voice: job.key for voice, job in calibrations.items()},
        )  # fmt: skip
        progress = reporter.stage("Synthesizing", len(todo))
        synthesize_jobs(todo, engine, cache, workers, progress)
        timeline = _assemble(layout, episode, cast, output, settings, digest, reporter, picture, workers, inputs)
    return RenderResult(episode, timeline, output, files, spoken, unique - spoken, voices=voices)


def _placed(episode, voices, jobs) -> list:
    """Every segment with its chapter, voice and cache key, in order."""
    from .stitch import Placed

    placed, index = [], 0
    for number, chapter in enumerate(episode.chapters):
        for segment in chapter.segments:
            placed.append(Placed(segment, number, voices[segment.id], jobs[index].key))
            index += 1
    return placed


def _assemble(layout, episode, cast, output, settings, digest, reporter, picture, workers, inputs) -> Timeline:
    # Imported here, so that finding an episode up to date stays quick.
    from concurrent.futures import ThreadPoolExecutor

    from .assemble import placed_timeline
    from .frames import join
    from .model import Metadata
    from .player import player_html
    from .sidecars import chapters_json, manifest_json, srt_text, vtt_text
    from .tags import ChapterTag, write_tags

    infos = layout.records([p.cache_key for p in layout.placed], workers, reporter.stage)
    planned, pieces = layout.lay_out(infos)
    timeline = placed_timeline(planned, settings.sample_rate)

    def texts_beside() -> dict[str, str]:
        texts = {
            "vtt": vtt_text(episode, timeline),
            "srt": srt_text(episode, timeline),
            "chapters": chapters_json(episode, timeline),
            "manifest": manifest_json(episode, timeline, digest, output.name, cast.show, inputs),
        }
        texts["html"] = player_html(json.loads(texts["manifest"]))
        return texts

    # The files beside the MP3 follow from the timeline alone: written while the encoders run.
    with ThreadPoolExecutor(max_workers=1) as side:
        pending = side.submit(texts_beside)
        parts, encoded = layout.encode(planned, pieces, reporter.stage, workers)
        texts = pending.result()
    reporter.note(f"encoded {encoded} of {len(pieces)} parts, {len(pieces) - encoded} from the cache")

    meta = Metadata(
        title=episode.title,
        artist=", ".join(g.name for g in episode.guests),
        album=cast.show.name,
        date=episode.date,
        language=cast.show.language,
        comment=episode.lede,
    )
    chapters = [
        ChapterTag(f"chp{n}", c.title, timeline.ms(c.start), timeline.ms(c.end)) for n, c in enumerate(timeline.chapters)
    ]
    with staged(output) as mp3_tmp, contextlib.ExitStack() as stack:
        join(parts, mp3_tmp, timeline.length)
        write_tags(mp3_tmp, meta, chapters, picture)
        pairs = [(mp3_tmp, output)]
        for kind, path in sidecar_paths(output).items():
            tmp = stack.enter_context(staged(path))
            try:
                tmp.write_text(texts[kind], encoding="utf-8")
            except OSError as exc:
                raise OutputError(f"cannot be written ({describe(exc)})", path) from None
            pairs.append((tmp, path))
        pairs.sort(key=lambda pair: pair[1] == sidecar_paths(output)["manifest"])  # the manifest last
        commit_all(pairs)
    layout.store.prune({p.key for p in pieces})
    reporter.note(f"wrote {output} ({timeline.length / timeline.sample_rate / 60:.1f} min, {len(timeline.chapters)} chapters)")
    return timeline


def read_cover(path: Path | None, cast: Cast) -> tuple[bytes, str] | None:
    """(bytes, MIME type) of a cover image, checked to be a JPEG or PNG."""
    if path is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CastError(f"cover image cannot be read ({exc.strerror})", path) from None
    if data.startswith(b"\xff\xd8\xff"):
        return data, "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data, "image/png"
    raise CastError("cover image must be a JPEG or PNG file", path)


def _digest(episode: Episode, cast: Cast, jobs: list[Job], settings: Mp3Settings, picture) -> str:
    material = {
        "cover": hashlib.sha256(picture[0]).hexdigest() if picture else None,
        "tool": __version__,
        "title": episode.title,
        "date": str(episode.date),
        "lede": episode.lede,
        "speakers": [asdict(s) for s in episode.speakers],
        "chapters": [[c.title, [[s.id, s.speaker, s.text] for s in c.segments]] for c in episode.chapters],
        "keys": [j.key for j in jobs],
        "pauses": asdict(cast.pauses),
        "loudness": asdict(cast.loudness),
        "show": asdict(cast.show),
        "mp3": asdict(settings),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _inputs(script: Path, cast_file: Path | None, cover: Path | None, engine: SpeechEngine, settings: Mp3Settings) -> str:
    """A fingerprint of every file and setting a render reads, from their bytes, parsing nothing;
    "" when one cannot be read (the render then reports it)."""
    try:
        casts = [default_cast_path(script), Path(cast_file) if cast_file else episode_cast_path(script)]
        digest = hashlib.sha256(f"{__version__} {asdict(settings)}".encode())
        read = {}
        for path in [script, *casts, lexicon_path(script)]:
            read[path] = data = path.read_bytes() if path.exists() else b"<none>"
            digest.update(f"\0{path.resolve()}\0{len(data)}\0".encode() + data)
        picture = cover
        if picture is None:  # the cast's cover, as the render would take it (the last cast that names one)
            for path in casts:
                if b"cover" in read[path]:  # parsed only where it may name one
                    import tomllib

                    named = tomllib.loads(read[path].decode("utf-8")).get("show", {}).get("cover")
                    picture = project_root(script) / named if isinstance(named, str) else picture
        if picture is not None:
            digest.update(b"\0cover\0" + Path(picture).read_bytes())
        digest.update(f"\0{engine.name} {engine.version()} {engine.sample_rate}".encode())
    except (OSError, ValueError, PodcastError):
        return ""
    return digest.hexdigest()


def _note_inputs(output: Path, digest: str, inputs: str) -> None:
    """Record a new input fingerprint in the manifest of an episode that is up to date.

    Under the episode's lock, and only if the manifest still describes the same render;
    a failure (or another render at work) costs only the speed of the next check.
    """
    manifest = sidecar_paths(output)["manifest"]
    try:
        with _locked(output):
            current = read_manifest(manifest)
            if current and current.get("digest") == digest:
                with staged(manifest) as tmp:
                    text = json.dumps({**current, "inputs": inputs}, ensure_ascii=False, indent=2)
                    tmp.write_text(text, encoding="utf-8")
                    os.replace(tmp, manifest)
    except (OSError, PodcastError) as exc:
        log.debug("could not update %s: %s", manifest, exc)


def _sweep(output: Path) -> None:
    """Remove what a killed render of this episode left behind (its lock is ours now)."""
    for target in (output, *sidecar_paths(output).values()):
        for leftover in [*target.parent.glob(f".{target.name}.*.part"), target.with_name(f".{target.name}.previous")]:
            leftover.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(output: Path) -> Iterator[None]:
    """Hold a lock on the output, or refuse: two renders of one episode never interleave."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        lock_path = output.parent / f".{output.name}.lock"
        handle = open(lock_path, "a+")
    except OSError as exc:
        raise OutputError(f"cannot write to {output.parent} ({exc.strerror})", output) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError("another render of this episode is running; wait for it to finish", output) from None
        _sweep(output)
        yield
    finally:
        handle.close()


