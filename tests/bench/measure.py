"""Running a command and measuring it from the outside: wall time, the peak memory of its
whole process tree (the render's synthesis workers and ffmpeg are child processes, so the
command's own maximum RSS would miss most of it), and when which child processes ran.

The tree is found from /proc every 50 ms (each process's parent in /proc/PID/stat) and
its resident sizes are summed; pages shared between processes (the interpreter, the
libraries) count once per process, as `ps` would show them.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
INTERVAL = 0.05


@dataclass
class Run:
    """What one measured command did."""

    command: list[str]
    returncode: int
    wall: float
    """Seconds from start to exit."""
    peak_rss: int = 0
    """Largest sum of resident bytes over the process tree, 0 if not sampled."""
    children: list[tuple[str | None, float, float]] = field(default_factory=list)
    """Each descendant seen: (kind, first seen, last seen), seconds from start."""
    stdout: str = ""
    stderr: str = ""


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, resident bytes, command name) for every process we can read."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ')'.
        close = stat.rindex(b")")
        fields = stat[close + 2 :].split()
        name = stat[stat.index(b"(") + 1 : close].decode(errors="replace")
        table[int(entry.name)] = (int(fields[1]), int(fields[21]) * PAGE, name)
    return table


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _kind(pid: int, name: str, parent: int) -> str | None:
    """What a child process is: `worker`, `ffmpeg encode`/`loudness`/`join`, else its name.

    None while it is still a copy of its parent, forked but not yet running its program,
    or already ended (a zombie has no command line).
    """
    cmdline = _cmdline(pid)
    if not cmdline or cmdline == _cmdline(parent):
        return None
    if "spawn_main" in cmdline:
        return "worker"
    if "resource_tracker" in cmdline:
        return "resource tracker"
    if "ffmpeg" in cmdline or name.startswith("ffmpeg"):
        if "libmp3lame" in cmdline:
            return "ffmpeg encode"
        if "concat" in cmdline:
            return "ffmpeg join"
        return "ffmpeg loudness" if "ebur128" in cmdline else "ffmpeg"
    return name or "?"


class TreeSampler(threading.Thread):
    """Samples the process tree under `root` until stopped."""

    def __init__(self, root: int, started: float):
        super().__init__(daemon=True)
        self.root, self.started = root, started
        self.peak = 0
        self.children: dict[int, list] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(INTERVAL)

    def sample(self) -> None:
        now = time.perf_counter() - self.started
        table = _processes()
        if self.root not in table:
            return
        children: dict[int, list[int]] = {}
        for pid, (parent, _, _) in table.items():
            children.setdefault(parent, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        self.peak = max(self.peak, sum(table[pid][1] for pid in tree))
        for pid in tree[1:]:
            child = self.children.setdefault(pid, [None, now, now])
            if child[0] is None:
                child[0] = _kind(pid, table[pid][2], table[pid][0])
            child[2] = now

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run(command: list[str], cwd: Path | None = None, sample: bool = False, timeout: float = 1800) -> Run:
    """Run `command`, capturing its output; with `sample`, also its tree's peak memory and child processes."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = None
    if sample:
        sampler = TreeSampler(process.pid, started)
        sampler.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        wall = time.perf_counter() - started
        if sampler:
            sampler.stop()
    result = Run(command, process.returncode, wall, stdout=stdout, stderr=stderr)
    if sampler:
        result.peak_rss = sampler.peak
        result.children = [tuple(child) for child in sampler.children.values()]
    return result


def timeline(run: Run, skip: tuple[str, ...] = ("resource tracker",)) -> str:
    """When the command's child processes were seen, by kind: `worker ×2 3.9–11.4 s, …`."""
    kinds: dict[str, list[tuple[float, float]]] = {}
    for kind, first, last in run.children:
        kind = kind or "(not identified)"
        if kind not in skip:
            kinds.setdefault(kind, []).append((first, last))
    parts = []
    for kind, spans in sorted(kinds.items(), key=lambda item: min(s[0] for s in item[1])):
        start, end = min(s[0] for s in spans), max(s[1] for s in spans)
        parts.append(f"{kind} ×{len(spans)} {start:.1f}–{end:.1f} s")
    return ", ".join(parts + [f"exit {run.wall:.1f} s"])
