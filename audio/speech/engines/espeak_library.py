"""Which libespeak-ng speaks: `$PODCAST_ESPEAK_LIBRARY` (a file, or `bundled`), else the system's
if it passed its check (one utterance on a deadline, remembered per library file), else the
one espeakng-loader ships.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ...atomic import write_file
from ...errors import EngineError
from .forkserver import SpeechServer

log = logging.getLogger(__name__)

SYSTEM_NAMES = ("libespeak-ng.so.1", "libespeak-ng.1.dylib")
"""The system's library, as the dynamic loader finds it."""


@dataclass(frozen=True)
class Library:
    """Which libespeak-ng a render uses, and why."""

    path: str
    """What is loaded: a file, or a name the dynamic loader resolves."""
    data: str | None
    """Its espeak-ng-data folder, or None for the library's own."""
    origin: str
    """`system`, `bundled` or `$PODCAST_ESPEAK_LIBRARY`."""
    reason: str
    """Why this one was chosen, in words."""


def _loaded_path(handle: ctypes.CDLL) -> str:
    """The file a loaded library came from (Linux: from /proc/self/maps), else its name."""
    with contextlib.suppress(OSError):
        name = Path(handle._name).name  # noqa: SLF001 - ctypes keeps the name it was given
        for line in Path("/proc/self/maps").read_text().splitlines():
            if name.split(".so")[0] in line and "/" in line:
                return line[line.index("/") :]
    return handle._name  # noqa: SLF001


def version_of(handle: ctypes.CDLL) -> str:
    """The version a loaded libespeak-ng reports."""
    info = handle.espeak_Info
    info.restype = ctypes.c_char_p
    info.argtypes = [ctypes.c_void_p]
    return (info(None) or b"?").decode()


def bundled_library(reason: str) -> Library:
    """The libespeak-ng that espeakng-loader ships."""
    try:
        import espeakng_loader
    except ImportError:
        raise EngineError(
            "libespeak-ng is not installed; install espeak-ng (apt install espeak-ng) "
            "or reinstall this tool so that espeakng-loader comes with it"
        ) from None
    return Library(espeakng_loader.get_library_path(), espeakng_loader.get_data_path(), "bundled", reason)


def system_library() -> tuple[str, str] | None:
    """(file path, version) of the system's libespeak-ng, or None if there is none.

    The library is loaded to be found, then unloaded: a library that is not chosen must
    not stay in this process, where pyttsx3's binding (which loads by name) would find it.
    """
    import _ctypes

    for name in SYSTEM_NAMES:
        try:
            handle = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            return _loaded_path(handle), version_of(handle)
        finally:
            with contextlib.suppress(OSError):
                _ctypes.dlclose(handle._handle)  # noqa: SLF001 - ctypes has no public unload
    return None


def locate_library() -> Library:
    """The libespeak-ng to use (see the module's docstring); checks an unknown system library first."""
    wanted = os.environ.get("PODCAST_ESPEAK_LIBRARY", "")
    if wanted == "bundled":
        return bundled_library("$PODCAST_ESPEAK_LIBRARY is 'bundled'")
    if wanted:
        return Library(
            wanted, os.environ.get("ESPEAK_DATA_PATH"), "$PODCAST_ESPEAK_LIBRARY", "named by $PODCAST_ESPEAK_LIBRARY"
        )
    found = system_library()
    if found is None:
        return bundled_library("the system has no libespeak-ng")
    system, version = found
    verdict = library_verdict(system)
    if verdict.get("works"):
        return Library(system, None, "system", f"the system's, checked {verdict.get('checked', 'before')}")
    fallback = bundled_library(
        f"the system's libespeak-ng {version} ({system}) failed its check: {verdict.get('error')}"
    )
    log.warning(
        "the system's libespeak-ng %s (%s) does not work here (%s); using the bundled one instead "
        "(set PODCAST_ESPEAK_LIBRARY to choose)", version, system, verdict.get("error"),
    )  # fmt: skip
    return fallback


def _verdicts_file() -> Path:
    """Where library verdicts are kept: the user's state folder (a fact of the machine, not of a cache)."""
    import platformdirs

    return Path(platformdirs.user_state_dir("podcast", appauthor=False)) / "libraries.json"


def library_verdict(path: str) -> dict:
    """Whether the library file at `path` speaks: remembered per file (path, size, time), else checked now."""
    try:
        stat = os.stat(path)
        key = f"{path} {stat.st_size} {stat.st_mtime_ns}"
    except OSError:  # a name the loader resolves: checked by name
        key = path
    store = _verdicts_file()
    with contextlib.suppress(OSError, ValueError, TypeError):
        known = json.loads(store.read_text(encoding="utf-8"))
        if isinstance(known.get(key), dict):
            return known[key]
    verdict = check_library(Library(path, None, "system", "being checked"))
    with contextlib.suppress(OSError, ValueError, TypeError):
        try:
            known = json.loads(store.read_text(encoding="utf-8"))
        except FileNotFoundError:
            known = {}
        known[key] = verdict
        write_file(store, json.dumps(known, indent=1).encode())
    return verdict


def check_library(library: Library) -> dict:
    """Start a speech server on `library` and have it speak once, on a deadline: its verdict."""
    server = SpeechServer("espeak", f"libespeak-ng ({library.path})", server_env(library))
    try:
        hello = server.wait_started()
    except EngineError as exc:
        return {"works": False, "error": exc.message, "checked": time.strftime("%Y-%m-%d")}
    finally:
        server.close()
    return {"works": True, "version": hello.get("version", "?"), "checked": time.strftime("%Y-%m-%d")}


def server_env(library: Library) -> dict[str, str]:
    env = {"PODCAST_ESPEAK_LIBRARY": library.path}
    if library.data:
        env["ESPEAK_DATA_PATH"] = library.data
    return env
