"""Assembly streams: memory stays flat as a script grows (peak RSS of the whole process tree)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import TWO_GUESTS

BODY = TWO_GUESTS[TWO_GUESTS.index("What are you working on?") : TWO_GUESTS.index("Share")]


def repeated(times: int) -> str:
    """The two-guest script with its body repeated, every copy worded a little differently."""
    head = TWO_GUESTS[: TWO_GUESTS.index("What are you working on?")]
    parts = [head]
    for n in range(1, times + 1):
        body = BODY.replace("Swarms in the wild", f"Swarms in the wild, part {n}")
        body = body.replace("?\n", f", take {n}?\n").replace(".\n", f", said for the {n}th time.\n")
        parts.append(body)
    return "".join(parts)


def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def peak_memory(command: list[str], cwd: Path) -> int:
    """Run a command and return the peak resident memory of its process tree."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.02)
    assert process.returncode == 0, process.stderr.read().decode()
    return peak


@pytest.mark.slow
def test_memory_stays_flat_as_the_script_grows_tenfold(project, tone_cast, tmp_path):
    # One synthesis thread in both runs (--workers 1): the same fixed cost, so that what grows is the script's.
    peaks = {}
    for times in (3, 30):
        script = project / "scripts" / f"long{times}.txt"
        script.write_text(repeated(times), encoding="utf-8")
        command = [sys.executable, "-m", "audio", "render", str(script), "--cast", str(tone_cast),
                   "--engine", "tone", "--quiet", "--workers", "1",
                   "--cache-dir", str(tmp_path / f"cache{times}")]  # fmt: skip
        peaks[times] = peak_memory(command, project)
        assert (project / "dist" / f"long{times}.mp3").stat().st_size > 0
    assert peaks[30] <= 1.5 * peaks[3], peaks
