"""Rendering on a Dask cluster (issue 17): a real LocalCluster of two worker processes, the real engine, ffmpeg.

The catalogue is rendered here first; every file the cluster's render writes (the
episodes, the files beside them, the show page, and the cache's speech and parts) must
then be the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import ROOT, TWO_GUESTS, make_project, one_error, podcast, resume, start_stopped

pytestmark = pytest.mark.slow

EPISODES = {
    f"episode-{n}.txt": TWO_GUESTS.replace("grain of sand", f"grain of sand, number {n}").replace(
        "Tiny robots", f"Tiny robots {n}"
    )
    for n in range(4)
}
"""Four small scripts; they share some segments (as episodes of one show do), not all."""


def digests(folder: Path, pattern: str = "*") -> dict[str, str]:
    """Every file under `folder` matching `pattern` (not the locks) and the sha256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob(pattern))
        if p.is_file() and not p.name.endswith(".lock")
    }


def cache_files(cache: Path) -> dict[str, str]:
    """The speech (WAV and record) and encoded parts of a cache."""
    return {**digests(cache, "??/*"), **digests(cache, "parts/*")}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    """A project of four scripts rendered here: (project, its dist/ files, its cache's files); dist/ then removed."""
    from audio.batch import render_all
    from audio.sound.jingle import write_jingle

    project = make_project(tmp_path_factory.mktemp("catalogue"), EPISODES)
    write_jingle(project / "music" / "intro.wav", 3.0)  # music in the first and last parts: sent with their runs
    write_jingle(project / "music" / "outro.wav", 3.0)
    cast = project / "voices" / "default.toml"
    music = '[show]\nintro = "music/intro.wav"\noutro = "music/outro.wav"\n'
    cast.write_text(cast.read_text().replace("[show]\n", music, 1))
    cache = project.parent / "local-cache"
    result = render_all([project / "scripts"], cache_dir=cache)
    assert not result.failed and len(result.rendered) == 4
    files = digests(project / "dist")
    shutil.rmtree(project / "dist")
    return project, files, cache_files(cache)


@pytest.fixture(scope="module")
def cluster():
    """A real Dask cluster on this machine: a scheduler and two worker processes of one thread each."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as running:
        yield running


def on_cluster(project: Path, cache: Path, cluster, reporter=None):
    from audio.batch import render_all

    return render_all([project / "scripts"], cache_dir=cache, scheduler=cluster.scheduler_address, reporter=reporter)


def test_a_catalogue_renders_on_the_cluster_as_here_byte_for_byte(catalogue, cluster, tmp_path, monkeypatch):
    from audio.cluster import catalogue as client_side

    monkeypatch.setattr(client_side, "CHUNK_SEGMENTS", 3)  # each episode spread over several speaking tasks
    project, files, cached = catalogue
    shutil.rmtree(project / "dist", ignore_errors=True)
    result = on_cluster(project, tmp_path / "cache", cluster)
    assert not result.failed and len(result.rendered) == 4
    assert digests(project / "dist") == files  # the MP3s, the files beside them, the show page
    assert cache_files(tmp_path / "cache") == cached  # the speech and parts the client keeps

    again = on_cluster(project, tmp_path / "cache", cluster)
    assert len(again.up_to_date) == 4 and not again.rendered and not again.failed


class KillsAWorker:
    """A reporter that kills (-9) the busiest worker as the first task comes back: its tasks run again elsewhere."""

    def __init__(self, cluster):
        from distributed import Client

        self.client = Client(cluster.scheduler_address, set_as_default=False)
        self.killed: list[int] = []

    def stage(self, label: str, total: int):
        def advance(n: int) -> None:
            if label == "On the cluster" and not self.killed:
                busy = max(self.client.processing().items(), key=lambda item: len(item[1]))[0]
                pid = self.client.run(os.getpid, workers=[busy])[busy]
                os.kill(pid, signal.SIGKILL)
                self.killed.append(pid)

        return advance

    def note(self, message: str) -> None:
        pass

    def episode(self, name: str) -> None:
        pass


def test_a_worker_killed_mid_run_changes_nothing(catalogue, cluster, tmp_path):
    project, files, cached = catalogue
    shutil.rmtree(project / "dist", ignore_errors=True)
    killer = KillsAWorker(cluster)
    try:
        result = on_cluster(project, tmp_path / "cache", cluster, killer)
    finally:
        killer.client.close()
    assert killer.killed, "no worker was killed"
    assert not result.failed and len(result.rendered) == 4
    assert digests(project / "dist") == files
    assert cache_files(tmp_path / "cache") == cached
    cluster.wait_for_workers(2, timeout=60)  # the nanny starts another


def test_ctrl_c_cancels_the_clusters_tasks_and_keeps_the_episodes_whole(catalogue, cluster, tmp_path):
    project, files, _ = catalogue
    shutil.rmtree(project / "dist", ignore_errors=True)
    on_cluster(project, tmp_path / "cache", cluster)  # the previous episodes
    for script in (project / "scripts").glob("*.txt"):
        script.write_text(script.read_text() + "\nJS: One more thing, said after the first render.\n")
    try:
        env = {**os.environ, "PODCAST_CACHE_DIR": str(tmp_path / "cache")}
        command = [sys.executable, "-m", "audio", "render", "scripts", "--scheduler", cluster.scheduler_address, "-q"]
        render = start_stopped(command, "on the cluster", project, env, tmp_path / "render")
        code = resume(render, signal.SIGINT)
        one_error(code, (tmp_path / "render.err").read_text(), 130, None, "error: interrupted")
        assert digests(project / "dist") == files
        deadline = time.monotonic() + 30
        while cluster.scheduler.tasks and time.monotonic() < deadline:  # cancelled, not left running
            time.sleep(0.1)
        assert not cluster.scheduler.tasks
    finally:
        for name, text in EPISODES.items():
            (project / "scripts" / name).write_text(text)


def test_an_unreachable_scheduler_is_one_line_at_once(tmp_path):
    pytest.importorskip("distributed")
    project = make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS})
    listening = __import__("socket").socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    listening.close()  # a port nothing listens on
    began = time.monotonic()
    done = podcast("render", "scripts", "--scheduler", f"tcp://127.0.0.1:{port}", cwd=project)
    assert time.monotonic() - began < 60  # not a hang: the deadline is seconds (timed in the benchmark, not here)
    one_error(done.returncode, done.stderr, 10, None, f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert not (project / "dist").exists()


def test_a_scheduler_that_never_answers_is_one_line_after_the_deadline(tmp_path):
    pytest.importorskip("distributed")
    project = make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS})
    silent = __import__("socket").socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts, never speaks
    try:
        env = {"PODCAST_SCHEDULER_TIMEOUT": "1", "DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{silent.getsockname()[1]}"}
        done = podcast("render", "scripts", cwd=project, env=env)
    finally:
        silent.close()
    one_error(done.returncode, done.stderr, 10, None, "within 1 s")


def test_without_the_extra_scheduler_is_one_line_exit_2(tmp_path):
    project = make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS})
    blocked = "import sys; sys.modules['distributed'] = None; sys.argv[0] = 'p'; import audio.console as c; c.main()"
    done = subprocess.run(
        [sys.executable, "-c", blocked, "render", "scripts", "--scheduler", "tcp://127.0.0.1:8786"],
        cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    one_error(done.returncode, done.stderr, 2, None, "pip install 'podcast-renderer[cluster]'")


def test_a_render_without_a_scheduler_never_imports_dask(tmp_path):
    from helpers import TONE_CAST

    project = make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS, "other.txt": TWO_GUESTS + "\nJS: Bye.\n"})
    (project / "voices" / "tone.toml").write_text(TONE_CAST)
    check = (
        "import sys; sys.argv[0] = 'podcast'\n"
        "from audio.console import main\n"
        "try:\n    main()\nexcept SystemExit as end:\n    code = end.code\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print('LOADED', loaded, code)\n"
    )
    env = {**os.environ, "PODCAST_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("DASK_SCHEDULER_ADDRESS", None)
    done = subprocess.run(
        [sys.executable, "-c", check, "render", "scripts", "--engine", "tone", "--cast", "voices/tone.toml", "-q"],
        cwd=project, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert "LOADED [] 0" in done.stdout, done.stdout + done.stderr
    assert len(list((project / "dist").glob("*.mp3"))) == 2


def test_the_cluster_code_is_not_imported_by_the_rest():
    for module in (ROOT / "audio").rglob("*.py"):
        if "cluster" in module.parts:
            continue
        for line in module.read_text().splitlines():
            if line.startswith(("import ", "from ")):  # top-level imports only: the hooks import it inside functions
                assert "cluster" not in line and "distributed" not in line and "dask" not in line, (module, line)




def test_one_script_on_the_cluster_is_its_episode_alone(cluster, tmp_path):
    project = make_project(tmp_path / "show", {"tiny.txt": TWO_GUESTS})
    env = {"PODCAST_CACHE_DIR": str(tmp_path / "cache")}
    done = podcast("render", "scripts/tiny.txt", "--scheduler", cluster.scheduler_address, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(project / "dist" / "tiny.mp3")
    assert sorted(p.name for p in (project / "dist").iterdir() if not p.name.startswith(".")) == [
        "tiny.chapters.json", "tiny.html", "tiny.json", "tiny.mp3", "tiny.srt", "tiny.transcript.json", "tiny.vtt",
    ]  # as a local render of one script: no show page
    out = podcast("render", "scripts/tiny.txt", "--scheduler", cluster.scheduler_address, "-o", "x.mp3", cwd=project)
    one_error(out.returncode, out.stderr, 2, None, "--out names one episode here")


def test_a_worker_with_another_engine_refuses_the_task():
    pytest.importorskip("distributed")
    from audio.cluster.tasks import Chunk, speak_with
    from audio.errors import EngineError
    from audio.model import Voice
    from audio.speech.engines.ensemble import create_engines
    from audio.speech.synth import Job

    engine = create_engines("tone")  # as a worker starts its engines
    try:
        job = Job("0" * 32, "Hello.", Voice("tone"), "segment 1")
        with pytest.raises(EngineError, match="a worker's engine is tone"):
            speak_with(Chunk("tone", "another version", engine.sample_rate, (job,)), engine)
        with pytest.raises(EngineError, match="would not make segment 1 as the client's does"):
            speak_with(Chunk("tone", engine.version(), engine.sample_rate, (job,)), engine)
    finally:
        engine.close()
