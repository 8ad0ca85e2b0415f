"""The natural voices' benchmark (issue 15): `python -m tests.bench.natural` from the project root.

Needs the piper extra. Measures in one run:

1. the real-time factor of synthesis, cold, on every core: every segment of the example
   spoken by espeak-ng (the baseline), then by Piper's Joe voice (seconds of work per
   second of speech, through the render's own synthesis: its speech servers and workers);
2. a cold render of the example with the natural cast (`voices/natural.toml`);
3. the same render again, unchanged (median of five): the target is under a second.

Progress goes to stderr, the report (a Markdown table) to stdout.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import measure
from .__main__ import PROJECT, SCRIPT, checked, machine, podcast, say

REPEATS = 5


def speech_rtf(engine_name: str, voice_spec: dict, project: Path) -> tuple[float, float, int]:
    """(wall seconds, seconds of speech, segments) of synthesizing every segment of the example with one voice,
    cold, on every core."""
    from audio.speech.cache import SegmentCache
    from audio.speech.engines.ensemble import create_engines
    from audio.speech.synth import Job, synthesize_jobs
    from audio.speech.voicespec import voice_from
    from audio.text.script import load_episode

    episode = load_episode(project / SCRIPT)
    voice = voice_from(voice_spec, None, "[bench]", project / "voices" / "bench.toml", project)
    jobs = [Job(f"{n:032x}", s.text, voice, f"segment {s.id}") for n, s in enumerate(episode.segments)]
    cache = SegmentCache(Path(tempfile.mkdtemp(prefix="podcast-rtf-")))
    engines = create_engines(engine_name)
    try:
        engines.warm_up()
        engines.engine_for(voice).check_voice(voice)
        # the servers start (and Piper loads its model) before the clock: what is measured is speech
        engines.synthesize("Ready.", voice)
        started = time.perf_counter()
        synthesize_jobs(jobs, engines, cache, workers=len(os.sched_getaffinity(0)))
        wall = time.perf_counter() - started
        samples = sum(cache.frames(job.key, engines.sample_rate) for job in jobs)
    finally:
        engines.close()
        shutil.rmtree(cache.root, ignore_errors=True)
    return wall, samples / engines.sample_rate, len(jobs)


def main() -> int:
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(PROJECT))
    work = Path(tempfile.mkdtemp(prefix="podcast-bench-natural-"))
    try:
        project = work / "project"
        (project / "scripts").mkdir(parents=True)
        shutil.copytree(PROJECT / "voices", project / "voices")
        shutil.copy2(PROJECT / SCRIPT, project / SCRIPT)
        rows = []
        say("… espeak-ng, every segment, cold")
        e_wall, e_speech, count = speech_rtf("espeak", {"voice": "en-US", "variant": "m3"}, project)
        rows.append((f"espeak-ng (en-US+m3): {count} segments, {e_speech / 60:.1f} min of speech", f"{e_wall:.2f} s",
                     f"{e_wall / e_speech:.4f}", "baseline"))  # fmt: skip
        say("… Piper (Joe), every segment, cold")
        p_wall, p_speech, count = speech_rtf("espeak", {"engine": "piper", "model": "en_US-joe-medium"}, project)
        rows.append((f"Piper (en_US-joe-medium): {count} segments, {p_speech / 60:.1f} min of speech",
                     f"{p_wall:.2f} s", f"{p_wall / p_speech:.4f}", f"{(p_wall / p_speech) / (e_wall / e_speech):.1f}× "
                     "espeak-ng's"))  # fmt: skip
        cache, mp3 = work / "cache", work / "out" / "natural.mp3"
        command = podcast("render", SCRIPT, "--cast", "voices/natural.toml", "--out", mp3, "--cache-dir", cache, "-q")
        say("… cold render, natural cast")
        cold = checked(measure.run(command, project), "cold render with the natural cast")
        rows.append(("cold render of the example, natural cast (interviewer Piper, the rest espeak-ng)",
                     f"{cold.wall:.2f} s", "—", "—"))  # fmt: skip
        agains = []
        for n in range(REPEATS):
            say(f"… unchanged re-render {n + 1}/{REPEATS}")
            agains.append(checked(measure.run(command, project), "unchanged re-render").wall)
        again = statistics.median(agains)
        rows.append((f"unchanged re-render, natural cast (median of {REPEATS}: "
                     + ", ".join(f"{a:.2f}" for a in agains) + " s)", f"{again:.2f} s", "—",
                     f"< 1 s: {'yes' if again < 1 else '**no**'}"))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("# podcast benchmark: natural voices (issue 15)\n")
    print("\n".join(machine()) + "\n")
    print("| step | wall time | real-time factor (s of work per s of speech) | compared |")
    print("|---|---:|---:|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
