"""libespeak-ng through pyttsx3's binding: the default engine.

Two halves. `EspeakEngine`, in the render's process, knows the library (which one,
its version, its voices and variants) and checks voices; it never speaks. Speech
comes from a fork server (`forkserver`) whose `EspeakSpeaker` starts libespeak-ng
once, in synchronous mode, and speaks each utterance in a fresh child:

- pyttsx3's own loop (`save_to_file` + `runAndWait`) is not used: it returns before
  espeak-ng's thread has finished, cancels utterances that the library still counts
  as busy, and drops the samples that arrive with the end-of-utterance event. The
  speaker calls the binding's `Synth` in synchronous mode, which returns once
  everything is spoken, and keeps every sample its callback receives. It never calls
  `espeak_Synchronize` and never stops and restarts the library: libespeak-ng 1.51
  (Debian 12, Ubuntu 24.04) loops for ever in `espeak_Synchronize` after a restart.
- espeak-ng carries state from one utterance to the next (a variant's traits, its
  noise generator): a child forked from a library that has spoken nothing yet speaks
  every segment the same way, whatever came before, so the same text and voice give
  the same samples in any process, on any run.
- `SetVoiceByName` falls back to the default voice for an unknown name, and ignores an
  unknown variant, without an error: `check_voice` matches names the way espeak-ng does,
  checks the variant file, and hears whether the voice really changes the sound.
- long paragraphs are spoken in sentence-sized pieces, and samples go into a list
  (the binding's examples grow a bytes object, quadratic in the text's length).

Which library: `$PODCAST_ESPEAK_LIBRARY` (a file, or `bundled`), else the system's
libespeak-ng if it passes its check (one utterance, on a deadline, remembered per
library file), else the one espeakng-loader ships.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import EngineError
from . import EngineVoice, closest
from .espeak_library import Library, locate_library, server_env, version_of
from .forkserver import ServedEngine

if TYPE_CHECKING:
    from ...model import Voice

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
MAX_PIECE_CHARS = 2000
"""Longest piece of text handed to espeak-ng in one utterance (a run-on paragraph is cut at sentences)."""
RATE_RANGE = (80, 450)
PITCH_RANGE = (0, 99)
VOLUME_RANGE = (0.0, 2.0)
PROBE_TEXT = "Testing, one two."
DEFAULT_VOICE = "gmw/en"
"""What espeak-ng falls back to for a name it does not know."""
_SENTENCE_END = re.compile(r"[.!?…;:][\"'”’)\]]*(\s+)")
"""Where a sentence ends: its stop and closing quotes or brackets (kept with it), then the space after it."""


def sentence_spans(text: str, limit: int = MAX_PIECE_CHARS) -> list[tuple[int, int]]:
    """Where to cut text into sentence-sized pieces of at most about `limit` characters: (start, end) in `text`,
    so that a piece is the text as written (its quotes and spaces) and a position in it is one in `text`."""
    first, last = len(text) - len(text.lstrip()), len(text.rstrip())
    sentences, start = [], first
    for match in _SENTENCE_END.finditer(text, first, last):
        sentences.append((start, match.start(1)))
        start = match.end(1)
    if start < last:
        sentences.append((start, last))
    pieces: list[tuple[int, int]] = []
    for start, end in sentences:
        while end - start > limit:  # a run-on sentence: cut at a comma, else a space
            window = text[start : start + limit]
            cut = max(window.rfind(", "), window.rfind(" "))
            cut = cut + 1 if cut > limit // 3 else limit
            pieces.append((start, start + len(text[start : start + cut].rstrip())))
            start += cut + len(text[start + cut : end]) - len(text[start + cut : end].lstrip())
        if pieces and (pieces[-1][1] - pieces[-1][0]) + (end - start) < limit // 2:
            pieces[-1] = (pieces[-1][0], end)
        elif end > start:
            pieces.append((start, end))
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def sentence_pieces(text: str, limit: int = MAX_PIECE_CHARS) -> list[str]:
    """Text cut into sentence-sized pieces of at most about `limit` characters (see `sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text, limit)]


def _load(library: Library) -> ctypes.CDLL:
    try:
        handle = ctypes.CDLL(library.path, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise EngineError(f"cannot load libespeak-ng from {library.path}: {exc}") from None
    if library.data:
        os.environ["ESPEAK_DATA_PATH"] = library.data
    return handle


RANDOM_SEED = 1
"""espeak-ng's noise (breath, flutter) comes from a random generator: seeded alike in every server."""


def _fixed_seed(handle: ctypes.CDLL) -> None:
    """Seed the generator espeak-ng draws its noise from: 1.52 seeds it from the clock when it starts,
    1.51 uses the C library's `rand` unseeded; so every server speaks alike."""
    ctypes.CDLL(None).srand(ctypes.c_uint(RANDOM_SEED))
    seed = getattr(handle, "espeak_ng_SetRandSeed", None)
    if seed is not None:
        seed.argtypes = [ctypes.c_long]
        seed.restype = None
        seed(RANDOM_SEED)


def _same_library(binding, handle: ctypes.CDLL, library: Library) -> None:
    """Raise `EngineError` unless pyttsx3's binding calls the library chosen here (it loads one by name)."""
    theirs = (binding.Info(None) or b"?").decode(errors="replace")
    if theirs != version_of(handle):
        raise EngineError(
            f"pyttsx3's binding loaded libespeak-ng {theirs}, not the chosen {version_of(handle)} "
            f"({library.path}); set PODCAST_ESPEAK_LIBRARY to the library to use"
        )


class EspeakEngine(ServedEngine):
    """libespeak-ng, spoken through a fork server."""

    name = "espeak"
    sample_rate = SAMPLE_RATE
    word_marks = True
    """espeak-ng's word events say where each word starts."""

    def __init__(self) -> None:
        self.library = locate_library()
        self._lib = _load(self.library)
        self._binding = None  # started when voices are first listed: an up-to-date check needs only the version
        self._voices: list[EngineVoice] | None = None
        self._checked: dict[Voice, str] = {}

    def _start(self):
        """The binding, with the library started in this process (to list voices; it never speaks here)."""
        if self._binding is None:
            from .binding import espeak_binding

            binding = espeak_binding()
            _same_library(binding, self._lib, self.library)
            if binding.Initialize(binding.AUDIO_OUTPUT_SYNCHRONOUS, 1000) == -1:
                raise EngineError(f"libespeak-ng could not start ({self.library.path})")
            self._binding = binding
        return self._binding

    def server_env(self) -> dict[str, str]:
        """The server loads the library chosen here."""
        return server_env(self.library)

    # -- facts -----------------------------------------------------------------------
    def version(self) -> str:
        """libespeak-ng's version."""
        return version_of(self._lib)

    def data_path(self) -> Path:
        """The espeak-ng-data folder the library uses."""
        self._start()
        path = ctypes.c_char_p()
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self._lib.espeak_Info.argtypes = [ctypes.c_void_p]
        self._lib.espeak_Info(ctypes.byref(path))
        return Path((path.value or b"").decode())

    def short(self) -> str:
        """`libespeak-ng 1.51 (system)`: for error messages."""
        return f"libespeak-ng {self.version()} ({self.library.origin})"

    def describe(self) -> str:
        """Which libespeak-ng is in use."""
        return (
            f"pyttsx3 + libespeak-ng {self.version()}, {self.library.origin} ({self.library.path}), "
            f"data {self.data_path()}"
        )

    def details(self) -> list[str]:
        """For `podcast doctor`: the library's version, path, why it was chosen, and a timed utterance."""
        from .binding import pyttsx3_version

        lines = [
            f"libespeak-ng {self.version()}, {self.library.origin}: {self.library.path}",
            f"chosen because: {self.library.reason}",
            f"data: {self.data_path()}",
            f"pyttsx3 {pyttsx3_version()} (its espeak binding)",
        ]
        from ...model import Voice

        started = time.perf_counter()
        self.server().wait_started()
        ready = time.perf_counter()
        pcm = self.synthesize(PROBE_TEXT, Voice("en-us"))
        took = time.perf_counter() - ready
        lines.append(f"speech server started in {ready - started:.2f} s")
        lines.append(f"spoke {PROBE_TEXT!r} in {took:.2f} s ({len(pcm) / 2 / self.sample_rate:.2f} s of audio)")
        return lines

    def voices(self) -> list[EngineVoice]:
        """espeak-ng's voices."""
        if self._voices is None:
            binding = self._start()
            self._voices = [
                EngineVoice(
                    v.identifier.decode(errors="replace").lower(),
                    v.name.decode(errors="replace"),
                    v.languages[1:].decode(errors="ignore") if v.languages else "",
                )
                for v in binding.ListVoices(None)
            ]
        return self._voices

    def variants(self) -> list[str]:
        """The variant files in espeak-ng-data/voices/!v."""
        folder = self.data_path() / "voices" / "!v"
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    # -- checking --------------------------------------------------------------------
    def resolve(self, name: str) -> EngineVoice | None:
        """The voice espeak-ng picks for `name`: full id, last path part or display name."""
        key = name.lower()
        for v in self.voices():
            if key in (v.id.lower(), v.id.rsplit("/", 1)[-1].lower(), v.name.lower()):
                return v
        return None

    def check_voice(self, voice: Voice, hear: bool = True) -> None:
        """Raise ValueError unless `voice` takes effect exactly as written (see `SpeechEngine`)."""
        if voice in self._checked:
            return
        resolved = self.resolve(voice.name)
        if resolved is None:
            ids = [v.id.rsplit("/", 1)[-1] for v in self.voices()]
            same_language = [v.id.rsplit("/", 1)[-1] for v in self.voices() if v.language.lower() == voice.name.lower()]
            hint = f" (the voice for that language is {', '.join(same_language)})" if same_language else ""
            raise ValueError(f"unknown voice {voice.name!r}{hint or closest(voice.name, ids)}")
        variants = self.variants()
        if voice.variant and voice.variant not in variants:
            raise ValueError(f"unknown variant {voice.variant!r}{closest(voice.variant, variants)}")
        for what, value, (low, high) in (
            ("rate", voice.rate, RATE_RANGE),
            ("pitch", voice.pitch, PITCH_RANGE),
            ("volume", voice.volume, VOLUME_RANGE),
        ):
            if not low <= value <= high:
                raise ValueError(f"{what} {value} is out of range ({low}–{high})")
        if not hear:
            return
        # Hear it: the voice must sound unlike the default, the variant unlike no variant.
        from ...model import Voice

        plain = Voice(voice.name, "", voice.rate, voice.pitch, voice.volume)
        if voice.variant and self.synthesize(PROBE_TEXT, voice) == self.synthesize(PROBE_TEXT, plain):
            raise ValueError(f"variant {voice.variant!r} does not change the sound of {voice.name!r}")
        fallback = Voice(DEFAULT_VOICE, "", voice.rate, voice.pitch, voice.volume)
        if resolved.id != DEFAULT_VOICE and self.synthesize(PROBE_TEXT, plain) == self.synthesize(
            PROBE_TEXT, fallback
        ):
            raise ValueError(f"voice {voice.name!r} sounds like espeak-ng's default voice; it does not take effect")
        self._checked[voice] = resolved.id


class EspeakSpeaker:
    """The fork server's half: libespeak-ng started once, in synchronous mode; speaks in forked children."""

    probe_text = PROBE_TEXT

    @property
    def probe_voice(self) -> Voice:
        """The voice of the first utterance, which shows that the library speaks."""
        from ...model import Voice

        return Voice("en")

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._marks: list[list[int]] = []
        self._offsets = (0, 0)  # the piece being spoken: its first character in the text, its first sample
        self._binding = None
        self.version = "?"

    def start(self) -> None:
        """Load and start the library named by the environment (see `espeak_library.server_env`)."""
        library = locate_library()  # the server's environment names the library: no check, no fallback
        handle = _load(library)
        self.version = version_of(handle)
        from .binding import espeak_binding

        binding = espeak_binding()
        _same_library(binding, handle, library)
        if binding.Initialize(binding.AUDIO_OUTPUT_SYNCHRONOUS, 1000) == -1:
            raise EngineError(f"libespeak-ng {self.version} could not start ({library.path})")
        binding.SetSynthCallback(self._on_synth)
        _fixed_seed(handle)
        self._binding = binding

    def speak(self, text: str, voice: Voice) -> tuple[bytes, list[list[int]]]:
        """Speak `text`, sentence by sentence (in a forked child, once): its PCM, and where each word starts
        (`[character in text, sample]`, from espeak-ng's word events)."""
        es = self._binding
        es.SetVoiceByName(voice.label.encode())
        es.SetParameter(es.RATE, int(voice.rate), 0)
        es.SetParameter(es.VOLUME, int(round(voice.volume * 100)), 0)
        es.SetParameter(es.PITCH, int(voice.pitch), 0)
        pcm: list[bytes] = []
        self._marks, samples = [], 0
        for start, end in sentence_spans(text):
            piece = text[start:end]
            self._chunks, self._offsets = [], (start, samples)
            # Synchronous output: Synth returns once everything is spoken.
            es.Synth(piece.encode("utf-8"), flags=es.ENDPAUSE | es.CHARS_UTF8)
            if not self._chunks:
                raise EngineError(f"espeak-ng produced no audio for {piece[:40]!r}")
            pcm.extend(self._chunks)
            samples += sum(len(c) for c in self._chunks) // 2
        return b"".join(pcm), self._marks

    def _on_synth(self, wav, numsamples, events) -> int:
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        n = 0
        while events and events[n].type != 0:  # LIST_TERMINATED
            event = events[n]
            if event.type == 1:  # WORD: its place in the piece (from 1, in characters) and its first sample
                self._marks.append([self._offsets[0] + event.text_position - 1, self._offsets[1] + event.sample])
            n += 1
        return 0
