"""pyttsx3 over libespeak-ng: the default engine, and the home of pyttsx3's quirks.

pyttsx3 2.99 starts the engine, lists the voices and binds libespeak-ng through its
`_espeak` module. Its run loop (`save_to_file` + `runAndWait`) is not used for speech,
because of the traps of its espeak driver:

- `runAndWait()` returns before espeak-ng's thread has finished (and before the WAV
  file exists); its `stop()` cancels the next utterance when the library still counts
  as busy, which cut utterances short at random; and it drops the samples that arrive
  with the end-of-utterance event. The adapter starts espeak-ng with synchronous
  output (its asynchronous thread also costs a third of the time in hand-offs), calls
  the binding's `Synth`, which returns once everything is spoken, and keeps every
  sample that its own callback receives.
- it prints `Audio saved to …` on stdout: its callback is never installed, and stdout
  is swallowed around synthesis all the same (workers send fd 1 to /dev/null).
- it grows a bytes object chunk by chunk, quadratic in the text's length: samples go
  into a list, and long paragraphs are spoken in sentence-sized pieces.
- property changes go through a queue that runs late while its loop is busy; and
  espeak-ng keeps traces of the previous voice: a segment in another voice starts
  from a freshly started library, its voice applied through the binding directly.
- a process forked after it started hangs in synthesis: `synth.py` uses `spawn`
  workers, each with its own engine.
- `SetVoiceByName` falls back to the default voice for an unknown name, and ignores an
  unknown variant, without an error: `check_voice` matches names the way espeak-ng does,
  checks the variant file, and hears whether the voice really changes the sound.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import re
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EngineError
from . import EngineVoice, closest

if TYPE_CHECKING:
    from ..model import Voice

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
MAX_PIECE_CHARS = 2000
"""Longest piece of text handed to espeak-ng in one utterance (a run-on paragraph is cut at sentences)."""
RATE_RANGE = (80, 450)
PITCH_RANGE = (0, 99)
VOLUME_RANGE = (0.0, 2.0)
_PROBE_TEXT = "Testing, one two."
DEFAULT_VOICE = "gmw/en"
"""What espeak-ng falls back to for a name it does not know."""


_LIBRARY: dict = {}
"""Which engine last started libespeak-ng in this process, and with which voice."""


def locate_library() -> tuple[str, str | None, str]:
    """(library, data folder or None for the library's own, origin) of libespeak-ng.

    `$PODCAST_ESPEAK_LIBRARY` may name a library file, or `bundled` to skip the system's.
    Otherwise the system's libespeak-ng wins, then the one espeakng-loader ships.
    """
    wanted = os.environ.get("PODCAST_ESPEAK_LIBRARY", "")
    if wanted and wanted != "bundled":
        return wanted, os.environ.get("ESPEAK_DATA_PATH"), f"from $PODCAST_ESPEAK_LIBRARY ({wanted})"
    if not wanted:
        for name in ("libespeak-ng.so.1", "libespeak-ng.1.dylib"):  # the system's, found by the loader
            try:
                ctypes.CDLL(name)
            except OSError:
                continue
            return name, None, f"system ({name})"
    try:
        import espeakng_loader
    except ImportError:
        raise EngineError(
            "libespeak-ng is not installed; install espeak-ng (apt install espeak-ng) "
            "or reinstall this tool so that espeakng-loader comes with it"
        ) from None
    return (
        espeakng_loader.get_library_path(),
        espeakng_loader.get_data_path(),
        f"bundled by espeakng-loader ({espeakng_loader.get_library_path()})",
    )


def sentence_pieces(text: str, limit: int = MAX_PIECE_CHARS) -> list[str]:
    """Split text into sentence-sized pieces of at most about `limit` characters."""
    sentences = re.split(r"(?<=[.!?…;:])[\"'”’)\]]*\s+", text.strip())
    pieces: list[str] = []
    for sentence in sentences:
        while len(sentence) > limit:  # a run-on sentence: cut at a comma, else a space
            cut = max(sentence.rfind(", ", 0, limit), sentence.rfind(" ", 0, limit))
            cut = cut + 1 if cut > limit // 3 else limit
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if pieces and len(pieces[-1]) + len(sentence) < limit // 2:
            pieces[-1] += " " + sentence
        elif sentence:
            pieces.append(sentence)
    return [p for p in pieces if p.strip()]


class EspeakEngine:
    """Speech from libespeak-ng, driven through pyttsx3."""

    name = "espeak"
    sample_rate = SAMPLE_RATE

    def __init__(self) -> None:
        library, data, self._origin = locate_library()
        try:
            self._lib = ctypes.CDLL(library, mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            raise EngineError(f"cannot load libespeak-ng from {library}: {exc}") from None
        if data:
            os.environ["ESPEAK_DATA_PATH"] = data
        self._espeak = None  # pyttsx3 starts when first needed: finding an episode up to date needs only the version
        self._voices: list[EngineVoice] | None = None
        self._checked: dict[Voice, str] = {}
        self._chunks: list[bytes] = []
        self._helper: ThreadPoolExecutor | None = None

    def _start(self):
        """pyttsx3 and its espeak binding, started once."""
        if self._espeak is None:
            try:
                import pyttsx3
                from pyttsx3.drivers import _espeak
            except Exception as exc:  # pyttsx3 raises RuntimeError when it finds no library
                raise EngineError(f"pyttsx3 cannot use libespeak-ng: {exc}") from None
            with contextlib.redirect_stdout(io.StringIO()):
                self._tts = pyttsx3.init("espeak")
            self._espeak = _espeak
        return self._espeak

    # -- facts -----------------------------------------------------------------------
    def version(self) -> str:
        """libespeak-ng's version."""
        info = self._lib.espeak_Info
        info.restype = ctypes.c_char_p
        info.argtypes = [ctypes.c_void_p]
        return (info(None) or b"?").decode()

    def data_path(self) -> Path:
        """The espeak-ng-data folder the library uses."""
        self._start()
        path = ctypes.c_char_p()
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self._lib.espeak_Info(ctypes.byref(path))
        return Path((path.value or b"").decode())

    def describe(self) -> str:
        """Which libespeak-ng is in use."""
        return f"pyttsx3 + libespeak-ng {self.version()}, {self._origin}, data {self.data_path()}"

    def voices(self) -> list[EngineVoice]:
        """espeak-ng's voices."""
        if self._voices is None:
            self._start()
            self._voices = [
                EngineVoice(v.id, v.name, (v.languages or [""])[0]) for v in self._tts.getProperty("voices")
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
        from ..model import Voice  # not needed to find an episode up to date

        plain = Voice(voice.name, "", voice.rate, voice.pitch, voice.volume)
        if voice.variant and self.synthesize(_PROBE_TEXT, voice) == self.synthesize(_PROBE_TEXT, plain):
            raise ValueError(f"variant {voice.variant!r} does not change the sound of {voice.name!r}")
        fallback = Voice(DEFAULT_VOICE, "", voice.rate, voice.pitch, voice.volume)
        if resolved.id != DEFAULT_VOICE and self.synthesize(_PROBE_TEXT, plain) == self.synthesize(
            _PROBE_TEXT, fallback
        ):
            raise ValueError(f"voice {voice.name!r} sounds like espeak-ng's default voice; it does not take effect")
        self._checked[voice] = resolved.id

    # -- speaking --------------------------------------------------------------------
    def synthesize(self, text: str, voice: Voice) -> bytes:
        """Speak `text`, sentence by sentence, and return its PCM."""
        self._apply(voice)
        return b"".join(self._utter(piece) for piece in sentence_pieces(text))

    def _speaker(self) -> ThreadPoolExecutor:
        if self._helper is None:
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak")
        return self._helper

    def _apply(self, voice: Voice) -> None:
        # pyttsx3 queues property changes while its loop is busy and applies them late;
        # its espeak binding applies them at once.
        es = self._start()
        # espeak-ng keeps traces of the previous voice (a variant's `consonants`, `flutter`,
        # …): a segment in another voice starts from a freshly started library, so that it
        # sounds the same whatever came before it. That costs 10–20 ms, so segments of one
        # voice follow each other without it (synthesis sorts them so).
        # The library (and so its voice and callback) is one per process, whatever the engines.
        owner = _LIBRARY.get("owner")
        if owner is None or owner() is not self or _LIBRARY.get("voice") != voice.label:
            _LIBRARY.clear()
            es.Synchronize()
            es.Terminate()
            if es.Initialize(es.AUDIO_OUTPUT_SYNCHRONOUS, 1000) == -1:
                raise EngineError("espeak-ng could not start again")
            es.SetSynthCallback(self._on_synth)
            es.SetVoiceByName(voice.label.encode())
            _LIBRARY.update(owner=weakref.ref(self), voice=voice.label)  # weak: engines end as before
        es.SetParameter(es.RATE, int(voice.rate), 0)
        es.SetParameter(es.VOLUME, int(round(voice.volume * 100)), 0)
        es.SetParameter(es.PITCH, int(voice.pitch), 0)

    def _on_synth(self, wav, numsamples, events) -> int:
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    def _utter(self, piece: str) -> bytes:
        es = self._espeak
        self._chunks = []
        with contextlib.redirect_stdout(io.StringIO()):
            # Synchronous output: Synth returns once everything is spoken. Its callback runs
            # Python code, and ctypes prints and drops an exception raised there: on the main
            # thread, Ctrl-C (KeyboardInterrupt) would be lost. So the main thread waits for
            # a helper thread to speak, and Ctrl-C interrupts the wait.
            text = piece.encode("utf-8")
            if threading.current_thread() is threading.main_thread():
                self._speaker().submit(es.Synth, text, flags=es.ENDPAUSE | es.CHARS_UTF8).result()
            else:
                es.Synth(text, flags=es.ENDPAUSE | es.CHARS_UTF8)
            if es.Synchronize() != 0:
                raise EngineError(f"espeak-ng did not finish speaking {piece[:40]!r}")
        pcm = b"".join(self._chunks)
        if not pcm:
            raise EngineError(f"espeak-ng produced no audio for {piece[:40]!r}")
        return pcm
