"""The cluster benchmark of issue 17: `python -m tests.bench --cluster` (also the last step of the whole bench).

A catalogue of generated episodes is rendered twice from an empty cache: sequentially on this
machine (`podcast render scripts`, every episode using all cores in turn), and on a Dask
LocalCluster of two worker processes of two threads each (`--scheduler`); both times are
reported, with their ratio, and whether the two catalogues are the same bytes. Dask's
per-task overhead is measured on the same cluster: the round trip of one empty task, and
the cost per task of many empty tasks run at once. The cost of a segment (the core time a
render spends on it, from the sequential run) and the 5,000-episode projection follow.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

from . import measure

PY = sys.executable
EPISODES = 20
"""Episodes in the catalogue."""
QUESTIONS = 12
"""Questions per episode, each with two answers: an episode of about four minutes."""
CORES = len(os.sched_getaffinity(0))
THREADS = 2
"""Threads per worker process of the LocalCluster (two worker processes, one per core here)."""


def _noop(x: int) -> int:
    return x


def _sentence(rng: random.Random, words: list[str], count: int) -> str:
    chosen = [rng.choice(words) for _ in range(count)]
    return " ".join(chosen).capitalize()


def generated_episode(n: int, words: list[str]) -> str:
    """A script with a title, a lede, three chapters and `QUESTIONS` questions, each answered by two guests;
    every sentence drawn from `words` with the episode's own seed (no two episodes share a segment)."""
    rng = random.Random(n)
    lines = ["Interview", "Published: 14 March 2024", "", f"Episode {n}: {_sentence(rng, words, 4)}", "",
             _sentence(rng, words, 14) + ".", ""]  # fmt: skip
    for question in range(QUESTIONS):
        if question % (QUESTIONS // 3) == 0:
            lines += [f"Part {question // (QUESTIONS // 3) + 1} of episode {n}", ""]
        lines += [_sentence(rng, words, 10) + "?", ""]
        first = "Jane Smith (JS)" if question == 0 else "JS"
        lines += [f"{first}: " + ". ".join(_sentence(rng, words, 12) for _ in range(2)) + ".", ""]
        second = "Robert King (RK)" if question == 0 else "RK"
        lines += [f"{second}: " + ". ".join(_sentence(rng, words, 12) for _ in range(2)) + ".", ""]
    return "\n".join(lines) + "Share\n"


def catalogue(project: Path, root: Path) -> int:
    """Write the catalogue's scripts into `project/scripts`; the number of segments."""
    text = (root / "scripts" / "deepseek-interview.txt").read_text(encoding="utf-8")
    words = sorted({w.lower() for w in re.findall(r"[A-Za-z]{3,12}", text)})
    (project / "scripts").mkdir(parents=True, exist_ok=True)
    for n in range(EPISODES):
        (project / "scripts" / f"episode-{n:02}.txt").write_text(generated_episode(n, words), encoding="utf-8")
    return EPISODES * (4 + 3 * QUESTIONS)  # title, lede, … chapter titles, questions and answers


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*")) if p.is_file()}


def task_overhead(client) -> tuple[float, float]:
    """(median round trip of one empty task, cost per task of 2,000 empty tasks at once), in seconds."""
    client.submit(_noop, -1, pure=False).result()
    trips = []
    for i in range(30):
        began = time.perf_counter()
        client.submit(_noop, i, pure=False).result()
        trips.append(time.perf_counter() - began)
    began = time.perf_counter()
    client.gather(client.map(_noop, range(2000), pure=False))
    return statistics.median(trips), (time.perf_counter() - began) / 2000


ROUNDS = 2
"""Each render is measured this often, alternately (here, there, there, here): the faster of each is compared,
as other work on the machine slows single runs."""


def _task_costs(stream: list[dict]) -> dict[str, float]:
    """Seconds of compute per kind of task (`speak`, `encode`) in a Dask task stream."""
    costs: dict[str, float] = {}
    for record in stream:
        kind = str(record["key"]).split("-", 1)[0].strip("('\"")
        for span in record["startstops"]:
            if span["action"] == "compute":
                costs[kind] = costs.get(kind, 0.0) + span["stop"] - span["start"]
    return costs


def _cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user and system) the processes `pids` and all their descendants have used, living or reaped."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, grown = set(pids), True
    while grown:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    ticks = 0
    for pid in tree:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, and their reaped children's
        except (OSError, ValueError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def _render_twice(project: Path, work: Path, podcast: list[str], cluster, client, say):
    """ROUNDS runs here and there, alternately, from empty caches; (here's walls, there's walls, task costs of the
    last run there, whether every run's files were the same bytes)."""
    from distributed import get_task_stream

    here, there, costs, files = [], [], {}, []
    for n, place in enumerate(["here", "there", "there", "here"][: 2 * ROUNDS]):
        shutil.rmtree(project / "dist", ignore_errors=True)
        say(f"… {EPISODES} episodes {'sequentially here' if place == 'here' else 'on the LocalCluster'} ({n + 1})")
        command = [*podcast, "--cache-dir", str(work / f"cache-{n}")]
        if place == "here":
            run = measure.run(command, project)
        else:
            workers = list(client.run(os.getpid).values())
            before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers are not reaped yet: the client's
            busy = _cpu_seconds(workers)
            with get_task_stream(client) as stream:
                run = measure.run([*command, "--scheduler", cluster.scheduler_address], project)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            costs = _task_costs(stream.data)
            costs["client"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            costs["workers"] = _cpu_seconds(workers) - busy
        if run.returncode:
            raise RuntimeError(f"the render {place} failed: {run.stderr[-500:]}")
        (here if place == "here" else there).append(run.wall)
        files.append(digests(project / "dist"))
    return here, there, costs, all(f == files[0] for f in files)


def cluster_bench(work: Path, root: Path, say) -> tuple[list[tuple[str, str, str]], list[str], dict]:
    """Run the cluster steps in `work`; the report's rows (step, value, ratio), notes, and the numbers."""
    import dask
    from distributed import Client, LocalCluster

    project = work / "catalogue"
    shutil.copytree(root / "voices", project / "voices", ignore=shutil.ignore_patterns("deepseek-interview.toml"))
    segments = catalogue(project, root)
    podcast = [PY, "-m", "audio", "render", "scripts", "-q"]
    dask.config.set({"distributed.worker.profile.enabled": False})  # as the README advises for workers
    # Two tasks per core: a task waits on its child processes (a speech server's child, ffmpeg) part of the time.
    with LocalCluster(n_workers=2, threads_per_worker=THREADS, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster, Client(cluster, set_as_default=False) as client:  # fmt: skip
        here, there, costs, same = _render_twice(project, work, podcast, cluster, client, say)
        say("… Dask's per-task overhead")
        trip, per_task = task_overhead(client)
    minutes = _minutes(project / "dist")
    best_here, best_there = min(here), min(there)
    numbers = dict(here=best_here, there=best_there, trip=trip, per_task=per_task, segments=segments,
                   minutes=minutes, speak=costs.get("speak", 0) / segments, encode=costs.get("encode", 0) / segments,
                   core=best_here * CORES / segments, client=costs.get("client", 0) / EPISODES,
                   worker_cpu=costs.get("workers", 0) / segments)  # fmt: skip
    runs = lambda walls: ", ".join(f"{w:.1f}" for w in walls) + " s"  # noqa: E731
    rows = [
        (f"{EPISODES} episodes ({minutes:.0f} min, {segments} segments), sequentially here, empty cache "
         f"(best of {len(here)})", f"{best_here:.1f} s", "—"),
        (f"the same on a LocalCluster of 2 workers × {THREADS} threads (`--scheduler`), empty cache "
         f"(best of {len(there)})",
         f"{best_there:.1f} s", f"{best_there / best_here:.2f}× sequential (target ≤ 1: "
         f"{'met' if best_there <= best_here else 'not met'})"),
        ("every run's files the same bytes (every file in dist/, here and there)", "yes" if same else "NO", "—"),
        ("Dask task round trip (one empty task, median of 30)", f"{trip * 1000:.1f} ms", "—"),
        (f"Dask overhead per task (2,000 empty tasks at once, 2 workers × {THREADS} threads)",
         f"{per_task * 1000:.2f} ms", "—"),
        ("a segment's speaking on a worker (task time / segments; tasks share cores)",
         f"{numbers['speak'] * 1000:.0f} ms", "—"),
        ("a segment's levelling and encoding on a worker (task time)", f"{numbers['encode'] * 1000:.0f} ms", "—"),
        ("the workers' CPU time per segment (their processes and children: all they do)",
         f"{numbers['worker_cpu'] * 1000:.0f} ms", f"speaking {_share(numbers, 'speak')}, encoding "
         f"{_share(numbers, 'encode')} of the task time"),
        ("the client's CPU time per episode (planning, storing, laying out, joining, tagging, writing)",
         f"{numbers['client']:.2f} s", "—"),
        ("core time per segment, whole render (sequential run: wall × cores / segments)",
         f"{numbers['core'] * 1000:.0f} ms", f"{numbers['core'] * segments / (minutes * 60):.4f} core-s per s "
         "of audio"),
    ]  # fmt: skip
    notes = [
        f"- cluster: {EPISODES} generated episodes of {minutes / EPISODES:.1f} min on average, "
        f"{segments / EPISODES:.0f} segments each; {CORES} cores here, shared by the client, the scheduler and both "
        f"workers; runs here {runs(here)}, there {runs(there)}",
        f"- a speaking task holds 8 segments: about {8 * numbers['worker_cpu'] * 1000 * _part(numbers, 'speak'):.0f} "
        f"ms of CPU against {per_task * 1000:.1f} ms of Dask's own per task",
    ]
    return rows, notes, numbers


def _part(numbers: dict, kind: str) -> float:
    """The share of the workers' task time that went to `kind` (speak, encode)."""
    total = numbers["speak"] + numbers["encode"]
    return numbers[kind] / total if total else 0.0


def _share(numbers: dict, kind: str) -> str:
    return f"{_part(numbers, kind):.0%}"


def _minutes(dist: Path) -> float:
    from mutagen.mp3 import MP3

    return sum(MP3(p).info.length for p in dist.glob("*.mp3")) / 60


def main() -> int:
    """Only the cluster steps, with a report of their own."""
    import tempfile

    root = Path(__file__).resolve().parents[2]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    import compileall

    compileall.compile_dir(str(root / "audio"), quiet=1)  # no measured start pays for compiling (see __main__)
    work = Path(tempfile.mkdtemp(prefix="podcast-bench-cluster-"))
    try:
        rows, notes, numbers = cluster_bench(work, root, lambda m: print(m, file=sys.stderr, flush=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("# podcast cluster benchmark (issue 17)\n")
    print(f"- machine: {CORES} cores; load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| step | value | ratio |")
    print("|---|---:|---|")
    for step, value, ratio in rows:
        print(f"| {step} | {value} | {ratio} |")
    print("\n" + "\n".join(notes))
    print("\n" + "\n".join(projection(numbers)))
    return 0


def projection(numbers: dict, episodes: int = 5000, minutes: float = 10.0) -> list[str]:
    """The time for `episodes` episodes of `minutes` minutes on 1, 16 and 64 workers, from the measured costs:
    the workers' share of the work, or the client's own work where that is longer (it writes every episode)."""
    per_minute = numbers["segments"] / numbers["minutes"]
    segments = episodes * minutes * per_minute
    work = segments * numbers["worker_cpu"]  # the workers' CPU time: what one core per worker gives
    tasks = segments / 8 + episodes * 4  # speaking tasks of 8 segments, about four encoding runs per episode
    overhead = tasks * numbers["per_task"]
    client = episodes * numbers["client"] * minutes / (numbers["minutes"] / EPISODES)
    lines = [f"Projection: {episodes} episodes of {minutes:g} min = {segments:,.0f} segments "
             f"({per_minute:.2f} a minute); on the workers {segments:,.0f} × "
             f"{numbers['worker_cpu'] * 1000:.0f} ms = {work / 3600:.2f} h, and "
             f"{tasks:,.0f} tasks × {numbers['per_task'] * 1000:.2f} ms = {overhead / 3600:.2f} h of Dask's own; "
             f"on the client {episodes} × {numbers['client'] * minutes / (numbers['minutes'] / EPISODES):.2f} s "
             f"= {client / 3600:.2f} h"]
    for workers in (1, 16, 64):
        total = max((work + overhead) / workers, client)
        lines.append(f"- {workers} worker(s): max(({work / 3600:.2f} + {overhead / 3600:.2f}) h / {workers}, "
                     f"{client / 3600:.2f} h) = {total / 3600:.2f} h")
    return lines
