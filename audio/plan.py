"""A render's plan: everything it will do, decided before any speech is made.

`plan(request, engine)` reads the script, casts, lexicon and cover, and returns one
frozen `RenderPlan`: the episode, its voices, one synthesis job per segment, one
calibration reading per voice, the cover and the fingerprints that say whether the
episode on disk is up to date. `render.execute` carries a plan out; `revoice` and
`voices --preview` build on plans too.

One up-to-date check, with two keys, like make: the *inputs* fingerprint is made from
the bytes of every file a render reads (nothing parsed: an unchanged project is found
up to date at once); the *digest* from what those files say (a comment added to a
cast changes the inputs, not the digest, and the episode is still up to date).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import stat
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import __version__
from .atomic import check_writable, reason
from .errors import CastError, OutputError, PodcastError, ScriptError
from .model import Cast, Episode, Voice
from .paths import default_cast_path, episode_cast_path, lexicon_path, project_root, script_name
from .publish.cover import MAX_COVER_BYTES, read_cover
from .publish.sidecars import read_manifest, sidecar_paths
from .sound.encode import Mp3Settings, for_channels
from .sound.loudness import CALIBRATION_TEXT
from .speech.cache import cache_key
from .speech.engines import SpeechEngine
from .speech.engines.ensemble import Ensemble, create_engines, ensemble
from .speech.synth import Job
from .text.reading import read_script_bytes

log = logging.getLogger(__name__)

DEFAULT_SCRIPT = Path("scripts") / "deepseek-interview.txt"


@dataclass(frozen=True)
class RenderRequest:
    """What a user asks a render for."""

    script: Path | None = None
    """The script; default: the example's, in the current project."""
    output: Path | None = None
    """The MP3 to write; default: `dist/<script name>.mp3` in the script's project."""
    cast_file: Path | None = None
    """A cast merged over `voices/default.toml`, instead of `voices/<script name>.toml`."""
    cover: Path | None = None
    """A JPEG or PNG that overrides the cast's `[show] cover`."""
    force: bool = False
    """Synthesize and write everything again, even if it is up to date."""
    engine_name: str = "espeak"
    """The speech engine."""
    settings: Mp3Settings = Mp3Settings()
    """How the MP3 is encoded."""
    strict: bool = False
    """What the splitter is unsure of is an error, not a warning."""


@dataclass(frozen=True)
class RenderPlan:
    """Everything a render will do. Found up to date from the files alone, it holds no episode."""

    script: Path
    """The script file."""
    output: Path
    """The MP3 file."""
    settings: Mp3Settings
    """How the MP3 is encoded."""
    inputs: str
    """Fingerprint of the bytes of every file the render reads ("" if one cannot be read)."""
    up_to_date: bool
    """True if the episode on disk was made from the same inputs (or the same digest)."""
    force: bool = False
    """Synthesize and write everything again."""
    previous: dict | None = field(default=None, compare=False)
    """The manifest of the episode on disk, if any."""
    episode: Episode | None = None
    """The split script, overrides applied (None when found up to date from the files alone)."""
    cast: Cast | None = None
    """The merged cast."""
    voices: dict[str, Voice] = field(default_factory=dict)
    """Voice per speaker id."""
    segment_voices: dict[str, Voice] = field(default_factory=dict)
    """Voice per segment id, overrides applied."""
    jobs: tuple[Job, ...] = ()
    """One synthesis job per segment, in reading order."""
    calibrations: dict[Voice, Job] = field(default_factory=dict)
    """One reading of the calibration text per voice the jobs use."""
    cover: tuple[bytes, str] | None = None
    """The cover image's bytes and MIME type."""
    music: dict[str, Path] = field(default_factory=dict)
    """The show's music files by kind (`intro`, `outro`, `bed`)."""
    digest: str = ""
    """Fingerprint of what is rendered: the episode, voices, cache keys and settings."""
    applied: tuple[str, ...] = ()
    """One line per override applied."""
    stale: tuple[str, ...] = ()
    """One line per override that no longer fits its segment (not applied; logged as a warning when planned)."""

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file the render writes: the MP3, then the files beside it."""
        return (self.output, *sidecar_paths(self.output).values())

    @property
    def all_jobs(self) -> list[Job]:
        """The segments' jobs and the calibration readings."""
        return [*self.jobs, *self.calibrations.values()]


def default_script() -> Path:
    """The example episode's script, in the current project."""
    return project_root() / DEFAULT_SCRIPT


def default_output(script: Path) -> Path:
    """`dist/<script name>.mp3` in the script's project."""
    return project_root(script) / "dist" / f"{script_name(script)}.mp3"


def plan(request: RenderRequest, engine: SpeechEngine | None) -> RenderPlan:
    """Plan a render. `engine` None: it could not be started, and its error is raised after the script's own.

    Raises `ScriptError`, `CastError`, `OutputError` or `EngineError` for what cannot be rendered.
    """
    from .speech.cast import apply_overrides, assign_voices, load_cast  # the parsers: not needed when up to date
    from .speech.lexicon import load_lexicon
    from .text.script import load_episode

    script = Path(request.script) if request.script else default_script()
    output = Path(request.output) if request.output else default_output(script)
    _check_output(output)
    raw = read_script_bytes(script)  # once: a pipe gives its bytes only once
    previous = read_manifest(sidecar_paths(output)["manifest"])
    inputs = input_fingerprint(script, raw, request, engine) if engine else ""
    base = dict(script=script, output=output, settings=request.settings, inputs=inputs, force=request.force)
    if not request.force and not request.strict and _fresh(previous, output, inputs=inputs):  # strict: read it
        return RenderPlan(**base, up_to_date=True, previous=previous)

    episode = load_episode(script, raw)
    if not episode.segments:
        raise ScriptError("has nothing to voice: no title, narration or answers found", script)
    if len(episode.segments) == 1 and any(n.reason == "heading of an empty section" for n in episode.not_spoken):
        raise ScriptError("has only a title and headings, nothing under them; put the interview's text there", script)
    _say_doubts(episode, script, request.strict)
    cast = load_cast(script, request.cast_file)
    lexicon = load_lexicon(script)
    voices = assign_voices(episode, cast)
    episode, segment_voices, applied, stale = apply_overrides(episode, voices, cast)
    for line in stale:  # said at once: also when the engine or the cover fails next
        log.warning("%s", line)
    engine = ensemble(engine or create_engines(request.engine_name))  # raises the error that stopped it before
    # every voice names its engine (the manifest says which spoke each segment)
    voices = {who: _engine_named(v, engine) for who, v in voices.items()}
    segment_voices = {who: _engine_named(v, engine) for who, v in segment_voices.items()}
    jobs = tuple(
        Job(_key(lexicon.apply(s.text), segment_voices[s.id], engine), lexicon.apply(s.text), segment_voices[s.id],
            f"segment {s.id}")
        for s in episode.segments
    )  # fmt: skip
    cover_path = request.cover or (project_root(script) / cast.show.cover if cast.show.cover else None)
    cover = read_cover(cover_path)
    music = music_files(cast, project_root(script))
    _check_not_an_input(output, [script, *cast.sources, lexicon.source, cover_path, *music.values()])
    base["settings"] = for_channels(request.settings, cast.show.channels)
    digest = _digest(episode, cast, jobs, base["settings"], cover, music)
    fresh = not request.force and _fresh(previous, output, digest=digest)
    return RenderPlan(
        **base, up_to_date=fresh, previous=previous, episode=episode, cast=cast, voices=voices,
        segment_voices=segment_voices, jobs=jobs, calibrations=calibration_jobs(jobs, engine), cover=cover,
        music=music, digest=digest, applied=tuple(applied), stale=tuple(stale),
    )  # fmt: skip


RENDER_FORMAT = 2
"""What the same inputs render to: 2 since the loudness is a target as heard and transcripts have word times and
caption-sized cues. Part of both up-to-date checks: an episode rendered before is rendered again."""
MAX_NAME_BYTES = 255 - 20
"""Longest output file name: the temporary files beside it (`.NAME.xxxxxxxx.part`) need 20 bytes more."""


def _say_doubts(episode: Episode, script: Path, strict: bool) -> None:
    """What the splitter is unsure of: a warning each, or with `strict` an error (the first)."""
    if strict and episode.doubts:
        first = episode.doubts[0]
        more = f" (and {len(episode.doubts) - 1} more doubt(s))" if len(episode.doubts) > 1 else ""
        raise ScriptError(f"{first.message}{more}", script, first.line or None)
    for doubt in episode.doubts:
        log.warning("%s: %s", f"{script}:{doubt.line}" if doubt.line else script, doubt.message)


def _check_output(output: Path) -> None:
    if output.suffix.lower() != ".mp3":
        raise OutputError("the output must be an .mp3 file", output)
    for target in (output, *sidecar_paths(output).values()):
        if len(target.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise OutputError(f"the file name is too long; at most {MAX_NAME_BYTES} bytes, with the files beside it",
                              _short(target))  # fmt: skip
    try:
        if output.parent.exists() and not output.parent.is_dir():
            raise OutputError("is a file, not a folder; choose another --out", output.parent)
        for target in (output, *sidecar_paths(output).values()):
            check_writable(target)
    except OSError as exc:  # a path too long for the system, or a folder that cannot be looked into
        raise OutputError(f"cannot be written ({reason(exc)}); choose another --out", _short(output)) from None


def _short(path: Path) -> str:
    """A path short enough for an error line."""
    text = str(path)
    return text if len(text) <= 100 else f"{text[:60]}…{text[-30:]}"


def _check_not_an_input(output: Path, inputs: list[Path | None]) -> None:
    """Refuse outputs that are one of the render's input files (by identity, not by name): they would replace it."""
    read = {}
    for path in filter(None, inputs):
        with contextlib.suppress(OSError, ValueError):
            info = os.stat(path)
            read.setdefault((info.st_dev, info.st_ino), path)
    for target in (output, *sidecar_paths(output).values()):
        with contextlib.suppress(OSError, ValueError):
            info = os.stat(target)
            if (info.st_dev, info.st_ino) in read:
                source = read[info.st_dev, info.st_ino]
                raise OutputError(f"would overwrite {source}, which the render reads; choose another --out", target)


def _fresh(previous: dict | None, output: Path, *, inputs: str = "", digest: str = "") -> bool:
    """The up-to-date check: the episode's files are all there, and its manifest has the same inputs or digest."""
    if not previous or not all(f.exists() for f in (output, *sidecar_paths(output).values())):
        return False
    return bool(inputs and previous.get("inputs") == inputs or digest and previous.get("digest") == digest)


def _engine_named(voice: Voice, engine: SpeechEngine) -> Voice:
    return voice if voice.engine else replace(voice, engine=engine.name)


def _key(text: str, voice: Voice, engine: Ensemble) -> str:
    return cache_key(text, voice, *engine.key_parts(voice), engine.sample_rate)


def calibration_jobs(jobs: tuple[Job, ...] | list[Job], engine: Ensemble) -> dict[Voice, Job]:
    """One reading of the calibration text for each voice that `jobs` use (see `sound.loudness`)."""
    return {
        voice: Job(_key(CALIBRATION_TEXT, voice, engine), CALIBRATION_TEXT, voice,
                   f"the calibration reading of voice {voice.label}")
        for voice in dict.fromkeys(job.voice for job in jobs)
    }  # fmt: skip


def music_files(cast: Cast, project: Path) -> dict[str, Path]:
    """The show's music files (`[show] intro`, `outro`, `bed`, relative to the project); `CastError` naming the cast
    and key for one that is not a readable file, or the file for one that is not music."""
    from .sound.music import check

    found = {}
    for kind in ("intro", "outro", "bed"):
        name = getattr(cast.show, kind)
        if not name:
            continue
        path = project / name
        source = next((p for p in reversed(cast.sources) if _show_of(p).get(kind)), cast.sources[-1])
        if not path.is_file() or not os.access(path, os.R_OK):
            raise CastError(f"[show] {kind}: no music file {path} (a path relative to the project)", source)
        check(path)  # before any speech is made
        found[kind] = path
    return found


def _show_of(path: Path) -> dict:
    """A cast file's `[show]` table (empty if it cannot be read: it was read before)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8")).get("show", {})
    except (OSError, ValueError):
        return {}


def _digest(episode: Episode, cast: Cast, jobs, settings: Mp3Settings, picture, music: dict[str, Path]) -> str:
    material = {
        "music": {kind: hashlib.sha256(path.read_bytes()).hexdigest() for kind, path in music.items()},
        "mix": asdict(cast.music),
        "cover": hashlib.sha256(picture[0]).hexdigest() if picture else None,
        "tool": __version__,
        "title": episode.title,
        "date": str(episode.date),
        "lede": episode.lede,
        **({"author": episode.author} if episode.author else {}),  # older episodes' digests stay as they were
        "speakers": [asdict(s) for s in episode.speakers],
        "chapters": [[c.title, [[s.id, s.speaker, s.text] for s in c.segments]] for c in episode.chapters],
        "keys": [j.key for j in jobs],
        "pauses": asdict(cast.pauses),
        "loudness": asdict(cast.loudness),
        "format": RENDER_FORMAT,
        "show": asdict(cast.show),
        "mp3": asdict(settings),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def input_fingerprint(script: Path, raw: bytes, request: RenderRequest, engine: SpeechEngine) -> str:
    """A fingerprint of every file and setting a render reads, from their bytes, parsing nothing;
    "" when one cannot be read (the render then reports it)."""
    try:
        casts = [default_cast_path(script), Path(request.cast_file) if request.cast_file else episode_cast_path(script)]
        digest = hashlib.sha256(f"{__version__} {RENDER_FORMAT} {asdict(request.settings)}".encode())
        read = {}
        for path in [script, *casts, lexicon_path(script)]:
            read[path] = data = raw if path == script else path.read_bytes() if path.exists() else b"<none>"
            digest.update(f"\0{path.resolve()}\0{len(data)}\0".encode() + data)
        parsed: dict[Path, dict] = {}

        def cast(path: Path) -> dict:  # parsed only where it may name what is looked for, and once
            if path not in parsed:
                parsed[path] = tomllib.loads(read[path].decode("utf-8")) if read[path] != b"<none>" else {}
            return parsed[path]

        picture = request.cover
        if picture is None:  # the cast's cover, as the render would take it (the last cast that names one)
            for path in casts:
                if b"cover" in read[path]:
                    named = cast(path).get("show", {}).get("cover")
                    picture = project_root(script) / named if isinstance(named, str) else picture
        for path in casts:  # the music the casts name, by its bytes (a new intro file is a change)
            if re.search(rb"\b(intro|outro|bed)\s*=", read[path]):
                show = cast(path).get("show", {})
                for kind in ("intro", "outro", "bed"):
                    if isinstance(show.get(kind), str) and show[kind]:
                        digest.update(f"\0{kind}\0".encode() + (project_root(script) / show[kind]).read_bytes())
        if picture is not None:
            info = os.stat(picture)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_COVER_BYTES:  # `read_cover` says what is wrong
                return ""
            digest.update(b"\0cover\0" + Path(picture).read_bytes())
        digest.update(f"\0{engine.name} {engine.version()} {engine.sample_rate}".encode())
        if any(b"model" in read[path] or b"piper" in read[path] for path in casts):  # a model changed since is seen
            from .speech.engines.piper_models import models_state

            digest.update(models_state(project_root(script), [cast(path) for path in casts]).encode())
    except (OSError, ValueError, PodcastError):
        return ""
    return digest.hexdigest()
