"""The fork server's side: start the engine's speaker once, then fork a child per request, each on a deadline.

Run as `python -m audio.speech.engines.server NAME` by `forkserver.SpeechServer`, which
describes the protocol.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import struct
import sys
import time
from dataclasses import asdict

from ...errors import EngineError
from ...model import Voice
from .forkserver import _HEADER, _pack


def _end_with_parent(sig: int) -> None:
    """Ask Linux to send `sig` to this process when its parent ends."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(1, sig)  # PR_SET_PDEATHSIG


def serve(engine_name: str) -> None:
    """Run the server: start the engine's speaker, then fork a child per request until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client handles Ctrl-C, and ends us
    # No PR_SET_PDEATHSIG here: it fires when the thread that started us ends, not the client.
    # The client's end closes our stdin, which ends us (and our children) all the same.
    out = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing a library prints may reach the answers

    def send(header: dict, payload: bytes = b"") -> None:
        data = _pack(header, payload)
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]

    try:
        from . import create_speaker

        speaker = create_speaker(engine_name)
        speaker.start()
        took = _probe(speaker) if speaker.probe_text else 0.0  # an engine of models has no voice of its own
    except Exception as exc:  # noqa: BLE001 - reported to the client as one line
        send({"hello": True, "ok": False, "error": getattr(exc, "message", None) or str(exc)})
        return
    send({"hello": True, "ok": True, "pid": os.getpid(), "version": getattr(speaker, "version", "?"), "probe": took})
    _answer_requests(speaker, send, out)


def _answer_requests(speaker, send, out: int) -> None:
    """Fork a child per request read from stdin, send each answer, kill children past their deadline."""
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, None)
    children: dict[int, dict] = {}  # read fd → {pid, id, deadline, data}
    incoming = b""
    open_input = True
    while open_input or children:
        soonest = min((c["deadline"] for c in children.values()), default=None)
        for key, _ in selector.select(None if soonest is None else max(0.0, soonest - time.monotonic())):
            if key.fd == 0:
                chunk = os.read(0, 1 << 16)
                if not chunk:
                    open_input = False
                    selector.unregister(0)
                    for child in children.values():  # the client is gone: so is its work
                        with contextlib.suppress(OSError):
                            os.kill(child["pid"], signal.SIGKILL)
                    continue
                requests, incoming = _requests(incoming + chunk)
                for request in requests:
                    try:  # what the children share is made here, once (a Piper model, loaded)
                        getattr(speaker, "prepare", lambda voice: None)(Voice(**request["voice"]))
                    except Exception as exc:  # noqa: BLE001 - reported to the client as one line
                        send({"id": request["id"], "ok": False, "error": getattr(exc, "message", None) or str(exc)})
                        continue
                    fd, child = _fork(speaker, request, out)
                    children[fd] = child
                    selector.register(fd, selectors.EVENT_READ, None)
            elif chunk := os.read(key.fd, 1 << 20):
                children[key.fd]["data"].append(chunk)
            else:
                child = _forget(children, selector, key.fd)
                _, status = os.waitpid(child["pid"], 0)
                send(*_answer(child, status))
        for fd, child in list(children.items()):
            if child["deadline"] <= time.monotonic():
                with contextlib.suppress(OSError):
                    os.kill(child["pid"], signal.SIGKILL)
                os.waitpid(child["pid"], 0)
                _forget(children, selector, fd)
                error = f"no answer within its deadline of {child['limit']:.0f} s"
                send({"id": child["id"], "ok": False, "error": error})


def _requests(incoming: bytes) -> tuple[list[dict], bytes]:
    """The whole requests at the start of `incoming`, and the rest (the start of the next one)."""
    requests = []
    while len(incoming) >= _HEADER.size:
        size, length = _HEADER.unpack_from(incoming)
        if len(incoming) < _HEADER.size + size + length:
            break
        requests.append(json.loads(incoming[_HEADER.size : _HEADER.size + size]))
        incoming = incoming[_HEADER.size + size + length :]
    return requests, incoming


def _forget(children: dict[int, dict], selector, fd: int) -> dict:
    """Stop reading a child's pipe; the child's record."""
    selector.unregister(fd)
    os.close(fd)
    return children.pop(fd)


PROBE_DEADLINE = 5.0
"""Seconds the first utterance of a server may take: a library that hangs is found before any real work."""


def _probe(speaker) -> float:
    """Speak the speaker's probe text in a child, on a deadline; its time in seconds, or raise EngineError."""
    started = time.monotonic()
    request = {"id": 0, "text": speaker.probe_text, "voice": asdict(speaker.probe_voice), "deadline": PROBE_DEADLINE}
    fd, child = _fork(speaker, request, -1)
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ, None)
    try:
        while True:
            left = child["deadline"] - time.monotonic()
            if left <= 0 or not selector.select(left):
                with contextlib.suppress(OSError):
                    os.kill(child["pid"], signal.SIGKILL)
                os.waitpid(child["pid"], 0)
                raise EngineError(f"its first utterance did not finish within {PROBE_DEADLINE:.0f} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            child["data"].append(chunk)
    finally:
        selector.close()
        os.close(fd)
    _, status = os.waitpid(child["pid"], 0)
    answer, pcm = _answer(child, status)
    if not answer["ok"]:
        raise EngineError(f"its first utterance failed: {answer['error']}")
    if not pcm:
        raise EngineError("its first utterance made no sound")
    return round(time.monotonic() - started, 4)


def _fork(speaker, request: dict, out: int) -> tuple[int, dict]:
    """Start a child that speaks `request` into a pipe; (read end, the child's record)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: speak, write, exit without running anything of the parent's
        status = 0
        try:
            os.close(read)
            if out >= 0:
                os.close(out)
            _end_with_parent(signal.SIGKILL)  # the server is one thread: its end is the process's
            if os.getppid() == 1:  # the server ended before we could ask to follow it
                os._exit(1)
            spoken = speaker.speak(request["text"], Voice(**request["voice"]))
            if isinstance(spoken, tuple):  # the PCM and where its words start: the marks go first
                marks = json.dumps(spoken[1]).encode()
                data = b"\2" + struct.pack(">I", len(marks)) + marks + spoken[0]
            else:
                data = b"\0" + spoken
        except BaseException as exc:  # noqa: BLE001 - reported to the client as one line
            data = b"\1" + (getattr(exc, "message", None) or str(exc) or type(exc).__name__).encode(errors="replace")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(write, view) :]
        except OSError:
            status = 1
        os._exit(status)
    os.close(write)
    limit = float(request.get("deadline", 60.0))
    return read, {"pid": pid, "id": request["id"], "deadline": time.monotonic() + limit, "limit": limit, "data": []}


def _answer(child: dict, status: int) -> tuple[dict, bytes]:
    data = b"".join(child["data"])
    if data[:1] == b"\0" and os.waitstatus_to_exitcode(status) == 0:
        return {"id": child["id"], "ok": True}, data[1:]
    if data[:1] == b"\2" and os.waitstatus_to_exitcode(status) == 0:
        (size,) = struct.unpack(">I", data[1:5])
        return {"id": child["id"], "ok": True, "marks": json.loads(data[5 : 5 + size])}, data[5 + size :]
    if data[:1] == b"\1":
        return {"id": child["id"], "ok": False, "error": data[1:].decode(errors="replace")}, b""
    code = os.waitstatus_to_exitcode(status)
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    return {"id": child["id"], "ok": False, "error": f"the speaking process ended with {how}"}, b""


if __name__ == "__main__":
    serve(sys.argv[1])
