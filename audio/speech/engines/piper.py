"""The Piper engine: natural neural voices, offline, on the CPU (ONNX Runtime), from the `piper` extra.

Piper speaks through a fork server of its own, as espeak-ng does (see `forkserver`):
the server imports Piper and ONNX Runtime (this process never does: Piper's own
espeak-ng must not meet the libespeak-ng loaded here), loads each model once, when a
request first names it, with one ONNX Runtime thread; each segment is then spoken in a
fresh child that shares the loaded model, one per synthesis worker, so workers ×
threads never exceed the cores.

Piper speaks one sentence at a time, each normalised to full scale; the sentences are
joined with a short pause. Its speech varies a little from one run to the next (the
model draws noise), so the cache, not the engine, keeps a re-render the same.
"""

from __future__ import annotations

import re
from dataclasses import replace
from importlib import metadata
from pathlib import Path

from ...errors import EngineError
from ...model import Voice
from . import EngineVoice
from .forkserver import ServedEngine
from .piper_models import PIPER_INSTALL, PiperModel, find_model, list_models, model_digest, read_model

SENTENCE_PAUSE = 0.25
"""Seconds of silence between two sentences (Piper speaks each on its own)."""
OWN_PACE_WPM = 170
"""The `rate` that means a model's own pace: `rate = 200` speaks 200/170 as fast."""
LOUDNESS_REFERENCE = -20.0
"""About how loud Piper speaks, in LUFS (measured on Joe: -20.0, as espeak-ng; it normalises each sentence
to full scale, other models may differ); see `sound.loudness`."""


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        raise EngineError(f"the Piper engine is not installed; install it with: {PIPER_INSTALL}") from None


class PiperEngine(ServedEngine):
    """Piper voices, spoken by a fork server."""

    name = "piper"
    sample_rate = 22050
    """The rate of most medium models; each model's own is `sample_rate_of`."""
    loudness_reference = LOUDNESS_REFERENCE
    word_marks = True
    """Its speaker says where words start (from phoneme alignments: see `marks_from_alignments`)."""
    deadline_seconds = 30.0
    """A model speaks at about a tenth of real time on a busy core: a minute of speech may take 10 s or more."""
    deadline_per_character = 0.05

    def __init__(self) -> None:
        self._version = f"piper-tts {_version('piper-tts')} onnxruntime {_version('onnxruntime')}"
        self._models: dict[str, PiperModel] = {}

    def server_env(self) -> dict[str, str]:
        """One thread per library in the server: each child speaks on one core."""
        return {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

    # -- facts -----------------------------------------------------------------------
    def version(self) -> str:
        """piper-tts and ONNX Runtime versions (each model's digest is added per voice: `voice_version`)."""
        return self._version

    def voice_version(self, voice: Voice) -> str:
        """What a voice's audio depends on besides its settings: the engine's version and its model's digest."""
        return f"{self.version()} model {model_digest(self.model(voice))}"

    def describe(self) -> str:
        """One line for `podcast doctor`."""
        return f"Piper ({self.version()})"

    def details(self) -> list[str]:
        """For `podcast doctor`."""
        return [self.describe(), *(f"  {m.name} ({m.where})" for m in list_models())]

    def voices(self) -> list[EngineVoice]:
        """The models found outside any project."""
        return [EngineVoice(m.name, m.name, m.language.lower().replace("_", "-")) for m in list_models()]

    def variants(self) -> list[str]:
        """Piper has no variants."""
        return []

    def model(self, voice: Voice) -> PiperModel:
        """The model of a voice (its `model` file, as the cast found it)."""
        path = voice.model or voice.name
        if path not in self._models:
            try:
                self._models[path] = read_model(voice.model) if voice.model else find_model(voice.name)
            except ValueError as exc:
                raise EngineError(f"voice {voice.label}: {exc}") from None
        return self._models[path]

    def sample_rate_of(self, voice: Voice) -> int:
        """Samples per second of what this voice's model speaks."""
        return self.model(voice).sample_rate

    def check_voice(self, voice: Voice, hear: bool = True) -> None:
        """A voice works if its model's files are there and its speaker is one of the model's (nothing to hear:
        Piper never falls back to another voice)."""
        try:
            check_settings(self.model(voice), voice)
        except EngineError as exc:
            raise ValueError(exc.message) from None

    def synthesize(self, text: str, voice: Voice, what: str = "") -> bytes:
        """Speak `text` in a fresh child of the server, with the model's files as the cast found them."""
        return self.server().synthesize(text, voice if voice.model else _found(voice, self.model(voice)), what)

    def synthesize_marked(self, text: str, voice: Voice, what: str = "") -> tuple[bytes, list | None]:
        """`synthesize`, with where each word starts (from the model's phoneme alignments; none without them)."""
        return self.server().speak(text, voice if voice.model else _found(voice, self.model(voice)), what)


def _found(voice: Voice, model: PiperModel) -> Voice:
    return replace(voice, model=str(model.path))


class PiperSpeaker:
    """The fork server's half: Piper imported, models loaded once, each segment spoken in a child."""

    probe_text = ""
    """No probe: a model is loaded when a request first names it (its errors are that request's)."""
    version = "piper"

    def start(self) -> None:
        """Import Piper and ONNX Runtime (a missing extra is the server's one error)."""
        try:
            import onnxruntime
            from piper import PiperVoice, SynthesisConfig
            from piper.config import PiperConfig
        except ImportError:
            raise EngineError(f"the Piper engine is not installed; install it with: {PIPER_INSTALL}") from None
        self._modules = (onnxruntime, PiperVoice, SynthesisConfig, PiperConfig)
        self._loaded: dict[str, tuple] = {}
        self.version = metadata.version("piper-tts")

    def prepare(self, voice: Voice) -> None:
        """Load the voice's model in the server, once: every child after shares it."""
        if voice.model in self._loaded:
            return
        import json

        onnxruntime, piper_voice, _, piper_config = self._modules
        model = read_model(voice.model)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1  # one core per segment
        source, aligned = _with_alignments(model.path)
        try:
            session = onnxruntime.InferenceSession(source, sess_options=options,
                                                   providers=["CPUExecutionProvider"])  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a damaged model: its file and ONNX Runtime's words
            raise EngineError(f"model {model.path} cannot be loaded ({str(exc)[:200]})") from None
        try:
            config = piper_config.from_dict(json.loads(model.config.read_text(encoding="utf-8")))
        except (KeyError, ValueError, TypeError, AttributeError) as exc:  # a config Piper cannot take
            raise EngineError(f"the config of model {model.name} is not Piper's ({type(exc).__name__}: {exc}): "
                              f"{model.config}") from None  # fmt: skip
        self._loaded[voice.model] = (model, piper_voice(session=session, config=config), aligned)

    def speak(self, text: str, voice: Voice) -> tuple[bytes, list[list[int]]]:
        """Speak `text` (in a child): 16-bit mono PCM at the model's rate, and where each word starts (none where
        the model gives no alignments)."""
        model, piper, aligned = self._loaded[voice.model]
        config = self._modules[2](
            speaker_id=model.speaker_id(voice.speaker), length_scale=length_scale(model, voice),
            noise_scale=voice.noise_scale, noise_w_scale=voice.noise_w_scale, volume=voice.volume,
        )  # fmt: skip
        pause = bytes(2 * round(model.sample_rate * SENTENCE_PAUSE))
        chunks = list(piper.synthesize(text, syn_config=config, include_alignments=aligned))
        pcm = pause.join(c.audio_int16_bytes for c in chunks) or bytes(2 * round(model.sample_rate * 0.1))
        return pcm, marks_from_alignments(text, chunks, len(pause) // 2, piper.phonemize) if aligned else []


def _with_alignments(path: Path) -> tuple[str | bytes, bool]:
    """The model as ONNX Runtime loads it, patched in memory to say how long each phoneme lasts (Piper's own
    patch, with the `onnx` package of the extra), and whether it does; unpatched without `onnx`."""
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        return str(path), False
    try:
        proto = onnx.load(str(path))
        add_alignment_output(proto)
        return proto.SerializeToString(), True
    except ValueError:  # patched already (or no tensor to patch): as it is; alignments come if it has them
        return str(path), True
    except Exception:  # noqa: BLE001 - a model onnx cannot read: ONNX Runtime loading it says what is wrong
        return str(path), False


def marks_from_alignments(text: str, chunks: list, pause: int, phonemize) -> list[list[int]]:
    """Where each word of `text` starts (`[character, sample]`), from Piper's phoneme alignments.

    Piper says how many samples each phoneme of each sentence lasts, words separated by a
    space phoneme; a written word may be said as several (`2025`) or none (`–`), so each
    is phonemized alone to count its spoken words. If the counts do not add up, words
    take the spoken words' starts in proportion.
    """
    starts, at = [], 0
    for n, chunk in enumerate(chunks):
        at += pause if n else 0
        cursor, begin = at, True
        for aligned in chunk.phoneme_alignments or []:
            if aligned.phoneme == " ":
                begin = True
            elif aligned.phoneme not in ("^", "$", "_") and begin:
                starts.append(cursor)
                begin = False
            cursor += int(aligned.num_samples)
        at += len(chunk.audio_int16_bytes) // 2
    words = [(m.start(), m.group()) for m in re.finditer(r"\S+", text)]
    if not starts or not words:
        return []
    counts = [sum(len("".join(s).split()) for s in phonemize(word)) for _, word in words]
    if sum(counts) != len(starts):
        return [[char, starts[n * len(starts) // len(words)]] for n, (char, _) in enumerate(words)]
    marks, spoken = [], 0
    for (char, _), count in zip(words, counts):
        if count:
            marks.append([char, starts[spoken]])
        spoken += count
    return marks


def length_scale(model: PiperModel, voice: Voice) -> float:
    """A voice's pace: its `length_scale`, or its `rate` against the model's own pace."""
    if voice.length_scale is not None:
        return voice.length_scale
    return model.length_scale * OWN_PACE_WPM / max(1, voice.rate)


def check_settings(model: PiperModel, voice: Voice) -> None:
    """Raise `ValueError` for a setting this model cannot take (a speaker it does not have, a pace out of range)."""
    model.speaker_id(voice.speaker)
    pace = length_scale(model, voice)
    if not 0.2 <= pace <= 5.0:
        raise ValueError(f"pace {pace:.2f} is out of range (length_scale from 0.2 to 5.0, rate from 40 to 800)")
    for name in ("noise_scale", "noise_w_scale"):
        value = getattr(voice, name)
        if value is not None and not 0.0 <= value <= 2.0:
            raise ValueError(f"{name} must be from 0.0 to 2.0 (it is {value:g})")
