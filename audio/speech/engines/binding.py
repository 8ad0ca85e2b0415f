"""The one door to pyttsx3's private espeak binding (`pyttsx3.drivers._espeak`).

pyttsx3's public loop cannot give what a render needs (see `espeak`), so the engine
calls the ctypes binding that pyttsx3 ships for its espeak driver. That module is
private: this one checks, before anything is spoken, that it still has every
function and constant the engine uses, and turns a change into one clear error
(exit 5) instead of a traceback in the middle of a render.

Importing the binding loads libespeak-ng by its own search list (`libespeak-ng.so.1`
first); a library loaded before it with `RTLD_GLOBAL` and the same soname is the one
it gets, which is how `espeak.locate_library`'s choice takes effect.
"""

from __future__ import annotations

from ...errors import EngineError

TESTED = ("2.99",)
"""pyttsx3 versions whose espeak binding this module was written against."""

NEEDED = (
    "Initialize", "SetSynthCallback", "SetVoiceByName", "SetParameter", "Synth", "ListVoices", "Info",
    "AUDIO_OUTPUT_SYNCHRONOUS", "RATE", "VOLUME", "PITCH", "ENDPAUSE", "CHARS_UTF8",
)  # fmt: skip
"""What the engine uses of the binding."""


def pyttsx3_version() -> str:
    """The installed pyttsx3's version, or `?`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyttsx3")
    except PackageNotFoundError:
        return "?"


def espeak_binding():
    """pyttsx3's `_espeak` module, checked to offer what the engine uses.

    Raises `EngineError` when pyttsx3 is missing, finds no libespeak-ng, or has changed
    its binding.
    """
    try:
        from pyttsx3.drivers import _espeak
    except ImportError as exc:
        if "pyttsx3" in str(exc) and "_espeak" not in str(exc):
            raise EngineError("pyttsx3 is not installed; reinstall this tool (pip install .)") from None
        raise _changed(f"its espeak binding cannot be imported ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - pyttsx3 raises RuntimeError when it finds no library
        raise EngineError(f"pyttsx3 cannot use libespeak-ng: {exc}") from None
    missing = [name for name in NEEDED if not hasattr(_espeak, name)]
    if missing:
        raise _changed(f"its espeak binding lacks {', '.join(missing)}")
    return _espeak


def _changed(what: str) -> EngineError:
    return EngineError(
        f"pyttsx3 {pyttsx3_version()} changed its espeak binding ({what}); "
        f"this tool supports pyttsx3 {', '.join(TESTED)}: pip install 'pyttsx3=={TESTED[-1]}'"
    )
