"""One render: a plan (`plan.plan`), the voices checked, then its execution: synthesis → layout → parts → MP3.

Every output is written to a temporary file beside its target and renamed into
place at the end, under a lock, so that a failed or interrupted render leaves the
previous episode whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import staged
from .caches import CacheFolder
from .errors import BusyError, OutputError, PodcastError
from .model import Episode, Take, Timeline, Voice
from .plan import RenderPlan, RenderRequest, plan
from .publish.sidecars import read_manifest, sidecar_paths
from .sound.encode import Mp3Settings
from .speech.cache import default_cache_dir
from .speech.engines import SpeechEngine
from .speech.engines.ensemble import create_engines, ensemble
from .speech.synth import missing_jobs, synthesize_jobs
from .speech.voicecheck import check_voices

log = logging.getLogger(__name__)


class Reporter:
    """Where a render reports progress. The default reports nothing."""

    def stage(self, label: str, total: int) -> Callable[[int], None]:
        """Start a stage of `total` steps; returns a function to advance it."""
        return lambda n: None

    def note(self, message: str) -> None:
        """A line for the user (`synthesized 3 segments, 40 from the cache`)."""

    def episode(self, name: str) -> None:
        """A render of several scripts starts the next one (`name`)."""
        self.note(name)


@dataclass(frozen=True)
class RenderResult:
    """What a render did."""

    episode: Episode | None
    """None when the episode was found up to date without reading the script."""
    timeline: Timeline | None
    """The episode as written (None if nothing was written)."""
    output: Path
    """The MP3."""
    files: tuple[Path, ...]
    """The MP3 and the files beside it."""
    synthesized: int
    """Segments synthesized by this render."""
    cached: int
    """Segments found in the cache."""
    up_to_date: bool = False
    """True if nothing needed doing."""
    voices: dict[str, Voice] = field(default_factory=dict)
    """Voice per speaker id."""


def render(
    script: Path | None = None,
    output: Path | None = None,
    cast_file: Path | None = None,
    cache_dir: Path | None = None,
    *,
    force: bool = False,
    engine_name: str = "espeak",
    workers: int | None = None,
    reporter: Reporter | None = None,
    settings: Mp3Settings = Mp3Settings(),
    cover: Path | None = None,
    engine: SpeechEngine | None = None,
    strict: bool = False,
) -> RenderResult:
    """Render a script to a tagged, chaptered MP3 and the files beside it.

    `cover` (a JPEG or PNG) overrides the cast's `[show] cover`. `engine`, an engine
    called `engine_name` that is already started, is used rather than a new one (and
    left running: its owner closes it). `strict`: what the splitter is unsure of is an error.
    """
    request = RenderRequest(script, output, cast_file, cover, force, engine_name, settings, strict)
    reporter = reporter or Reporter()
    owned = None
    if engine is None:
        engine = owned = start_engine(engine_name)
    else:  # an engine the caller started: the engines a cast names beside it are this render's
        engine = ensemble(engine)
    try:
        planned = plan(request, engine)
        engine = engine or create_engines(engine_name)
        cache = CacheFolder(cache_dir or default_cache_dir())
        return carry_out(planned, engine, cache, reporter, workers)
    finally:
        if owned is not None:
            owned.close()


def start_engine(name: str) -> SpeechEngine | None:
    """The engine called `name`, or None if it cannot start: its error is raised again after the script's own
    (a bad script is reported first, whatever the engine)."""
    try:
        return create_engines(name)
    except PodcastError:
        return None


def carry_out(planned: RenderPlan, engine: SpeechEngine, cache: CacheFolder, reporter: Reporter, workers=None):
    """Report a plan found up to date, or check its voices and execute it."""
    for line in planned.applied:
        reporter.note(line)
    if planned.up_to_date:
        return _up_to_date(planned, reporter)
    if planned.force or missing_jobs(planned.all_jobs, cache.speech, engine.sample_rate, engine.gives_marks):
        engine.warm_up()  # the speech server takes a tenth of a second to start: it does while voices are checked
    check_plan_voices(planned, engine, cache)
    return execute(planned, engine, cache, reporter, workers)


def check_plan_voices(planned: RenderPlan, engine: SpeechEngine, cache: CacheFolder) -> None:
    """Check that the engine has every voice a plan uses (`CastError` names the first it lacks)."""
    overridden = {s: planned.segment_voices[s] for s in planned.cast.overrides if s in planned.segment_voices}
    # the speakers' voices, then overridden segments' voices no speaker has, in one check (one read of voices.json)
    extra = {s: v for s, v in overridden.items() if v not in planned.voices.values()}
    check_voices(engine, {**planned.voices, **extra}, planned.cast, cache.voices)


def _up_to_date(planned: RenderPlan, reporter: Reporter) -> RenderResult:
    if planned.episode is None:  # from the files' bytes alone: nothing was parsed
        count = len({s.get("cache_key") for s in planned.previous.get("segments", [])})
        reporter.note(f"{planned.output} is up to date; nothing to do")
        return RenderResult(None, None, planned.output, planned.files, 0, count, up_to_date=True)
    if planned.inputs and planned.previous.get("inputs") != planned.inputs:  # the files changed, not what they say:
        _note_inputs(planned.output, planned.digest, planned.inputs)  # the next check needs no parsing
    reporter.note(f"{planned.output} is up to date; nothing to do")
    return RenderResult(planned.episode, None, planned.output, planned.files, 0, len(planned.jobs), up_to_date=True,
                        voices=planned.voices)  # fmt: skip


def execute(
    planned: RenderPlan, engine: SpeechEngine, cache: CacheFolder, reporter: Reporter, workers: int | None = None
) -> RenderResult:
    """Carry out a plan: synthesize what the cache lacks, lay out, encode, write the episode."""
    everything = planned.all_jobs
    with locked(planned.output):  # before synthesis: a refused render synthesizes nothing
        # What is missing, checked under the lock: another render may have made some of it.
        todo = everything if planned.force else missing_jobs(everything, cache.speech, engine.sample_rate,
                                                             engine.gives_marks)  # fmt: skip
        unique = len({j.key for j in planned.jobs})
        spoken = len({j.key for j in todo} & {j.key for j in planned.jobs})  # the script's, not the readings
        readings = len(todo) - spoken
        reporter.note(
            f"{spoken} of {unique} segments to synthesize, {unique - spoken} from the cache"
            + (f"; {readings} voice reading(s) for the loudness" if readings else "")
        )
        synthesize_jobs(todo, engine, cache.speech, workers, reporter.stage("Synthesizing", len(todo)))
        timeline = assemble(planned, engine, cache, reporter, workers)
    return RenderResult(planned.episode, timeline, planned.output, planned.files, spoken, unique - spoken,
                        voices=planned.voices)  # fmt: skip


def assemble(
    planned: RenderPlan, engine: SpeechEngine, cache: CacheFolder, reporter: Reporter, workers=None
) -> Timeline:
    """Lay the synthesized segments out, encode the parts the store lacks, write the episode; its timeline."""
    from .publish.episode import metadata, texts_beside, write_episode  # mutagen, pydub: only with work to do
    from .sound.assemble import encode_parts, played_timeline
    from .sound.wordtimes import with_words

    episode, cast, settings = planned.episode, planned.cast, planned.settings
    source, layout, filters, records = lay_out_plan(planned, engine, cache, reporter, workers)
    spoken = {j.key: j.text for j in planned.jobs}
    timeline = with_words(played_timeline(layout.timeline, settings.sample_rate), records, spoken, engine.sample_rate)
    del records, spoken  # their marks are the timeline's words now: a long episode holds them once
    # The files beside the MP3 follow from the timeline alone: written while the encoders run.
    with ThreadPoolExecutor(max_workers=1) as side:
        pending = side.submit(texts_beside, episode, timeline, cast, planned.output, planned.digest, planned.inputs)
        parts, encoded = encode_parts(
            layout, source.pcm, cache.parts, settings=settings, filters=filters, stage=reporter.stage, workers=workers
        )
        texts = pending.result()
    reporter.note(f"encoded {encoded} of {len(layout.parts)} parts, {len(layout.parts) - encoded} from the cache")
    write_episode(planned.output, parts, timeline, metadata(episode, cast), planned.cover, texts)
    cache.prune({p.key for p in layout.parts})
    minutes = timeline.length / timeline.sample_rate / 60
    reporter.note(f"wrote {planned.output} ({minutes:.1f} min, {len(timeline.chapters)} chapters)")
    return timeline


def lay_out_plan(planned: RenderPlan, engine: SpeechEngine, cache: CacheFolder, reporter: Reporter, workers=None):
    """A plan's segments (their speech in the cache) laid on the frame grid, with the show's music: the speech
    source, the layout, the mastering filters and the segments' records (by cache key)."""
    from .sound.assemble import lay_out, mastering_filters
    from .sound.loudness import as_measured, voice_gains
    from .sound.music import tracks
    from .speech.synth import SpeechSource

    episode, cast = planned.episode, planned.cast
    source = SpeechSource(cache.speech, engine, {j.key: j for j in planned.all_jobs})
    records = {key: source.record(key) for key in dict.fromkeys(j.key for j in planned.jobs)}
    readings = {voice: job.key for voice, job in planned.calibrations.items()}
    loudness = as_measured(cast.loudness)  # the target is as heard: the speech is mono
    gains = voice_gains(source, readings, loudness, workers, reporter.stage)
    filters = mastering_filters(loudness)
    music = tracks(planned.music, engine.sample_rate, loudness, cast.music) if planned.music else None
    layout = lay_out(
        takes(planned), records, gains, titles=[c.title for c in episode.chapters], pauses=cast.pauses,
        sample_rate=engine.sample_rate, settings=planned.settings, filters=filters, music=music, mix=cast.music,
    )  # fmt: skip
    return source, layout, filters, records


def takes(planned: RenderPlan) -> list[Take]:
    """Every segment of a plan as a take (chapter, voice, cache key), not yet laid on the timeline."""
    keys = iter(planned.jobs)
    return [
        Take(segment, number, planned.segment_voices[segment.id], next(keys).key)
        for number, chapter in enumerate(planned.episode.chapters)
        for segment in chapter.segments
    ]


def _note_inputs(output: Path, digest: str, inputs: str) -> None:
    """Record a new input fingerprint in the manifest of an episode that is up to date.

    Under the episode's lock, and only if the manifest still describes the same render;
    a failure (or another render at work) costs only the speed of the next check.
    """
    manifest = sidecar_paths(output)["manifest"]
    try:
        with locked(output):
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
def locked(output: Path) -> Iterator[None]:
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
