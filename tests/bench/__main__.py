"""The benchmark of issue 7: `python -m tests.bench [--quick] [--keep] [--cluster]` from the project root.

Measures in one run, against a baseline measured in the same run:

1. baseline: libespeak-ng reading the whole example script as one text into one WAV
   (what `espeak-ng -w -s 170 -v en-US+m3` does), then ffmpeg encoding it with the
   episode's MP3 settings;
2. a cold render of the example (empty cache), 3. the same render again (unchanged;
   median of five), 4. re-voicing one segment (at three rates in turn; median), 5. cold
   renders of the example repeated 10 and 30 times (time, and peak memory of the whole
   process tree), 6. `podcast --help`.

Everything runs in a temporary copy of the project's `scripts/` and `voices/` (a re-voice
may write to the cast), with its own caches and outputs. Progress goes to stderr, the
report (a Markdown table) to stdout. The exit code is 0 even when targets are missed;
1 if a step failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import measure
from .scripts import repeated_script, segments

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = Path("scripts") / "deepseek-interview.txt"
BASELINE = Path(__file__).with_name("baseline.py")
PY = sys.executable
REVOICE_RATES = (150, 140, 160)
REPEATS = 5
"""How often the baseline and the cold render are measured (alternately): their medians are
compared, as other work on the machine can skew a single run."""


@dataclass
class Row:
    """One line of the report."""

    step: str
    value: str
    ratio: str = "—"
    target: str = "—"
    met: str = "—"


class StepFailed(Exception):
    """A step's command failed; the benchmark goes on with the steps that do not need it."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def checked(result: measure.Run, what: str) -> measure.Run:
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise StepFailed(f"{what} exited with {result.returncode}:\n{tail}")
    return result


def podcast(*args: str) -> list[str]:
    return [PY, "-m", "audio", *map(str, args)]


def sampled(command: list[str], cwd: Path, what: str) -> measure.Run:
    """Run a render, sampling its process tree; StepFailed if it fails."""
    return checked(measure.run(command, cwd, sample=True), what)


def split_json(script: Path, cwd: Path) -> dict:
    return json.loads(checked(measure.run(podcast("split", script, "--json"), cwd), f"split {script}").stdout)


def mp3_minutes(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length / 60


def mib(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def machine() -> list[str]:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    from audio import __version__

    return [
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {len(os.sched_getaffinity(0))} cores (nproc), {model}, {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()} ({PY}), podcast {__version__}",
        f"- load average at the start: {load()}",
    ] + (["- PYTHONDONTWRITEBYTECODE is set: the tool's modules were compiled once before measuring"]
         if os.environ.get("PYTHONDONTWRITEBYTECODE") else [])  # fmt: skip


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min; other work on the machine skews times)"


@dataclass
class Baseline:
    """One run of the bare pipeline."""

    wall: float
    synthesis: float
    facts: dict
    """rate, samples and version, as baseline.py reports them."""


def baseline(text: Path, work: Path) -> Baseline:
    """The bare pipeline, timed: synthesis in its own process, then ffmpeg."""
    from audio.sound.ffmpeg import find_ffmpeg

    ffmpeg = find_ffmpeg()[0]
    wav, mp3 = work / "baseline.wav", work / "baseline.mp3"
    started = time.perf_counter()
    synth = checked(measure.run([PY, str(BASELINE), str(text), str(wav)]), "baseline synthesis")
    middle = time.perf_counter()
    encode = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav),
              "-ar", "44100", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(mp3)]  # fmt: skip
    checked(measure.run(encode), "baseline encoding")
    return Baseline(time.perf_counter() - started, middle - started, json.loads(synth.stdout))


def median_run(runs: list[Baseline]) -> Baseline:
    """The run of median wall time (the upper one of two)."""
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def spread(runs: list) -> str:
    return ", ".join(f"{r.wall:.2f}" for r in runs) + " s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 30× step")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    parser.add_argument("--cluster", action="store_true", help="only the cluster steps (issue 17; needs Dask)")
    args = parser.parse_args(argv)
    from importlib.util import find_spec

    from .cluster import main as cluster_main

    if args.cluster:
        return cluster_main()
    # Measure the `audio` of this work tree, also where a non-editable install sits in the venv.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), os.environ.get("PYTHONPATH")]))

    # An installed package has its modules compiled; compile this work tree's once, so that
    # no measured start pays for it (PYTHONDONTWRITEBYTECODE would have every start compile).
    import compileall

    compileall.compile_dir(str(PROJECT / "audio"), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="podcast-bench-"))
    try:
        code = _bench(work, args.quick)
        if find_spec("distributed"):  # the cluster steps report after the others (the cluster extra installed)
            print()
            code |= cluster_main()
        return code
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def compare(step: str, value: str, ratio: float, against: str, limit: float | None = None, share=False) -> Row:
    """A row whose ratio is judged against `limit` (a share of `against` when `share`)."""
    shown = f"{ratio:.1%} of {against}" if share else f"{ratio:.2f}× {against}"
    if limit is None:
        return Row(step, value, shown)
    target = f"≤ {limit:.0%} of {against}" if share else f"≤ {limit:g}× {against}"
    return Row(step, value, shown, target, yes(ratio <= limit))


def _bench(work: Path, quick: bool) -> int:
    started = time.perf_counter()
    project = work / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copytree(PROJECT / "voices", project / "voices")
    shutil.copy2(PROJECT / SCRIPT, project / SCRIPT)
    rows: list[Row] = []
    notes: list[str] = []
    failures: list[str] = []
    header = machine()

    def step(name: str, action, *args):
        say(f"… {name}")
        try:
            return action(*args)
        except StepFailed as exc:
            failures.append(f"{name}: {exc}")
            say(f"FAILED {name}: {exc}")
            return None

    doctor = step("podcast doctor", lambda: checked(measure.run(podcast("doctor"), project), "doctor"))
    if doctor:
        header += [f"- {line.strip()}" for line in doctor.stdout.strip().splitlines()]
    split = step("split the example", split_json, SCRIPT, project)
    if split:
        header.append(f"- script: {SCRIPT} ({len(segments(split))} segments, {len(split['chapters'])} chapters)")

    # 1. The bare pipeline and 2. a cold render, alternately, REPEATS times each
    bases: list[Baseline] = []
    colds: list[tuple[measure.Run, list[str], Path, Path]] = []
    for i in range(1, REPEATS + 1):
        bases += filter(None, [step(f"baseline {i}/{REPEATS}", baseline, project / SCRIPT, work)])
        mp3, cache = work / "out" / f"cold-{i}.mp3", work / f"cache-{i}"
        command = podcast("render", SCRIPT, "--out", mp3, "--cache-dir", cache, "--quiet")
        run = step(f"cold render {i}/{REPEATS}", sampled, command, project, "cold render")
        colds += [(run, command, mp3, cache)] if run else []
    base = median_run(bases) if bases else None
    if base:
        rows.append(Row(f"baseline: libespeak-ng reads the whole text into one WAV, ffmpeg encodes it "
                        f"(median of {len(bases)})", f"{base.wall:.2f} s"))  # fmt: skip
        facts = base.facts
        notes.append(
            f"- baseline runs {spread(bases)}; the median one: synthesis {base.synthesis:.2f} s (libespeak-ng "
            f"{facts['version']}, en-US+m3 at 170 wpm, {facts['samples'] / facts['rate'] / 60:.1f} min of speech) "
            f"+ encoding {base.wall - base.synthesis:.2f} s"
        )

    # 3. The same render again, 4. re-voicing one segment
    cold = None
    if colds:
        cold, render_cold, cold_mp3, cache = sorted(colds, key=lambda c: c[0].wall)[len(colds) // 2]
        if base:
            rows.append(compare(f"cold render of the example, empty cache (median of {len(colds)})",
                                f"{cold.wall:.2f} s", cold.wall / base.wall, "baseline", 1.0))  # fmt: skip
        notes.append(f"- cold render runs {spread([c[0] for c in colds])}; child processes of the median one, "
                     f"seen from outside: {measure.timeline(cold)}")  # fmt: skip
        notes.append(f"- cold render: `{' '.join(render_cold[1:])}` in a copy of scripts/ and voices/")
        notes.append(f"- episode length {mp3_minutes(cold_mp3):.1f} min")
        agains = [step(f"unchanged re-render {i}/{REPEATS}", sampled, render_cold, project, "unchanged re-render")
                  for i in range(1, REPEATS + 1)]  # fmt: skip
        agains = [a for a in agains if a]
        if agains:
            again = statistics.median(a.wall for a in agains)
            rows.append(compare(f"unchanged re-render (cache warm, episode up to date; median of {len(agains)})",
                                f"{again:.2f} s", again / cold.wall, "cold", 0.05, share=True))  # fmt: skip
            notes.append(f"- unchanged re-render runs {spread(agains)}")
        revoiced = step("re-voice", revoice, split, project, cold_mp3, cache, cold.wall, notes) if split else None
        rows += [revoiced] if revoiced else []

    # 5. Scale: time and peak memory
    peaks = {1: cold.peak_rss} if cold else {}
    for n in (10,) if quick else (10, 30):
        scaled_run = step(f"{n}× script", scaled, n, split, project, work, notes) if cold and split else None
        if scaled_run:
            peaks[n] = scaled_run.peak_rss
            rows.append(compare(f"{n}× script, cold", f"{scaled_run.wall:.1f} s", scaled_run.wall / cold.wall,
                                "the 1× time", 10.5 if n == 10 else None))  # fmt: skip
    for n, peak in peaks.items():
        rows.append(compare(f"peak memory, {n}× script (process tree, summed RSS)", mib(peak), peak / peaks[1],
                            "the 1× peak", 1.5 if n == 30 else None))  # fmt: skip
    if quick:
        rows.append(Row("30× script", "skipped (--quick)", "—", "peak ≤ 1.5× the 1× peak"))

    # 6. --help
    for label, command in (
        ("`python -m audio --help`", podcast("--help")),
        ("`podcast --help` (installed script)", [str(Path(PY).parent / "podcast"), "--help"]),
    ):
        median = step(label, help_time, command, project)
        if median is not None:
            rows.append(Row(f"{label}, median of 5", f"{median:.3f} s", "—", "< 0.3 s", yes(median < 0.3)))

    notes += [
        f"- peak memory: VmRSS summed over the command's process tree every {measure.INTERVAL * 1000:.0f} ms "
        + "(pages shared between processes count once per process)",
        f"- load average at the end: {load()}",
        f"- the benchmark took {time.perf_counter() - started:.0f} s",
    ]
    print("# podcast benchmark (issue 7)\n")
    print("\n".join(header) + "\n")
    print("| step | wall time / peak memory | ratio | target | met? |")
    print("|---|---:|---:|---|---|")
    for row in rows:
        print(f"| {row.step} | {row.value} | {row.ratio} | {row.target} | {row.met} |")
    print("\n" + "\n".join(notes))
    if failures:
        print("\nFailed steps:\n" + "\n".join(f"- {f}" for f in failures))
        return 1
    return 0


def revoice(split: dict, project: Path, mp3: Path, cache: Path, cold: float, notes: list[str]) -> Row:
    """Re-voice the guest answer of median length at other rates, one after the other, on the cold
    render's cache and output: a new voice each time (its reading for the loudness included)."""
    answers = sorted((s for s in segments(split) if s["speaker"] not in ("narrator", "interviewer")),
                     key=lambda s: len(s["text"]))  # fmt: skip
    segment = answers[len(answers) // 2]
    rates = REVOICE_RATES
    name = (f"re-voice one segment ({segment['id']}, {len(segment['text'])} chars, "
            f"--rate {' then '.join(map(str, rates))}; median)")  # fmt: skip
    runs = []
    for rate in rates:
        before = mp3.stat().st_mtime_ns
        command = podcast("revoice", segment["id"], SCRIPT, "--rate", rate, "--cache-dir", cache, "--out", mp3)
        result = measure.run(command, project, sample=True)
        if result.returncode == 2:
            say("revoice not available")
            why = (result.stderr.strip().splitlines() or ["?"])[-1]
            notes.append(f"- revoice not available: `{' '.join(command[1:])}` exited with 2 (usage): {why}")
            return Row(name, "skipped: revoice not available", "—", "≤ 20% of cold", "—")
        checked(result, "revoice")
        rewritten = mp3.stat().st_mtime_ns != before
        notes.append(f"- re-voice at --rate {rate} {'rewrote' if rewritten else 'did NOT rewrite'} the episode; "
                     f"{measure.timeline(result)}")  # fmt: skip
        runs.append(result)
    median = statistics.median(r.wall for r in runs)
    share = median / cold
    return Row(name, f"{median:.2f} s ({spread(runs)})", f"{share:.1%} of cold", "≤ 20% of cold", yes(share <= 0.20))


def scaled(n: int, split: dict, project: Path, work: Path, notes: list[str]) -> measure.Run:
    """Cold render of the example repeated `n` times, every repetition distinct."""
    name = f"{SCRIPT.stem}-x{n}"
    script = Path("scripts") / f"{name}.txt"
    text = (project / SCRIPT).read_text(encoding="utf-8-sig")
    (project / script).write_text(repeated_script(text, split, n), encoding="utf-8")
    cast = project / "voices" / f"{SCRIPT.stem}.toml"
    if cast.exists():  # the same cast as the example's
        shutil.copy2(cast, project / "voices" / f"{name}.toml")
    check = segments(split_json(script, project))
    one = len(segments(split))
    distinct = len({s["text"] for s in check})
    mp3 = work / "out" / f"{name}.mp3"
    command = podcast("render", script, "--out", mp3, "--cache-dir", work / f"cache-x{n}", "--quiet")
    result = sampled(command, project, f"render of the {n}× script")
    notes.append(
        f"- {n}× script: {len(check)} segments ({len(check) / one:.1f}× the example's {one}), {distinct} distinct "
        f"texts, {mp3_minutes(mp3):.1f} min; {measure.timeline(result)}"
    )
    if len(check) < 0.9 * n * one or distinct < len(check):
        notes.append(f"- WARNING: the {n}× script does not split into {n}× distinct segments")
    return result


def help_time(command: list[str], cwd: Path) -> float:
    times = []
    for _ in range(5):
        times.append(checked(measure.run(command, cwd), " ".join(command)).wall)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
