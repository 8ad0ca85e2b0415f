"""A catalogue rendered on a Dask cluster: the client plans each episode, the workers speak its segments and
encode its parts, the client lays it out, joins, tags and writes it.

1. The client plans every script, as a local render does; episodes up to date are done.
2. The voices' readings of the calibration text that the cache lacks are spoken on the
   cluster (a task each) and measured on the client: their gains level every segment.
3. Each episode's segments that the cache lacks are spoken in chunks of `CHUNK_SEGMENTS`
   (`tasks.Chunk`); the speech comes back to the client's cache, and stays on its worker.
4. Once an episode's speech is all there, the client lays it out and sends the parts its
   store lacks in the runs a local render would encode (`tasks.Run`); a run's task
   takes its speech from the workers that spoke it. A constant bit rate pads each frame by
   its place in the encoder's stream, so the same runs are what make the same bytes.
5. When an episode's parts are all in the store, the client writes it under its lock
   (`render.assemble`, which then only joins the parts).

A few episodes per worker are in flight at once: the client's memory stays flat, and it
writes episodes while the cluster works on the next. A worker that dies costs its tasks a
retry elsewhere (the scheduler's own; lost speech is spoken again); a task that fails fails
its episode alone. Ctrl-C cancels this render's tasks on the cluster; every episode
written is whole (each is written atomically, by the client).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..caches import CacheFolder
from ..errors import ClusterError, PodcastError
from ..hooks import moment
from ..plan import RenderPlan, RenderRequest, plan
from ..render import RenderResult, Reporter, assemble, carry_out, check_plan_voices, lay_out_plan, locked, start_engine
from ..sound.encode import Mp3Settings
from ..speech.cache import default_cache_dir
from ..speech.engines import SpeechEngine
from ..speech.synth import Job, missing_jobs
from .connect import connect
from .tasks import PLUGIN, Chunk, Encoded, EnginePlugin, Run, Spoken, encode, speak

log = logging.getLogger(__name__)

CHUNK_SEGMENTS = 8
"""Segments per speaking task: see the README's cluster section for the measurements behind it."""
EPISODES_PER_WORKER = 2
"""Episodes in flight per worker thread: enough to keep every worker busy while the client writes the last one."""

Outcome = tuple[list[RenderResult], list[RenderResult], list[tuple[Path, PodcastError]]]
"""The episodes rendered, those up to date, and the scripts that failed with their error."""


def render_on_cluster(
    scripts: list[Path],
    refused: dict[Path, PodcastError],
    *,
    scheduler: str,
    cast_file: Path | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    engine_name: str = "espeak",
    workers: int | None = None,
    reporter: Reporter | None = None,
    cover: Path | None = None,
    strict: bool = False,
    settings: Mp3Settings = Mp3Settings(),
) -> Outcome:
    """Render `scripts` (but those `refused`, which fail with their error) on the cluster at `scheduler`.

    `workers`: as for a local render, the encoders an episode's parts are shared among (the runs they are
    encoded in, so that the bytes are a local render's on this machine); default: one per core here.
    """
    client = connect(scheduler)
    engine = None
    try:
        try:
            client.register_plugin(EnginePlugin(), name=PLUGIN)
        except Exception as exc:  # noqa: BLE001 - whatever a worker says, it is one line
            raise ClusterError(f"the workers cannot load the renderer ({exc}); install podcast-renderer on "
                               "every worker, at the client's version") from None  # fmt: skip
        engine = start_engine(engine_name)
        request = partial(RenderRequest, cast_file=cast_file, cover=cover, force=force, engine_name=engine_name,
                          strict=strict, settings=settings)  # fmt: skip
        cache = CacheFolder(cache_dir or default_cache_dir())
        return ClusterRun(client, engine, cache, reporter or Reporter(), workers).render(scripts, refused, request)
    finally:
        if engine is not None:
            engine.close()
        client.close()


@dataclass
class _Open:
    """An episode whose tasks are out."""

    planned: RenderPlan
    """Its plan."""
    index: int = 0
    """Its place in the catalogue."""
    keys: set = field(default_factory=set)
    """Its segments' cache keys."""
    readings: set = field(default_factory=set)
    """Its voices' readings' cache keys."""
    asked: bool = False
    """Its speaking tasks were sent."""
    spoken: int = 0
    """Segments spoken for it on the cluster."""
    encoding: bool = False
    """Its speech is all there, and its parts are being encoded."""
    futures: set = field(default_factory=set)
    """Its tasks still out."""
    holders: dict = field(default_factory=dict)
    """The speaking task that holds each cache key's speech."""


class ClusterRun:
    """One render of a catalogue on a cluster: the client's side."""

    def __init__(self, client, engine: SpeechEngine | None, cache: CacheFolder, reporter: Reporter, workers=None):
        self.client, self.engine, self.cache, self.reporter, self.workers = client, engine, cache, reporter, workers
        self.rendered: dict[Path, RenderResult] = {}
        self.fresh: dict[Path, RenderResult] = {}
        self.failed: dict[Path, PodcastError] = {}
        self.flying: set = set()
        self.advance = lambda n: None

    def render(self, scripts: list[Path], refused: dict[Path, PodcastError], request) -> Outcome:
        """Plan, calibrate, then speak, encode and write every episode; Ctrl-C cancels the tasks out."""
        try:
            plans = self._plan(scripts, refused, request)
            readings = {j.key: j for p in plans for j in self._missing(p, p.calibrations.values())}
            segments = sum(len(self._missing(p, p.jobs)) for p in plans)
            self.advance = self.reporter.stage("On the cluster", len(readings) + segments)
            self._episodes(plans, readings)
        except BaseException:
            if self.flying:
                self.client.cancel(list(self.flying), force=True)
            raise
        order = {script: n for n, script in enumerate(scripts)}
        ordered = lambda found: sorted(found.items(), key=lambda item: order[item[0]])  # noqa: E731
        failed = ordered(self.failed)
        return [r for _, r in ordered(self.rendered)], [r for _, r in ordered(self.fresh)], failed

    def _fail(self, script: Path, exc: PodcastError) -> None:
        log.error("%s", exc)
        self.failed[script] = exc

    def _plan(self, scripts: list[Path], refused: dict[Path, PodcastError], request) -> list[RenderPlan]:
        """Every script's plan; those up to date are reported, those that cannot be rendered fail."""
        todo = []
        for script in scripts:
            try:
                if script in refused:
                    raise refused[script]
                planned = plan(request(script=script), self.engine)
                if planned.up_to_date:
                    self.reporter.episode(f"{script}:")
                    self.fresh[script] = carry_out(planned, self.engine, self.cache, self.reporter)
                else:
                    check_plan_voices(planned, self.engine, self.cache)
                    todo.append(planned)
            except PodcastError as exc:
                self._fail(script, exc)
        return todo

    def _missing(self, planned: RenderPlan, jobs) -> list[Job]:
        """The jobs whose speech the cache lacks (all with --force), each key once."""
        if planned.force:
            return list({j.key: j for j in jobs}.values())
        return missing_jobs(list(jobs), self.cache.speech, self.engine.sample_rate, self.engine.gives_marks)

    def _submit(self, function, *args, priority: int = 0):
        future = self.client.submit(function, *args, pure=False, priority=priority)
        self.flying.add(future)
        return future

    def _speak(self, jobs: list[Job]):
        engine = self.engine
        return self._submit(speak, Chunk(engine.name, engine.version(), engine.sample_rate, tuple(jobs)))

    def _result(self, future) -> Spoken | Encoded:
        """A task's result, stored in the client's caches; a failure as our error."""
        self.flying.discard(future)
        try:
            result = future.result()
        except PodcastError:
            raise
        except Exception as exc:  # noqa: BLE001 - a worker lost too often, the scheduler gone: one line
            raise ClusterError(f"the cluster could not run a task ({type(exc).__name__}: {exc})") from None
        if isinstance(result, Spoken):
            for key, pcm in result.speech.items():
                self.cache.speech.store(key, pcm, self.engine.sample_rate, result.marks.get(key))
        else:
            for key, (frames, count) in result.parts.items():
                if self.cache.parts.get(key, count) is None:
                    self.cache.parts.put(key, frames, count)
        return result

    def _send_speaking(self, episode: _Open) -> None:
        """An episode's segments the cache lacks, out in chunks of neighbours."""
        missing = self._missing(episode.planned, episode.planned.jobs)
        episode.spoken = len(missing)
        for first in range(0, len(missing), CHUNK_SEGMENTS):
            group = missing[first : first + CHUNK_SEGMENTS]
            future = self._speak(group)
            episode.futures.add(future)
            episode.holders.update({job.key: future for job in group})

    def _send_encoding(self, episode: _Open) -> None:
        """An episode's parts the store lacks, out in the runs a local render would encode them in."""
        from ..sound.assemble import runs_to_encode

        planned, episode.encoding = episode.planned, True
        source, layout, filters, _ = lay_out_plan(planned, self.engine, self.cache, self.reporter, self.workers)
        for run in runs_to_encode(layout, self.cache.parts, planned.settings, self.workers):
            keys = dict.fromkeys(part.take.cache_key for part in run)
            holders = list(dict.fromkeys(episode.holders[k] for k in keys if k in episode.holders))
            music = tuple(c for c in layout.clips if c.start < run[-1].end and c.end > run[0].start)
            task = Run(
                layout.timeline.sample_rate, tuple(run), {k: layout.bounds[k] for k in keys},
                {k: layout.gains[k] for k in keys}, planned.settings, filters, music,
                {k: source.pcm(k) for k in keys if k not in episode.holders},
            )  # fmt: skip
            # before the next episodes' speech: an episode is written as soon as can be, its speech let go
            episode.futures.add(self._submit(encode, task, holders, priority=1))

    def _episodes(self, plans: list[RenderPlan], readings: dict[str, Job]) -> None:
        """The voices' readings first, then each episode's speaking tasks, its encoding tasks once its speech and
        readings are back, and its writing; a few episodes at a time."""
        from distributed import as_completed

        self.done = as_completed(loop=self.client.loop)
        self.queue, self.open, self.owners = deque(plans), {}, {}
        self.index = {p.script: n for n, p in enumerate(plans)}
        self.pending = {self._speak([job]): key for key, job in readings.items()}
        self.broken: dict[str, PodcastError] = {}
        for future in self.pending:
            self.done.add(future)
        self._open_next()
        moment("on the cluster")  # a test's stopping point: Ctrl-C with tasks out
        for future in self.done:
            if future in self.pending:
                self._reading_back(future)
            else:
                self._task_back(future)

    def _reading_back(self, future) -> None:
        key = self.pending.pop(future)
        try:
            self._result(future)
        except PodcastError as exc:
            self.broken[key] = exc
        self.advance(1)
        self._wake()

    def _task_back(self, future) -> None:
        episode = self.owners.pop(future)
        episode.futures.discard(future)
        if episode.planned.script in self.failed:  # a task of a failed episode, cancelled: let go
            self.flying.discard(future)
            return
        try:
            result = self._result(future)
        except PodcastError as exc:
            self._fail(episode.planned.script, exc)
            self.client.cancel(list(episode.futures), force=True)
            episode.futures.clear()
        else:
            if isinstance(result, Spoken):
                self.advance(len(result.speech))
        if not episode.futures:
            self._next_step(episode)

    def _waits(self, episode: _Open) -> bool:
        """An episode's encoding waits for its voices' readings (their gains), and for every earlier episode that
        may store parts it uses (as in a local render, which encodes only what the earlier ones left to do)."""
        if episode.readings & set(self.pending.values()):
            return True
        return any(o.index < episode.index and o.keys & episode.keys for o in self.open.values())

    def _next_step(self, episode: _Open) -> None:
        """Send an episode's next tasks; write it when it has none left to send."""
        script = episode.planned.script
        while script not in self.failed and not episode.futures and not episode.encoding:
            try:
                broken = [self.broken[key] for key in episode.readings if key in self.broken]
                if broken:
                    raise broken[0]
                if not episode.asked:
                    episode.asked = True
                    self._send_speaking(episode)
                elif self._waits(episode):
                    return
                else:
                    self._send_encoding(episode)
            except PodcastError as exc:
                self._fail(script, exc)
        if episode.futures and script not in self.failed:
            for future in episode.futures - self.owners.keys():
                self.owners[future] = episode
                self.done.add(future)
            return
        self.open.pop(script, None)
        episode.holders.clear()  # the speech the cluster holds for it is let go
        if script not in self.failed:
            self._finish(episode)
        self._wake()

    def _wake(self) -> None:
        """Move on the episodes that wait, and open the next ones."""
        for waiting in list(self.open.values()):
            if self.open.get(waiting.planned.script) is waiting and waiting.asked and not waiting.futures \
                    and not waiting.encoding:  # fmt: skip
                self._next_step(waiting)
        self._open_next()

    def _open_next(self) -> None:
        if not self.queue:
            return
        threads = sum(self.client.nthreads().values())  # asked again each time: a cluster may grow or shrink
        if not threads and not self.open:
            self.reporter.note("the cluster has no workers yet; the tasks wait for some")
        while self.queue and len(self.open) < EPISODES_PER_WORKER * max(1, threads):
            planned = self.queue.popleft()
            self.open[planned.script] = episode = _Open(
                planned, self.index[planned.script], {j.key for j in planned.jobs},
                {j.key for j in planned.calibrations.values()},
            )  # fmt: skip
            self._next_step(episode)

    def _finish(self, episode: _Open) -> None:
        """Write an episode whose speech and parts are all in the caches, under its lock."""
        planned = episode.planned
        self.reporter.episode(f"{planned.script}:")
        for line in planned.applied:
            self.reporter.note(line)
        try:
            with locked(planned.output):
                timeline = assemble(planned, self.engine, self.cache, self.reporter, self.workers)
        except PodcastError as exc:
            self._fail(planned.script, exc)
            return
        unique = len({j.key for j in planned.jobs})
        self.rendered[planned.script] = RenderResult(
            planned.episode, timeline, planned.output, planned.files, episode.spoken, unique - episode.spoken,
            voices=planned.voices,
        )  # fmt: skip
