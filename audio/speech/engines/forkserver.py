"""Speech from a fork server: every utterance spoken by a fresh copy of one started engine, on a deadline.

The server is a process of its own, started with this Python and this `audio`
package. It starts the engine's `Speaker` once (libespeak-ng: loaded and initialised,
nothing spoken), then forks a child for each request; the child speaks, writes the
PCM into a pipe and exits. So:

- every utterance starts from the same engine state: the same text and voice give
  the same samples whatever was spoken before (espeak-ng carries state from one
  utterance to the next, so a process that speaks twice does not);
- the library is started once per server and never stopped and started again
  (libespeak-ng 1.51 hangs in `espeak_Synchronize` after that);
- a child that misses its deadline is killed, and its request fails with one clear
  error; a server that stops answering is killed too (`SpeechServer.synthesize`);
- requests run side by side, one child each, as many as the client sends at once.

The server holds no threads, so forking it is safe. It ends when its standard input
closes (the client ended, even by kill -9), killing any child still speaking.

Messages, both ways: an 8-byte header (JSON length, payload length, big-endian),
the JSON, the payload (the PCM of an answer).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict
from pathlib import Path

from ...errors import EngineError
from ...model import Voice

_HEADER = struct.Struct(">II")
GRACE = 10.0
"""Seconds the client waits past a request's deadline before it gives up on the server itself."""
START_TIMEOUT = 30.0
"""Seconds the server may take to start its engine."""


DEADLINE_SECONDS = 5.0
"""Every utterance may take this long, whatever its length."""
DEADLINE_PER_CHARACTER = 0.005
"""And this long per character: espeak-ng speaks a thousand characters in a small fraction of a
second, so a segment of 10,000 characters may take 55 s: a margin for a slow and busy machine."""


def deadline(text: str, per_character: float = DEADLINE_PER_CHARACTER, base: float = DEADLINE_SECONDS) -> float:
    """Seconds an utterance of `text` may take: a few seconds, plus a margin per character."""
    return base + per_character * len(text)


def _pack(header: dict, payload: bytes = b"") -> bytes:
    data = json.dumps(header).encode()
    return _HEADER.pack(len(data), len(payload)) + data + payload


def _read_exactly(stream, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


# -- the client side -------------------------------------------------------------------


class SpeechServer:
    """A fork server for the engine called `engine_name`; `synthesize` may be called from many threads."""

    def __init__(
        self, engine_name: str, describe: str = "", env: dict[str, str] | None = None,
        per_character: float = DEADLINE_PER_CHARACTER,
        base: float = DEADLINE_SECONDS,
    ):  # fmt: skip
        self.engine_name = engine_name
        self.per_character, self.base = per_character, base
        self.describe = describe or engine_name
        """Which engine and library, for error messages."""
        self._errors = tempfile.TemporaryFile()
        package_parent = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, **(env or {})}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        # Started with Ctrl-C ignored here for the moment it takes: a SIGINT that reaches the
        # child between fork and exec would otherwise be counted in this process too, and a
        # second KeyboardInterrupt would end it after the first was reported. A Ctrl-C in
        # those milliseconds is lost; pressed again, it is not.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "audio.speech.engines.server", engine_name],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, env=env,
            )  # fmt: skip
        except OSError as exc:
            raise EngineError(f"cannot start the speech server ({exc.strerror})") from None
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        self._lock = threading.Lock()
        """Guards `_pending`, `_next` and `_closed`; held for moments only (the reader needs it)."""
        self._write = threading.Lock()
        """One request written at a time; never held by the reader, `kill` or `close`."""
        self._pending: dict[int, Future] = {}
        self._next = 0
        self._started: Future = Future()
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="speech-server", daemon=True)
        self._reader.start()

    def wait_started(self) -> dict:
        """What the server said when its engine started; raises `EngineError` if it could not."""
        try:
            return self._started.result(timeout=START_TIMEOUT)
        except FutureTimeout:
            self.kill()
            raise EngineError(f"{self.describe} did not start within {START_TIMEOUT:.0f} s") from None

    def synthesize(self, text: str, voice: Voice, what: str = "") -> bytes:
        """Speak `text` with `voice` in a fresh child; `what` names the utterance in errors."""
        return self.speak(text, voice, what)[0]

    def speak(self, text: str, voice: Voice, what: str = "") -> tuple[bytes, list | None]:
        """`synthesize`, with where each word starts if the engine says (`[character, sample]`), else None."""
        self.wait_started()
        limit = deadline(text, self.per_character, self.base)
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise EngineError("the speech server has been stopped")
            self._next += 1
            number = self._next
            self._pending[number] = future
        message = _pack({"id": number, "text": text, "voice": asdict(voice), "deadline": limit})
        try:
            with self._write:  # the server may be slow to read: the reader goes on meanwhile
                assert self._process.stdin is not None
                self._process.stdin.write(message)
                self._process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            with self._lock:
                self._pending.pop(number, None)
            raise EngineError(f"{self.describe} stopped answering{self._last_error()}") from None
        try:
            return future.result(timeout=limit + GRACE)
        except FutureTimeout:
            self.kill()
            raise EngineError(
                f"{what or 'speech'}: {self.describe} gave no answer within {limit + GRACE:.0f} s (voice {voice.label})"
            ) from None
        except EngineError as exc:
            raise EngineError(f"{what or 'speech'}: {exc.message} (voice {voice.label}, {self.describe})") from None
        finally:
            with self._lock:
                self._pending.pop(number, None)

    def _read(self) -> None:
        stream = self._process.stdout
        assert stream is not None
        try:
            while True:
                header = _read_exactly(stream, _HEADER.size)
                if header is None:
                    break
                size, length = _HEADER.unpack(header)
                body = _read_exactly(stream, size)
                payload = _read_exactly(stream, length) if length else b""
                if body is None or payload is None:
                    break
                answer = json.loads(body)
                if "hello" in answer:
                    if answer.get("ok"):
                        self._started.set_result(answer)
                    else:
                        why = answer.get("error", "it could not start")
                        self._started.set_exception(EngineError(f"{self.describe} cannot speak: {why}"))
                    continue
                with self._lock:
                    future = self._pending.get(answer["id"])
                if future is None:
                    continue
                if answer.get("ok"):
                    future.set_result((payload, answer.get("marks")))
                else:
                    future.set_exception(EngineError(answer.get("error", "speech failed")))
        except (OSError, ValueError):
            pass
        # The server ended: nothing pending will be answered.
        ended = EngineError(f"{self.describe} ended unexpectedly{self._last_error()}")
        if not self._started.done():
            self._started.set_exception(ended)
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for future in pending:
            if not future.done():
                future.set_exception(ended)

    def _last_error(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            self._errors.seek(0)
            lines = self._errors.read().decode(errors="replace").strip().splitlines()
            if lines:
                return f" ({lines[-1][:200]})"
        return ""

    def close(self) -> None:
        """Let the server end (it ends its children) and wait for it."""
        with self._lock:
            self._closed = True
        with contextlib.suppress(OSError, ValueError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            self._errors.close()

    def kill(self) -> None:
        """End the server now (its children die with it)."""
        with self._lock:
            self._closed = True
        with contextlib.suppress(OSError):
            self._process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)


_STARTING = threading.Lock()


class ServedEngine:
    """What an engine whose speech comes from a fork server shares: the server, started on first use."""

    name: str
    _server: SpeechServer | None = None
    word_marks = False
    """True if its speaker says where each word starts (`synthesize_marked`)."""
    deadline_per_character = DEADLINE_PER_CHARACTER
    """Seconds per character an utterance may take, beyond `deadline_seconds` (see `deadline`)."""
    deadline_seconds = DEADLINE_SECONDS
    """Seconds every utterance may take, whatever its length."""

    def server_env(self) -> dict[str, str]:
        """What the server's environment must add (which library to load)."""
        return {}

    def short(self) -> str:
        """Which engine (and library), in a few words, for error messages."""
        return self.name

    def server(self) -> SpeechServer:
        """The fork server that speaks for this engine, started on first use (by one thread)."""
        with _STARTING:
            if self._server is None:
                self._server = SpeechServer(
                    self.name, self.short(), self.server_env(), self.deadline_per_character, self.deadline_seconds
                )
            return self._server

    def verify(self) -> None:
        """Raise `EngineError` if a speech server was started and could not speak (waits for it to start)."""
        if self._server is not None:
            self._server.wait_started()

    def warm_up(self) -> None:
        """Start the speech server now, in the background, so that it is ready when speech is needed."""
        self.server()

    def synthesize(self, text: str, voice: Voice, what: str = "") -> bytes:
        """Speak `text` in a fresh child of the speech server; `what` names it in errors."""
        return self.server().synthesize(text, voice, what)

    def synthesize_marked(self, text: str, voice: Voice, what: str = "") -> tuple[bytes, list | None]:
        """`synthesize`, with where each word starts (`[character in text, sample]`) if the engine says."""
        return self.server().speak(text, voice, what)

    def close(self) -> None:
        """Stop the speech server, if one was started."""
        if self._server is not None:
            self._server.close()
            self._server = None
